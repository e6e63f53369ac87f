"""A DuckLake on the local PostgreSQL for the warehouse tests, and real responses landed for several bots.

``lake_database`` creates a database of its own (and a role with a fresh random password, given to
psql on stdin) on the server ``make postgres`` starts, and drops it at the end. ``land_bots`` fetches
a span of days of a few endpoints from the simulator over HTTP into a landing folder, per bot, and
``load_bot`` loads one bot's landed files and refreshes its KPIs, as a raw step and a KPI step do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from live_assets.client import LiveClient
from live_assets.client.windows import Window
from live_assets.kpis.refresh import refresh
from live_assets.kpis.tables import KPI_TABLES, Grain
from live_assets.raw.endpoints import ENDPOINTS
from live_assets.raw.fetching import fetch_window, plan_requests
from live_assets.raw.loading import Landed, load_landed
from live_assets.secret import Secret
from live_assets.settings import LiveSettings
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, SimulatorServer
from live_assets.warehouse import WarehouseBase
from live_assets.warehouse.lake import LakeWarehouse
from live_assets_tests.test_many_bots import PG_MISSING, _psql

LAKE_ROLE = "live_assets_lake"
# conversations feed every KPI; sla_by_group (one request a day) and groups (unpartitioned) feed the thresholds.
LANDED_TABLES = ("conversations", "sla_by_group", "groups")
_SPECS = {spec.table: spec for spec in ENDPOINTS}
# One random password per test run: every lake database of the run shares the role, and each creation
# sets the role's password. Under pytest-xdist the workers of one run derive the same password from the
# run's random id (PYTEST_XDIST_TESTRUNUID), so that one worker's lake does not lock another's out.
_SESSION_PASSWORD = (
    hashlib.sha256(f"live_assets_lake:{os.environ['PYTEST_XDIST_TESTRUNUID']}".encode()).hexdigest()
    if os.environ.get("PYTEST_XDIST_TESTRUNUID")
    else secrets.token_urlsafe(24)
)


@dataclass(frozen=True)
class LakeDatabase:
    database: str
    password: str
    data_path: Path

    @property
    def catalog(self) -> str:
        return f"host=127.0.0.1 port=5432 dbname={self.database} user={LAKE_ROLE}"

    def env(self) -> dict[str, str]:
        """The variables that point the pipeline at this lake."""
        return {
            "LIVE_WAREHOUSE": "ducklake",
            "LIVE_DUCKLAKE_CATALOG": self.catalog,
            "LIVE_DUCKLAKE_PASSWORD": self.password,
            "LIVE_DUCKLAKE_DATA_PATH": str(self.data_path),
        }

    def warehouse(self) -> LakeWarehouse:
        return LakeWarehouse(self.catalog, str(self.data_path) + "/", password=Secret(self.password))


@pytest.fixture(scope="module")
def lake_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeDatabase]:
    with created_lake_database(tmp_path_factory.mktemp("lake-data")) as lake:
        yield lake


@contextlib.contextmanager
def created_lake_database(data_path: Path) -> Iterator[LakeDatabase]:
    """A new PostgreSQL database for a lake's catalog, owned by the test role, dropped on exit."""
    if shutil.which("pg_isready") is None or shutil.which("runuser") is None:
        pytest.fail(PG_MISSING, pytrace=False)
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False, timeout=30).returncode != 0:
        pytest.fail(PG_MISSING, pytrace=False)
    database = f"live_lake_{secrets.token_hex(4)}"
    password = _SESSION_PASSWORD
    _psql(
        f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{LAKE_ROLE}') THEN "
        f"CREATE ROLE {LAKE_ROLE} LOGIN; END IF; END$$;\n"
        f"ALTER ROLE {LAKE_ROLE} PASSWORD '{password}';\nCREATE DATABASE {database} OWNER {LAKE_ROLE};\n"
    )
    try:
        yield LakeDatabase(database, password, data_path)
    finally:
        _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE);\n")


@dataclass(frozen=True)
class LandedFile:
    table: str
    path: str
    start: str | None
    end: str | None

    def landed(self) -> Landed:
        window = None
        if self.start is not None and self.end is not None:
            window = Window(dt.datetime.fromisoformat(self.start), dt.datetime.fromisoformat(self.end))
        return Landed(_SPECS[self.table], Path(self.path), window, Path(self.path).stat().st_size, 1)


def land_bots(
    sim: SimulatorServer, landing_dir: Path, bots: tuple[str, ...], first: dt.date, last: dt.date
) -> dict[str, list[LandedFile]]:
    """Every request of ``LANDED_TABLES`` over ``first..last``, per bot (the simulator's bots in order)."""
    landed: dict[str, list[LandedFile]] = {}
    for bot, x_token in zip(bots, sim.x_tokens(), strict=False):
        settings = LiveSettings(
            base_url=sim.base_url, email=DEMO_EMAIL, password=Secret(DEMO_PASSWORD), x_token=Secret(x_token),
            token_cache_dir=landing_dir / ".tokens",
        )  # fmt: skip
        files = []
        with LiveClient.from_settings(settings) as client:
            for table in LANDED_TABLES:
                spec = _SPECS[table]
                for window in plan_requests(spec, first, last) if spec.window else [None]:
                    got = fetch_window(client, spec, window, landing_dir=landing_dir, bot=bot, export_lang="en")
                    files.append(
                        LandedFile(table, str(got.path), *(w.isoformat() if w else None for w in _ends(window)))
                    )
        landed[bot] = files
    return landed


def _ends(window: Window | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    return (window.start, window.end) if window else (None, None)


def load_bot(warehouse: WarehouseBase, bot: str, files: list[LandedFile], plan: dict[str, Any]) -> None:
    """Load one bot's landed files (conversations first, as the KPIs' inputs go), then refresh its KPIs."""
    loaded_at = dt.datetime.fromisoformat(plan["loaded_at"])
    for landed in files:
        load_landed(warehouse, landed.landed(), bot=bot, loaded_at=loaded_at)
    first, last = dt.date.fromisoformat(plan["first"]), dt.date.fromisoformat(plan["last"])
    whole_weeks_last = first + dt.timedelta(days=((last - first).days + 1) // 7 * 7 - 1)  # first is a Monday
    for table in KPI_TABLES:
        span_last = last if table.grain is Grain.DAILY else whole_weeks_last
        refresh(warehouse, table, bot=bot, first_day=first, last_day=span_last,
                computed_at=dt.datetime.fromisoformat(plan["computed_at"]))  # fmt: skip


def all_tables(warehouse: WarehouseBase) -> dict[str, list[tuple]]:
    """Every row of every raw and KPI table, in a fixed order."""
    tables = warehouse.query(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name IN ('raw', 'kpi') ORDER BY 1"
    )
    return {name: warehouse.query(f"SELECT * FROM {name} ORDER BY ALL") for (name,) in tables}
