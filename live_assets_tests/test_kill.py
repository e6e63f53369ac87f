"""A run killed with SIGKILL in the middle of a load (issue 6): old partition or new, never a mix; a re-run repairs.

The partition first holds the "old" rows (a simulator with seed 7). Then a real ``dagster asset
materialize`` process loads it from a simulator whose data differ (seed 8: other conversations under
the same ids). The test waits, without sleeping, for the moment that run holds the warehouse: its
landing file is complete and the DuckDB lock is taken, which for this asset is the load's transaction
(the staging of 30,000 conversations takes over a second), and kills the whole process group with
SIGKILL. The DuckDB file must then open, the partition must be exactly the old rows or exactly the
new ones, and a second run must leave exactly the new ones.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from filelock import FileLock, Timeout

from live_assets.client import LANDING_SUFFIX
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.warehouse import Warehouse
from live_assets_tests.external_sim import external_simulator
from live_assets_tests.layout import RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import simulator_env

DAY = dt.date(2026, 3, 4)
VOLUME = "30000"  # conversations a day: the load's transaction lasts long enough to be caught
CONVERSATIONS = raw_keys("conversations")
DEADLINE_SECONDS = 180.0


def load_in_process(base_url: str, root: Path, duckdb_path: Path, landing: str) -> None:
    env = simulator_env(base_url, root, LIVE_DUCKDB_PATH=str(duckdb_path), LIVE_LANDING_DIR=str(root / landing))
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        dg.materialize(
            RAW_ASSETS,
            selection=CONVERSATIONS,
            partition_key=DAY.isoformat(),
            resources={
                "live_api": LiveApiResource(),
                "warehouse": WarehouseResource(duckdb_path=str(duckdb_path), landing_dir=str(root / landing)),
            },
        )
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def partition(duckdb_path: Path) -> set[tuple]:
    rows = Warehouse(duckdb_path).query(
        "SELECT * EXCLUDE (_loaded_at, _extra), _extra::VARCHAR FROM raw.conversations WHERE _partition_day = $day",
        {"day": DAY},
    )
    assert len(rows) == len(set(rows)), "duplicated rows"
    return set(rows)


def holds_the_lock(lock_path: Path) -> bool:
    """Whether another process holds the warehouse lock now (taken and released at once otherwise)."""
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def test_a_run_killed_mid_load_leaves_old_or_new_and_the_next_run_repairs(tmp_path: Path) -> None:
    duckdb_path = tmp_path / "live.duckdb"
    with (
        external_simulator("--seed", "7", "--conversations-per-day", VOLUME) as old_sim,
        external_simulator("--seed", "8", "--conversations-per-day", VOLUME) as new_sim,
    ):
        load_in_process(old_sim.base_url, tmp_path, duckdb_path, "landing-old")
        load_in_process(new_sim.base_url, tmp_path, tmp_path / "reference.duckdb", "landing-reference")
        old, new = partition(duckdb_path), partition(tmp_path / "reference.duckdb")
        assert old and new and not old & new  # other data under the same ids: any mix would show

        home = tmp_path / "dagster-home"
        home.mkdir()
        env = simulator_env(new_sim.base_url, tmp_path, LIVE_LANDING_DIR=str(tmp_path / "landing-killed"))
        run = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m", "live_assets.definitions",
             "--select", "raw/conversations", "--partition", DAY.isoformat()],
            env={**os.environ, **env, "DAGSTER_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the step's process dies with the run's
        )  # fmt: skip
        landed = tmp_path / "landing-killed" / "default" / "conversations"
        lock_path = Path(str(duckdb_path) + ".lock")
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not (any(landed.glob(f"*.json{LANDING_SUFFIX}")) and holds_the_lock(lock_path)):
            try:
                run.wait(timeout=0.01)  # the poll's pace; returns at once if the run ended
            except subprocess.TimeoutExpired:
                assert time.monotonic() < deadline, "the run never started its load"
                continue
            raise AssertionError("the run ended before it loaded: " + run.stdout.read().decode()[-3000:])  # type: ignore[union-attr]
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        assert run.returncode == -signal.SIGKILL

        after_kill = partition(duckdb_path)  # the file opens, and is consistent
        assert after_kill in (old, new), f"a mix: {len(after_kill & old)} old rows, {len(after_kill & new)} new"
        print(f"\nafter SIGKILL mid-load the partition holds the {'old' if after_kill == old else 'new'} rows")

        load_in_process(new_sim.base_url, tmp_path, duckdb_path, "landing-repair")
        assert partition(duckdb_path) == new
        totals = Warehouse(duckdb_path).query("SELECT count(*), count(DISTINCT conversation_id) FROM raw.conversations")
        assert totals == [(len(new), len(new))]
