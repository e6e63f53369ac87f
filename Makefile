# live-assets: every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The browser test drives Debian's Chromium (never a browser build downloaded by a test tool). The
# file itself is the target, so a machine that has it never reinstalls; fonts-liberation gives the
# screenshots real glyphs without pulling in chromium's other recommends (a desktop's worth).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv demo test lint dev bench clean browser postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation

browser: $(CHROMIUM)

# The PostgreSQL server the deployment test runs against (deploy/dagster.yaml): Debian's package,
# started, with the test's role and database. Idempotent; under a second when already done.
postgres:
	.ci/postgres

# The whole pipeline through Dagster on the simulator, then the KPI tables and reports/live-report.html.
# Options pass through, e.g. make demo DEMO_ARGS="--days 7" (see python -m live_assets.devtools.demo --help).
demo: $(STAMP)
	$(BIN)/python -m live_assets.devtools.demo $(DEMO_ARGS)

# The simulator on :8765 and `dagster dev` on :3000 with DAGSTER_HOME=.dagster_home (dagster.yaml
# refreshed from the project's at each start); run history and the demo's DuckDB file persist.
dev: $(STAMP)
	$(BIN)/python -m live_assets.devtools.dev $(DEV_ARGS)

test: $(STAMP) $(CHROMIUM) postgres
	$(BIN)/ruff check live_assets live_assets_tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check live_assets live_assets_tests bench
	$(BIN)/ruff format --check live_assets live_assets_tests bench

# Our backfill ÷ a plain httpx client of the same requests, the simulator on a core of its own, and the
# other figures of issues 7 and 21 (90 days, 3,000 conversations a day, 100 ms + 20 µs/row, 3 repetitions
# and one naive run: 20-40 minutes); writes its block of BENCHMARKS.md. Options pass through, e.g.
# make bench BENCH_ARGS="--days 14 --repetitions 1", "--demo" (make demo on a fresh clone), or a variant:
# BENCH_ARGS="--instance postgres", "--warehouse ducklake" (both on the local PostgreSQL of make postgres),
# "--stock-daemon".
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .dagster_home artifacts
