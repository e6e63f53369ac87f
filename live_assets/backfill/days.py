"""Which days are "complete", and which partitions of an asset a range of days covers.

A day is complete in the bot's zone once it is over and the API's data lag has passed
(``contract.DATA_LAG``, docs/api-contract.md §1): before that, the raw assets refuse it (``ensure_final``).
The functions are pure (``now`` is a parameter) so that the edge cases (just before and after the
lag, DST changes, a range that reaches before ``LIVE_START_DATE``) are tested without a clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from live_assets import contract


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of local days, ``first`` to ``last``."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a day range must not end ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.first + dt.timedelta(days=n) for n in range(self.days))

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def last_complete_day(now: dt.datetime, timezone: str, lag: dt.timedelta = contract.DATA_LAG) -> dt.date:
    """The latest local day that is over and whose last conversations have had ``lag`` to show up.

    ``now`` must be aware: a naive clock would silently use the machine's zone, not the bot's.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    local = now.astimezone(ZoneInfo(timezone))
    candidate = local.date() - dt.timedelta(days=1)
    zone = ZoneInfo(timezone)
    final_at = dt.datetime.combine(candidate + dt.timedelta(days=1), dt.time(), tzinfo=zone) + lag
    if local < final_at:
        candidate -= dt.timedelta(days=1)
    return candidate


def last_complete_days(
    days: int,
    now: dt.datetime,
    timezone: str,
    *,
    start_date: dt.date | None = None,
    lag: dt.timedelta = contract.DATA_LAG,
) -> DayRange:
    """The last ``days`` complete days, clamped so that the range never starts before ``start_date``.

    Clamping (rather than failing) keeps ``--days 14`` working on a deployment whose partitions
    began last week; a range with no day left at all is an error, because there is nothing to run.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    last = last_complete_day(now, timezone, lag)
    first = last - dt.timedelta(days=days - 1)
    if start_date is not None and first < start_date:
        first = start_date
    if first > last:
        raise ValueError(f"no complete day since the start date {start_date} yet (the last complete day is {last})")
    return DayRange(first, last)


def parse_partition_date(key: str) -> dt.date:
    """A time-window partition key (``YYYY-MM-DD``, optionally followed by a time) as a date."""
    return dt.date.fromisoformat(key[:10])


_CADENCE_DAYS = {"Daily": 1, "Weekly": 7}


def cadence_days(description: str) -> int | None:
    """The width in days of a daily or weekly partitions definition, from Dagster's description of it.

    Dagster describes a time-window definition as ``"Daily, starting 2025-01-01 UTC."``; anything
    else (hourly, monthly, a cron) returns None and the width is measured from the keys instead.
    """
    return _CADENCE_DAYS.get(description.split(",", 1)[0].strip())


def partitions_inside(keys: Sequence[str], days: DayRange, *, width_days: int | None = None) -> list[str]:
    """The partition keys whose whole time window lies inside ``days``, in order.

    A time-window partition spans ``width_days`` from its key when the cadence is known, else to the
    next key (the last one as long as the one before it). So daily partitions give every day of the
    range, and weekly ones only the weeks that the range covers completely: a weekly KPI computed
    from half a week of loaded days would be wrong, while a week outside the range is simply left
    for a later, wider backfill.
    """
    starts = [parse_partition_date(key) for key in keys]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise ValueError("partition keys must be time-window keys in increasing order")
    selected: list[str] = []
    end_exclusive = days.last + dt.timedelta(days=1)
    for index, (key, start) in enumerate(zip(keys, starts, strict=True)):
        if width_days is not None:
            end = start + dt.timedelta(days=width_days)
        elif index + 1 < len(starts):
            end = starts[index + 1]
        elif index > 0:
            end = start + (start - starts[index - 1])
        else:
            raise ValueError(f"cannot tell how long partition {key} is: a single key and no known cadence")
        if days.first <= start and end <= end_exclusive:
            selected.append(key)
    return selected


def zone_at_local_hour(hour: int, now: dt.datetime) -> str:
    """A fixed-offset zone whose wall clock shows ``hour`` at ``now`` (``Etc/GMT-5`` is UTC+5): the demo's
    test and the benchmark run today's refresh at a chosen time of the bot's day, whatever the hour."""
    offset = (hour - now.astimezone(dt.UTC).hour) % 24
    offset -= 24 if offset > 14 else 0
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
