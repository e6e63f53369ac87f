"""The period a report covers: one day, one Monday-to-Sunday week, or any range of days.

The kind decides the words ("week 11"), the period it is compared with (the one just before, of the
same length) and the file name, which sorts by date and says what it holds at a glance:
``<bot>/weekly/2025-W11_2025-03-10.html``, ``<bot>/daily/2025-03-14_fri.html``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path

from live_assets.report.i18n import WEEKDAYS, Words


class Kind(enum.Enum):
    DAY = "day"
    WEEK = "week"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a report period must not end ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def kind(self) -> Kind:
        if self.days == 1:
            return Kind.DAY
        if self.days == 7 and self.first.weekday() == 0:
            return Kind.WEEK
        return Kind.RANGE

    @classmethod
    def last_week_or_all(cls, first: dt.date, last: dt.date) -> Period:
        """The latest Monday-to-Sunday week inside ``first..last``, or the whole range when it holds none."""
        sunday = last - dt.timedelta(days=(last.weekday() + 1) % 7)
        monday = sunday - dt.timedelta(days=6)
        return cls(monday, sunday) if monday >= first else cls(first, last)

    def dates(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]

    def previous(self) -> Period:
        length = dt.timedelta(days=self.days)
        return Period(self.first - length, self.last - length)

    def weekdays(self) -> list[dt.date]:
        """Monday to Friday of the period (what the time-of-day profile averages)."""
        return [day for day in self.dates() if day.weekday() < 5]

    def label(self, words: Words) -> str:
        if self.kind is Kind.DAY:
            return words("period.day", day=words.day(self.first))
        first, last = words.day(self.first, year=False), words.day(self.last)
        if self.kind is Kind.WEEK:
            return words("period.week", week=self.first.isocalendar().week, first=first, last=last)
        return words("period.range", first=first, last=last, days=self.days)

    def previous_label(self, words: Words) -> str:
        return words(f"previous.{self.kind.value}", days=self.days)

    def file_name(self) -> Path:
        """Relative to the bot's folder: ``weekly/2025-W11_2025-03-10.html``, ``daily/2025-03-14_fri.html``."""
        if self.kind is Kind.WEEK:
            year, week, _ = self.first.isocalendar()
            return Path("weekly") / f"{year}-W{week:02d}_{self.first.isoformat()}.html"
        if self.kind is Kind.DAY:
            return Path("daily") / f"{self.first.isoformat()}_{WEEKDAYS['en'][self.first.weekday()].lower()}.html"
        return Path("range") / f"{self.first.isoformat()}_{self.last.isoformat()}.html"


def report_path(report_dir: Path, bot: str, period: Period) -> Path:
    """Where the report of ``bot`` for ``period`` is written: one folder per bot, then per kind."""
    return report_dir / bot / period.file_name()
