"""The DuckLake warehouse (``LIVE_WAREHOUSE=ducklake``): a catalog in PostgreSQL, the rows as Parquet files.

Many processes on many machines read and write it at once: each transaction works on a snapshot and
commits a new one, and DuckLake refuses a commit that conflicts with one made meanwhile (the base
class's :meth:`~live_assets.warehouse.base.WarehouseBase.atomically` runs it again). Readers take no
lock at all, so a notebook never holds a run back.

Each process keeps one in-memory DuckDB with the lake attached as ``lake`` (attaching costs a catalog
round trip); :meth:`LakeWarehouse.connect` hands out a cursor of it, whose default database is the lake,
so the SQL files name ``raw.x``, ``kpi.x`` and ``monitor.x`` exactly as on the DuckDB file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator

import duckdb

from live_assets.secret import Secret
from live_assets.warehouse.base import WarehouseBase, WarehouseBusyError, sql_string
from live_assets.warehouse.extensions import load_extension

LAKE_ALIAS = "lake"
METADATA_DATABASE = f"__ducklake_metadata_{LAKE_ALIAS}"
OBJECT_STORAGE_PREFIXES = ("s3://", "r2://", "gcs://", "gs://")

_instances: dict[tuple[object, ...], duckdb.DuckDBPyConnection] = {}
_instances_lock = threading.Lock()


class WarehouseUnavailableError(WarehouseBusyError):
    """The DuckLake catalog could not be attached (PostgreSQL down, refused, or the data path unreachable)."""


class LakeWarehouse(WarehouseBase):
    """A DuckLake whose catalog is the PostgreSQL database ``catalog`` and whose files are under ``data_path``."""

    def __init__(
        self,
        catalog: str,
        data_path: str,
        *,
        password: Secret | None = None,
        memory_limit: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """``catalog`` is a libpq connection string without the password (``LIVE_DUCKLAKE_CATALOG``);
        ``password`` is ``LIVE_DUCKLAKE_PASSWORD``, or None to let libpq use ``PGPASSWORD``/``~/.pgpass``."""
        self.catalog = catalog
        self.data_path = data_path
        self.memory_limit = memory_limit
        self._password = password
        if logger is not None:
            self.logger = logger

    def __repr__(self) -> str:
        return f"LakeWarehouse({self.catalog!r}, {self.data_path!r})"

    @property
    def backend(self) -> str:
        return "ducklake"

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of this process's lake connection, its default database the lake, closed on exit."""
        cursor = self._instance().cursor()
        try:
            cursor.execute(f"USE {LAKE_ALIAS}")
            yield cursor
        finally:
            cursor.close()

    def snapshot(self) -> int:
        """The lake's latest snapshot id: what ``AT (VERSION => id)`` reads back later (audits)."""
        (snapshot,) = self.query(f"SELECT id FROM {LAKE_ALIAS}.current_snapshot()")[0]
        return int(snapshot)

    def _key(self) -> tuple[object, ...]:
        password = hashlib.sha256(self._password.reveal().encode()).hexdigest() if self._password else None
        return (os.getpid(), self.catalog, self.data_path, password, self.memory_limit)

    def _instance(self) -> duckdb.DuckDBPyConnection:
        key = self._key()  # the pid: a forked child opens its own
        with _instances_lock:
            instance = _instances.get(key)
            if instance is None:
                instance = _instances[key] = self._attach()
            return instance

    def _attach(self) -> duckdb.DuckDBPyConnection:
        instance = duckdb.connect()
        try:
            if self.memory_limit:
                instance.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
            for extension in ("postgres_scanner", "ducklake"):
                load_extension(instance, extension)
            if self.data_path.startswith(OBJECT_STORAGE_PREFIXES):
                for extension in ("httpfs", "aws"):
                    load_extension(instance, extension)
                # The AWS SDK's chain: environment variables, web identity (Kubernetes), instance profile.
                instance.execute("CREATE SECRET live_lake_storage (TYPE s3, PROVIDER credential_chain)")
            if self._password is not None:
                self._create_password_secret(instance, self._password)
            instance.execute(
                f"ATTACH {sql_string('ducklake:postgres:' + self.catalog)} AS {LAKE_ALIAS} "
                f"(DATA_PATH {sql_string(self.data_path)})"
            )
        except duckdb.Error as error:
            instance.close()
            raise WarehouseUnavailableError(
                f"could not attach the DuckLake (LIVE_DUCKLAKE_CATALOG {self.catalog!r}, "
                f"LIVE_DUCKLAKE_DATA_PATH {self.data_path!r}): {error}"
            ) from None
        except BaseException:
            instance.close()
            raise
        return instance

    @staticmethod
    def _create_password_secret(instance: duckdb.DuckDBPyConnection, password: Secret) -> None:
        """Give libpq the password through a DuckDB secret, not the connection string (which DuckDB repeats
        in its errors); this statement's own error is not repeated either, since it holds the password."""
        try:
            instance.execute(f"CREATE SECRET (TYPE postgres, PASSWORD {sql_string(password.reveal())})")
        except duckdb.Error:
            raise WarehouseUnavailableError(
                "could not hand LIVE_DUCKLAKE_PASSWORD to DuckDB's postgres extension (CREATE SECRET failed)"
            ) from None
