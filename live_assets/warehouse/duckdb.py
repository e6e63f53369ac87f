"""The DuckDB file warehouse (``LIVE_WAREHOUSE=duckdb``): one file, written by one process at a time.

DuckDB lets one process at a time open a database file for writing; a second process gets an
``IO Error: Could not set lock``. Dagster runs steps and runs in separate processes, so every
connection here is taken under an exclusive file lock next to the database. Work done under the
lock is short (a load of one window, one KPI partition): the slow part, the API, happens outside it.

A process outside the project (a notebook, a BI tool with a read-only connection) holds DuckDB's own
lock instead: the writer then waits for it, saying every ``LOCK_LOG_INTERVAL_SECONDS`` which process
holds the file, and gives up with :class:`WarehouseLockedError` after the lock timeout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from live_assets.warehouse.base import WarehouseBase, WarehouseBusyError, sql_string

DEFAULT_LOCK_TIMEOUT_SECONDS = 600.0
LOCK_LOG_INTERVAL_SECONDS = 10.0
LOCK_TIMEOUT_VARIABLE = "LIVE_WAREHOUSE_LOCK_TIMEOUT"
# DuckDB checkpoints a file when it is detached, and every connection here detaches it right after its
# work: a commit that writes more than this to the write-ahead log checkpoints at once
# instead, and skips the log (a loaded window's rows were written twice, ~40 ms of a 7-day window).
CHECKPOINT_THRESHOLD = "1MB"
# The names DuckDB gives its own catalogs: a file named after one is attached under another name.
RESERVED_CATALOGS = frozenset({"memory", "system", "temp", "main"})
# DuckDB's message: ... Conflicting lock is held in /usr/bin/python3.11 (PID 7991) [by user x]. ...
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class LockHolder:
    """The process DuckDB names as holding the file: its program and PID, and its short name if known."""

    program: str
    pid: int

    @property
    def name(self) -> str | None:
        """The kernel's short name of the process (``/proc/<pid>/comm``; never its arguments, which may
        hold a password), or None where it cannot be read (another machine, another OS)."""
        with contextlib.suppress(OSError):
            return Path(f"/proc/{self.pid}/comm").read_text().strip() or None
        return None

    def __str__(self) -> str:
        name = self.name
        return f"PID {self.pid} ({self.program}{f', {name}' if name else ''})"


def lock_holder(error: BaseException) -> LockHolder | None:
    """The holder named by DuckDB's lock error, or None when ``error`` is not a lock conflict."""
    if not isinstance(error, duckdb.IOException):
        return None
    found = _HOLDER.search(str(error))
    return LockHolder(found["program"], int(found["pid"])) if found else None


def _catalog_name(path: Path) -> str:
    """The name ``duckdb.connect(path)`` gives the file (its stem), quoted; ``warehouse`` where the stem is
    one of DuckDB's own catalogs."""
    stem = path.name.split(".", 1)[0]
    name = "warehouse" if stem.lower() in RESERVED_CATALOGS else stem
    return '"' + name.replace('"', '""') + '"'


class WarehouseLockedError(WarehouseBusyError):
    """Another process held the DuckDB file for the whole lock timeout; nothing was written.

    The raw engine can tell this failure from a bad response: the landed files are intact and a retry
    loads them without calling the API again.
    """

    def __init__(self, message: str, holder: LockHolder | None) -> None:
        super().__init__(message)
        self.holder = holder


class Warehouse(WarehouseBase):
    """A DuckDB file and the lock that serialises its writers."""

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
        memory_limit: str | None = None,
        logger: logging.Logger | None = None,
        lock_log_interval: float = LOCK_LOG_INTERVAL_SECONDS,
    ) -> None:
        """``memory_limit`` (``LIVE_DUCKDB_MEMORY_LIMIT``, e.g. ``"512MB"``) caps DuckDB's buffers: a big
        window's staged rows then spill to ``<file>.tmp`` instead of growing the process; None keeps
        DuckDB's default (80 % of the machine's memory). ``lock_timeout`` (``LIVE_WAREHOUSE_LOCK_TIMEOUT``)
        bounds the wait for the file, behind this project's writers and behind any other process."""
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.memory_limit = memory_limit
        self.lock_log_interval = lock_log_interval
        if logger is not None:
            self.logger = logger
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._instance_lock = threading.Lock()
        self._alias = _catalog_name(self.path)
        self._owned: tuple[int, duckdb.DuckDBPyConnection] | None = None

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @property
    def backend(self) -> str:
        return "duckdb"

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose default database is the file, held under the cross-process lock; on exit the
        file is detached (checkpointed, DuckDB's lock released) and the lock freed.

        The connection is a cursor of this object's in-memory DuckDB, which ``ATTACH``es the
        file for the outermost ``connect`` and ``DETACH``es it at its end: opening a DuckDB database costs
        milliseconds of catalog set-up (most of a short load), attaching a file to one already open does
        not. What other processes see is unchanged: the file is open only while the lock is held.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        try:
            self._lock.acquire()
        except Timeout:
            raise WarehouseLockedError(
                f"the DuckDB file {self.path} stayed locked by this project's other writers for "
                f"{self.lock_timeout:.0f} s ({LOCK_TIMEOUT_VARIABLE}); nothing was written, run it again",
                None,
            ) from None
        try:
            instance = self._instance()
            outermost = self._lock.lock_counter == 1  # a nested connect of this thread finds the file attached
            if outermost:
                self._attach(instance, deadline)
            try:
                cursor = instance.cursor()
                try:
                    cursor.execute(f"USE {self._alias}")
                    yield cursor
                finally:
                    cursor.close()
            finally:
                if outermost:
                    self._detach(instance)
        finally:
            self._lock.release()

    def _instance(self) -> duckdb.DuckDBPyConnection:
        """This warehouse's in-memory DuckDB (a forked child makes its own), with its settings; it goes with
        the object."""
        with self._instance_lock:
            if self._owned is None or self._owned[0] != os.getpid():
                config = {"temp_directory": f"{self.path}.tmp", "checkpoint_threshold": CHECKPOINT_THRESHOLD}
                if self.memory_limit:
                    config["memory_limit"] = self.memory_limit
                self._owned = (os.getpid(), duckdb.connect(config=config))
            return self._owned[1]

    def _detach(self, instance: duckdb.DuckDBPyConnection) -> None:
        """Detach the file (its checkpoint); if that fails, close the instance, so the file is not left open."""
        try:
            instance.execute(f"DETACH {self._alias}")
        except BaseException:
            with self._instance_lock:
                self._owned = None
            instance.close()
            raise

    def _attach(self, instance: duckdb.DuckDBPyConnection, deadline: float) -> None:
        """Attach the file, waiting while another process holds DuckDB's lock on it, until ``deadline``."""
        started = time.monotonic()
        next_log = started
        pause = 0.05
        while True:
            try:
                instance.execute(f"ATTACH {sql_string(str(self.path))} AS {self._alias}")
                return
            except duckdb.IOException as error:
                holder = lock_holder(error)
                if holder is None:
                    raise
                now = time.monotonic()
                if now >= deadline:
                    raise WarehouseLockedError(self._locked_message(holder, now - started), holder) from None
                if now >= next_log:
                    self.logger.warning(
                        "the DuckDB file %s is held by %s; waiting (%.0f s so far, up to %.0f s in all)",
                        self.path, holder, now - started, self.lock_timeout,
                    )  # fmt: skip
                    next_log = now + self.lock_log_interval
                time.sleep(min(pause, max(deadline - now, 0.0)))
                pause = min(pause * 2, 1.0, self.lock_log_interval / 4)  # a log line is never late

    def _locked_message(self, holder: LockHolder, waited: float) -> str:
        return (
            f"the DuckDB file {self.path} was held by {holder} for {waited:.0f} s, past "
            f"{LOCK_TIMEOUT_VARIABLE} ({self.lock_timeout:.0f} s); nothing was written. Close that process's "
            "connection to the file (a notebook or BI tool: let it read the published Parquet copy instead, "
            "see docs/bi.md), or raise the timeout, then run the step again"
        )
