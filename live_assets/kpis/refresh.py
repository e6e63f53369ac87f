"""Recompute one KPI table for a span of days, for one bot, in one transaction.

The span's rows of the bot are deleted and recomputed from the conversation rows of the same span,
so that re-running a partition (or a backfill range) gives the same table, and a reader never sees a
half-written partition: the delete and the insert commit together or not at all. Called by the KPI
assets; plain Python so that the demo or a notebook can call it as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from live_assets import clock
from live_assets.kpis import queries
from live_assets.kpis.tables import FACTS_SOURCES, SLA_INTRADAY, Grain, KpiTable
from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, EndpointSpec
from live_assets.warehouse import WarehouseBase

_SPECS: dict[str, EndpointSpec] = {spec.table: spec for spec in ENDPOINTS}


@dataclass(frozen=True)
class Refreshed:
    """The rows a refresh wrote (all of them: KPI tables are small), with their column names."""

    table: KpiTable
    first_day: dt.date
    last_day: dt.date
    columns: list[str]
    rows: list[tuple]

    def merged(self, other: Refreshed) -> Refreshed:
        """This refresh and another bot's, as one (a run over several bots reports all its rows)."""
        return Refreshed(
            table=self.table,
            first_day=min(self.first_day, other.first_day),
            last_day=max(self.last_day, other.last_day),
            columns=self.columns,
            rows=self.rows + other.rows,
        )


def ensure_raw_tables(connection: object, tables: tuple[str, ...]) -> None:
    """Create missing raw tables with the raw layer's own DDL, so that a KPI over days nobody loaded is
    empty rather than an error (the automation never runs it before its inputs exist anyway)."""
    for table in tables:
        if table not in _SPECS:  # not (yet) in the registry: its asset creates it
            continue
        for ddl in statements.create_table(_SPECS[table]):
            connection.execute(ddl)  # type: ignore[attr-defined]


def refresh(
    warehouse: WarehouseBase,
    table: KpiTable,
    *,
    bot: str,
    first_day: dt.date,
    last_day: dt.date,
    computed_at: dt.datetime | None = None,
) -> Refreshed:
    """Replace ``table``'s rows of ``bot`` for the periods in ``first_day..last_day``.

    For weekly tables the span must be whole weeks (Monday..Sunday), as a weekly partition range is.
    """
    if last_day < first_day:
        raise ValueError(f"empty span {first_day}..{last_day}")
    if table.grain is Grain.WEEKLY and (first_day.weekday() != 0 or ((last_day - first_day).days + 1) % 7):
        # A partial week would delete and rewrite a week from part of its days.
        raise ValueError(f"{table.name} needs whole weeks (Monday..Sunday), got {first_day}..{last_day}")
    parameters: dict[str, object] = {
        "bot": bot,
        "first_day": first_day,
        "last_day": last_day,
        "computed_at": computed_at or dt.datetime.now(dt.UTC),
    }

    def recompute(connection: duckdb.DuckDBPyConnection) -> queries.Rows:
        ensure_raw_tables(connection, (*FACTS_SOURCES, table.conversations))
        return queries.run_script(connection, table.script(), parameters)

    written = warehouse.atomically(recompute, what=f"{table.qualified_table} of {bot} {first_day}..{last_day}")
    return Refreshed(table=table, first_day=first_day, last_day=last_day, columns=written.columns, rows=written.rows)


def refresh_intraday(warehouse: WarehouseBase, *, bot: str, computed_at: dt.datetime | None = None) -> Refreshed:
    """Replace every row of ``bot`` in ``kpi.sla_intraday`` with the figures of the day held in
    ``raw.conversations_today`` (the current day: the raw asset replaces it whole at each refresh).

    No conversation yet today: the bot's rows are removed and none written.
    """
    parameters: dict[str, object] = {"bot": bot, "computed_at": computed_at or dt.datetime.now(dt.UTC)}

    def recompute(connection: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, queries.Rows]:
        ensure_raw_tables(connection, (*FACTS_SOURCES, SLA_INTRADAY.conversations))
        (today,) = connection.execute(
            f"SELECT max(_partition_day) FROM raw.{SLA_INTRADAY.conversations} WHERE _bot = $bot", {"bot": bot}
        ).fetchone()  # type: ignore[misc]
        return today, queries.run_script(
            connection, SLA_INTRADAY.script(), {**parameters, "first_day": today, "last_day": today}
        )

    today, written = warehouse.atomically(recompute, what=f"{SLA_INTRADAY.qualified_table} of {bot}")
    day = today or clock.now().date()  # no conversation yet: the UTC date (the table holds no zone)
    return Refreshed(table=SLA_INTRADAY, first_day=day, last_day=day, columns=written.columns, rows=written.rows)
