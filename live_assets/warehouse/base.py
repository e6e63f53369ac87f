"""What every warehouse backend offers: connections, transactions, and transactions retried on conflict.

A backend only says how to open a connection (:meth:`WarehouseBase.connect`); the rest is shared, so
the raw loads, the KPIs and the checks run the same SQL on the DuckDB file and on a DuckLake.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import duckdb

T = TypeVar("T")

# A DuckLake transaction that read a table another one changed meanwhile fails at COMMIT and is run
# again from its start: this many times in all, waiting a random share of a doubling delay in between.
CONFLICT_ATTEMPTS = 12
CONFLICT_FIRST_DELAY_SECONDS = 0.05
CONFLICT_MAX_DELAY_SECONDS = 2.0


class WarehouseBusyError(RuntimeError):
    """The warehouse could not be written in time: nothing was written; running the step again is safe."""


class WarehouseConflictError(WarehouseBusyError):
    """Other writers kept changing the same tables: the transaction was retried and given up."""


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal (for the statements that take no parameters: ATTACH, SET)."""
    return "'" + text.replace("'", "''") + "'"


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a commit that lost to a concurrent writer (DuckLake's optimistic concurrency)."""
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


class WarehouseBase(abc.ABC):
    """A DuckDB connection to the ``raw``, ``kpi`` and ``monitor`` schemas, whatever stores them."""

    memory_limit: str | None = None
    logger: logging.Logger = logging.getLogger("live_assets.warehouse")

    @abc.abstractmethod
    def connect(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection whose default database holds the schemas, closed on exit."""

    @property
    @abc.abstractmethod
    def backend(self) -> str:
        """``duckdb`` or ``ducklake`` (``LIVE_WAREHOUSE``)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All of the block's statements commit together, or none does (no retry: see :meth:`atomically`)."""
        with self.connect() as connection:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def atomically(self, work: Callable[[duckdb.DuckDBPyConnection], T], *, what: str = "a write") -> T:
        """``work(connection)`` in one transaction, run again from the start when its commit conflicts.

        ``work`` must do nothing outside the transaction that a second run would repeat (it may read
        files, not call the API). On the DuckDB file, writers are serialised and never conflict.
        """
        delay = CONFLICT_FIRST_DELAY_SECONDS
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with self.transaction() as connection:
                    return work(connection)
            except duckdb.TransactionException as error:
                if not is_conflict(error):
                    raise
                if attempt == CONFLICT_ATTEMPTS:
                    raise WarehouseConflictError(
                        f"{what} lost to concurrent writers {CONFLICT_ATTEMPTS} times in a row; nothing was "
                        f"written, run it again ({str(error).splitlines()[-1]})"
                    ) from error
                self.logger.info("%s conflicted with another writer (attempt %d); retrying", what, attempt)
                time.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not a secret
                delay = min(delay * 2, CONFLICT_MAX_DELAY_SECONDS)
        raise AssertionError("unreachable")

    def query(self, sql: str, parameters: list[object] | dict[str, object] | None = None) -> list[tuple]:
        """Run one read statement and return its rows (tests, the demo, checks)."""
        with self.connect() as connection:
            return connection.execute(sql, parameters).fetchall()
