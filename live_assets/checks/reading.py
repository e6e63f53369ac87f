"""Reading a check's rows for a span of days, under the warehouse lock, without writing anything.

A check must explain itself rather than crash: when a table it reads does not exist yet (its asset
was never materialized), the reading says which, and the check fails with that as its explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from live_assets.checks.by_partition import PartitionSpan, Verdict, partition_spans
from live_assets.kpis import queries
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.warehouse import Warehouse

CHECKS_PACKAGE = "live_assets.checks"


@dataclass(frozen=True)
class Reading:
    missing_tables: list[str]
    columns: list[str]
    rows: list[tuple]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def read_range(
    warehouse: Warehouse,
    sql_file: str,
    *,
    tables: Sequence[str],
    bot: str,
    first_day: dt.date,
    last_day: dt.date,
) -> Reading:
    """Run ``checks/sql/<sql_file>`` for ``bot`` and ``first_day..last_day`` if every one of ``tables`` exists."""
    parameters = {"bot": bot, "first_day": first_day, "last_day": last_day}
    with warehouse.connect() as connection:
        present = queries.run_script(connection, queries.read_sql(CHECKS_PACKAGE, "tables_present.sql"), {})
        existing = {name for (name,) in present.rows}
        missing = [table for table in tables if table not in existing]
        if missing:
            return Reading(missing_tables=missing, columns=[], rows=[])
        result = queries.run_script(connection, queries.read_sql(CHECKS_PACKAGE, sql_file), parameters)
    return Reading(missing_tables=[], columns=result.columns, rows=result.rows)


def missing_tables_verdicts(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
    """Every partition fails, naming the tables to materialize first."""
    tables = ", ".join(reading.missing_tables)
    return {
        span.key: Verdict(False, f"cannot check: {tables} not in the warehouse yet", {"missing_tables": tables})
        for span in spans
    }


def read_spans(
    context: dg.AssetCheckExecutionContext,
    live_api: LiveApiResource,
    warehouse: WarehouseResource,
    sql_file: str,
    tables: list[str],
) -> tuple[list[PartitionSpan], Reading]:
    """The run's partitions and the rows of ``sql_file`` over all of them, read in one query."""
    spans = partition_spans(context, live_api.settings().timezone)
    reading = read_range(
        warehouse.warehouse(),
        sql_file,
        tables=tables,
        bot=live_api.bot,
        first_day=spans[0].first_day,
        last_day=spans[-1].last_day,
    )
    return spans, reading
