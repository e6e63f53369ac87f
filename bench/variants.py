"""What a benchmark run measures besides the workload: the Dagster instance, the daemon, the warehouse.

The default is the shipped configuration (``make dev``, the demo, the tests): the SQLite instance of the
project's ``dagster.yaml``, the project's daemon (``live_assets/devtools/daemon.py``) and the DuckDB file.
Each option swaps one part for another configuration the project documents: ``--instance postgres`` is the
production instance of ``deploy/dagster.yaml``, ``--stock-daemon`` is Dagster's own ``dagster-daemon run``
(30 s between backfill iterations), ``--warehouse ducklake`` the DuckLake backend (``docs/deploy.md``). The
PostgreSQL databases live on the local server ``make postgres`` starts, one fresh database per workload.
"""

from __future__ import annotations

import contextlib
import enum
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.postgres import LocalPostgres
from live_assets.devtools.daemon import DEFAULT_INTERVAL_SECONDS
from live_assets.devtools.stack import PROJECT_DIR
from live_assets.warehouse import Warehouse, WarehouseBase
from live_assets.warehouse.lake import LakeWarehouse
from live_assets.warehouse.settings import (
    BACKEND_VARIABLE,
    CATALOG_VARIABLE,
    DATA_PATH_VARIABLE,
    PASSWORD_VARIABLE,
    Backend,
)

PRODUCTION_INSTANCE = PROJECT_DIR / "deploy" / "dagster.yaml"


class Instance(enum.StrEnum):
    SQLITE = "sqlite"  # the project's dagster.yaml
    POSTGRES = "postgres"  # deploy/dagster.yaml


@dataclass(frozen=True)
class Variant:
    instance: Instance = Instance.SQLITE
    stock_daemon: bool = False
    daemon_interval: float = DEFAULT_INTERVAL_SECONDS
    warehouse: Backend = Backend.DUCKDB

    @property
    def slug(self) -> str:
        """The variant's name in BENCHMARKS.md's markers: ``sqlite-project-duckdb``."""
        daemon = "stock" if self.stock_daemon else "project"
        if not self.stock_daemon and self.daemon_interval != DEFAULT_INTERVAL_SECONDS:
            daemon += f"{self.daemon_interval:g}s"
        return f"{self.instance}-{daemon}-{self.warehouse}"

    @property
    def title(self) -> str:
        instance = "PostgreSQL instance" if self.instance is Instance.POSTGRES else "SQLite instance"
        daemon = "stock daemon" if self.stock_daemon else "project daemon"
        warehouse = "DuckLake" if self.warehouse is Backend.DUCKLAKE else "DuckDB file"
        return f"{instance}, {daemon}, {warehouse}"

    @property
    def needs_postgres(self) -> bool:
        return self.instance is Instance.POSTGRES or self.warehouse is Backend.DUCKLAKE

    def describe(self) -> str:
        """The workload line's account of the instance, daemon and warehouse."""
        daemon = (
            "Dagster's stock `dagster-daemon run` (30 s backfill interval)"
            if self.stock_daemon
            else "the project's daemon, `python -m live_assets.devtools.daemon run` (backfill loop every "
            f"{self.daemon_interval:g} s at most)"
        )
        instance = (
            "`deploy/dagster.yaml` (PostgreSQL storage on the local server)"
            if self.instance is Instance.POSTGRES
            else "the shipped `dagster.yaml` (SQLite storage)"
        )
        warehouse = (
            "a DuckLake (catalog on the local PostgreSQL, data files on local disk)"
            if self.warehouse is Backend.DUCKLAKE
            else "a DuckDB file"
        )
        return f"run by {daemon} on the instance of {instance}, into {warehouse}"


@dataclass
class Provisioned:
    """One workload's share of a variant: the processes' extra variables and the instance's config."""

    env: dict[str, str] = field(default_factory=dict)
    instance_yaml: str | None = None  # None: the project's dagster.yaml, as LocalDagster copies it
    event_log: str = "SQLite"


def lake_env(postgres: LocalPostgres, database: str, data_path: Path) -> dict[str, str]:
    return {
        BACKEND_VARIABLE: Backend.DUCKLAKE.value,
        CATALOG_VARIABLE: postgres.catalog(database),
        PASSWORD_VARIABLE: postgres.password.reveal(),
        DATA_PATH_VARIABLE: str(data_path.resolve()),
    }


@contextlib.contextmanager
def provisioned(variant: Variant, root: Path, postgres: LocalPostgres | None) -> Iterator[Provisioned]:
    """Fresh databases for one workload (dropped on exit) and the variables that point Dagster at them."""
    made: list[str] = []
    result = Provisioned(env={BACKEND_VARIABLE: variant.warehouse.value})
    try:
        if variant.instance is Instance.POSTGRES:
            assert postgres is not None
            made.append(postgres.create_database("dagster"))
            result.env |= postgres.dagster_env(made[-1])
            result.instance_yaml = PRODUCTION_INSTANCE.read_text()
            result.event_log = "PostgreSQL"
        if variant.warehouse is Backend.DUCKLAKE:
            assert postgres is not None
            made.append(postgres.create_database("lake"))
            result.env |= lake_env(postgres, made[-1], root / "lake")
        yield result
    finally:
        for database in made:
            assert postgres is not None
            postgres.drop(database)


@contextlib.contextmanager
def empty_warehouse(variant: Variant, path: Path, postgres: LocalPostgres | None) -> Iterator[WarehouseBase]:
    """A new, empty warehouse of the variant's backend at ``path`` (a file, or a lake's data folder), removed
    on exit: where the load rate is measured."""
    if variant.warehouse is Backend.DUCKDB:
        try:
            yield Warehouse(path)
        finally:
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()
        return
    assert postgres is not None
    database = postgres.create_database("load")
    try:
        yield LakeWarehouse(postgres.catalog(database), f"{path.resolve()}/", password=postgres.password)
    finally:
        postgres.drop(database)
        shutil.rmtree(path, ignore_errors=True)
