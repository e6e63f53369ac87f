"""What the report shows, read from the warehouse alone (no API call): the KPI tables for a period, the
time of day from the histogram and the hourly summary, the alerts, and the tables' completeness.

Counts come from the KPI tables and every rate is rebuilt from counts, so a figure for several rows
(a week, all groups) is exact. Percentiles and the agents' mean first response do not add up; those
few are read from the conversations with the KPI tables' own definitions (``sql/waits.sql``,
``sql/agents.sql``), which for a whole week give the weekly tables' values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from live_assets.kpis import queries
from live_assets.monitor.alerts import ALERTS_TABLE
from live_assets.monitor.targets import GroupTargets, Targets
from live_assets.monitor.verdict_table import VERDICTS_TABLE, Span, StoredVerdict, read_verdicts
from live_assets.report.completeness import CheckOutcome, TableCompleteness, read_completeness
from live_assets.report.period import Period
from live_assets.warehouse import Warehouse

REPORT_PACKAGE = "live_assets.report"
WORST_HOURS = 3


def ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else 100.0 * part / whole


@dataclass(frozen=True)
class Figures:
    """One group's, one channel's or all groups' figures for the period (counts, rates rebuilt from them)."""

    key: int | None
    name: str
    offered: int
    attended: int
    lost: int
    within_sla: int | None
    feedback_count: int
    feedback_positive: int
    wait_p90_s: float | None = None

    @property
    def sla_pct(self) -> float | None:
        return ratio(self.within_sla, self.offered)

    @property
    def abandonment_pct(self) -> float | None:
        return ratio(self.lost, self.offered)

    @property
    def csat_pct(self) -> float | None:
        return ratio(self.feedback_positive, self.feedback_count)

    def value(self, metric: str) -> float | None:
        return {"sla_pct_min": self.sla_pct, "abandonment_pct_max": self.abandonment_pct,
                "wait_p90_s_max": self.wait_p90_s}[metric]  # fmt: skip


def total_of(rows: Sequence[Figures], name: str, wait_p90_s: float | None) -> Figures:
    within = [row.within_sla for row in rows]
    return Figures(
        key=None,
        name=name,
        offered=sum(row.offered for row in rows),
        attended=sum(row.attended for row in rows),
        lost=sum(row.lost for row in rows),
        within_sla=None if any(w is None for w in within) else sum(w or 0 for w in within),
        feedback_count=sum(row.feedback_count for row in rows),
        feedback_positive=sum(row.feedback_positive for row in rows),
        wait_p90_s=wait_p90_s,
    )


@dataclass(frozen=True)
class DailySeries:
    """The SLA % of one group or channel on each day of the period (None: no conversation that day)."""

    key: int | None
    name: str
    sla_pct: tuple[float | None, ...]


@dataclass(frozen=True)
class Slot:
    """One half hour of the day: offered conversations averaged over the profile's days, and its hour's SLA %."""

    start: dt.time
    offered_avg: float
    hour_sla_pct: float | None
    worst: bool


@dataclass(frozen=True)
class AgentFigures:
    agent_id: int
    name: str
    handled: int
    handled_hours: float | None
    transferred: int
    feedback_count: int
    feedback_positive: int
    first_response_avg_s: float | None

    @property
    def csat_pct(self) -> float | None:
        return ratio(self.feedback_positive, self.feedback_count)

    @property
    def transfer_pct(self) -> float | None:
        return ratio(self.transferred, self.handled)


@dataclass(frozen=True)
class Alert:
    group: str
    metric: str
    value: float | None
    target: float | None
    window: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    notified_at: dt.datetime | None
    resolved_notified_at: dt.datetime | None


@dataclass
class ReportData:
    """Everything the page draws, for one bot and one period."""

    bot: str
    period: Period
    timezone: str
    bot_targets: GroupTargets
    groups: list[Figures] = field(default_factory=list)
    group_targets: dict[int | None, GroupTargets] = field(default_factory=dict)
    total: Figures | None = None
    previous: Figures | None = None
    channels: list[Figures] = field(default_factory=list)
    daily_groups: list[DailySeries] = field(default_factory=list)
    daily_channels: list[DailySeries] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    profile_days: int = 0
    profile_weekdays_only: bool = True
    agents: list[AgentFigures] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    day_verdicts: list[StoredVerdict] = field(default_factory=list)  # monitor.verdicts of the final days
    completeness: list[TableCompleteness] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def empty(self) -> bool:
        return self.total is None or self.total.offered == 0


class _Reader:
    """Runs the report's SQL files for one bot on one connection."""

    def __init__(self, connection: Any, bot: str) -> None:
        self.connection = connection
        self.bot = bot
        present = queries.run_script(connection, queries.read_sql(REPORT_PACKAGE, "tables_present.sql"), {})
        self.tables = {name for (name,) in present.rows}

    def has(self, *tables: str) -> bool:
        return set(tables) <= self.tables

    def rows(self, sql_file: str, period: Period | None = None, **parameters: object) -> list[dict[str, Any]]:
        values: dict[str, object] = {"bot": self.bot, **parameters}
        if period is not None:
            values |= {"first_day": period.first, "last_day": period.last}
        result = queries.run_script(self.connection, queries.read_sql(REPORT_PACKAGE, sql_file), values)
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _figures(row: Mapping[str, Any], fallback: str) -> Figures:
    return Figures(
        key=row["id"],
        name=row["name"] or f"{fallback} {row['id']}",
        offered=int(row["offered"]),
        attended=int(row["attended"]),
        lost=int(row["lost"]),
        within_sla=None if row["within_sla"] is None else int(row["within_sla"]),
        feedback_count=int(row["feedback_count"]),
        feedback_positive=int(row["feedback_positive"]),
    )


def _period_groups(reader: _Reader, period: Period, total_name: str) -> tuple[list[Figures], Figures | None]:
    if not reader.has("kpi.sla_daily"):
        return [], None
    rows = reader.rows("groups.sql", period, by_channel=False)
    if not rows:
        return [], None
    waits: dict[int | None, float | None] = {}
    total_wait = None
    if reader.has("raw.conversations"):
        for row in reader.rows("waits.sql", period):
            if row["all_groups"]:
                total_wait = row["wait_p90_s"]
            else:
                waits[row["group_id"]] = row["wait_p90_s"]
    groups = [dataclasses.replace(_figures(row, "group"), wait_p90_s=waits.get(row["id"])) for row in rows]
    return groups, total_of(groups, total_name, total_wait)


def _daily(reader: _Reader, period: Period, by_channel: bool, fallback: str) -> list[DailySeries]:
    index = {day: position for position, day in enumerate(period.dates())}
    values: dict[int | None, list[float | None]] = {}
    names: dict[int | None, str] = {}
    for row in reader.rows("daily_sla.sql", period, by_channel=by_channel):
        series = values.setdefault(row["id"], [None] * period.days)
        series[index[row["day"]]] = ratio(row["within_sla"], row["offered"])
        names[row["id"]] = row["name"] or f"{fallback} {row['id']}"
    return [DailySeries(key, names[key], tuple(series)) for key, series in values.items()]


def _profile(reader: _Reader, data: ReportData) -> None:
    """Offered per half hour and SLA % per hour, over the period's weekdays (all its days if it has none)."""
    days = data.period.weekdays()
    data.profile_weekdays_only = bool(days)
    days = days or data.period.dates()
    if not reader.has("raw.histogram"):
        return
    half_hours = reader.rows("half_hours.sql", days=days)
    counted = max((int(row["days"]) for row in half_hours), default=0)
    data.profile_days = counted
    if not counted or not any(row["offered"] for row in half_hours):
        return
    hours: dict[int, tuple[int, int | None]] = {}
    if reader.has("raw.summary"):
        for row in reader.rows("hours_sla.sql", days=days):
            within = None if row["within_sla"] is None else int(row["within_sla"])
            hours[int(row["hour"])] = (int(row["offered"]), within)
    minimum = data.bot_targets.min_offered
    judged = sorted(
        (ratio(within, offered), hour)
        for hour, (offered, within) in hours.items()
        if within is not None and offered >= minimum
    )
    worst = {hour for _, hour in judged[:WORST_HOURS]}
    busy = [row for row in half_hours if row["offered"]]
    first_hour, last_hour = busy[0]["slot"].hour, busy[-1]["slot"].hour
    by_slot = {row["slot"]: int(row["offered"]) for row in half_hours}
    for hour in range(first_hour, last_hour + 1):
        offered, within = hours.get(hour, (0, None))
        for minute in (0, 30):
            start = dt.time(hour, minute)
            data.slots.append(Slot(start, by_slot.get(start, 0) / counted, ratio(within, offered), hour in worst))


def _agents(reader: _Reader, period: Period) -> list[AgentFigures]:
    if not reader.has("kpi.agent_daily", "raw.conversations"):
        return []
    return [
        AgentFigures(
            agent_id=row["agent_id"],
            name=row["agent_name"] or f"agent {row['agent_id']}",
            handled=int(row["handled"]),
            handled_hours=row["handled_hours"],
            transferred=int(row["transferred"]),
            feedback_count=int(row["feedback_count"]),
            feedback_positive=int(row["feedback_positive"]),
            first_response_avg_s=row["first_response_avg_s"],
        )
        for row in reader.rows("agents.sql", period)
    ]


def _alerts(reader: _Reader, period: Period, zone: ZoneInfo) -> list[Alert]:
    if not reader.has(ALERTS_TABLE):
        return []
    start = dt.datetime.combine(period.first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), tzinfo=zone)

    def local(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(zone)

    alerts = []
    for row in reader.rows("alerts.sql", period_start=start, period_end=end):
        opened = local(row["opened_at"])
        assert opened is not None
        alerts.append(
            Alert(
                group=str(row.get("group_name") or row.get("group") or row.get("group_id")),
                metric=str(row["metric"]),
                value=row["value"],
                target=row["target"],
                window=str(row["window"] or ""),
                opened_at=opened,
                resolved_at=local(row["resolved_at"]),
                notified_at=local(row["notified_at"]),
                resolved_notified_at=local(row["resolved_notified_at"]),
            )
        )
    return alerts


def load_report(
    warehouse: Warehouse,
    period: Period,
    bot: str,
    *,
    targets: Targets,
    timezone: str,
    total_name: str = "All groups",
    checks: Sequence[CheckOutcome] = (),
) -> ReportData:
    """Read every section of ``bot``'s report for ``period``; a table not in the warehouse leaves its section empty."""
    data = ReportData(
        bot=bot, period=period, timezone=timezone, bot_targets=targets.for_group(bot, None, None), checks=list(checks)
    )
    with warehouse.connect() as connection:
        reader = _Reader(connection, bot)
        data.groups, data.total = _period_groups(reader, period, total_name)
        data.previous = _period_groups(reader, period.previous(), total_name)[1]
        data.group_targets = {g.key: targets.for_group(bot, g.key, g.name) for g in data.groups}
        if reader.has("kpi.sla_daily"):
            channels = [_figures(row, "channel") for row in reader.rows("groups.sql", period, by_channel=True)]
            data.channels = sorted(channels, key=lambda channel: -channel.offered)
            data.daily_groups = _daily(reader, period, by_channel=False, fallback="group")
            data.daily_channels = _daily(reader, period, by_channel=True, fallback="channel")
        _profile(reader, data)
        data.agents = _agents(reader, period)
        data.alerts = _alerts(reader, period, ZoneInfo(timezone))
        if reader.has(VERDICTS_TABLE):
            data.day_verdicts = read_verdicts(
                reader.connection, bot=bot, span=Span.DAY, first_day=period.first, last_day=period.last
            )
        data.completeness = read_completeness(reader.connection, reader.tables, bot, period)
    data.daily_groups.sort(key=lambda series: [g.key for g in data.groups].index(series.key))
    return data
