"""The text a built-in report is sent with: its headline figures against the bot's targets.

The verdicts are the monitoring's (``live_assets.monitor.judging``), so a figure the e-mail calls off
target is the one the alerts and ``targets_met`` call off target. Figures and the organisation's names
only; the report itself travels as the attachment.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from live_assets.monitor.judging import METRICS_BY_NAME, GroupFigures, Verdict, format_value, judge
from live_assets.report.build import WrittenReport
from live_assets.report.delivery import ReportVersion, content_hash

VERDICT_WORDS = {Verdict.OFF_TARGET: "OFF TARGET", Verdict.ON_TARGET: "on target", Verdict.TOO_FEW: "too few to judge",
                 Verdict.UNKNOWN: "unknown"}  # fmt: skip


def _figures(written: WrittenReport) -> GroupFigures | None:
    data, total = written.data, written.data.total
    if total is None:
        return None
    start = dt.datetime.combine(data.period.first, dt.time())
    return GroupFigures(
        bot=data.bot,
        day=data.period.first,
        group_id=None,
        group_name=None,
        window_start=start,
        window_end=start + dt.timedelta(days=data.period.days),
        offered=total.offered,
        lost=total.lost,
        values={"sla_pct": total.sla_pct, "abandonment_rate": total.abandonment_pct, "wait_p90_s": total.wait_p90_s},
    )


def report_version(report: str, written: WrittenReport, report_dir: Path) -> ReportVersion:
    """``report`` (``weekly``, ``daily``) of one bot and period as it is sent: title, headline, the file."""
    data = written.data
    period = f"{data.period.first.isoformat()}..{data.period.last.isoformat()}"
    headline = written.headline()
    figures = _figures(written)
    judgements = [] if figures is None else judge(figures, data.bot_targets)
    lines = [f"Bot: {data.bot}", f"Period: {period} ({data.timezone})", f"Offered: {headline['offered']}"]
    for judgement in judgements:
        value = "unknown" if judgement.value is None else format_value(judgement.metric, judgement.value)
        lines.append(
            f"{judgement.metric.label}: {value} (target {judgement.metric.target_text(judgement.target)}) — "
            f"{VERDICT_WORDS[judgement.verdict]}"
        )
    judged = {judgement.metric.name for judgement in judgements}
    for name in ("sla_pct", "abandonment_pct", "wait_p90_s"):
        if name not in judged and headline.get(name) is not None:
            lines.append(f"{METRICS_BY_NAME[name].label}: {format_value(METRICS_BY_NAME[name], headline[name])}")
    if headline.get("csat_pct") is not None:
        lines.append(f"CSAT %: {headline['csat_pct']}")
    off = [j.metric.label for j in judgements if j.verdict is Verdict.OFF_TARGET]
    summary = f"{len(off)} off target ({', '.join(off)})" if off else "every judged figure on target"
    if not judgements:
        summary = "no target to judge" if figures is not None else "no conversation in the period"
    relative = written.path.relative_to(report_dir) if written.path.is_relative_to(report_dir) else written.path.name
    lines.append(f"File: {relative} (attached where the service takes files)")
    return ReportVersion(
        report=report,
        bot=data.bot,
        first_day=data.period.first,
        last_day=data.period.last,
        content_hash=content_hash(data.total, data.groups, data.channels, data.agents, data.daily_groups),
        figures=headline,
        title=f"{report.capitalize()} report {data.bot} · {period}: {summary}",
        lines=lines,
        attachment=written.path,
    )
