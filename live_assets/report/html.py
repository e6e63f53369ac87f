"""The HTML report: one self-contained file (inline CSS and SVG, no script) that opens offline.

Built from :class:`ReportData` and the check results only; reading the warehouse and asking Dagster
happen elsewhere, so the page is a pure function and the tests check its content directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from live_assets.launch.checks import CheckSummary
from live_assets.report import svg
from live_assets.report.data import ReportData, marker_position
from live_assets.report.tables import fmt_pct, fmt_seconds
from live_assets.report.views import View, agent_view, sla_view

REPORT_NAME = "live-report.html"
RANKED_AGENTS = 15

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1000px;
       color: #222; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; }
.meta { color: #555; } .note { color: #555; font-size: .9rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #999; }
.passed { color: #0a7a3d; font-weight: 600; } .failed { color: #b00020; font-weight: 600; }
.pending, .not-run, .skipped { color: #8a6d00; font-weight: 600; }
code { background: #f4f4f4; padding: 0 .25rem; border-radius: 3px; }
svg { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class RunContext:
    """How the data got there: shown in the report's header and used for its links."""

    backfill_id: str | None = None
    backfill_status: str | None = None
    backfill_summary: str = ""
    dagster_hint: str = "make dev"
    generated_at: dt.datetime | None = None


def _table(view: View) -> str:
    head = "".join(f"<th class='{'num' if c.numeric else ''}'>{escape(c.header)}</th>" for c in view.columns)
    body = []
    cells = view.cells()
    first_footer = len(cells) - view.footer_rows
    for index, row in enumerate(cells):
        css = " class='total'" if index >= first_footer and view.footer_rows else ""
        tds = "".join(
            f"<td class='{'num' if c.numeric else ''}'>{escape(value)}</td>"
            for c, value in zip(view.columns, row, strict=True)
        )
        body.append(f"<tr{css}>{tds}</tr>")
    if not body:
        body.append(f"<tr><td colspan='{len(view.columns)}'>No rows.</td></tr>")
    note = f"<p class='note'>{escape(view.note)}</p>" if view.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def sla_chart(data: ReportData) -> str:
    categories = [day.strftime("%a %d") for day in data.daily_days]
    series = [svg.Series(group, tuple(values)) for group, values in sorted(data.daily_sla.items())]
    return svg.line_chart("SLA % by day and group", categories, series, y_max=100, unit="%")


def wait_chart(data: ReportData) -> str:
    categories = [bucket.label for bucket in data.buckets]
    series = [
        svg.Series("answered", tuple(float(v) for v in data.answered)),
        svg.Series("abandoned", tuple(float(v) for v in data.abandoned)),
    ]
    markers = []
    for seconds in sorted(set(data.thresholds.values())):
        position = marker_position(data.buckets, seconds)
        if position is not None:
            markers.append((position, f"SLA {seconds}s"))
    return svg.stacked_columns("Wait-time distribution (conversations)", categories, series, markers=markers)


def thresholds_caption(data: ReportData) -> str:
    """Which group has which SLA threshold: the chart marks the values, this names the groups."""
    by_seconds: dict[int, list[str]] = {}
    for group, seconds in data.thresholds.items():
        by_seconds.setdefault(seconds, []).append(group)
    return "; ".join(f"{seconds}s: {', '.join(sorted(groups))}" for seconds, groups in sorted(by_seconds.items()))


def agent_chart(data: ReportData, limit: int = RANKED_AGENTS) -> str:
    rows = [
        (
            agent.agent,
            float(agent.handled),
            f"CSAT {fmt_pct(agent.csat_pct, 0)} · handle {fmt_seconds(agent.handle_time_avg_s)}",
        )
        for agent in data.agents[:limit]
    ]
    return svg.horizontal_bars("Agent ranking by conversations handled", rows)


def _checks_section(checks: Sequence[CheckSummary]) -> str:
    if not checks:
        return "<p class='note'>No asset checks are defined on the backfilled assets.</p>"
    rows = []
    for summary in checks:
        css = summary.status.replace(" ", "-")
        detail = ""
        if summary.failures:
            first = summary.failures[0]
            where = f"partition {first.partition}: " if first.partition else ""
            detail = where + (first.description or ", ".join(f"{k}={v}" for k, v in first.metadata.items()))
        rows.append(
            f"<tr><td><code>{escape(summary.asset)}</code></td><td>{escape(summary.check)}</td>"
            f"<td class='{css}'>{escape(summary.status)}</td><td class='num'>{len(summary.latest())}</td>"
            f"<td>{escape(detail)}</td></tr>"
        )
    head = "<tr><th>Asset</th><th>Check</th><th>Result</th><th class='num'>Partitions</th><th>Detail</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _section(title: str, body: str, missing: str | None = None) -> str:
    content = f"<p class='note'>{escape(missing)}</p>" if missing else body
    return f"<section><h2>{escape(title)}</h2>{content}</section>"


def render_report(data: ReportData, checks: Sequence[CheckSummary], context: RunContext) -> str:
    """The whole page as a string."""
    generated = (context.generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M %Z")
    period = data.period.label if data.period else "—"
    backfill = ""
    if context.backfill_id:
        backfill = f"<br>Backfill <code>{escape(context.backfill_id)}</code>: {escape(context.backfill_summary)}"
    no_kpi = "The KPI tables are empty for these days." if not data.daily_sla else None
    sections = [
        _section("Asset checks", _checks_section(checks)),
        _section("SLA % by day and group", sla_chart(data) if data.daily_sla else "", no_kpi),
        _section(
            "Wait-time distribution",
            wait_chart(data)
            + "<p class='note'>Answered: wait until an agent took the conversation. Abandoned: wait until the user "
            f"left the queue. Dashed lines: the groups' SLA thresholds ({escape(thresholds_caption(data))}).</p>",
            None if data.buckets else "No conversations in these days.",
        ),
        _section(f"SLA by group — {period}", _table(sla_view(data))),
        _section(
            "Agent ranking",
            agent_chart(data) + _table(agent_view(data)),
            None if data.agents else "No agent rows for the period.",
        ),
    ]
    if data.missing_tables:
        sections.insert(0, _section("Missing tables", f"<p>{escape(', '.join(data.missing_tables))}</p>"))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Live analytics KPI report {escape(str(data.days))}</title><style>{CSS}</style></head><body>"
        f"<h1>Live analytics — SLA and agent KPIs</h1>"
        f"<p class='meta'>Bot <code>{escape(data.bot)}</code> · days {escape(str(data.days))} "
        f"({data.days.days}) · generated {escape(generated)}{backfill}</p>"
        + "".join(sections)
        + "<section><h2>Explore in Dagster</h2><p>Run <code>"
        + escape(context.dagster_hint)
        + "</code> and open the URL it prints: the same assets, partitions, runs and check results, on the same "
        "DuckDB file and Dagster instance.</p></section></body></html>\n"
    )


def write_report(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return path
