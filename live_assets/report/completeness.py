"""The data engineer's part of the report: which partitions of the period each table holds, when they
were loaded, and what the asset checks said about them.

The partitions and load times come from the warehouse (``_partition_day`` / ``day`` / ``week_start``,
``_loaded_at`` / ``_computed_at``). The check results are Dagster's, read from its instance when the
report is built by the asset (the command line has no instance and says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dagster as dg

from live_assets.kpis import queries
from live_assets.kpis.tables import COMPUTED_AT_COLUMN, KPI_TABLES, Grain
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.raw.statements import DAY_COLUMN, LOADED_AT_COLUMN
from live_assets.report.period import Period

REPORT_PACKAGE = "live_assets.report"
# Executions of one check looked at, newest first: a few months of daily partitions.
CHECK_HISTORY = 500


@dataclass(frozen=True)
class TableSpec:
    table: str
    day_column: str
    loaded_column: str
    weekly: bool = False


# What the report reads, in the order of the pipeline. The names are constants: they are pasted into
# ``sql/partitions.sql``, which is why nothing else may reach that template.
# The raw tables the report reads; every KPI table. Day and load-time columns come from the registry and
# the KPI tables' own definitions (one place each).
REPORT_RAW_TABLES: Final = ("conversations", "sla_by_group", "histogram", "summary")
TABLES: tuple[TableSpec, ...] = (
    *(TableSpec(ENDPOINTS_BY_TABLE[name].qualified_table, DAY_COLUMN, LOADED_AT_COLUMN) for name in REPORT_RAW_TABLES),
    *(
        TableSpec(table.qualified_table, table.period_column, COMPUTED_AT_COLUMN, weekly=table.grain is Grain.WEEKLY)
        for table in KPI_TABLES
    ),
)


@dataclass(frozen=True)
class TableCompleteness:
    table: str
    expected: tuple[dt.date, ...]
    present: tuple[dt.date, ...]
    rows: int
    loaded_at: dt.datetime | None
    in_warehouse: bool = True

    @property
    def missing(self) -> list[dt.date]:
        return [day for day in self.expected if day not in self.present]


@dataclass(frozen=True)
class CheckOutcome:
    """One check over the period's partitions: how many passed and failed, and the first failure."""

    asset: str
    check: str
    passed: int
    failed: int
    detail: str = ""  # the first failure's description, in English (the check's own words, as in the UI)
    partition: str = ""  # the first failing partition


def expected_partitions(spec: TableSpec, period: Period) -> tuple[dt.date, ...]:
    """The partitions of the period: its days, or the Mondays of the whole weeks inside it."""
    if not spec.weekly:
        return tuple(period.dates())
    return tuple(day for day in period.dates() if day.weekday() == 0 and day + dt.timedelta(days=6) <= period.last)


def read_completeness(connection: Any, tables: set[str], bot: str, period: Period) -> list[TableCompleteness]:
    template = queries.read_sql(REPORT_PACKAGE, "partitions.sql")
    result = []
    for spec in TABLES:
        expected = expected_partitions(spec, period)
        if spec.table not in tables:
            result.append(TableCompleteness(spec.table, expected, (), 0, None, in_warehouse=False))
            continue
        sql = template.format(table=spec.table, day=spec.day_column, loaded=spec.loaded_column)
        row = queries.run_script(connection, sql, {"bot": bot, "first_day": period.first, "last_day": period.last})
        _, present, rows, loaded_at = row.rows[0]
        result.append(TableCompleteness(spec.table, expected, tuple(present or ()), int(rows), loaded_at))
    return result


def _in_period(partition: str | None, bot: str, days: set[str]) -> bool:
    """Whether a check's partition key (``2025-03-10``, or ``bot|2025-03-10`` with a bots file) is of
    this bot and one of these days (a week's key is its Monday)."""
    if partition is None:
        return False
    parts = partition.split("|")
    date = parts[-1]
    return date in days and (len(parts) == 1 or bot in parts[:-1])


def read_check_outcomes(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey], bot: str, period: Period
) -> list[CheckOutcome]:
    """The latest result of each check for each of the period's partitions, from Dagster's event log."""
    days = {day.isoformat() for day in period.dates()}
    outcomes = []
    for key in check_keys:
        latest: dict[str, Any] = {}
        for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=CHECK_HISTORY):
            if _in_period(record.partition, bot, days) and record.partition not in latest:
                latest[record.partition] = record  # newest first: the first one seen is the latest
        statuses = [record.status.value for record in latest.values()]
        failed = sorted(p for p, record in latest.items() if record.status.value == "FAILED")
        detail = ""
        if failed:
            evaluation = latest[failed[0]].event.asset_check_evaluation if latest[failed[0]].event else None
            detail = getattr(evaluation, "description", None) or ""
        outcomes.append(
            CheckOutcome(
                asset="/".join(key.asset_key.path),
                check=key.name,
                passed=statuses.count("SUCCEEDED"),
                failed=len(failed),
                detail=detail,
                partition=failed[0] if failed else "",
            )
        )
    return [outcome for outcome in outcomes if outcome.passed or outcome.failed]


def outcomes_of(summaries: Sequence[Any]) -> list[CheckOutcome]:
    """Check results the caller already has (the demo's, from the Dagster GraphQL API) in the report's shape."""
    outcomes = []
    for summary in summaries:
        failures = summary.failures
        first = failures[0] if failures else None
        outcomes.append(
            CheckOutcome(
                summary.asset,
                summary.check,
                len(summary.evaluated()) - len(failures),
                len(failures),
                detail=(first.description or "") if first else "",
                partition=(first.partition or "") if first else "",
            )
        )
    return outcomes
