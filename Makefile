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

# The whole pipeline through Dagster on the simulator, then the KPI tables and data/reports/live-report.html.
# Options pass through, e.g. make demo DEMO_ARGS="--days 7" (see python -m live_assets.devtools.demo --help).
demo: $(STAMP)
	$(BIN)/python -m live_assets.devtools.demo $(DEMO_ARGS)

# The simulator on :8765 (or LIVE_API_BASE_URL's API), the Dagster UI on :3000 and the project's daemon,
# on $DAGSTER_HOME or .dagster_home (see `python -m live_assets.devtools.dev --help`); state persists.
dev: $(STAMP)
	$(BIN)/python -m live_assets.devtools.dev $(DEV_ARGS)

# The suite on TEST_WORKERS pytest-xdist workers (each test's ports, folders and databases its own; the
# tests that share a database or an expensive fixture are grouped, see live_assets_tests/scheduling.py), then
# the 20 slowest tests, so that the next change sees what it costs. Three workers on CI's two cores: about
# half of the suite's time is spent waiting on other processes (Dagster runs and daemons, the simulator's
# latency, Chromium), which a third worker fills.
TEST_WORKERS ?= 3
test: $(STAMP) $(CHROMIUM) postgres
	$(BIN)/ruff check live_assets live_assets_tests bench
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=20

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
