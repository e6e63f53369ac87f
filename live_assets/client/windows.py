"""Request windows: which ``from``/``to`` pairs cover a span of days, and how few of them are needed.

The API counts time in wall-clock seconds of the bot's zone, both bounds inclusive (docs/api-contract.md §3).
So a window here is a pair of *naive* local datetimes: a day is always ``D 00:00:00``..``D 23:59:59``,
whatever a DST change does to the length of that day in real time. Only :func:`days_of_time_window`
touches real instants, to turn a Dagster partition's tz-aware bounds into local days.

Everything in this module is pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from live_assets import contract

ONE_SECOND: Final = dt.timedelta(seconds=1)
ONE_DAY: Final = dt.timedelta(days=1)
WEEK_DAYS: Final = 7


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of wall-clock seconds in the bot's zone, as one request's ``from``/``to``."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for name, moment in (("start", self.start), ("end", self.end)):
            if not isinstance(moment, dt.datetime):
                raise TypeError(f"Window.{name} must be a datetime, got {type(moment).__name__}")
            if moment.tzinfo is not None:
                # Wall-clock in the bot's zone: an aware datetime would invite a silent conversion.
                raise ValueError(f"Window.{name} must be naive wall-clock time in the bot's zone, got {moment}")
            if moment.microsecond:
                raise ValueError(f"Window.{name} must have whole seconds (the API's resolution), got {moment}")
        if self.end < self.start:
            raise ValueError(f"Window ends before it starts: {self.start}..{self.end}")

    @classmethod
    def for_days(cls, first: dt.date, last: dt.date) -> Window:
        """``first 00:00:00`` .. ``last 23:59:59``: whole days, the way every partition asks."""
        return cls(day_start(first), day_start(last) + ONE_DAY - ONE_SECOND)

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return self.end.date()

    def days(self) -> list[dt.date]:
        """Every calendar day the window touches, in order."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=offset) for offset in range(count)]

    def params(self) -> dict[str, str]:
        """The window as the API's ``from``/``to`` query parameters."""
        return {"from": contract.format_datetime(self.start), "to": contract.format_datetime(self.end)}

    def fits(self, max_range: contract.MaxRange | None) -> bool:
        """Whether the API accepts this window under ``max_range`` (``to`` earlier than the limit)."""
        return max_range is None or self.end < max_range.limit_for(self.start)

    def __str__(self) -> str:
        return f"{contract.format_datetime(self.start)}..{contract.format_datetime(self.end)}"


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def max_range_for(frequency: contract.Frequency | str | None) -> contract.MaxRange | None:
    """The contract's range limit for a ``frequency`` parameter; ``None`` (unbounded) without one."""
    if frequency is None:
        return None
    return contract.MAX_RANGE_BY_FREQUENCY[contract.Frequency(frequency)]


def _units_that_fit(start: dt.datetime, unit: dt.timedelta, max_range: contract.MaxRange) -> int:
    """How many whole units a window starting at ``start`` may hold: the largest k with
    ``start + k * unit - 1 s < limit``, i.e. ``start + k * unit <= limit`` at one-second resolution."""
    return (max_range.limit_for(start) - start) // unit


def plan_windows(
    first_day: dt.date,
    last_day: dt.date,
    *,
    max_range: contract.MaxRange | None,
    unit_days: int = 1,
    per_unit: bool = False,
) -> list[Window]:
    """The fewest windows covering ``first_day 00:00:00`` .. ``last_day 23:59:59`` exactly.

    Consecutive windows touch (``next.start == prev.end + 1 s``): no gap, no overlap. Each window is a
    whole number of ``unit_days``-day units and respects ``max_range`` (``None`` means unbounded).
    Weekly endpoints use 7-day units so that no window splits a WEEK bucket; ``first_day`` must then
    be the day WEEK buckets start on (a Monday) and the span whole weeks. ``per_unit`` gives one
    window per unit, for endpoints that aggregate the whole range into one answer (stats, SLA, agent
    performance).

    Greedy is optimal here: each window reaches as far as its limit allows, and a later start never
    reaches less far (``MaxRange.limit_for`` is non-decreasing), so no plan can end sooner with fewer
    windows. The property tests check this against a brute force.
    """
    if unit_days < 1:
        raise ValueError(f"unit_days must be at least 1, got {unit_days}")
    span_days = (last_day - first_day).days + 1
    if span_days < 1:
        raise ValueError(f"empty span: last_day {last_day} is before first_day {first_day}")
    if unit_days == WEEK_DAYS and first_day.weekday() != contract.WEEK_STARTS_ON:
        # 7-day units are WEEK buckets: a window starting mid-week would split one across two requests.
        raise ValueError(f"weekly windows start on the day WEEK buckets do; {first_day} is a {first_day:%A}")
    if span_days % unit_days:
        raise ValueError(f"{first_day}..{last_day} is {span_days} days, not a whole number of {unit_days}-day units")
    unit = dt.timedelta(days=unit_days)
    units_left = span_days // unit_days
    windows: list[Window] = []
    start = day_start(first_day)
    while units_left:
        fit = units_left if max_range is None else _units_that_fit(start, unit, max_range)
        if fit < 1:
            raise ValueError(f"a {unit_days}-day unit starting {start} exceeds the maximum range {max_range!r}")
        take = 1 if per_unit else min(units_left, fit)
        end = start + take * unit
        windows.append(Window(start, end - ONE_SECOND))
        start = end
        units_left -= take
    return windows


def _first_instant(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first real instant of local ``day`` in ``zone``, in UTC.

    Local midnight with ``fold=0`` maps, even inside a DST gap (Sao Paulo used to skip 00:00..00:59),
    to the instant the day begins, and to the earlier of two instants when midnight repeats.
    """
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def days_of_time_window(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo | str) -> tuple[dt.date, dt.date]:
    """The local days ``(first_day, last_day)`` of a tz-aware ``[start, end)`` range, such as a
    Dagster partition's time window, in the bot's zone ``tz``.

    Both bounds must be the first instant of a local day in ``tz``: a partition cut in another zone
    would straddle days, and fetching whole days for it would silently load the wrong rows, so that is
    an error rather than a rounding.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    for name, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got {moment}")
    first_day = start.astimezone(zone).date()
    end_day = end.astimezone(zone).date()
    for name, moment, day in (("start", start, first_day), ("end", end, end_day)):
        if moment.astimezone(dt.UTC) != _first_instant(day, zone):
            raise ValueError(
                f"partition {name} {moment.isoformat()} is not the start of a day in {zone}: "
                "partitions must be cut in the bot's time zone (LIVE_TIMEZONE)"
            )
    last_day = end_day - ONE_DAY
    if last_day < first_day:
        raise ValueError(f"empty time window {start.isoformat()}..{end.isoformat()}")
    return first_day, last_day
