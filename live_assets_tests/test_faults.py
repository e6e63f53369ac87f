"""The fault suite (issue 6): a 30-day backfill of every asset through a faulty API equals a clean one.

Two simulators serve the same data (same seed and volume). The clean one answers every request; the
faulty one answers about 20 % of data requests with a 429, a 502/503/504, a dropped connection or a
body cut in half, issues tokens that live 3 seconds, and, on top of that, forgets every token it
issued each time another 150 requests have arrived (a restart of the vendor's auth), so that renewal
both before expiry and after a 401 happens many times during the run.

Both simulators run in processes of their own (``external_sim.py``): in this process they would share
the GIL with the pipeline and double the suite's time.

The backfill is what the UI's single-run backfills launch: the agent and group lists, then every daily
asset (raw, their checks, the daily KPIs) over the 30 days in one run, then every weekly asset over the
4 whole weeks inside them in another. Every table of both DuckDB files is then compared row for row,
all columns but the load times: no gap, no duplicate, nothing lost.

The client retries with a short backoff here (``LIVE_API_BACKOFF_BASE``) and up to 10 attempts, so the
suite stays fast and no request runs out of attempts on a 20 % fault rate (0.2**10 per request); the
step-level retries of production (``RAW_RETRY_POLICY``, minutes apart) are counted, not relied on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from live_assets.simulator.faults import RANDOM_KINDS
from live_assets.warehouse import Warehouse
from live_assets_tests.external_sim import ExternalSimulator, external_simulator
from live_assets_tests.layout import KPI_ASSETS, KPI_CHECKS, RAW_ASSETS, RAW_CHECKS, daily_partitions, weekly_partitions
from live_assets_tests.pipeline import PipelineEnv, range_tags, simulator_env

pytestmark = pytest.mark.faults

FIRST_DAY = dt.date(2026, 2, 2)  # a Monday
DAYS = 30
LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)
WEEKS = 4  # the whole Monday..Sunday weeks inside the 30 days
CONVERSATIONS_PER_DAY = 40
FAULT_RATE = 0.2
TOKEN_TTL_SECONDS = 3.0
EXPIRE_TOKENS_EVERY = 150  # requests
LOAD_TIME_COLUMNS = frozenset({"_loaded_at", "_computed_at"})
STEP_RETRY_EVENTS = frozenset({"STEP_UP_FOR_RETRY", "STEP_RESTARTED"})

ASSETS = [*RAW_ASSETS, *KPI_ASSETS]
CHECKS = [*RAW_CHECKS, *KPI_CHECKS]


def _of(partitions: dg.PartitionsDefinition | None) -> list[dg.AssetsDefinition]:
    return [asset for asset in ASSETS if asset.partitions_def is partitions]


def backfill(env: PipelineEnv) -> list[dg.ExecuteInProcessResult]:
    """Every asset over the 30 days: the dimension lists, the daily assets, then the weekly ones (not today's
    figures, which change from one run to the next)."""
    results = [env.materialize([asset for asset in _of(None) if asset.node_def.name == "live_raw_lists"])]
    for partitions, last in ((daily_partitions, LAST_DAY), (weekly_partitions, FIRST_DAY + dt.timedelta(weeks=3))):
        assets = _of(partitions)
        selection = dg.AssetSelection.assets(*assets) | dg.AssetSelection.checks_for_assets(*assets)
        results.append(
            dg.materialize(
                [*ASSETS, *CHECKS], selection=selection, tags=range_tags(FIRST_DAY, last), resources=env.resources()
            )
        )
    return results


@contextmanager
def tokens_forgotten_every(sim: ExternalSimulator, requests: int) -> Iterator[list[int]]:
    """While the block runs, make ``sim`` forget every token each time ``requests`` more have arrived."""
    stop = threading.Event()
    expirations: list[int] = []

    def watch() -> None:
        threshold = requests
        while not stop.wait(0.05):
            total = sim.counters()["requests_total"]
            if total >= threshold:
                sim.expire_tokens()
                expirations.append(total)
                threshold = total + requests

    watcher = threading.Thread(target=watch, name="token-expirer", daemon=True)
    watcher.start()
    try:
        yield expirations
    finally:
        stop.set()
        watcher.join()


def tables_of(warehouse: Warehouse) -> list[str]:
    rows = warehouse.query(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'kpi') ORDER BY 1"
    )
    return [name for (name,) in rows]


def rows_of(warehouse: Warehouse, table: str) -> list[tuple]:
    """Every row of ``table`` but its load-time columns, in a canonical order; JSON compared as text."""
    schema, name = table.split(".")
    columns = warehouse.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = $schema AND table_name = $name ORDER BY ordinal_position",
        {"schema": schema, "name": name},
    )
    selected = ", ".join(
        f'"{column}"::VARCHAR' if kind == "JSON" else f'"{column}"'
        for column, kind in columns
        if column not in LOAD_TIME_COLUMNS
    )
    return warehouse.query(f"SELECT {selected} FROM {table} ORDER BY ALL")


def events_of(results: list[dg.ExecuteInProcessResult], kinds: frozenset[str]) -> list[dg.DagsterEvent]:
    return [event for result in results for event in result.all_events if event.event_type_value in kinds]


Backfill = Callable[[ExternalSimulator, str], tuple[PipelineEnv, list[dg.ExecuteInProcessResult]]]


@pytest.fixture
def run_against(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Backfill:
    def run(sim: ExternalSimulator, name: str) -> tuple[PipelineEnv, list[dg.ExecuteInProcessResult]]:
        root = tmp_path / name
        env = simulator_env(sim.base_url, root, LIVE_API_BACKOFF_BASE="0.01", LIVE_API_MAX_ATTEMPTS="10")
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        pipeline = PipelineEnv(sim, root)
        return pipeline, backfill(pipeline)

    return run


@pytest.fixture
def clean_sim() -> Iterator[ExternalSimulator]:
    with external_simulator("--conversations-per-day", str(CONVERSATIONS_PER_DAY)) as sim:
        yield sim


@pytest.fixture
def faulty_sim() -> Iterator[ExternalSimulator]:
    with external_simulator(
        "--conversations-per-day", str(CONVERSATIONS_PER_DAY),
        "--fault-rate", str(FAULT_RATE),
        "--token-ttl", str(TOKEN_TTL_SECONDS),
    ) as sim:  # fmt: skip
        yield sim


def test_a_30_day_backfill_through_faults_equals_a_clean_one(
    clean_sim: ExternalSimulator,
    faulty_sim: ExternalSimulator,
    run_against: Backfill,
    record_property: Callable[[str, object], None],
) -> None:
    clean, clean_runs = run_against(clean_sim, "clean")
    with tokens_forgotten_every(faulty_sim, EXPIRE_TOKENS_EVERY) as expirations:
        faulty, faulty_runs = run_against(faulty_sim, "faulty")

    # Both backfills completed, every check passed, and the faults really happened, of every kind.
    for runs in (clean_runs, faulty_runs):
        assert all(run.success for run in runs)
        evaluations = [e for run in runs for e in run.get_asset_check_evaluations()]
        assert evaluations and all(e.passed for e in evaluations), [e.description for e in evaluations if not e.passed]
    assert clean_sim.counters()["faults_injected"] == {} and "401" not in clean_sim.counters()["responses"]
    counters = faulty_sim.counters()
    injected = counters["faults_injected"]
    data_requests = counters["requests_total"] - counters["logins"]
    assert set(injected) == set(RANDOM_KINDS), injected
    assert sum(injected.values()) >= 0.15 * data_requests, (injected, data_requests)
    assert counters["responses"].get("401", 0) >= 1 and len(expirations) >= 3
    assert counters["logins"] >= DAYS // 3  # a 3-second token is renewed all along the run
    assert counters["max_in_flight_per_token"] == 1

    # Every table equals the clean run's, row for row: no gap, no duplicate, nothing lost.
    tables = tables_of(clean.warehouse)
    assert tables == tables_of(faulty.warehouse)
    assert len(tables) == 16, tables  # 12 raw tables, 4 KPI tables
    rows_compared = rows_lost = rows_extra = 0
    for table in tables:
        expected, actual = rows_of(clean.warehouse, table), rows_of(faulty.warehouse, table)
        assert expected, f"{table} is empty in the clean run"
        rows_compared += len(expected)
        rows_lost += (Counter(expected) - Counter(actual)).total()
        rows_extra += (Counter(actual) - Counter(expected)).total()
        assert actual == expected, table
    for table in ("raw.conversations", "raw.histogram", "raw.conversation_stats", "raw.export_conversations"):
        assert clean.warehouse.query(f"SELECT count(DISTINCT _partition_day) FROM {table}") == [(DAYS,)], table
    assert clean.warehouse.query("SELECT count(DISTINCT week_start) FROM kpi.sla_weekly") == [(WEEKS,)]

    step_retries = len(events_of(faulty_runs, STEP_RETRY_EVENTS))
    figures = {
        "data_requests": data_requests,
        "faults_injected": sum(injected.values()),
        "faults_by_kind": dict(sorted(injected.items())),
        "tokens_forgotten": len(expirations),
        "answered_401": counters["responses"].get("401", 0),
        "logins": counters["logins"],
        "step_retries": step_retries,
        "tables": len(tables),
        "rows_compared": rows_compared,
        "rows_lost": rows_lost,
        "rows_extra": rows_extra,
    }
    for name, value in figures.items():
        record_property(name, value)
    print(f"\nfault suite: {figures}")
    assert rows_lost == rows_extra == 0
