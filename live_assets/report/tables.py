"""Plain-text tables for a terminal (the command line and the demo print the report's tables with it).

No dependency: the demo runs on a fresh machine and its output is read in a terminal or a CI log, so
the table is plain aligned text (box-drawing rules, numbers right-aligned, an empty value shown as an
en dash so a missing percentile is never mistaken for zero).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from live_assets.report.i18n import MISSING, is_missing


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


@dataclass(frozen=True)
class Column:
    """A table column: its header, how a value is shown, and whether it is a number (right-aligned)."""

    header: str
    format: Callable[[object], str] = lambda value: MISSING if is_missing(value) else str(value)
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
