"""The warehouse's settings: which backend (``LIVE_WAREHOUSE``), where a DuckLake lives, how long to wait.

Read from an environment mapping when a warehouse is opened, never at import time. The DuckDB file's
path and memory cap stay ``LIVE_DUCKDB_PATH`` and ``LIVE_DUCKDB_MEMORY_LIMIT`` (``live_assets.settings``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from live_assets.secret import Secret
from live_assets.settings import LiveSettings, SettingsError, _parse_positive_float, _secret, _text, holds_password
from live_assets.warehouse.base import WarehouseBase
from live_assets.warehouse.duckdb import DEFAULT_LOCK_TIMEOUT_SECONDS, LOCK_TIMEOUT_VARIABLE, Warehouse

# None: ``published/`` beside the DuckDB file (``data/published`` by default).
BACKEND_VARIABLE = "LIVE_WAREHOUSE"
CATALOG_VARIABLE = "LIVE_DUCKLAKE_CATALOG"
PASSWORD_VARIABLE = "LIVE_DUCKLAKE_PASSWORD"
DATA_PATH_VARIABLE = "LIVE_DUCKLAKE_DATA_PATH"
PUBLISH_DIR_VARIABLE = "LIVE_PUBLISH_DIR"


class Backend(enum.StrEnum):
    DUCKDB = "duckdb"
    DUCKLAKE = "ducklake"


@dataclass(frozen=True)
class WarehouseSettings:
    backend: Backend = Backend.DUCKDB
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    # A libpq connection string without the password, e.g. "host=pg dbname=lake user=live".
    ducklake_catalog: str | None = None
    # None: libpq's own PGPASSWORD or ~/.pgpass supply it.
    ducklake_password: Secret | None = field(default=None, repr=False)
    # A folder (made absolute) or an object storage URL (s3://bucket/lake/).
    ducklake_data_path: str | None = None
    publish_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WarehouseSettings:
        """Validate every warehouse variable; :class:`SettingsError` names the first bad one."""
        raw_backend = _text(env, BACKEND_VARIABLE) or Backend.DUCKDB.value
        try:
            backend = Backend(raw_backend.lower())
        except ValueError:
            choices = ", ".join(b.value for b in Backend)
            raise SettingsError(f"{BACKEND_VARIABLE} must be one of {choices}, got {raw_backend!r}") from None
        timeout = _text(env, LOCK_TIMEOUT_VARIABLE)
        catalog = _text(env, CATALOG_VARIABLE)
        data_path = _text(env, DATA_PATH_VARIABLE)
        publish_dir = _text(env, PUBLISH_DIR_VARIABLE)
        if catalog is not None and holds_password(catalog):  # DuckDB's connection errors repeat the string
            # The value itself is never repeated: it holds a password.
            raise SettingsError(
                f"{CATALOG_VARIABLE} must not hold the password (DuckDB repeats the connection string in its "
                f"errors): set {PASSWORD_VARIABLE}, PGPASSWORD or a ~/.pgpass line instead"
            )
        if backend is Backend.DUCKLAKE:
            for name, value, example in (
                (CATALOG_VARIABLE, catalog, "host=127.0.0.1 dbname=live_lake user=live_assets"),
                (DATA_PATH_VARIABLE, data_path, "data/lake or s3://bucket/live-lake/"),
            ):
                if value is None:
                    raise SettingsError(f"{name} is not set, but {BACKEND_VARIABLE}=ducklake needs it (e.g. {example})")
        return cls(
            backend=backend,
            lock_timeout_seconds=(
                _parse_positive_float(LOCK_TIMEOUT_VARIABLE, timeout) if timeout else DEFAULT_LOCK_TIMEOUT_SECONDS
            ),
            ducklake_catalog=catalog,
            ducklake_password=_secret(env, PASSWORD_VARIABLE),
            ducklake_data_path=_absolute_data_path(data_path) if data_path else None,
            publish_dir=Path(publish_dir) if publish_dir else None,
        )


def is_object_storage(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def _absolute_data_path(path: str) -> str:
    """Every process must name the same folder: a relative one is made absolute, with DuckLake's trailing /."""
    if is_object_storage(path):
        return path if path.endswith("/") else path + "/"
    return str(Path(path).expanduser().resolve()) + "/"


def open_warehouse(
    live: LiveSettings, settings: WarehouseSettings, *, logger: logging.Logger | None = None
) -> WarehouseBase:
    """The warehouse ``settings`` choose: the DuckDB file ``LIVE_DUCKDB_PATH``, or the DuckLake."""
    if settings.backend is Backend.DUCKLAKE:
        from live_assets.warehouse.lake import LakeWarehouse

        assert settings.ducklake_catalog and settings.ducklake_data_path  # from_env made sure
        return LakeWarehouse(
            settings.ducklake_catalog,
            settings.ducklake_data_path,
            password=settings.ducklake_password,
            memory_limit=live.duckdb_memory_limit,
            logger=logger,
        )
    return Warehouse(
        live.duckdb_path,
        lock_timeout=settings.lock_timeout_seconds,
        memory_limit=live.duckdb_memory_limit,
        logger=logger,
    )
