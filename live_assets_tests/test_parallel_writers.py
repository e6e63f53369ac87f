"""Several Dagster runs, each in its own process, writing the same DuckDB file at once.

DuckDB allows one writing process per file; without the warehouse's cross-process lock, all but
one of these runs would fail with "Could not set lock on file". Two of the runs load the same
partition at the same time: both must end, and the table must hold one copy of it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from live_assets.raw import engine
from live_assets.simulator import SimulatorServer
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import PipelineEnv, simulator_env

DAY_A, DAY_B = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def _materialize(select: str, partition: str, env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    home.mkdir(parents=True)
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "live_assets.definitions",
        "--select",
        select,
        *(["--partition-range", partition] if "..." in partition else ["--partition", partition]),
    ]
    return subprocess.Popen(
        command,
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_parallel_runs_share_the_duckdb_file(sim: SimulatorServer, tmp_path: Path):
    env = simulator_env(sim.base_url, tmp_path)
    runs = {
        "conversations A (1)": ("raw/conversations", DAY_A.isoformat()),
        "conversations A (2)": ("raw/conversations", DAY_A.isoformat()),
        "conversations B": ("raw/conversations", DAY_B.isoformat()),
        "histogram A..B": ("raw/histogram", f"{DAY_A}...{DAY_B}"),
    }
    processes = {
        name: _materialize(select, partition, env, tmp_path / "homes" / str(index))
        for index, (name, (select, partition)) in enumerate(runs.items())
    }
    outputs = {name: process.communicate(timeout=300)[0] for name, process in processes.items()}
    failed = {name: outputs[name][-3000:] for name, process in processes.items() if process.returncode != 0}
    assert not failed, failed

    warehouse = Warehouse(tmp_path / "live.duckdb")
    expected = {day: len(sim.conversations(day)) for day in (DAY_A, DAY_B)}
    per_day = dict(warehouse.query("SELECT _partition_day, count(*) FROM raw.conversations GROUP BY 1 ORDER BY 1"))
    assert per_day == expected
    assert warehouse.query("SELECT count(*) - count(DISTINCT conversation_id) FROM raw.conversations") == [(0,)]
    assert warehouse.query("SELECT count(*) FROM raw.histogram") == [(96,)]


def test_two_runs_of_the_same_messages_and_kpi_partition_at_once_leave_one_copy(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs see the same conversations without messages, fetch them, and load them; the KPI refreshes
    overlap too. Each load replaces its conversations (or days) in one transaction: one copy remains."""

    day = DAY_A.isoformat()
    pipeline.materialize_raw("conversations", partition_key=day)
    both = [*RAW_ASSETS, *KPI_ASSETS]
    selection = [*raw_keys("conversation_messages"), dg.AssetKey(["kpi", "sla_daily"])]
    barrier = threading.Barrier(2)
    # The runs share this process: each one's list of conversations to ask for is read for real, and
    # neither sends a request before the other has read its own, so both always fetch the whole day.
    planned = threading.Barrier(2)
    read_missing = engine.missing_children

    def missing_children_once_both_planned(*args: Any) -> list[int]:
        missing = read_missing(*args)
        planned.wait(timeout=60)
        return missing

    monkeypatch.setattr(engine, "missing_children", missing_children_once_both_planned)
    results: list[bool] = []

    def run() -> None:
        barrier.wait(timeout=60)
        results.append(pipeline.materialize(both, partition_key=day, selection=selection).success)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert results == [True, True]

    warehouse = pipeline.warehouse
    conversations = len(pipeline.sim.conversations(DAY_A))
    # Both runs fetched every conversation's messages, and the table holds one copy.
    assert pipeline.sim.counters()["requests"]["/live/public/conversation/detail"] == 2 * conversations
    assert warehouse.query("SELECT count(DISTINCT conversation_id) FROM raw.conversation_messages") == [
        (conversations,)
    ]
    assert warehouse.query(
        "SELECT count(*) - count(DISTINCT (conversation_id, message_id)) FROM raw.conversation_messages"
    ) == [(0,)]
    assert warehouse.query("SELECT count(*) - count(DISTINCT (day, group_id, protocol_id)) FROM kpi.sla_daily") == [
        (0,)
    ]
    assert warehouse.query("SELECT sum(offered) FROM kpi.sla_daily") == [(conversations,)]
