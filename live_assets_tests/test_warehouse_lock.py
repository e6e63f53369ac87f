"""The DuckDB file held by another process (a notebook, a BI tool reading it): the writer waits, says who
holds it, and either goes on when the file is let go or fails, after the lock timeout, naming the holder.

The holder is a real second process with a read-only DuckDB connection, as a BI tool's would be.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from live_assets.settings import SettingsError
from live_assets.warehouse import Warehouse, WarehouseBusyError, WarehouseLockedError
from live_assets.warehouse.settings import Backend, WarehouseSettings
from live_assets_tests.pipeline import PipelineEnv

HOLDER = (
    "import duckdb, sys\n"
    "connection = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "connection.close()\n"
)


class Recorder(logging.Handler):
    """Keeps the records; ``act`` runs when record number ``at`` arrives (each wait for the file starts with
    one: the writer is then waiting)."""

    def __init__(self, act=None, at: int = 1) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.act = act
        self.at = at

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if len(self.records) == self.at and self.act:
            self.act()


def recording_logger(name: str, handler: Recorder) -> logging.Logger:
    logger = logging.getLogger(f"live_assets_tests.lock.{name}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


@pytest.fixture
def held_file(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    path = tmp_path / "live.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE notes (n INTEGER)")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    try:
        yield path, holder
    finally:
        if holder.poll() is None:
            holder.communicate("\n", timeout=30)


def test_a_writer_waits_for_the_holder_then_fails_naming_it(held_file: tuple[Path, subprocess.Popen[str]]) -> None:
    path, holder = held_file
    recorder = Recorder()
    warehouse = Warehouse(path, lock_timeout=1.5, lock_log_interval=0.5, logger=recording_logger("fails", recorder))
    started = time.monotonic()
    with pytest.raises(WarehouseLockedError) as caught, warehouse.transaction() as connection:
        connection.execute("INSERT INTO notes VALUES (1)")
    waited = time.monotonic() - started

    assert waited >= 1.5
    assert isinstance(caught.value, WarehouseBusyError)
    assert caught.value.holder is not None and caught.value.holder.pid == holder.pid
    message = str(caught.value)
    assert f"PID {holder.pid}" in message and str(path) in message
    assert "LIVE_WAREHOUSE_LOCK_TIMEOUT" in message and "docs/bi.md" in message and "nothing was written" in message
    # One line as the wait starts, then one per interval: at 0, 0.5 and 1.0 s.
    assert len(recorder.records) >= 3
    assert all(f"PID {holder.pid}" in record.getMessage() for record in recorder.records)
    assert holder.poll() is None  # the holder was never disturbed
    holder.communicate("\n", timeout=30)
    assert Warehouse(path).query("SELECT count(*) FROM notes") == [(0,)]


def test_a_writer_goes_on_once_the_holder_lets_go(held_file: tuple[Path, subprocess.Popen[str]]) -> None:
    path, holder = held_file

    def let_go() -> None:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()

    recorder = Recorder(act=let_go)
    warehouse = Warehouse(path, lock_timeout=60, logger=recording_logger("goes_on", recorder))
    with warehouse.transaction() as connection:
        connection.execute("INSERT INTO notes VALUES (1)")

    assert len(recorder.records) == 1  # the first line; the holder then left within the 10 s interval
    assert f"PID {holder.pid}" in recorder.records[0].getMessage()
    assert holder.wait(timeout=30) == 0
    assert warehouse.query("SELECT count(*) FROM notes") == [(1,)]


def test_the_file_is_released_and_checkpointed_between_connections(tmp_path: Path) -> None:
    """One warehouse object keeps its DuckDB between connections, never the file: after each ``connect``,
    another process opens it for writing, and no write-ahead log is left behind."""
    path = tmp_path / "live.duckdb"
    warehouse = Warehouse(path, lock_timeout=5)
    other_process = (
        "import duckdb, sys\nwith duckdb.connect(sys.argv[1]) as c:\n"
        "    c.execute('INSERT INTO notes VALUES (2)')\n    print(c.execute('SELECT current_database()').fetchone()[0])"
    )
    for round_ in range(2):
        with warehouse.transaction() as connection:
            if round_ == 0:
                connection.execute("CREATE TABLE notes (n INTEGER)")
            connection.execute("INSERT INTO notes VALUES (1)")
            with warehouse.connect() as nested:  # the same thread: the file stays attached
                assert nested.execute("SELECT current_database()").fetchone() == ("live",)
        assert not Path(f"{path}.wal").exists()
        done = subprocess.run([sys.executable, "-c", other_process, str(path)], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.strip() == "live", done.stderr
    assert warehouse.query("SELECT n, count(*) FROM notes GROUP BY n ORDER BY n") == [(1, 2), (2, 2)]


def test_other_duckdb_errors_are_not_waited_for(tmp_path: Path) -> None:
    not_a_database = tmp_path / "live.duckdb"
    not_a_database.write_text("this is not a DuckDB file\n")
    started = time.monotonic()
    with pytest.raises(duckdb.IOException):
        Warehouse(not_a_database, lock_timeout=30).query("SELECT 1")
    assert time.monotonic() - started < 10


def test_the_lock_timeout_setting() -> None:
    assert WarehouseSettings.from_env({}).lock_timeout_seconds == 600
    assert WarehouseSettings.from_env({"LIVE_WAREHOUSE_LOCK_TIMEOUT": "2.5"}).lock_timeout_seconds == 2.5
    with pytest.raises(SettingsError, match="LIVE_WAREHOUSE_LOCK_TIMEOUT"):
        WarehouseSettings.from_env({"LIVE_WAREHOUSE_LOCK_TIMEOUT": "soon"})


def test_the_backend_settings() -> None:
    assert WarehouseSettings.from_env({}).backend is Backend.DUCKDB
    with pytest.raises(SettingsError, match="LIVE_WAREHOUSE must be one of duckdb, ducklake"):
        WarehouseSettings.from_env({"LIVE_WAREHOUSE": "sqlite"})
    with pytest.raises(SettingsError, match="LIVE_DUCKLAKE_CATALOG is not set"):
        WarehouseSettings.from_env({"LIVE_WAREHOUSE": "ducklake", "LIVE_DUCKLAKE_DATA_PATH": "lake"})
    with pytest.raises(SettingsError, match="LIVE_DUCKLAKE_DATA_PATH is not set"):
        WarehouseSettings.from_env({"LIVE_WAREHOUSE": "ducklake", "LIVE_DUCKLAKE_CATALOG": "dbname=lake"})
    for catalog in ("host=pg dbname=lake password=hunter2", "postgresql://live:hunter2@pg/lake"):
        with pytest.raises(SettingsError, match="must not hold the password") as caught:
            WarehouseSettings.from_env({"LIVE_DUCKLAKE_CATALOG": catalog})
        assert "hunter2" not in str(caught.value)
    lake = WarehouseSettings.from_env(
        {"LIVE_WAREHOUSE": "ducklake", "LIVE_DUCKLAKE_CATALOG": "dbname=lake", "LIVE_DUCKLAKE_DATA_PATH": "lake"}
    )
    assert lake.ducklake_data_path == str(Path("lake").resolve()) + "/"
    assert "hunter2" not in repr(WarehouseSettings.from_env({"LIVE_DUCKLAKE_PASSWORD": "hunter2"}))


HOLD_UNTIL_TOLD = (
    "import duckdb, sys\n"
    "connection = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "connection.close()\n"
)


@pytest.mark.slow
def test_a_step_whose_load_found_the_file_held_reloads_its_landed_files_on_the_retry(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The requests are spent before the load finds the file held: the retry loads what was landed.

    The holder lets go when the retry starts waiting for the file (the second "is held" line of the step's
    warehouse logger), whatever delay the retry policy's jitter drew: one retry, every time."""
    day = "2026-03-04"
    pipeline.materialize_raw("groups")  # the file exists, as in a deployment
    monkeypatch.setenv("LIVE_WAREHOUSE_LOCK_TIMEOUT", "1")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UNTIL_TOLD, str(pipeline.root / "live.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None and holder.stdout.readline().strip() == "ready"

    def let_go() -> None:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()

    recorder = Recorder(act=let_go, at=2)
    step_logger = logging.getLogger("dagster.builtin.live_assets.warehouse")  # the resource's get_dagster_logger
    step_logger.addHandler(recorder)
    pipeline.sim.reset_counters()
    try:
        result = pipeline.materialize_raw("conversations", partition_key=day)
    finally:
        step_logger.removeHandler(recorder)
        holder.stdin.close()  # lets go too, if the step never waited twice
        holder.wait(timeout=60)
    assert len(recorder.records) == 2 and all("is held by" in r.getMessage() for r in recorder.records)
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert result.success and len(retried) == 1
    assert pipeline.sim.counters()["requests"]["/live/public/conversation/list"] == 1  # not asked again
    rows = pipeline.warehouse.query("SELECT count(*) FROM raw.conversations WHERE _partition_day = $d", {"d": day})
    assert rows[0][0] == len(pipeline.sim.conversations(dt.date.fromisoformat(day)))
