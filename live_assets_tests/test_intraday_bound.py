"""Today first: today's refresh of a bot starts sending within a few requests while a 30-day backfill of
that bot runs (issue 21), with no run queue in between.

The backfill is a real process (``dagster asset materialize`` of the daily raw assets and the
conversation details over 30 days, one run), against a simulator with latency on. While it sends,
this process asks for today's conversations the way today's step does (``first_in_line``) and counts,
at the simulator, how many of the backfill's requests arrived between the ask and its own request:
the one in flight, and at most one that was already past the lock's gate. A few asks without
``first_in_line`` are measured beside them (printed: the wait the gate saves). Then the real
``raw/conversations_today`` step runs in this process while the backfill still sends, and reports its
wait for the token lock in its metadata. The backfill must still succeed, never two requests in flight
for the bot.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import httpx
import pytest

from live_assets import contract
from live_assets.client import LiveClient
from live_assets.raw.assets import RawStep, step_of
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE
from live_assets.raw.fetching import today_so_far
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.settings import load_settings
from live_assets.simulator import SimulatorServer
from live_assets_tests.layout import RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import simulator_env

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
DAYS = 30
LATENCY_MS = 50.0
CONVERSATIONS_PER_DAY = 8  # 240 detail requests: the backfill sends for tens of seconds
ASKS = 4  # refreshes of each kind while the backfill runs
FEW_REQUESTS = 2  # the backfill's requests a first-in-line refresh may let pass: in flight, past the gate
# The today step's wait for the lock: a few requests of ~LATENCY_MS (with slack for a loaded machine),
# against the tens of seconds the backfill sends for.
STEP_WAIT_BOUND_SECONDS = 2.0
TODAY = ENDPOINTS_BY_TABLE["conversations_today"]


def data_requests(sim: SimulatorServer) -> int:
    counters = sim.counters()
    return counters["requests_total"] - counters["requests"].get(contract.LOGIN_PATH, 0)


class _NoteArrivals(httpx.HTTPTransport):
    """The real transport, noting how many data requests the simulator had received when ours went out."""

    def __init__(self, sim: SimulatorServer) -> None:
        super().__init__()
        self.sim = sim
        self.at_send: int | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == str(TODAY.path):
            self.at_send = data_requests(self.sim)
        return super().handle_request(request)


def ask_for_today(sim: SimulatorServer, *, first_in_line: bool) -> tuple[int, float]:
    """One refresh's request: how many backfill requests arrived between the ask and ours, and its wait (s)."""
    transport = _NoteArrivals(sim)
    with LiveClient.from_settings(load_settings(dotenv=False), transport=transport, first_in_line=first_in_line) as c:
        asked = data_requests(sim)
        c.get(TODAY.table, TODAY.path, window=today_so_far(dt.datetime.now(dt.UTC)))
        assert transport.at_send is not None
        return transport.at_send - asked, c.stats.seconds_locked_out


def test_todays_refresh_starts_within_a_few_requests_while_a_30_day_backfill_runs(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = make_simulator(latency_ms=LATENCY_MS, conversations_per_day=CONVERSATIONS_PER_DAY, timezone="UTC")
    env = simulator_env(sim.base_url, tmp_path, LIVE_TIMEZONE="UTC")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    tables = [spec.table for spec in ENDPOINTS if step_of(spec) in (RawStep.DAILY, RawStep.DETAILS)]
    last = dt.date(2026, 2, 28)
    first = last - dt.timedelta(days=DAYS - 1)
    backfill = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m", "live_assets.definitions",
         "--select", ",".join(f"raw/{table}" for table in tables), "--partition-range", f"{first}...{last}"],
        env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT)}, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert sim.wait_until_in_flight(1, timeout=180), "the backfill never sent a request"
        first_in_line = [ask_for_today(sim, first_in_line=True) for _ in range(ASKS)]
        plain = [ask_for_today(sim, first_in_line=False) for _ in range(ASKS)]
        backfill_running = backfill.poll() is None
        step_started = time.perf_counter()
        warehouse = WarehouseResource(duckdb_path=env["LIVE_DUCKDB_PATH"], landing_dir=env["LIVE_LANDING_DIR"])
        resources = {"live_api": LiveApiResource(), "warehouse": warehouse}
        result = dg.materialize(RAW_ASSETS, selection=raw_keys("conversations_today"), resources=resources)
        step_seconds = time.perf_counter() - step_started  # its load may wait for the backfill's DuckDB writes
        output, _ = backfill.communicate(timeout=900)
    finally:
        if backfill.poll() is None:
            backfill.kill()
            backfill.communicate(timeout=60)
    assert backfill.returncode == 0, output[-4000:]
    counters = sim.counters()
    (event,) = result.get_asset_materialization_events()
    step_wait = event.step_materialization_data.materialization.metadata["seconds_locked_out"].value
    mean_request = counters["serving_seconds"] / max(counters["requests_total"], 1)
    print(
        f"\ntoday first, while a {DAYS}-day backfill sends ({counters['requests_total']} requests, "
        f"{mean_request * 1000:.0f} ms each on average): backfill requests let through before the refresh's "
        f"first_in_line {[n for n, _ in first_in_line]} (waits {[round(s, 3) for _, s in first_in_line]} s), "
        f"plain {[n for n, _ in plain]} (waits {[round(s, 3) for _, s in plain]} s); the today step waited "
        f"{step_wait:.3f} s for the lock, {step_seconds:.1f} s in all"
    )
    assert backfill_running, "the backfill ended before the refreshes: nothing was measured"
    assert counters["max_in_flight_per_bot"] == 1 and counters["responses"].get("429", 0) == 0
    assert max(n for n, _ in first_in_line) <= FEW_REQUESTS, first_in_line
    assert step_wait < STEP_WAIT_BOUND_SECONDS
