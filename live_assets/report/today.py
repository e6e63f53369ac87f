"""``<LIVE_REPORT_DIR>/<bot>/today.html``: today so far on one page, rewritten by every intraday refresh.

A page a team lead leaves open on a wall screen or a phone: one tile per group (service level so far
against its target, offered, lost, wait p90), coloured by the monitoring's verdict (``judging``: the
same verdict that opens an alert), the open alerts, arrivals and service level per half hour so far,
when the figures were read and when the next refresh comes. It reloads itself at the refresh interval
(a ``<meta http-equiv="refresh">``: no script), fetches nothing, and speaks the report's language.
Written from the rows the refresh has just committed, by ``kpi/sla_intraday``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from live_assets.monitor.alerts import open_alerts
from live_assets.monitor.judging import METRICS_BY_NAME, Judgement, Verdict
from live_assets.monitor.targets import Targets
from live_assets.report import svg
from live_assets.report.html import write_html
from live_assets.report.i18n import Words
from live_assets.report.service_level import ALERT_METRICS
from live_assets.report.today_style import TODAY_CSS
from live_assets.warehouse import Warehouse

TODAY_FILE: Final = "today.html"
HALF_HOUR: Final = dt.timedelta(minutes=30)
WIDE, NARROW = 760, 400  # the chart's widths in SVG units: a screen's, a phone's
# The worst verdict of a group's metrics colours its tile: off target over met over not judged.
SEVERITY: Final = {Verdict.OFF_TARGET: 3, Verdict.ON_TARGET: 2, Verdict.TOO_FEW: 1, Verdict.UNKNOWN: 0}
CSS_CLASS: Final = {
    Verdict.OFF_TARGET: "off",
    Verdict.ON_TARGET: "met",
    Verdict.TOO_FEW: "few",
    Verdict.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class TodaySettings:
    """Where the page goes, its language, the refresh interval, and each bot's time zone."""

    report_dir: Path
    lang: str
    refresh_minutes: int
    timezone: str
    bot_timezones: Mapping[str, str] = field(default_factory=dict)

    def zone(self, bot: str) -> ZoneInfo:
        return ZoneInfo(self.bot_timezones.get(bot, self.timezone))


def today_path(report_dir: Path, bot: str) -> Path:
    return report_dir / bot / TODAY_FILE


def today_verdicts(judgements: Sequence[Judgement]) -> dict[Any, list[Judgement]]:
    """The refresh's judgements by group id: the very ones ``kpi/sla_intraday`` stored in
    ``monitor.verdicts`` and evaluated the alerts on, so the page never judges on its own."""
    by_group: dict[Any, list[Judgement]] = {}
    for judgement in judgements:
        by_group.setdefault(judgement.figures.group_id, []).append(judgement)
    return by_group


def next_refresh(now: dt.datetime, minutes: int, zone: ZoneInfo) -> dt.datetime:
    """The next tick of the intraday schedule (``*/minutes`` past each hour, in ``zone``) after ``now``."""
    local = now.astimezone(zone).replace(second=0, microsecond=0)
    step = minutes - local.minute % minutes
    return local + dt.timedelta(minutes=step)


def read_open_alerts(warehouse: Warehouse, bot: str) -> list[dict[str, Any]]:
    """The bot's open alerts, newest first (the refresh evaluated them just before writing the page)."""
    with warehouse.connect() as connection:
        return sorted(open_alerts(connection, bot), key=lambda alert: alert["opened_at"], reverse=True)


class TodayPage:
    def __init__(self, words: Words, zone: ZoneInfo) -> None:
        self.w = words
        self.zone = zone

    def value(self, metric: str, value: float | None) -> str:
        return self.w.seconds(value) if metric == "wait_p90_s" else self.w.pct(value)

    def tile(self, row: Mapping[str, Any], judgements: Sequence[Judgement]) -> str:
        w = self.w
        worst = max(judgements, key=lambda j: SEVERITY[j.verdict], default=None)
        state = "none" if worst is None else CSS_CLASS[worst.verdict]
        verdict = w("today.no_target") if worst is None else w(f"verdict.{worst.verdict.value}")
        sla = next((j for j in judgements if j.metric.name == "sla_pct"), None)
        target = w("today.no_target") if sla is None else w("today.sla_target", value=self.bound("sla_pct", sla.target))
        off = [j for j in judgements if j.verdict is Verdict.OFF_TARGET and j.metric.name != "sla_pct"]
        why = "".join(
            f"<li>{escape(w('metric.' + ALERT_METRICS[j.metric.name]))} {escape(self.value(j.metric.name, j.value))} "
            f"({escape(self.bound(j.metric.name, j.target))})</li>"
            for j in off
        )
        name = row["group_name"] or f"#{row['group_id']}"
        return (
            f"<article class='tile {state}' data-group='{escape(str(row['group_id']), quote=True)}'>"
            f"<h2 title='{escape(name, quote=True)}'>{escape(name)}</h2>"
            f"<div class='sla'>{escape(w.pct(row['sla_pct']))}</div>"
            f"<div class='target'>SLA · {escape(target)}</div>"
            f"<div class='verdict'>{escape(verdict)}</div>"
            f"<dl><div><dt>{escape(w('today.offered'))}</dt><dd>{escape(w.count(row['offered']))}</dd></div>"
            f"<div><dt>{escape(w('today.lost'))}</dt><dd>{escape(w.count(row['lost']))}</dd></div>"
            f"<div><dt>{escape(w('today.wait_p90'))}</dt><dd>{escape(w.seconds(row['wait_p90_s']))}</dd></div></dl>"
            + (f"<ul class='why'>{why}</ul>" if why else "")
            + "</article>"
        )

    def bound(self, metric: str, target: float) -> str:
        """A target as the report writes it: ``≥ 80 %``, ``≤ 65 s``."""
        at_most = METRICS_BY_NAME[metric].at_most if metric in METRICS_BY_NAME else False
        shown = self.w.seconds(target) if metric == "wait_p90_s" else self.w.pct(target, 0)
        return ("≤ " if at_most else "≥ ") + shown

    def alerts(self, alerts: Sequence[Mapping[str, Any]]) -> str:
        w = self.w
        if not alerts:
            return f"<p class='calm'>{escape(w('today.no_alerts'))}</p>"
        items = []
        for alert in alerts:
            name = METRICS_BY_NAME[alert["metric"]].name if alert["metric"] in METRICS_BY_NAME else ""
            key = ALERT_METRICS.get(alert["metric"])
            text = w(
                "today.alert",
                group=alert["group_name"] or f"#{alert['group_id']}",
                metric=w(f"metric.{key}") if key else alert["metric"],
                value=self.value(name, alert["value"]),
                target=self.bound(name, alert["target"]) if name else "–",
                since=alert["opened_at"].astimezone(self.zone).strftime("%H:%M"),
            )
            items.append(f"<li>{escape(text)}</li>")
        return f"<ul class='alerts'>{''.join(items)}</ul>"

    def chart(self, half_hours: Sequence[Mapping[str, Any]], target: float | None) -> str:
        """Arrivals per half hour over every group (columns) and their SLA % (line), the target dashed."""
        slots: dict[dt.datetime, list[int]] = {}
        for row in half_hours:
            counts = slots.setdefault(row["bucket_start"], [0, 0, 0])
            counts[0] += row["offered"] or 0
            if row["within_sla"] is not None:
                counts[1] += row["within_sla"]
                counts[2] += row["offered"] or 0
        shown = []
        count = 0 if not slots else int((max(slots) - min(slots)) / HALF_HOUR) + 1
        for start in (min(slots) + index * HALF_HOUR for index in range(count)):  # the quiet half hours too
            offered, within, judged = slots.get(start, (0, 0, 0))
            sla = 100.0 * within / judged if judged else None
            below = target is not None and sla is not None and sla < target
            shown.append(svg.ProfileSlot(f"{start:%H:%M}", float(offered), sla, below))
        title = self.w("today.chart")
        legend = (
            f"<ul class='legend'><li><i class='offered'></i>{escape(self.w('today.legend_offered'))}</li>"
            f"<li><i class='sla'></i>{escape(self.w('today.legend_sla'))}</li>"
            f"<li><i class='below'></i>{escape(self.w('today.legend_below'))}</li></ul>"
        )
        # The same chart drawn twice: wide for a screen, narrow (larger text once scaled) for a phone.
        return (
            f"<div class='wide'>{svg.day_profile(title, shown, target, legend=None, width=WIDE)}</div>"
            f"<div class='narrow'>{svg.day_profile(title, shown, target, legend=None, width=NARROW)}</div>{legend}"
        )


def render_today(
    *,
    bot: str,
    rows: Sequence[Mapping[str, Any]],
    verdicts: Mapping[Any, Sequence[Judgement]],
    alerts: Sequence[Mapping[str, Any]],
    bot_sla_target: float | None,
    settings: TodaySettings,
    now: dt.datetime,
) -> str:
    """The page: ``rows`` are the bot's rows of ``kpi.sla_intraday`` (both spans)."""
    words, zone = Words(settings.lang), settings.zone(bot)
    page = TodayPage(words, zone)
    groups = [row for row in rows if row["span"] == "day_so_far"]
    groups.sort(key=lambda r: (-SEVERITY[max((j.verdict for j in verdicts.get(r["group_id"], [])),
                                             key=SEVERITY.__getitem__, default=Verdict.UNKNOWN)],
                               str(r["group_name"])))  # fmt: skip
    half_hours = [row for row in rows if row["span"] == "half_hour"]
    as_of = max((row["as_of"] for row in rows if row["as_of"] is not None), default=None)
    day = groups[0]["day"] if groups else now.astimezone(zone).date()
    refresh = next_refresh(now, settings.refresh_minutes, zone)
    stamp = words("today.as_of", time=as_of.astimezone(zone).strftime("%H:%M")) if as_of else words("today.no_data")
    if groups:
        tiles = "".join(page.tile(row, verdicts.get(row["group_id"], [])) for row in groups)
        body = (
            f"<section class='tiles'>{tiles}</section>"
            f"<section class='lower'><div class='card alerts-card'><h2>{escape(words('today.alerts'))} "
            f"<span class='count'>{len(alerts)}</span></h2>{page.alerts(alerts)}</div>"
            f"<figure class='card chart'><figcaption>{escape(words('today.chart'))}</figcaption>"
            f"{page.chart(half_hours, bot_sla_target)}</figure></section>"
        )
    else:
        body = f"<p class='empty'>{escape(words('today.no_data'))}</p>" + (
            f"<section class='lower'><div class='card alerts-card'><h2>{escape(words('today.alerts'))}</h2>"
            f"{page.alerts(alerts)}</div></section>"
        )
    title = f"{words('today.title')} · {bot}"
    return (
        f"<!DOCTYPE html>\n<html lang='{settings.lang}'><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='{settings.refresh_minutes * 60}'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{TODAY_CSS}</style></head><body>"
        f"<header><h1>{escape(title)} <span class='day'>{escape(words.day(day))}</span></h1>"
        f"<p class='stamp'><b>{escape(stamp)}</b> · {escape(words('today.next', time=f'{refresh:%H:%M}'))}</p>"
        f"</header>{body}</body></html>\n"
    )


def write_today(
    warehouse: Warehouse,
    *,
    bot: str,
    rows: Sequence[Mapping[str, Any]],
    judgements: Sequence[Judgement],
    targets: Targets,
    settings: TodaySettings,
    now: dt.datetime,
) -> Path:
    """Rewrite the bot's ``today.html`` (atomically: a screen reloading never shows half a page)."""
    html = render_today(
        bot=bot,
        rows=rows,
        verdicts=today_verdicts(judgements),
        alerts=read_open_alerts(warehouse, bot),
        bot_sla_target=targets.for_group(bot, None, None).sla_pct_min,
        settings=settings,
        now=now,
    )
    return write_html(today_path(settings.report_dir, bot), html)
