"""Every word the report prints, in English, Spanish and Portuguese, and the numbers and dates as each
language writes them. Translations are data, in one place (``words.yaml``): a new label is one entry.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

LANGUAGES: Final = ("en", "es", "pt")

# The vocabulary lives in words.yaml beside this file: key -> {en, es, pt}, months and weekdays.
_WORDS: Final = yaml.safe_load((Path(__file__).parent / "words.yaml").read_text(encoding="utf-8"))
TEXT: Final[dict[str, dict[str, str]]] = _WORDS["text"]
MONTHS: Final[dict[str, list[str]]] = _WORDS["months"]
WEEKDAYS: Final[dict[str, list[str]]] = _WORDS["weekdays"]
# (decimal mark, thousands separator, gap before "%")
NUMBERS: Final = {"en": (".", ",", ""), "es": (",", ".", " "), "pt": (",", ".", " ")}
MISSING: Final = "–"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Words:
    """The report's vocabulary and number formats in one language."""

    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")

    def __call__(self, key: str, **values: object) -> str:
        return TEXT[key][self.lang].format(**values)

    def number(self, value: object, decimals: int = 0) -> str:
        if is_missing(value):
            return MISSING
        decimal, thousands, _ = NUMBERS[self.lang]
        text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
        return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)

    def count(self, value: object) -> str:
        return self.number(value, 0)

    def pct(self, value: object, decimals: int = 1) -> str:
        return MISSING if is_missing(value) else f"{self.number(value, decimals)}{NUMBERS[self.lang][2]}%"

    def points(self, delta: float) -> str:
        """A difference of percentages, signed: ``+2.5 pts``."""
        sign = "+" if delta > 0 else "−" if delta < 0 else "±"
        return f"{sign}{self.number(abs(delta), 1)} pp"

    def seconds(self, value: object) -> str:
        """A duration as people read a wait: ``42 s``, ``95 s``, ``2 min 05 s``, ``2 h 03 min``."""
        if is_missing(value):
            return MISSING
        total = round(float(value))  # type: ignore[arg-type]
        if total < 120:
            return f"{total} s"
        if total < 3600:
            return f"{total // 60} min {total % 60:02d} s"
        return f"{total // 3600} h {total % 3600 // 60:02d} min"

    def day(self, day: dt.date, weekday: bool = True, year: bool = True) -> str:
        text = f"{day.day} {MONTHS[self.lang][day.month - 1]}" + (f" {day.year}" if year else "")
        return f"{WEEKDAYS[self.lang][day.weekday()]} {text}" if weekday else text

    def short_day(self, day: dt.date) -> str:
        return f"{WEEKDAYS[self.lang][day.weekday()]} {day.day}"

    def moment(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return MISSING
        return f"{self.day(moment.date(), weekday=False)} {moment:%H:%M}"
