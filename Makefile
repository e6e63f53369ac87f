# live-assets: every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint dev bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m live_assets.demo

test: $(STAMP)
	$(BIN)/ruff check live_assets live_assets_tests
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check live_assets live_assets_tests
	$(BIN)/ruff format --check live_assets live_assets_tests

clean:
	rm -rf $(VENV) data .dagster_home artifacts
