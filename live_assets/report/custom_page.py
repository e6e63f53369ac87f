"""The page of a report of the user's own: its title, period, description, chart and table, in the
built-in reports' style (one self-contained file), and the text it is sent with when ``deliver`` is set."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from html import escape
from pathlib import Path

from live_assets.report import svg
from live_assets.report.custom import CustomReport
from live_assets.report.delivery import ReportVersion, content_hash
from live_assets.report.html import table
from live_assets.report.i18n import MISSING, Words
from live_assets.report.period import Period
from live_assets.report.style import CSS

SENT_ROWS = 10  # rows of the chart's columns the message lists


@dataclass(frozen=True)
class CustomResult:
    report: CustomReport
    bot: str
    period: Period
    columns: list[str]
    rows: list[tuple]
    html_path: Path

    def column(self, name: str) -> list[object]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


def period_name(cadence: str, period: Period) -> str:
    """The file name of a period: ``2025-03-14``, ``2025-W11``, ``2025-03``."""
    if cadence == "weekly":
        year, week, _ = period.first.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == "monthly":
        return f"{period.first:%Y-%m}"
    return period.first.isoformat()


def _decimals(value: object) -> int:
    """The decimals a float needs to be shown as the SQL rounded it (at most 2)."""
    if not isinstance(value, float | decimal.Decimal) or isinstance(value, bool):
        return 0
    text = f"{float(value):.2f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _cell(words: Words, value: object, decimals: int = 2) -> tuple[str, bool]:
    """A value as shown, and whether it is a number (right-aligned)."""
    if value is None:
        return MISSING, False
    if isinstance(value, bool):
        return str(value).lower(), False
    if isinstance(value, int):
        return words.count(value), True
    if isinstance(value, float | decimal.Decimal):
        return words.number(float(value), decimals), True
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return str(value), False


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool) else None


def _chart(result: CustomResult, title: str) -> str:
    chart = result.report.chart
    if chart is None:
        return ""
    missing = [axis for axis in (chart.x, chart.y) if axis not in result.columns]
    if missing:
        note = f"chart: the SQL returns no column {', '.join(missing)} (columns: {', '.join(result.columns)})"
        return f"<p class='note'>{escape(note)}</p>"
    labels = [_cell(Words("en"), value)[0] for value in result.column(chart.x)]
    values = [_number(value) for value in result.column(chart.y)]
    return f"<figure class='wide'>{svg.xy_chart(f'{title}: {chart.y}', labels, values, chart.type)}</figure>"


def render_custom(result: CustomResult, lang: str, generated_at: dt.datetime) -> str:
    words, report = Words(lang), result.report
    period = result.period.label(words)
    numeric = [False] * len(result.columns)
    # One number of decimals per column, so that its figures line up (78.0 beside 77.1, not 78).
    decimals = [max((_decimals(row[index]) for row in result.rows), default=0) for index in range(len(result.columns))]
    rows = []
    for row in result.rows:
        cells = []
        for index, value in enumerate(row):
            text, is_number = _cell(words, value, decimals[index])
            numeric[index] = numeric[index] or is_number
            cells.append(f"<td class='{'num' if is_number else 'name'}'>{escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    first_number = next((index for index, flag in enumerate(numeric) if flag), None)
    head = table(result.columns, rows, numeric_from=first_number, css="custom")
    description = f"<p class='lead'>{escape(report.description)}</p>" if report.description else ""
    note = words("custom.rows", count=len(result.rows), file=result.html_path.with_suffix(".csv").name)
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(report.title)} · {escape(result.bot)} · {escape(period)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{escape(report.title)}</h1><p class='period'>{escape(period)}</p>"
        f"<p class='meta'>{escape(words('bot'))} <b>{escape(result.bot)}</b> · "
        f"{escape(words('generated', when=words.moment(generated_at)))}</p></header>{description}"
        f"<section id='chart'>{_chart(result, report.title)}</section>"
        f"<section id='rows'>{head}<p class='note'>{escape(note)}</p></section></body></html>\n"
    )


def custom_version(result: CustomResult, report_dir: Path) -> ReportVersion:
    """The message a custom report with ``deliver: true`` is sent with: its rows' count and, with a
    chart, the first values it draws; the page attached."""
    report, period = result.report, result.period
    days = f"{period.first.isoformat()}..{period.last.isoformat()}"
    lines = [f"Bot: {result.bot}", f"Period: {days}", f"Rows: {len(result.rows)}"]
    if report.description:
        lines.insert(0, report.description)
    chart = report.chart
    if chart is not None and chart.x in result.columns and chart.y in result.columns:
        pairs = list(zip(result.column(chart.x), result.column(chart.y), strict=True))
        lines += [f"{chart.x} {x}: {chart.y} {y}" for x, y in pairs[:SENT_ROWS]]
    relative = result.html_path.relative_to(report_dir) if result.html_path.is_relative_to(report_dir) else None
    lines.append(f"File: {relative or result.html_path.name} (attached where the service takes files)")
    return ReportVersion(
        report=f"custom/{report.name}",
        bot=result.bot,
        first_day=period.first,
        last_day=period.last,
        content_hash=content_hash(result.columns, result.rows),
        figures={"rows": len(result.rows)},
        title=f"{report.title} {result.bot} · {days}",
        lines=lines,
        attachment=result.html_path,
    )
