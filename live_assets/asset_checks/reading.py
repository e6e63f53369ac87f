"""Reading a check's rows for a span of days, under the warehouse lock, without writing anything.

A check must explain itself rather than crash: when a table it reads does not exist yet (its asset
was never materialized), the reading says which, and the check fails with that as its explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb

from live_assets.asset_checks.by_partition import PartitionSpan, Verdict
from live_assets.kpis import queries
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import run_scope
from live_assets.warehouse import Warehouse

CHECKS_PACKAGE = "live_assets.asset_checks"


@dataclass(frozen=True)
class Reading:
    bot: str
    missing_tables: list[str]
    columns: list[str]
    rows: list[tuple]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def present_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The raw and KPI tables the warehouse holds, as ``schema.table``."""
    present = queries.run_script(connection, queries.read_sql(CHECKS_PACKAGE, "tables_present.sql"), {})
    return {name for (name,) in present.rows}


def read_range(
    warehouse: Warehouse,
    sql_file: str | None,
    *,
    tables: Sequence[str],
    bot: str,
    first_day: dt.date,
    last_day: dt.date,
    sql: str | None = None,
) -> Reading:
    """Run ``asset_checks/sql/<sql_file>`` (or the statement ``sql``, e.g. a KPI table's ``rows_statement``) for
    ``bot`` and ``first_day..last_day`` if every one of ``tables`` exists."""
    parameters = {"bot": bot, "first_day": first_day, "last_day": last_day}
    with warehouse.connect() as connection:
        existing = present_tables(connection)
        missing = [table for table in tables if table not in existing]
        if missing:
            return Reading(bot=bot, missing_tables=missing, columns=[], rows=[])
        text = sql if sql_file is None else queries.read_sql(CHECKS_PACKAGE, sql_file)
        assert text is not None, "give sql_file or sql"
        result = queries.run_script(connection, text, parameters)
    return Reading(bot=bot, missing_tables=[], columns=result.columns, rows=result.rows)


def missing_tables_verdicts(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
    """Every partition fails, naming the tables to materialize first."""
    tables = ", ".join(reading.missing_tables)
    return {
        span.key: Verdict(False, f"cannot check: {tables} not in the warehouse yet", {"missing_tables": tables})
        for span in spans
    }


Decide = Callable[[list[PartitionSpan], Reading], dict[str, Verdict]]


def verdicts_by_bot(
    context: dg.AssetCheckExecutionContext,
    live_api: LiveApiResource,
    warehouse: WarehouseResource,
    sql_file: str | None,
    tables: list[str],
    decide: Decide,
    *,
    sql: str | None = None,
) -> dict[str, Verdict]:
    """Every partition's verdict: per bot of the run (``run_scope``), its rows of ``sql_file`` read in one
    query over its days, then ``decide``d; a missing table fails that bot's partitions, naming it."""
    verdicts: dict[str, Verdict] = {}
    for scope in run_scope(context, live_api):
        spans = list(scope.spans)
        assert scope.first_day is not None and scope.last_day is not None
        reading = read_range(
            warehouse.warehouse(),
            sql_file,
            tables=tables,
            bot=scope.bot,
            first_day=scope.first_day,
            last_day=scope.last_day,
            sql=sql,
        )
        verdicts |= missing_tables_verdicts(spans, reading) if reading.missing_tables else decide(spans, reading)
    return verdicts
