"""Access to the DuckDB file, serialised across processes.

DuckDB lets one process at a time open a database file for writing; a second process gets an
``IO Error: Could not set lock``. Dagster runs steps and runs in separate processes, so every
connection here is taken under an exclusive file lock next to the database. Work done under the
lock is short (a load of one window, one KPI partition): the slow part, the API, happens outside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

DEFAULT_LOCK_TIMEOUT_SECONDS = 900.0
# DuckDB checkpoints when the last connection to a file closes, and every connection here is closed
# right after its work: a commit that writes more than this to the write-ahead log checkpoints at once
# instead, and skips the log (a loaded window's rows were written twice, ~40 ms of a 7-day window).
CHECKPOINT_THRESHOLD = "1MB"


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse longer than the lock timeout."""


class Warehouse:
    """A DuckDB file and the lock that serialises its writers."""

    def __init__(
        self, path: Path | str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS, memory_limit: str | None = None
    ) -> None:
        """``memory_limit`` (``LIVE_DUCKDB_MEMORY_LIMIT``, e.g. ``"512MB"``) caps DuckDB's buffers: a big
        window's staged rows then spill to ``<file>.tmp`` instead of growing the process; None keeps
        DuckDB's default (80 % of the machine's memory)."""
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.memory_limit = memory_limit
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the cross-process lock, closed (and the lock freed) on exit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise WarehouseBusyError(
                f"the DuckDB file {self.path} stayed locked by another process for {self.lock_timeout:.0f} s"
            ) from None
        try:
            connection = duckdb.connect(str(self.path))
            try:
                connection.execute("SET checkpoint_threshold = $size", {"size": CHECKPOINT_THRESHOLD})
                if self.memory_limit:
                    connection.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
                yield connection
            finally:
                connection.close()
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All of the block's statements commit together, or none does."""
        with self.connect() as connection:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def query(self, sql: str, parameters: list[object] | dict[str, object] | None = None) -> list[tuple]:
        """Run one read statement and return its rows (tests, the demo, checks)."""
        with self.connect() as connection:
            return connection.execute(sql, parameters).fetchall()
