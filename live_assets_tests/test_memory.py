"""Bounded memory: a 100 MB response, a partition of 100,000 conversations (issue 6, "Secrets and safety").

The work runs in a process of its own (``memory_probe.py``) whose kernel high-water mark (``VmHWM``)
is the measure, and the simulator in another (``python -m live_assets.simulator``), so that neither
pytest's nor the simulator's memory is counted. Two volumes, 10,000 and 100,000 conversations a day,
go through the same raw assets (the conversation list, about 1 KB a conversation, and the CSV export):
the large one must stay far below its response's size above the baseline, and grow little over the
small one, since bodies stream to disk, the export parses in batches and DuckDB is capped by
``LIVE_DUCKDB_MEMORY_LIMIT`` (its staged rows spill to disk past the cap).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from live_assets.client import LiveClient, Window
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.raw.fetching import fetch_children
from live_assets.settings import SettingsError, load_settings
from live_assets.warehouse import Warehouse
from live_assets_tests.endpoint_calls import fetch
from live_assets_tests.external_sim import external_simulator
from live_assets_tests.pipeline import simulator_env

DAY = dt.date(2026, 3, 4)  # a Wednesday: a full weekday's volume
SMALL, LARGE = 10_000, 100_000
TABLES = "conversations,export_conversations"
DUCKDB_LIMIT = "256MB"
BOUND_MB = 500  # the "bounded": well under the 100 MB response's in-memory cost, generous for CI
GROWTH_BOUND_MB = 150  # 10x the conversations may cost this much more: DuckDB filling its cap, not the data


def probe(base_url: str, root: Path, **settings: str) -> dict[str, float]:
    """One Dagster run of the big raw assets for ``DAY`` in a fresh process; its memory figures."""
    env = {**simulator_env(base_url, root), **settings, "PYTHONUNBUFFERED": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "live_assets_tests.memory_probe", str(root), DAY.isoformat(), TABLES],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["growth_mb"] = figures["peak_mb"] - figures["baseline_mb"]
    return figures


def test_a_hundred_thousand_conversations_and_a_100_mb_response_in_bounded_memory(tmp_path: Path) -> None:
    figures = {}
    for volume in (SMALL, LARGE):
        with external_simulator("--conversations-per-day", str(volume)) as sim:
            figures[volume] = probe(sim.base_url, tmp_path / str(volume), LIVE_DUCKDB_MEMORY_LIMIT=DUCKDB_LIMIT)
    small, large = figures[SMALL], figures[LARGE]
    print(f"\nmemory (MiB above a baseline of ~{large['baseline_mb']:.0f}): {SMALL:,}/day {small['growth_mb']:.0f}, "
          f"{LARGE:,}/day {large['growth_mb']:.0f} for {large['rows']:,} rows, {large['bytes_received'] / 1e6:.0f} MB "
          "received")  # fmt: skip
    # The day really was that big: two tables of ~100,000 rows and a list response of ~100 MB.
    assert large["rows"] > 2 * 0.9 * LARGE and large["bytes_received"] > 100e6
    assert small["rows"] > 2 * 0.9 * SMALL
    assert large["growth_mb"] < BOUND_MB, figures
    assert large["growth_mb"] - small["growth_mb"] < GROWTH_BOUND_MB, figures


def test_conversation_details_stream_into_the_landing_file(tmp_path: Path) -> None:
    """A day's details are written as they arrive: traced memory stays a fraction of what was received."""
    with external_simulator("--conversations-per-day", "2500") as sim:
        settings = load_settings(simulator_env(sim.base_url, tmp_path), dotenv=False)
        spec = ENDPOINTS_BY_TABLE["conversation_messages"]
        with LiveClient.from_settings(settings) as client:
            listed = fetch(client, "conversations", Window.for_days(DAY, DAY)).records()
            ids = [int(row["conversation_id"]) for row in listed][:2000]
            tracemalloc.start()
            try:
                landed = fetch_children(
                    client, spec, DAY, ids, landing_dir=tmp_path / "landing", bot="default", stamp="probe"
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert landed.requests == len(ids) == 2000 and landed.path.exists()
    assert landed.bytes_received > 4_000_000
    assert peak < landed.bytes_received / 3, f"peak {peak} bytes for {landed.bytes_received} received"


def test_the_duckdb_memory_limit_is_a_setting(tmp_path: Path) -> None:
    assert load_settings({}, dotenv=False).duckdb_memory_limit is None
    assert load_settings({"LIVE_DUCKDB_MEMORY_LIMIT": "300MB"}, dotenv=False).duckdb_memory_limit == "300MB"
    with pytest.raises(SettingsError, match="LIVE_DUCKDB_MEMORY_LIMIT"):
        load_settings({"LIVE_DUCKDB_MEMORY_LIMIT": "lots'; DROP TABLE x; --"}, dotenv=False)
    [(limit,)] = Warehouse(tmp_path / "w.duckdb", memory_limit="300MB").query("SELECT current_setting('memory_limit')")
    assert limit == "286.1 MiB"  # DuckDB reports 300 MB in MiB
