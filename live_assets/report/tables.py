"""Plain-text tables for a terminal, and the number formats shared with the HTML report.

No dependency: the demo runs on a fresh machine and its output is read in a terminal or a CI log, so
the table is plain aligned text (box-drawing rules, numbers right-aligned, an empty value shown as an
en dash so a missing percentile is never mistaken for zero).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MISSING = "–"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: object) -> str:
    return MISSING if _missing(value) else f"{int(value):,}"  # type: ignore[call-overload]


def fmt_pct(value: object, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):.{decimals}f}%"  # type: ignore[arg-type]


def fmt_float(value: object, decimals: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):.{decimals}f}"  # type: ignore[arg-type]


def fmt_seconds(value: object) -> str:
    """A duration as people read a wait: ``42s``, ``1m05s``, ``2h03m``."""
    if _missing(value):
        return MISSING
    total = round(float(value))  # type: ignore[arg-type]
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total // 3600}h{total % 3600 // 60:02d}m"


@dataclass(frozen=True)
class Column:
    """A table column: its header, how a value is shown, and whether it is a number (right-aligned)."""

    header: str
    format: Callable[[object], str] = lambda value: MISSING if _missing(value) else str(value)
    numeric: bool = False


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def format_table(
    columns: Sequence[Column], rows: Sequence[Sequence[object]], *, title: str | None = None, footer_rows: int = 0
) -> str:
    """``rows`` as an aligned text table; the last ``footer_rows`` rows (totals) sit below a rule."""
    if any(len(row) != len(columns) for row in rows):
        raise ValueError("every row must have one value per column")
    cells = [[column.format(value) for column, value in zip(columns, row, strict=True)] for row in rows]
    widths = [
        max([display_width(column.header), *(display_width(row[index]) for row in cells)])
        for index, column in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        parts = [_pad(v, width, column.numeric) for v, width, column in zip(values, widths, columns, strict=True)]
        return "│ " + " │ ".join(parts) + " │"

    def rule(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (width + 2) for width in widths) + right

    body = cells[: len(cells) - footer_rows] if footer_rows else cells
    footer = cells[len(cells) - footer_rows :] if footer_rows else []
    out = []
    if title:
        out.append(title)
    out.append(rule("┌", "┬", "┐"))
    out.append(line([column.header for column in columns]))
    out.append(rule("├", "┼", "┤"))
    out += [line(row) for row in body]
    if footer:
        out.append(rule("├", "┼", "┤"))
        out += [line(row) for row in footer]
    out.append(rule("└", "┴", "┘"))
    return "\n".join(out)
