"""The KPI tables, described once: grain, columns (with units), the raw tables they read, their SQL.

Each table's SQL is assembled from its definition here and one file per KPI: ``sql/facts.sql`` (one
row per conversation, flagged), then ``sql/sla.sql`` or ``sql/agent.sql`` (the figures of every value
of a grain), whatever the grain: daily and weekly differ only by the period column and the table, so
the statements that say which (the DDL, the delete, the grain view, the insert, the checks' read) are
one-liners built from the definition below. ``kpi.sla_intraday`` assembles its two grains (half
hours, day so far) in ``sql/sla_intraday.sql`` over the same ``sla.sql``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from live_assets.kpis import queries

KPI_SCHEMA: Final = "kpi"
FACTS_SQL: Final = "facts.sql"


KPI_PACKAGE: Final = "live_assets.kpis"


class Grain(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    INTRADAY = "intraday"


@dataclass(frozen=True)
class KpiColumn:
    name: str
    sql_type: str
    description: str
    not_null: bool = False


def _column(name: str, sql_type: str, description: str, *, not_null: bool = False) -> KpiColumn:
    return KpiColumn(name, sql_type, description, not_null)


# Every column any KPI table has, described once. Rates and percentages are percent (0..100) and NULL
# when their denominator is 0; times are seconds; none is rounded (round when displaying).
COLUMNS: Final[dict[str, KpiColumn]] = {
    c.name: c
    for c in (
        _column("day", "DATE", "partition day: conversations queued that day (bot's time zone)", not_null=True),
        _column("week_start", "DATE", "Monday of the week: conversations queued Monday..Sunday", not_null=True),
        _column("group_id", "BIGINT", "the group that finally held the conversation"),
        _column("group_name", "VARCHAR", "the group's name on its latest conversation of the period"),
        _column("protocol_id", "BIGINT", "the channel's id"),
        _column("protocol", "VARCHAR", "the channel (webchat, whatsapp, ...)"),
        _column("agent_id", "BIGINT", "the conversation's final agent", not_null=True),
        _column("agent_name", "VARCHAR", "the agent's name on their latest conversation of the period"),
        _column("offered", "BIGINT", "conversations that entered the queue (count)", not_null=True),
        _column("attended", "BIGINT", "offered conversations an agent took (count)", not_null=True),
        _column("lost", "BIGINT", "offered conversations with status lost (count)", not_null=True),
        _column("abandonment_rate", "DOUBLE", "lost / offered (percent)"),
        _column("sla_threshold_s", "INTEGER", "the group's SLA threshold that day (seconds)"),
        _column("within_sla", "BIGINT", "attended with wait_time <= threshold (count); NULL if a threshold is unknown"),
        _column("sla_pct", "DOUBLE", "within_sla / offered, lost count against it (percent)"),
        _column("wait_avg_s", "DOUBLE", "mean queue wait of attended conversations: speed of answer (seconds)"),
        _column("wait_p90_s", "DOUBLE", "90th percentile (quantile_cont) of attended conversations' wait (seconds)"),
        _column("first_response_avg_s", "DOUBLE", "mean agent start to first agent message (seconds)"),
        _column("first_response_p90_s", "DOUBLE", "90th percentile (quantile_cont) of first response time (seconds)"),
        _column("handle_time_avg_s", "DOUBLE", "session time / handled conversations (seconds)"),
        _column("transferred", "BIGINT", "conversations moved at least once, transfers > 0 (count)", not_null=True),
        _column("transfer_rate", "DOUBLE", "attended and transferred / attended (percent)"),
        _column("resolved", "BIGINT", "attended, closed and never transferred (count)", not_null=True),
        _column("resolution_rate", "DOUBLE", "resolved / attended (percent)"),
        _column("feedback_count", "BIGINT", "survey answers (count)", not_null=True),
        _column("csat_pct", "DOUBLE", "answers scoring 4 or 5 / answers (percent)"),
        _column("feedback_score_avg", "DOUBLE", "mean survey score (points, 1..5)"),
        _column("handled", "BIGINT", "conversations whose final agent is this agent (count)", not_null=True),
        _column("handled_hours", "DOUBLE", "session time of the handled conversations (hours)"),
        _column("concurrency_max", "INTEGER", "most chats held at one instant, over sessions [started_at, ended_at)"),
        _column("concurrency_avg", "DOUBLE", "session time / time holding at least one chat (chats)"),
        _column("span", "VARCHAR", "half_hour: one half hour of today; day_so_far: today from 00:00", not_null=True),
        _column("bucket_start", "TIMESTAMP", "half hour start; day_so_far: first half hour with chats", not_null=True),
        _column("bucket_end", "TIMESTAMP", "half hour end; day_so_far: end of the last one with chats", not_null=True),
        _column("as_of", "TIMESTAMP WITH TIME ZONE", "when today's conversations were read from the API (their load)"),
        _column("_bot", "VARCHAR", "the bot these rows describe (LiveApiResource.bot)", not_null=True),
        _column("_computed_at", "TIMESTAMP WITH TIME ZONE", "when this row was computed", not_null=True),
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
COMPUTED_AT_COLUMN: Final = "_computed_at"
_META: Final = ("_bot", COMPUTED_AT_COLUMN)


def joined(statements: list[str]) -> str:
    """Statements (file texts or one-liners) as one script, in order."""
    return ";\n".join(statement.strip().removesuffix(";") for statement in statements) + ";\n"


class Figures(enum.StrEnum):
    """Which KPI a table holds: the file in ``sql/`` that defines its figures for any grain."""

    SLA = "sla"
    AGENT = "agent"


# The temp view the figures files read: kpi_facts with the grain's period as `period` and its channel
# as `channel_id` (NULL when the table is not split by channel).
GRAIN_VIEW: Final = "kpi_grain"


@dataclass(frozen=True)
class KpiTable:
    """One KPI table: ``kpi.<name>``, asset key ``kpi/<name>``, figures from ``sql/<figures>.sql``."""

    name: str
    grain: Grain
    description: str
    column_names: tuple[str, ...]
    # The columns that identify a row, with ``_bot``: one row per value of these.
    key_columns: tuple[str, ...]
    # Raw tables read. Partitioned ones are mapped day to day (daily) or by the week's seven days (weekly).
    raw_sources: tuple[str, ...]
    figures: Figures
    # The raw table of conversations the facts are read from.
    conversations: str = "conversations"

    @property
    def asset_key_path(self) -> list[str]:
        return [KPI_SCHEMA, self.name]

    @property
    def qualified_table(self) -> str:
        return f"{KPI_SCHEMA}.{self.name}"

    @property
    def period_column(self) -> str:
        return "week_start" if self.grain is Grain.WEEKLY else "day"

    @property
    def columns(self) -> tuple[KpiColumn, ...]:
        return tuple(COLUMNS[name] for name in self.column_names)

    def create_statements(self) -> list[str]:
        body = ",\n    ".join(f"{c.name} {c.sql_type}{' NOT NULL' if c.not_null else ''}" for c in self.columns)
        return [
            f"CREATE SCHEMA IF NOT EXISTS {KPI_SCHEMA}",
            f"CREATE TABLE IF NOT EXISTS {self.qualified_table} (\n    {body}\n)",
        ]

    def rows_statement(self) -> str:
        """The bot's rows of the periods starting ``$first_day..$last_day`` (what the checks read)."""
        return (
            f"SELECT * FROM {self.qualified_table} "
            f"WHERE _bot = $bot AND {self.period_column} BETWEEN $first_day AND $last_day"
        )

    @property
    def period_expression(self) -> str:
        """The column of kpi_facts that is the grain's period (kpi.sla_intraday's first grain: half hours)."""
        return {Grain.DAILY: "day", Grain.WEEKLY: "week_start", Grain.INTRADAY: "half_hour"}[self.grain]

    def _replace(self) -> list[str]:
        """Once the figures view exists, the statements that replace the rows and return them."""
        if self.grain is Grain.INTRADAY:
            return [queries.read_sql(KPI_PACKAGE, f"{self.name}.sql")]
        figures = [name for name in self.column_names if name not in (self.period_column, *_META)]
        # What was written is read back by a SELECT: DuckLake has no INSERT ... RETURNING.
        return [
            f"DELETE FROM {self.qualified_table} "
            f"WHERE _bot = $bot AND {self.period_column} BETWEEN $first_day AND $last_day",
            f"INSERT INTO {self.qualified_table} BY NAME SELECT period AS {self.period_column}, {', '.join(figures)}, "
            "$bot AS _bot, CAST($computed_at AS TIMESTAMP WITH TIME ZONE) AS _computed_at "
            f"FROM kpi_{self.figures}_figures",
            f"{self.rows_statement()} ORDER BY {', '.join(self.key_columns)}",
        ]

    def script(self) -> str:
        """Every statement of a refresh, in order: the last one returns the rows written."""
        channel = "protocol_id" if "protocol_id" in self.key_columns else "NULL"
        statements = [
            f"CREATE OR REPLACE TEMP VIEW kpi_conversations AS SELECT * FROM raw.{self.conversations}",
            queries.read_sql(KPI_PACKAGE, FACTS_SQL),
            *self.create_statements(),
            f"CREATE OR REPLACE TEMP VIEW {GRAIN_VIEW} AS "
            f"SELECT *, {self.period_expression} AS period, {channel} AS channel_id FROM kpi_facts",
            queries.read_sql(KPI_PACKAGE, f"{self.figures}.sql"),
            *self._replace(),
        ]
        return joined(statements)

    @property
    def code_version(self) -> str:
        """Changes whenever the table's SQL does (its files or its definition): the UI then flags stale partitions."""
        return queries.fingerprint([self.script()])


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
    figures=Figures.SLA,
)
SLA_WEEKLY: Final = KpiTable(
    name="sla_weekly",
    grain=Grain.WEEKLY,
    description="Service level per week (Monday..Sunday) and group, recomputed from the week's conversations.",
    column_names=("week_start", "group_id", "group_name", *_SLA_METRICS, *_META),
    key_columns=("week_start", "group_id"),
    raw_sources=FACTS_SOURCES,
    figures=Figures.SLA,
)
AGENT_DAILY: Final = KpiTable(
    name="agent_daily",
    grain=Grain.DAILY,
    description="Agent performance per day: handled volume and hours, handle and response times, outcomes, "
    "CSAT and chat concurrency.",
    column_names=("day", "agent_id", "agent_name", *_AGENT_METRICS, *_META),
    key_columns=("day", "agent_id"),
    raw_sources=FACTS_SOURCES,
    figures=Figures.AGENT,
)
AGENT_WEEKLY: Final = KpiTable(
    name="agent_weekly",
    grain=Grain.WEEKLY,
    description="Agent performance per week (Monday..Sunday), recomputed from the week's conversations.",
    column_names=("week_start", "agent_id", "agent_name", *_AGENT_METRICS, *_META),
    key_columns=("week_start", "agent_id"),
    raw_sources=FACTS_SOURCES,
    figures=Figures.AGENT,
)

KPI_TABLES: Final[tuple[KpiTable, ...]] = (SLA_DAILY, AGENT_DAILY, SLA_WEEKLY, AGENT_WEEKLY)

# Today so far, per half hour and per day, replaced whole at each refresh (it keeps the current day only;
# once the day is final, kpi.sla_daily holds its figures). Thresholds: raw.groups (the SLA endpoint's
# rows of a day arrive with the daily raw job).
SLA_INTRADAY: Final = KpiTable(
    name="sla_intraday",
    grain=Grain.INTRADAY,
    description=(
        "Today's service level so far, per half hour and group (span half_hour) and for the day so far per "
        "group (span day_so_far), as of the latest intraday refresh. Holds the current day only: once the "
        "day is final, kpi.sla_daily replaces these provisional figures."
    ),
    column_names=(
        "day",
        "span",
        "bucket_start",
        "bucket_end",
        "group_id",
        "group_name",
        *_SLA_METRICS,
        "as_of",
        *_META,
    ),
    key_columns=("span", "bucket_start", "group_id"),
    raw_sources=("conversations_today",),
    figures=Figures.SLA,
    conversations="conversations_today",
)


def group_day_figures_script() -> str:
    """The SLA figures of each day of ``$first_day..$last_day`` and group of the bot, over every channel
    (kpi.sla_daily splits them by channel, and a p90 does not add up), by the same ``sla.sql``; with
    ``bucket_start``/``bucket_end`` the first and last half hour with conversations (what ``targets_met``
    judges on a final day)."""
    statements = [
        "CREATE OR REPLACE TEMP VIEW kpi_conversations AS SELECT * FROM raw.conversations",
        queries.read_sql(KPI_PACKAGE, FACTS_SQL),
        f"CREATE OR REPLACE TEMP VIEW {GRAIN_VIEW} AS SELECT *, day AS period, NULL AS channel_id FROM kpi_facts",
        queries.read_sql(KPI_PACKAGE, f"{Figures.SLA}.sql"),
        "SELECT period AS day, first_half_hour AS bucket_start, last_half_hour + INTERVAL 30 MINUTE AS bucket_end, "
        "* EXCLUDE (period), $bot AS _bot FROM kpi_sla_figures ORDER BY day, group_id",
    ]
    return joined(statements)
