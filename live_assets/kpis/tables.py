"""The four KPI tables, described once: grain, columns (with units), the raw tables they read, their SQL.

The DDL in ``sql/<table>.sql`` creates the tables; the column lists here describe them to the Dagster
UI (``dagster/column_schema``) and to ``docs/kpis.md``. A test compares both, so they cannot drift.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from live_assets.kpis import queries

KPI_SCHEMA: Final = "kpi"
FACTS_SQL: Final = "facts.sql"


class Grain(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class KpiColumn:
    name: str
    sql_type: str
    description: str


def _column(name: str, sql_type: str, description: str) -> KpiColumn:
    return KpiColumn(name, sql_type, description)


# Every column any KPI table has, described once. Rates and percentages are percent (0..100) and NULL
# when their denominator is 0; times are seconds; none is rounded (round when displaying).
COLUMNS: Final[dict[str, KpiColumn]] = {
    c.name: c
    for c in (
        _column("day", "DATE", "partition day: conversations queued that day (bot's time zone)"),
        _column("week_start", "DATE", "Monday of the week: conversations queued Monday..Sunday"),
        _column("group_id", "BIGINT", "the group that finally held the conversation"),
        _column("group_name", "VARCHAR", "the group's name on its latest conversation of the period"),
        _column("protocol_id", "BIGINT", "the channel's id"),
        _column("protocol", "VARCHAR", "the channel (webchat, whatsapp, ...)"),
        _column("agent_id", "BIGINT", "the conversation's final agent"),
        _column("agent_name", "VARCHAR", "the agent's name on their latest conversation of the period"),
        _column("offered", "BIGINT", "conversations that entered the queue (count)"),
        _column("attended", "BIGINT", "offered conversations an agent took (count)"),
        _column("lost", "BIGINT", "offered conversations with status lost (count)"),
        _column("abandonment_rate", "DOUBLE", "lost / offered (percent)"),
        _column("sla_threshold_s", "INTEGER", "the group's SLA threshold that day (seconds)"),
        _column("within_sla", "BIGINT", "attended with wait_time <= threshold (count); NULL if a threshold is unknown"),
        _column("sla_pct", "DOUBLE", "within_sla / offered, lost count against it (percent)"),
        _column("wait_avg_s", "DOUBLE", "mean queue wait of attended conversations: speed of answer (seconds)"),
        _column("wait_p90_s", "DOUBLE", "90th percentile (quantile_cont) of attended conversations' wait (seconds)"),
        _column("first_response_avg_s", "DOUBLE", "mean agent start to first agent message (seconds)"),
        _column("first_response_p90_s", "DOUBLE", "90th percentile (quantile_cont) of first response time (seconds)"),
        _column("handle_time_avg_s", "DOUBLE", "session time / handled conversations (seconds)"),
        _column("transferred", "BIGINT", "conversations moved at least once, transfers > 0 (count)"),
        _column("transfer_rate", "DOUBLE", "attended and transferred / attended (percent)"),
        _column("resolved", "BIGINT", "attended, closed and never transferred (count)"),
        _column("resolution_rate", "DOUBLE", "resolved / attended (percent)"),
        _column("feedback_count", "BIGINT", "survey answers (count)"),
        _column("csat_pct", "DOUBLE", "answers scoring 4 or 5 / answers (percent)"),
        _column("feedback_score_avg", "DOUBLE", "mean survey score (points, 1..5)"),
        _column("handled", "BIGINT", "conversations whose final agent is this agent (count)"),
        _column("handled_hours", "DOUBLE", "session time of the handled conversations (hours)"),
        _column("concurrency_max", "INTEGER", "most chats held at one instant, over sessions [started_at, ended_at)"),
        _column("concurrency_avg", "DOUBLE", "session time / time holding at least one chat (chats)"),
        _column("_bot", "VARCHAR", "the bot these rows describe (LiveApiResource.bot)"),
        _column("_computed_at", "TIMESTAMP WITH TIME ZONE", "when this row was computed"),
    )
}

_SLA_METRICS: Final = (
    "offered",
    "attended",
    "lost",
    "abandonment_rate",
    "within_sla",
    "sla_pct",
    "wait_avg_s",
    "wait_p90_s",
    "first_response_avg_s",
    "first_response_p90_s",
    "handle_time_avg_s",
    "transferred",
    "transfer_rate",
    "resolved",
    "resolution_rate",
    "feedback_count",
    "csat_pct",
    "feedback_score_avg",
)
_AGENT_METRICS: Final = (
    "handled",
    "handled_hours",
    "handle_time_avg_s",
    "first_response_avg_s",
    "first_response_p90_s",
    "transferred",
    "transfer_rate",
    "resolved",
    "resolution_rate",
    "feedback_count",
    "csat_pct",
    "feedback_score_avg",
    "concurrency_max",
    "concurrency_avg",
)
_META: Final = ("_bot", "_computed_at")


@dataclass(frozen=True)
class KpiTable:
    """One KPI table: ``kpi.<name>``, asset key ``kpi/<name>``, SQL in ``sql/<name>.sql``."""

    name: str
    grain: Grain
    description: str
    column_names: tuple[str, ...]
    # The columns that identify a row, with ``_bot``: one row per value of these.
    key_columns: tuple[str, ...]
    # Raw tables read. Partitioned ones are mapped day to day (daily) or by the week's seven days (weekly).
    raw_sources: tuple[str, ...]

    @property
    def asset_key_path(self) -> list[str]:
        return [KPI_SCHEMA, self.name]

    @property
    def qualified_table(self) -> str:
        return f"{KPI_SCHEMA}.{self.name}"

    @property
    def period_column(self) -> str:
        return "day" if self.grain is Grain.DAILY else "week_start"

    @property
    def columns(self) -> tuple[KpiColumn, ...]:
        return tuple(COLUMNS[name] for name in self.column_names)

    @property
    def sql_file(self) -> str:
        return f"{self.name}.sql"

    def sql(self) -> str:
        return queries.read_sql("live_assets.kpis", self.sql_file)

    def facts_sql(self) -> str:
        return queries.read_sql("live_assets.kpis", FACTS_SQL)

    @property
    def code_version(self) -> str:
        """Changes whenever the table's SQL or the shared facts SQL does: the UI then flags stale partitions."""
        return queries.fingerprint([self.facts_sql(), self.sql()])


# The raw tables facts.sql reads, so every KPI table's inputs (the agent tables ignore the thresholds,
# but their facts carry them). raw/sla_by_group also holds the blocking reconciliation check.
FACTS_SOURCES: Final = ("conversations", "sla_by_group", "groups")

SLA_DAILY: Final = KpiTable(
    name="sla_daily",
    grain=Grain.DAILY,
    description="Service level per day, group and channel: volumes, SLA %, waits, handle time, outcomes, CSAT.",
    column_names=(
        "day",
        "group_id",
        "group_name",
        "protocol_id",
        "protocol",
        *_SLA_METRICS[:4],
        "sla_threshold_s",
        *_SLA_METRICS[4:],
        *_META,
    ),
    key_columns=("day", "group_id", "protocol_id"),
    raw_sources=FACTS_SOURCES,
)
SLA_WEEKLY: Final = KpiTable(
    name="sla_weekly",
    grain=Grain.WEEKLY,
    description="Service level per week (Monday..Sunday) and group, recomputed from the week's conversations.",
    column_names=("week_start", "group_id", "group_name", *_SLA_METRICS, *_META),
    key_columns=("week_start", "group_id"),
    raw_sources=FACTS_SOURCES,
)
AGENT_DAILY: Final = KpiTable(
    name="agent_daily",
    grain=Grain.DAILY,
    description="Agent performance per day: handled volume and hours, handle and response times, outcomes, "
    "CSAT and chat concurrency.",
    column_names=("day", "agent_id", "agent_name", *_AGENT_METRICS, *_META),
    key_columns=("day", "agent_id"),
    raw_sources=FACTS_SOURCES,
)
AGENT_WEEKLY: Final = KpiTable(
    name="agent_weekly",
    grain=Grain.WEEKLY,
    description="Agent performance per week (Monday..Sunday), recomputed from the week's conversations.",
    column_names=("week_start", "agent_id", "agent_name", *_AGENT_METRICS, *_META),
    key_columns=("week_start", "agent_id"),
    raw_sources=FACTS_SOURCES,
)

KPI_TABLES: Final[tuple[KpiTable, ...]] = (SLA_DAILY, AGENT_DAILY, SLA_WEEKLY, AGENT_WEEKLY)
