"""The report's alerts section: the period's service level as monitoring judged it.

Read from ``monitor.verdicts`` (each final day's verdict per group and metric, span ``day``) and
``monitor.alerts`` (the intraday alerts, where monitoring ran): the days and groups off target, the
alerts opened and resolved, and the figures nobody could judge (unknown, with the reason). A period
with a group off target on some day never reads "no alert".
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from live_assets.monitor.judging import Verdict
from live_assets.report.data import ReportData
from live_assets.report.i18n import Words

# A metric of monitor.verdicts / monitor.alerts (judging.Metric.name, or a KPI column) to its target's key.
ALERT_METRICS = {
    "sla_pct": "sla_pct_min",
    "sla_pct_min": "sla_pct_min",
    "abandonment_rate": "abandonment_pct_max",
    "abandonment_pct": "abandonment_pct_max",
    "abandonment_pct_max": "abandonment_pct_max",
    "wait_p90_s": "wait_p90_s_max",
    "wait_p90_s_max": "wait_p90_s_max",
}
Table = Callable[..., str]
MetricText = Callable[[str, float | None], str]


def _metric(w: Words, name: str) -> tuple[str, str]:
    key = ALERT_METRICS.get(name, "")
    return key, (w(f"metric.{key}") if key else name)


def _days_off(data: ReportData, w: Words, metric_text: MetricText, table: Table) -> str:
    off = [v for v in data.day_verdicts if v.verdict is Verdict.OFF_TARGET]
    if not off:
        return ""
    groups = {v.group_id for v in data.day_verdicts}
    off_groups = {v.group_id for v in off}
    lead = w("verdicts.off", off=len(off_groups), total=len(groups), days=len({v.day for v in off}))
    head = [w("col.day"), w("col.group"), w("col.metric"), w("col.value"), w("col.target"), w("col.offered")]
    rows = []
    for v in off:
        key, metric = _metric(w, v.metric)
        rows.append(
            f"<tr><td>{escape(w.short_day(v.day))}</td><td class='name'>{escape(v.group_label)}</td>"
            f"<td>{escape(metric)}</td><td class='num missed'>{escape(metric_text(key, v.value))}</td>"
            f"<td class='num'>{escape(metric_text(key, v.target))}</td><td class='num'>{w.count(v.offered)}</td></tr>"
        )
    return f"<p class='lead'>{escape(lead)}</p>" + table(head, rows, numeric_from=None, css="verdicts")


def _unknown(data: ReportData, w: Words) -> str:
    unknown: dict[str, set[str | None]] = {}
    for v in data.day_verdicts:
        if v.verdict is Verdict.UNKNOWN:
            unknown.setdefault(v.metric, set()).add(v.group_id)
    lines = [
        w("verdicts.unknown", metric=_metric(w, name)[1], groups=len(ids), reason=w(f"unknown.{name}"))
        for name, ids in sorted(unknown.items())
    ]
    return "".join(f"<p class='note unknown'>{escape(line)}</p>" for line in lines)


def _alerts(data: ReportData, w: Words, metric_text: MetricText, table: Table) -> str:
    alerts = data.alerts
    if not alerts:
        return ""
    first = data.period.first
    opened = sum(1 for a in alerts if a.opened_at.date() >= first)
    resolved = sum(1 for a in alerts if a.resolved_at is not None)
    summary = w("alerts.summary", opened=opened, resolved=resolved, open=len(alerts) - resolved)
    head = [w("col.group"), w("col.metric"), w("col.value"), w("col.target"), w("col.window"), w("col.opened"),
            w("col.resolved"), w("col.notified")]  # fmt: skip
    rows = []
    for alert in alerts:
        key, metric = _metric(w, alert.metric)
        resolved_text = w.moment(alert.resolved_at) if alert.resolved_at else w("alert.open")
        notified = " / ".join(
            w.moment(moment) if moment else w("alert.not_sent")
            for moment in [alert.notified_at] + ([alert.resolved_notified_at] if alert.resolved_at else [])
        )
        # The stored window reads "today 08:00–11:30" or "2026-03-04 08:00–24:00": the hours are the
        # language-neutral part; the day is the opening moment's.
        hours = alert.window.rsplit(" ", 1)[-1]
        state = "" if alert.resolved_at else " class='open'"
        rows.append(
            f"<tr{state}><td class='name'>{escape(alert.group)}</td><td>{escape(metric)}</td>"
            f"<td class='num missed'>{escape(metric_text(key, alert.value))}</td>"
            f"<td class='num'>{escape(metric_text(key, alert.target))}</td><td>{escape(hours)}</td>"
            f"<td>{escape(w.moment(alert.opened_at))}</td><td>{escape(resolved_text)}</td><td>{escape(notified)}</td></tr>"
        )
    return f"<p class='lead'>{escape(summary)}</p>" + table(head, rows, numeric_from=None, css="alerts")


def alerts_section(data: ReportData, w: Words, metric_text: MetricText, table: Table) -> str:
    """The days off target, the intraday alerts, the unknown figures; "no alert" only when none of them."""
    parts = [_days_off(data, w, metric_text, table), _alerts(data, w, metric_text, table), _unknown(data, w)]
    if not any(parts):
        return f"<p class='lead'>{escape(w('alerts.none'))}</p>"
    return "".join(parts)
