"""What the report shows, read from the warehouse: the KPI tables for a period, and waits from raw rows.

"The last week" is the latest whole week (Monday..Sunday) inside the report's days, read from the
weekly KPI tables, whose percentiles are true percentiles of the week. When the days hold no whole
week (a 2-day demo), the period is the last seven days or fewer, summed from the daily tables; only
what adds up exactly is shown then (counts, rates rebuilt from counts, means weighted by their
counts), and the 90th percentiles are left empty rather than averaged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from live_assets.launch.days import DayRange
from live_assets.warehouse import Warehouse

WAIT_STEPS_SECONDS = (5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)
HISTOGRAM_BUCKETS = 12


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    weekly: bool

    @property
    def label(self) -> str:
        if self.weekly:
            return f"week of {self.first.isoformat()} (Monday to Sunday {self.last.isoformat()})"
        days = (self.last - self.first).days + 1
        return f"{self.first.isoformat()} to {self.last.isoformat()} ({days} day{'s' if days != 1 else ''})"


@dataclass(frozen=True)
class SlaRow:
    group: str
    offered: int
    attended: int
    lost: int
    within_sla: int | None
    wait_avg_s: float | None
    wait_p90_s: float | None
    feedback_count: int
    csat_pct: float | None
    sla_threshold_s: int | None = None

    @property
    def abandonment_rate(self) -> float | None:
        return 100.0 * self.lost / self.offered if self.offered else None

    @property
    def sla_pct(self) -> float | None:
        return 100.0 * self.within_sla / self.offered if self.offered and self.within_sla is not None else None


@dataclass(frozen=True)
class AgentRow:
    agent: str
    handled: int
    handled_hours: float | None
    handle_time_avg_s: float | None
    first_response_avg_s: float | None
    transfer_rate: float | None
    feedback_count: int
    csat_pct: float | None
    concurrency_max: int | None
    concurrency_avg: float | None


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int | None  # None: everything from ``low`` up

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}s" if self.high is not None else f"≥{self.low}s"

    def holds(self, value: float) -> bool:
        return value >= self.low and (self.high is None or value < self.high)


@dataclass
class ReportData:
    """Everything the terminal tables and the HTML report draw, for one bot and range of days."""

    days: DayRange
    bot: str
    period: Period | None = None
    sla: list[SlaRow] = field(default_factory=list)
    agents: list[AgentRow] = field(default_factory=list)
    daily_days: list[dt.date] = field(default_factory=list)
    daily_sla: dict[str, list[float | None]] = field(default_factory=dict)  # group -> SLA % per day
    buckets: list[Bucket] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    thresholds: dict[str, int] = field(default_factory=dict)  # group -> SLA threshold (seconds)
    missing_tables: list[str] = field(default_factory=list)

    def sla_total(self) -> SlaRow | None:
        return total_sla(self.sla)


def weighted_mean(pairs: Sequence[tuple[float | None, float]]) -> float | None:
    """The mean of values given as (mean, weight) pairs; None values and zero weights are left out."""
    used = [(value, weight) for value, weight in pairs if value is not None and weight]
    total = sum(weight for _, weight in used)
    return sum(value * weight for value, weight in used) / total if total else None


def total_sla(rows: Sequence[SlaRow]) -> SlaRow | None:
    """All groups together: counts summed, means weighted, the SLA % rebuilt, no percentile."""
    if not rows:
        return None
    within = None if any(r.within_sla is None for r in rows) else sum(r.within_sla or 0 for r in rows)
    feedback = sum(r.feedback_count for r in rows)
    return SlaRow(
        group="All groups",
        offered=sum(r.offered for r in rows),
        attended=sum(r.attended for r in rows),
        lost=sum(r.lost for r in rows),
        within_sla=within,
        wait_avg_s=weighted_mean([(r.wait_avg_s, r.attended) for r in rows]),
        wait_p90_s=None,
        feedback_count=feedback,
        csat_pct=weighted_mean([(r.csat_pct, r.feedback_count) for r in rows]),
    )


def wait_buckets(values: Sequence[float], target: int = HISTOGRAM_BUCKETS) -> list[Bucket]:
    """Round-width buckets from 0 covering the 99th percentile in at most ``target`` buckets, then one open bucket.

    Cutting at the 99th percentile keeps a few very long waits from squeezing every other column
    into the first one; they are all still counted, in the last bucket.
    """
    if not values:
        return []
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    step = next((s for s in WAIT_STEPS_SECONDS if p99 / s <= target - 1), WAIT_STEPS_SECONDS[-1])
    closed = max(1, min(target - 1, math.ceil((p99 + 1) / step)))
    buckets = [Bucket(index * step, (index + 1) * step) for index in range(closed)]
    buckets.append(Bucket(closed * step, None))
    return buckets


def bucket_counts(buckets: Sequence[Bucket], values: Sequence[float]) -> list[int]:
    counts = [0] * len(buckets)
    for value in values:
        for index, bucket in enumerate(buckets):
            if bucket.holds(value):
                counts[index] += 1
                break
    return counts


def marker_position(buckets: Sequence[Bucket], seconds: float) -> float | None:
    """Where ``seconds`` falls on the histogram's axis, in columns (None beyond the closed buckets)."""
    for index, bucket in enumerate(buckets):
        if bucket.high is None:
            return None
        if bucket.low <= seconds <= bucket.high:
            return index + (seconds - bucket.low) / (bucket.high - bucket.low)
    return None


def _tables(warehouse: Warehouse) -> set[str]:
    rows = warehouse.query("SELECT table_schema || '.' || table_name FROM information_schema.tables")
    return {name for (name,) in rows}


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def last_whole_week(days: DayRange) -> tuple[dt.date, dt.date] | None:
    """The latest Monday..Sunday inside ``days``, or None when the range holds no whole week."""
    sunday = days.last - dt.timedelta(days=(days.last.weekday() + 1) % 7)
    monday = sunday - dt.timedelta(days=6)
    return (monday, sunday) if monday >= days.first else None


def load_report(warehouse: Warehouse, days: DayRange, bot: str) -> ReportData:
    """Read every section; a KPI table that does not exist yet is listed in ``missing_tables``."""
    data = ReportData(days=days, bot=bot)
    existing = _tables(warehouse)
    needed = ["kpi.sla_daily", "kpi.agent_daily", "kpi.sla_weekly", "kpi.agent_weekly", "raw.conversations"]
    data.missing_tables = [name for name in needed if name not in existing]
    week = last_whole_week(days)
    weekly_ok = week is not None and {"kpi.sla_weekly", "kpi.agent_weekly"} <= existing
    if weekly_ok and week is not None:
        data.period = Period(week[0], week[1], weekly=True)
        _load_weekly(warehouse, data, week[0])
    elif {"kpi.sla_daily", "kpi.agent_daily"} <= existing:
        first = max(days.first, days.last - dt.timedelta(days=6))
        data.period = Period(first, days.last, weekly=False)
        _load_period_from_daily(warehouse, data, first, days.last)
    if "kpi.sla_daily" in existing:
        _load_daily_sla(warehouse, data)
    if "raw.conversations" in existing:
        _load_waits(warehouse, data)
    return data


def _load_weekly(warehouse: Warehouse, data: ReportData, week_start: dt.date) -> None:
    parameters = {"bot": data.bot, "week": week_start}
    rows = warehouse.query(
        "SELECT coalesce(group_name, 'group ' || group_id), offered, attended, lost, within_sla, wait_avg_s, "
        "wait_p90_s, feedback_count, csat_pct FROM kpi.sla_weekly WHERE _bot = $bot AND week_start = $week "
        "ORDER BY 1",
        parameters,
    )
    data.sla = [SlaRow(r[0], r[1], r[2], r[3], _int(r[4]), r[5], r[6], r[7], r[8]) for r in rows]
    rows = warehouse.query(
        "SELECT coalesce(agent_name, 'agent ' || agent_id), handled, handled_hours, handle_time_avg_s, "
        "first_response_avg_s, transfer_rate, feedback_count, csat_pct, concurrency_max, concurrency_avg "
        "FROM kpi.agent_weekly WHERE _bot = $bot AND week_start = $week AND agent_id IS NOT NULL "
        "ORDER BY handled DESC, 1",
        parameters,
    )
    data.agents = [AgentRow(*r) for r in rows]


def _load_period_from_daily(warehouse: Warehouse, data: ReportData, first: dt.date, last: dt.date) -> None:
    parameters = {"bot": data.bot, "first": first, "last": last}
    rows = warehouse.query(
        "SELECT coalesce(group_name, 'group ' || group_id) AS g, offered, attended, lost, within_sla, wait_avg_s, "
        "feedback_count, csat_pct FROM kpi.sla_daily WHERE _bot = $bot AND day BETWEEN $first AND $last",
        parameters,
    )
    by_group: dict[str, list[SlaRow]] = {}
    for r in rows:
        by_group.setdefault(r[0], []).append(SlaRow(r[0], r[1], r[2], r[3], _int(r[4]), r[5], None, r[6], r[7]))
    data.sla = []
    for group in sorted(by_group):
        total = total_sla(by_group[group])
        assert total is not None
        data.sla.append(dataclasses.replace(total, group=group))
    rows = warehouse.query(
        "SELECT coalesce(agent_name, 'agent ' || agent_id) AS a, handled, handled_hours, handle_time_avg_s, "
        "transfer_rate, feedback_count, csat_pct, concurrency_max FROM kpi.agent_daily "
        "WHERE _bot = $bot AND day BETWEEN $first AND $last AND agent_id IS NOT NULL",
        parameters,
    )
    by_agent: dict[str, list[tuple]] = {}
    for r in rows:
        by_agent.setdefault(r[0], []).append(r)
    agents = []
    for agent, items in by_agent.items():
        agents.append(
            AgentRow(
                agent=agent,
                handled=sum(i[1] for i in items),
                handled_hours=sum(i[2] or 0.0 for i in items),
                handle_time_avg_s=weighted_mean([(i[3], i[1]) for i in items]),
                first_response_avg_s=None,  # its weight (answered conversations) is not in the daily table
                transfer_rate=weighted_mean([(i[4], i[1]) for i in items]),
                feedback_count=sum(i[5] for i in items),
                csat_pct=weighted_mean([(i[6], i[5]) for i in items]),
                concurrency_max=max((i[7] for i in items if i[7] is not None), default=None),
                concurrency_avg=None,  # a time-weighted mean needs the busy time, not in the daily table
            )
        )
    data.agents = sorted(agents, key=lambda a: (-a.handled, a.agent))


def _load_daily_sla(warehouse: Warehouse, data: ReportData) -> None:
    rows = warehouse.query(
        "SELECT day, coalesce(group_name, 'group ' || group_id), sum(offered), "
        "CASE WHEN count(within_sla) = count(*) THEN sum(within_sla) END, max(sla_threshold_s) "
        "FROM kpi.sla_daily WHERE _bot = $bot AND day BETWEEN $first AND $last GROUP BY ALL ORDER BY 1, 2",
        {"bot": data.bot, "first": data.days.first, "last": data.days.last},
    )
    data.daily_days = list(data.days)
    index = {day: position for position, day in enumerate(data.daily_days)}
    for day, group, offered, within, threshold in rows:
        values = data.daily_sla.setdefault(group, [None] * len(data.daily_days))
        values[index[day]] = 100.0 * within / offered if offered and within is not None else None
        if threshold is not None:
            data.thresholds[group] = int(threshold)


def _load_waits(warehouse: Warehouse, data: ReportData) -> None:
    rows = warehouse.query(
        "SELECT wait_time, agent_id IS NOT NULL FROM raw.conversations "
        "WHERE _bot = $bot AND _partition_day BETWEEN $first AND $last AND wait_time IS NOT NULL",
        {"bot": data.bot, "first": data.days.first, "last": data.days.last},
    )
    answered = [float(wait) for wait, attended in rows if attended]
    abandoned = [float(wait) for wait, attended in rows if not attended]
    data.buckets = wait_buckets(answered + abandoned)
    data.answered = bucket_counts(data.buckets, answered)
    data.abandoned = bucket_counts(data.buckets, abandoned)
