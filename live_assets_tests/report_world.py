"""A warehouse built by real runs for the report's tests, and the page read back as tables.

Two weeks (Monday 2025-03-03 to Sunday 2025-03-16) of the simulator's bot, loaded by the raw assets and
computed by the KPI assets in real Dagster runs, so the report's second week has a previous one. The
edge cases are copies of that file with rows removed or added (one group, forty groups).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from live_assets.monitor.targets import Targets, parse_targets
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import range_tags, simulator_env

FIRST, LAST = dt.date(2025, 3, 3), dt.date(2025, 3, 16)
WEEK = (dt.date(2025, 3, 10), dt.date(2025, 3, 16))
DAY = dt.date(2025, 3, 14)
RAW_TABLES = ("conversations", "sla_by_group", "groups", "histogram", "summary", "agents")
# Targets with every kind of entry: defaults on the three metrics, and a group with no SLA target.
TARGETS_YAML = """
defaults: {sla_pct_min: 80, abandonment_pct_max: 8, wait_p90_s_max: 65}
groups:
  Facturación: {sla_pct_min: null}
"""
ALERTS_DDL = """
CREATE SCHEMA IF NOT EXISTS monitor;
CREATE TABLE monitor.alerts (bot VARCHAR, "group" VARCHAR, metric VARCHAR, value DOUBLE, target DOUBLE,
    "window" VARCHAR, opened_at TIMESTAMPTZ, resolved_at TIMESTAMPTZ, notified_at TIMESTAMPTZ,
    resolved_notified_at TIMESTAMPTZ);
INSERT INTO monitor.alerts VALUES
    ('default', 'Soporte técnico', 'sla_pct', 45.0, 80, 'today 08:00–11:30', '2025-03-14 11:30:00+00',
     '2025-03-14 13:00:00+00', '2025-03-14 11:31:00+00', '2025-03-14 13:01:00+00'),
    ('default', 'Facturación', 'abandonment_pct', 12.5, 8, 'today 00:00–16:00', '2025-03-14 16:00:00+00',
     NULL, '2025-03-14 16:01:00+00', NULL),
    ('default', 'Soporte técnico', 'sla_pct', 50.0, 80, 'today 09:00–10:00', '2025-03-01 10:00:00+00',
     '2025-03-01 11:00:00+00', '2025-03-01 10:01:00+00', '2025-03-01 11:01:00+00');
"""


def targets() -> Targets:
    return parse_targets(TARGETS_YAML, source="test targets")


def resources(root: Path) -> dict[str, object]:
    return {
        "live_api": LiveApiResource(),
        "warehouse": WarehouseResource(duckdb_path=str(root / "live.duckdb"), landing_dir=str(root / "landing")),
    }


@contextlib.contextmanager
def build_world(sim: Any, root: Path) -> Iterator[Path]:
    """The DuckDB file of two weeks loaded and computed by real runs against the simulator: built once per
    worker (conftest.py's ``report_world``), each module working on a copy (:func:`copy_world`)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in simulator_env(sim.base_url, root).items():
            patch.setenv(name, value)
        daily = [asset.key for asset in KPI_ASSETS if asset.key.path[-1].endswith("_daily")]
        weekly = [asset.key for asset in KPI_ASSETS if asset.key.path[-1].endswith("_weekly")]
        everything = [*RAW_ASSETS, *KPI_ASSETS]
        selection = [*raw_keys(*RAW_TABLES), *daily]
        dg.materialize(everything, selection=selection, tags=range_tags(FIRST, LAST), resources=resources(root))
        dg.materialize(everything, selection=weekly, tags=range_tags(FIRST, WEEK[0]), resources=resources(root))
        yield root / "live.duckdb"


def copy_world(world: Path, folder: Path) -> Path:
    """A module's own copy of the built world: its whole folder (the DuckDB file, the landed files)."""
    shutil.copytree(world.parent, folder, dirs_exist_ok=True)
    return folder / world.name


def variant(source: Path, folder: Path, statements: str) -> Path:
    """A copy of the warehouse with ``statements`` applied (the edge cases)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "live.duckdb"
    shutil.copy(source, path)
    with duckdb.connect(str(path)) as connection:
        for statement in statements.split(";\n"):
            if statement.strip():
                connection.execute(statement)
    return path


ONE_GROUP = """
DELETE FROM kpi.sla_daily WHERE group_id <> 3;
DELETE FROM kpi.sla_weekly WHERE group_id <> 3;
DELETE FROM raw.conversations WHERE group_id <> 3;
DELETE FROM raw.summary WHERE group_id <> 3
"""
# Forty groups: the four real ones and nine copies of each with long names (ids 10.., 20.., ...).
FORTY_GROUPS = """
INSERT INTO kpi.sla_daily BY NAME
SELECT s.* REPLACE (s.group_id + 10 * c.copy AS group_id,
                    s.group_name || ' — regional desk number ' || c.copy || ' (overflow queue)' AS group_name)
FROM kpi.sla_daily AS s, range(1, 10) AS c(copy)
"""


@dataclass
class Table:
    css: str
    head: list[str]
    rows: list[list[str]]


class PageReader(HTMLParser):
    """The page's tables (by class) and its headline tiles (by ``data-metric``), as text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, Table] = {}
        self.tiles: dict[str, list[str]] = {}
        self._table: Table | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._tile: str | None = None
        self._tile_depth = 0
        self._tile_class: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self._table = Table(attributes.get("class") or "", [], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag == "div":
            if "data-metric" in attributes:
                self._tile, self._tile_depth = attributes["data-metric"], 0
                self.tiles[self._tile] = []
            if self._tile is not None:
                self._tile_depth += 1
                self._tile_class = attributes.get("class")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            (self._table.head if not self._table.head else self._table.rows).append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self._table.head = self._table.head[0] if self._table.head else []  # type: ignore[assignment]
            self.tables[self._table.css] = self._table
            self._table = None
        elif tag == "div" and self._tile is not None:
            self._tile_depth -= 1
            if self._tile_depth == 0:
                self._tile = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._tile is not None and self._tile_class == "value" and data.strip():
            self.tiles[self._tile].append(data.strip())

    def column(self, css: str, header: str, key: int = 0) -> dict[str, str]:
        """``{row's key cell: cell under header}`` for each row of the table of class ``css``."""
        table = self.tables[css]
        index = table.head.index(header)
        return {row[key]: row[index] for row in table.rows}
