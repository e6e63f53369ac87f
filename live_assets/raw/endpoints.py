"""The endpoint registry: every Live endpoint described once, as data.

An entry says where an endpoint lives, which parameters it takes, how a span of days is cut into
requests, how its rows are partitioned, which table they land in and how each column is read from
the response. The raw assets, their table DDL, the load SQL and the column schema shown in the
Dagster UI are all generated from these entries, so adding an endpoint is one entry (and one test).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from live_assets import contract
from live_assets.contract import Frequency, MaxRange, Path
from live_assets.privacy.classes import PersonalData


class Partitioning(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"  # dimension lists, refreshed whole
    TODAY = "today"  # the day so far, re-read whole at each refresh; only the current day is kept


class BodyShape(enum.StrEnum):
    """How rows sit in a response body."""

    ARRAY = "array"  # a JSON array, one row per element
    OBJECT = "object"  # one JSON object, one row
    ITEMS = "items"  # a JSON object whose ``items`` array holds the rows
    DETAIL_MESSAGES = "detail_messages"  # one detail body per line; one row per message
    CSV_EXPORT = "csv_export"  # the translated CSV export

    @property
    def file_extension(self) -> str:
        """The landing file's extension (before ``.zst``)."""
        return {BodyShape.CSV_EXPORT: "csv", BodyShape.DETAIL_MESSAGES: "jsonl"}.get(self, "json")


class DayRule(enum.StrEnum):
    """How a row finds the partition day it belongs to."""

    REQUEST = "request"  # the request covers exactly one partition: its first day
    COLUMN = "column"  # the date of one of the row's own timestamp columns
    CONVERSATION = "conversation"  # the partition day of its conversation in raw.conversations


@dataclass(frozen=True)
class Column:
    """One column of a raw table: its name, DuckDB type, and where it comes from in the response.

    ``source`` is a JSON path for JSON bodies (``$.group.id``) and the export's snake_case column
    name for the CSV export. ``description`` shows in the Dagster UI's column schema. ``personal`` is
    the class of personal data the column holds, if any: ``LIVE_PII`` (``live_assets.privacy``) hashes
    or drops it before the response is landed.
    """

    name: str
    sql_type: str
    source: str
    description: str = ""
    personal: PersonalData | None = None


@dataclass(frozen=True)
class WindowRule:
    """How a span of partition days is cut into requests (see ``client.windows.plan_windows``).

    ``max_range`` None means one request may cover any range; ``per_unit`` asks one request per
    unit because the endpoint aggregates its whole range into each row.
    """

    max_range: MaxRange | None
    unit_days: int = 1
    per_unit: bool = False


@dataclass(frozen=True)
class ChildRequests:
    """A child endpoint: one request per row of a parent table that the child table does not hold yet,
    the row's id sent as a parameter (the conversation details: one per conversation)."""

    parent: str
    id_column: str
    parameter: str


@dataclass(frozen=True)
class EndpointSpec:
    table: str
    path: Path
    description: str
    columns: tuple[Column, ...]
    partitioning: Partitioning
    body: BodyShape = BodyShape.ARRAY
    window: WindowRule | None = None
    frequency: Frequency | None = None
    takes_lang: bool = False
    day_rule: DayRule = DayRule.REQUEST
    day_column: str | None = None
    upstream: tuple[str, ...] = ()
    # Read by the KPI assets (``kpis.tables``): such a raw asset goes first in its step, so that a
    # backfill's KPI runs start while the step's other raw assets are still loading.
    feeds_kpis: bool = False
    # Asked once per parent row instead of by date windows.
    children_of: ChildRequests | None = None
    # Fetched in a step of its own, after the step that loads its parents (the conversations it asks about).
    own_step: bool = False
    # The columns that identify a row: a re-read's changes (``raw/changes.py``) are counted by it. Empty:
    # rows are compared whole, as multisets (a changed row counts as one removed and one added).
    key: tuple[str, ...] = ()
    # Bump when the table's columns or the way rows are read change: Dagster then flags the
    # materialized partitions as stale in the UI.
    code_version: str = "1"

    @property
    def asset_key_path(self) -> list[str]:
        return ["raw", self.table]

    @property
    def qualified_table(self) -> str:
        return f"raw.{self.table}"

    def request_params(self, export_lang: str) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.frequency is not None:
            params["frequency"] = self.frequency.value
        if self.takes_lang:
            params["lang"] = export_lang
        return params


def _id(name: str, source: str, description: str = "") -> Column:
    return Column(name, "BIGINT", source, description)


def _text(name: str, source: str, description: str = "", personal: PersonalData | None = None) -> Column:
    return Column(name, "VARCHAR", source, description, personal)


def _int(name: str, source: str, description: str = "") -> Column:
    return Column(name, "INTEGER", source, description)


def _num(name: str, source: str, description: str = "") -> Column:
    return Column(name, "DOUBLE", source, description)


def _time(name: str, source: str, description: str = "") -> Column:
    return Column(name, "TIMESTAMP", source, description)


def _json(name: str, source: str, description: str = "") -> Column:
    return Column(name, "JSON", source, description)


CONVERSATION_COLUMNS: Final = (
    _id("conversation_id", "$.conversation_id", "unique per bot"),
    _id("bot_id", "$.bot_id"),
    _time("queued_at", "$.queueddatetime", "when the user entered the queue (bot's wall clock)"),
    _time("started_at", "$.startdatetime", "when an agent took it; NULL if none ever did"),
    _time("ended_at", "$.enddatetime"),
    _int("wait_time", "$.wait_time", "seconds from queue entry to agent start, or to abandonment"),
    _int("session_time", "$.session_time", "seconds from agent start to end; 0 when lost"),
    _int("first_response_time", "$.first_response_time", "seconds from agent start to first agent message"),
    _text("status", "$.status", "closed or lost"),
    _int("transfers", "$.transfers", "times moved to another agent or group"),
    _id("group_id", "$.group.id", "the group that finally held it"),
    _text("group_name", "$.group.name"),
    _text("group_description", "$.group.description"),
    _id("protocol_id", "$.protocol.id", "the channel"),
    _text("protocol_name", "$.protocol.name"),
    _text("user_id", "$.user.id"),
    _text("user_first_name", "$.user.first_name", personal=PersonalData.USER_NAME),
    _text("user_last_name", "$.user.last_name", personal=PersonalData.USER_NAME),
    _text("user_phone", "$.user.phone", personal=PersonalData.PHONE),
    _time("user_created_at", "$.user.created_at"),
    _json("user_extra_information", "$.user.extra_information", "free JSON object"),
    _id("agent_id", "$.agent.id", "the last agent; NULL when lost"),
    _text("agent_name", "$.agent.name", personal=PersonalData.AGENT_NAME),
    _text("agent_nick_name", "$.agent.nick_name", personal=PersonalData.AGENT_NAME),
    _text("agent_email", "$.agent.email", personal=PersonalData.AGENT_EMAIL),
    _text("agent_picture", "$.agent.picture"),
    _id("reason_id", "$.reason.id", "close reason"),
    _text("reason_description", "$.reason.description"),
    _id("feedback_id", "$.feedback.id"),
    _text("feedback_name", "$.feedback.name"),
    _int("feedback_value", "$.feedback.value", "survey answer, 1..5"),
    _id("closed_by_id", "$.closed_by.id"),
    _text("closed_by_name", "$.closed_by.name", "agent, user or system"),
    _text("location_id", "$.location.id"),
    _text("location_city", "$.location.city", personal=PersonalData.LOCATION),
    _text("location_country", "$.location.country", personal=PersonalData.LOCATION),
    _text("location_ip", "$.location.ip", personal=PersonalData.IP),
    _text("platform_id", "$.platform.id"),
    _text("platform_name", "$.platform.name"),
    _text("platform_version", "$.platform.version"),
    _text("browser_id", "$.browser.id"),
    _text("browser_name", "$.browser.name"),
    _text("browser_version", "$.browser.version"),
)

SUMMARY_COLUMNS: Final = (
    _time("period", "$.period", "bucket start"),
    _id("group_id", "$.group.id"),
    _text("group_name", "$.group.name"),
    _id("protocol_id", "$.protocol.id"),
    _text("protocol_name", "$.protocol.name"),
    _int("total", "$.total"),
    _int("closed", "$.closed"),
    _int("lost", "$.lost"),
    _int("transferred", "$.transferred"),
    _num("avg_wait_time", "$.avg_wait_time", "seconds"),
    _num("avg_first_response_time", "$.avg_first_response_time", "seconds"),
    _num("avg_session_time", "$.avg_session_time", "seconds"),
    _num("completion_rate", "$.completion_rate", "percent"),
    _num("feedback_avg", "$.feedback_avg"),
    _int("feedback_count", "$.feedback_count"),
    _num("sla_percentage", "$.sla_percentage", "percent"),
)

# Endpoints whose rows carry their own time fetch as much as one request may hold; the vendor
# recommends 7 days where it sets no limit.
ROWS_WINDOW: Final = WindowRule(max_range=contract.SEVEN_DAYS)
PER_DAY: Final = WindowRule(max_range=None, per_unit=True)


def _frequency_window(frequency: Frequency, unit_days: int = 1) -> WindowRule:
    return WindowRule(max_range=contract.MAX_RANGE_BY_FREQUENCY[frequency], unit_days=unit_days)


ENDPOINTS: Final[tuple[EndpointSpec, ...]] = (
    EndpointSpec(
        table="conversations",
        key=("conversation_id",),
        feeds_kpis=True,
        path=Path.CONVERSATION_LIST,
        description="Every conversation, one row each, from the conversation list.",
        columns=CONVERSATION_COLUMNS,
        partitioning=Partitioning.DAILY,
        window=ROWS_WINDOW,
        day_rule=DayRule.COLUMN,
        day_column="queued_at",
    ),
    EndpointSpec(
        table="conversation_messages",
        key=("message_id",),
        path=Path.CONVERSATION_DETAIL,
        description=(
            "Every message of every conversation (what the user typed and every answer), from the "
            "conversation detail; only conversations not held yet are fetched."
        ),
        columns=(
            _id("conversation_id", "$.conversation_id"),
            _id("message_id", "$.id"),
            _text("sender", "$.sender", "user, agent, bot or system"),
            _id("agent_id", "$.agent_id"),
            _text("text", "$.text", personal=PersonalData.MESSAGE_TEXT),
            _time("created_at", "$.created_at"),
        ),
        partitioning=Partitioning.DAILY,
        body=BodyShape.DETAIL_MESSAGES,
        day_rule=DayRule.CONVERSATION,
        upstream=("conversations",),
        children_of=ChildRequests(parent="conversations", id_column="conversation_id", parameter="conversation_id"),
        own_step=True,
    ),
    EndpointSpec(
        table="conversation_stats",
        path=Path.CONVERSATION_STATS,
        description="Aggregate conversation statistics, one row per day.",
        columns=(
            _int("total", "$.total"),
            _int("attended", "$.attended"),
            _int("closed", "$.closed"),
            _int("lost", "$.lost"),
            _int("transferred", "$.transferred"),
            _num("avg_wait_time", "$.avg_wait_time", "seconds"),
            _num("avg_first_response_time", "$.avg_first_response_time", "seconds"),
            _num("avg_session_time", "$.avg_session_time", "seconds"),
            _num("feedback_avg", "$.feedback_avg"),
            _int("feedback_count", "$.feedback_count"),
        ),
        partitioning=Partitioning.DAILY,
        body=BodyShape.OBJECT,
        window=PER_DAY,
    ),
    EndpointSpec(
        table="sla_by_group",
        feeds_kpis=True,
        path=Path.CONVERSATION_SLA,
        description="SLA compliance per group, one row per day and group.",
        columns=(
            _id("group_id", "$.group.id"),
            _text("group_name", "$.group.name"),
            _int("sla_threshold", "$.sla_threshold", "seconds"),
            _int("total", "$.total"),
            _int("attended", "$.attended"),
            _int("lost", "$.lost"),
            _int("within_sla", "$.within_sla"),
            _int("out_of_sla", "$.out_of_sla"),
            _num("sla_percentage", "$.sla_percentage", "percent of total; NULL when total is 0"),
        ),
        partitioning=Partitioning.DAILY,
        window=PER_DAY,
    ),
    EndpointSpec(
        table="histogram",
        path=Path.HISTOGRAM,
        description="Conversations per half hour, empty buckets included.",
        columns=(
            _time("period", "$.period", "bucket start"),
            _int("total", "$.total"),
            _int("closed", "$.closed"),
            _int("lost", "$.lost"),
            _int("transfers", "$.transfers", "sum of transfers"),
            _int("active_agents", "$.active_agents"),
        ),
        partitioning=Partitioning.DAILY,
        window=_frequency_window(Frequency.HALF_HOUR),
        frequency=Frequency.HALF_HOUR,
        day_rule=DayRule.COLUMN,
        day_column="period",
    ),
    EndpointSpec(
        table="summary",
        path=Path.SUMMARY,
        description="Hourly summary per group and protocol.",
        columns=SUMMARY_COLUMNS,
        partitioning=Partitioning.DAILY,
        window=_frequency_window(Frequency.HOUR),
        frequency=Frequency.HOUR,
        day_rule=DayRule.COLUMN,
        day_column="period",
    ),
    EndpointSpec(
        table="agent_performance",
        path=Path.AGENT_PERFORMANCE,
        description="Agent performance, one row per day and active agent.",
        columns=(
            _id("agent_id", "$.agent.id"),
            _text("agent_name", "$.agent.name", personal=PersonalData.AGENT_NAME),
            _text("agent_nick_name", "$.agent.nick_name", personal=PersonalData.AGENT_NAME),
            _text("agent_email", "$.agent.email", personal=PersonalData.AGENT_EMAIL),
            _int("conversations", "$.conversations"),
            _int("closed", "$.closed"),
            _int("transferred", "$.transferred"),
            _num("avg_first_response_time", "$.avg_first_response_time", "seconds"),
            _num("avg_session_time", "$.avg_session_time", "seconds"),
            _int("total_session_time", "$.total_session_time", "seconds"),
            _int("max_concurrent", "$.max_concurrent"),
            _num("feedback_avg", "$.feedback_avg"),
            _int("feedback_count", "$.feedback_count"),
        ),
        partitioning=Partitioning.DAILY,
        window=PER_DAY,
    ),
    EndpointSpec(
        table="feedback",
        key=("conversation_id",),
        path=Path.FEEDBACK,
        description="Survey answers, one row each, in the partition of their conversation.",
        columns=(
            _id("conversation_id", "$.conversation_id"),
            _id("agent_id", "$.agent_id"),
            _int("value", "$.value", "1..5"),
            _text("comment", "$.comment", personal=PersonalData.SURVEY_COMMENT),
            _time("created_at", "$.created_at"),
        ),
        partitioning=Partitioning.DAILY,
        body=BodyShape.ITEMS,
        window=ROWS_WINDOW,
        day_rule=DayRule.CONVERSATION,
        upstream=("conversations",),
    ),
    EndpointSpec(
        table="export_conversations",
        key=("conversation_id",),
        path=Path.EXPORT_SIMPLE,
        description="The CSV export, one row per conversation, headers mapped from any language.",
        columns=(
            _id("conversation_id", "conversation_id"),
            _time("queued_at", "queued_at"),
            _time("started_at", "started_at"),
            _time("ended_at", "ended_at"),
            _int("wait_time", "wait_time", "seconds"),
            _int("session_time", "session_time", "seconds"),
            _int("first_response_time", "first_response_time", "seconds"),
            _text("status", "status", "closed or lost, whatever the export language"),
            _int("transfers", "transfers"),
            _text("group_name", "group"),
            _text("protocol_name", "protocol"),
            _text("agent_name", "agent", personal=PersonalData.AGENT_NAME),
            _text("agent_email", "agent_email", personal=PersonalData.AGENT_EMAIL),
            _text("user_name", "user_name", personal=PersonalData.USER_NAME),
            _text("closed_by", "closed_by"),
            _text("close_reason", "close_reason"),
            _int("feedback", "feedback"),
            _text("comment", "comment", personal=PersonalData.SURVEY_COMMENT),
            _text("city", "city", personal=PersonalData.LOCATION),
            _text("country", "country", personal=PersonalData.LOCATION),
        ),
        partitioning=Partitioning.DAILY,
        body=BodyShape.CSV_EXPORT,
        window=ROWS_WINDOW,
        takes_lang=True,
        day_rule=DayRule.COLUMN,
        day_column="queued_at",
    ),
    EndpointSpec(
        table="summary_weekly",
        path=Path.SUMMARY,
        description="Weekly summary per group and protocol (weeks start on Monday).",
        columns=SUMMARY_COLUMNS,
        partitioning=Partitioning.WEEKLY,
        window=_frequency_window(Frequency.WEEK, unit_days=7),
        frequency=Frequency.WEEK,
        day_rule=DayRule.COLUMN,
        day_column="period",
    ),
    EndpointSpec(
        table="conversations_today",
        key=("conversation_id",),
        path=Path.CONVERSATION_LIST,
        description=(
            "Today's conversations so far (bot's time zone), re-read whole at each intraday refresh; the "
            "table holds the current day only. Provisional: the daily `raw/conversations` replaces them once "
            "the day is final."
        ),
        columns=CONVERSATION_COLUMNS,
        partitioning=Partitioning.TODAY,
        window=ROWS_WINDOW,
        day_rule=DayRule.COLUMN,
        day_column="queued_at",
    ),
    EndpointSpec(
        table="agents",
        key=("id",),
        path=Path.AGENTS,
        description="The bot's agents.",
        columns=(
            _id("id", "$.id"),
            _text("name", "$.name", personal=PersonalData.AGENT_NAME),
            _text("nick_name", "$.nick_name", personal=PersonalData.AGENT_NAME),
            _text("email", "$.email", personal=PersonalData.AGENT_EMAIL),
            _int("max_concurrent_chats", "$.max_concurrent_chats"),
        ),
        partitioning=Partitioning.NONE,
    ),
    EndpointSpec(
        table="groups",
        key=("id",),
        feeds_kpis=True,
        path=Path.GROUPS,
        description="The bot's groups and their SLA thresholds.",
        columns=(
            _id("id", "$.id"),
            _text("name", "$.name"),
            _text("description", "$.description"),
            _int("sla_threshold", "$.sla_threshold", "seconds"),
        ),
        partitioning=Partitioning.NONE,
    ),
)

ENDPOINTS_BY_TABLE: Final[Mapping[str, EndpointSpec]] = {spec.table: spec for spec in ENDPOINTS}


def endpoint_of_asset(asset_key_path: Sequence[str]) -> EndpointSpec | None:
    """The registry entry of the raw asset at ``asset_key_path`` (``["raw", "groups"]``); None for other assets."""
    spec = ENDPOINTS_BY_TABLE.get(asset_key_path[-1]) if asset_key_path else None
    return spec if spec is not None and spec.asset_key_path == list(asset_key_path) else None
