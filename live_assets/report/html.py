"""The report page: one self-contained file (inline CSS and SVG, no script, no font or image to fetch)
that a manager reads on screen or prints to A4.

A pure function of :class:`ReportData` and the language, so tests check the page directly. Sections
in the order a manager reads: the headline against targets and the previous period, service level by
group and by channel, the day's profile, the agents, the alerts; the data engineer's part last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

from live_assets.monitor.targets import GroupTargets
from live_assets.report import svg
from live_assets.report.completeness import CheckOutcome
from live_assets.report.data import AgentFigures, DailySeries, Figures, ReportData
from live_assets.report.i18n import Words
from live_assets.report.service_level import alerts_section
from live_assets.report.style import CSS

RANKED_AGENTS = 15
CSAT_GOOD, CSAT_BAD = 80.0, 60.0
# headline tile -> (label, target key)
METRICS = {
    "sla": ("m.sla", "sla_pct_min"),
    "abandonment": ("m.abandonment", "abandonment_pct_max"),
    "wait_p90": ("m.wait_p90", "wait_p90_s_max"),
}


def verdict(value: float | None, target: float | None, target_key: str, offered: int, min_offered: int) -> str:
    """``met``, ``missed``, or ``""`` (no target, no value, or too few conversations to judge)."""
    if value is None or target is None or offered < min_offered:
        return ""
    met = value >= target if target_key.endswith("_min") else value <= target
    return "met" if met else "missed"


class Page:
    """Builds the page's parts in one language."""

    def __init__(self, data: ReportData, words: Words) -> None:
        self.data = data
        self.w = words

    # --- formats --------------------------------------------------------------------------------

    def metric_text(self, target_key: str, value: float | None) -> str:
        return self.w.seconds(value) if target_key == "wait_p90_s_max" else self.w.pct(value)

    def target_text(self, target_key: str, target: float | None) -> str:
        if target is None:
            return self.w("target.none")
        shown = self.w.seconds(target) if target_key == "wait_p90_s_max" else self.w.pct(target, 0)
        return self.w("target.min" if target_key.endswith("_min") else "target.max", value=shown)

    def bound_text(self, target_key: str, target: float | None) -> str:
        """A target in a table cell: ``≥ 80 %``, ``–`` for none."""
        if target is None:
            return "–"
        shown = self.w.seconds(target) if target_key == "wait_p90_s_max" else self.w.pct(target, 0)
        return ("≥ " if target_key.endswith("_min") else "≤ ") + shown

    def judged_cell(self, figures: Figures, targets: GroupTargets, target_key: str) -> str:
        value = figures.value(target_key)
        if value is None and getattr(targets, target_key) is not None and figures.offered:
            return f"<td class='num unknown'>{escape(self.w('verdict.unknown'))}</td>"
        state = verdict(value, getattr(targets, target_key), target_key, figures.offered, targets.min_offered)
        return f"<td class='num {state}'>{escape(self.metric_text(target_key, value))}</td>"

    # --- headline -------------------------------------------------------------------------------

    def delta(self, current: float | None, previous: float | None, higher_is_better: bool | None, unit: str) -> str:
        if self.data.previous is None or current is None or previous is None:
            missing = self.w("no_previous", previous=self.data.period.previous_label(self.w))
            return f"<div class='delta'>{escape(missing)}</div>"
        change = current - previous
        arrow = "▲" if change > 0 else "▼" if change < 0 else "="
        good = "" if higher_is_better is None or change == 0 else ("up" if (change > 0) == higher_is_better else "down")
        if unit == "pp":
            shown = self.w.points(change)
        elif unit == "s":
            shown = ("+" if change > 0 else "−" if change < 0 else "±") + self.w.seconds(abs(change))
        else:
            shown = ("+" if change > 0 else "−" if change < 0 else "±") + self.w.count(abs(change))
            if previous:
                shown += f" ({'+' if change >= 0 else '−'}{self.w.pct(abs(100.0 * change / previous), 0)})"
        versus = self.w("vs_previous", previous=self.data.period.previous_label(self.w))
        return f"<div class='delta {good}'>{arrow} {escape(shown)} <span>{escape(versus)}</span></div>"

    def tile(self, metric: str, label: str, value: str, target: str, state: str, delta: str, extra: str = "") -> str:
        badge = f"<span class='badge {state}'>{escape(self.w('target.' + state))}</span>" if state else ""
        return (
            f"<div class='tile {state}' data-metric='{metric}'><div class='label'>{escape(label)}</div>"
            f"<div class='value'>{escape(value)}</div><div class='target'>{escape(target)} {badge}</div>"
            f"{delta}{extra}</div>"
        )

    def headline(self) -> str:
        total, previous, targets = self.data.total, self.data.previous, self.data.bot_targets
        assert total is not None
        tiles = []
        for metric, (label, key) in METRICS.items():
            value = total.value(key)
            target = getattr(targets, key)
            state = verdict(value, target, key, total.offered, targets.min_offered)
            unit = "s" if key == "wait_p90_s_max" else "pp"
            extra = ""
            if metric == "sla":
                met = sum(1 for g in self.data.groups if self.group_state(g, key) == "met")
                judged = sum(1 for g in self.data.groups if self.group_state(g, key))
                extra = f"<div class='sub'>{escape(self.w('groups_on_target', met=met, total=judged))}</div>"
            tiles.append(
                self.tile(
                    metric,
                    self.w(label),
                    self.metric_text(key, value),
                    self.target_text(key, target),
                    state,
                    self.delta(value, previous.value(key) if previous else None, key.endswith("_min"), unit),
                    extra,
                )
            )
        tiles.append(
            self.tile(
                "csat", self.w("m.csat"), self.w.pct(total.csat_pct), self.w("target.none"), "",
                self.delta(total.csat_pct, previous.csat_pct if previous else None, True, "pp"),
            )
        )  # fmt: skip
        tiles.append(
            self.tile(
                "volume", self.w("m.volume"), self.w.count(total.offered), self.w("target.none"), "",
                self.delta(float(total.offered), float(previous.offered) if previous else None, None, "n"),
            )
        )  # fmt: skip
        notes = self.w("headline.note", answers=self.w.count(total.feedback_count)) + " " + self.w("headline.targets")
        return f"<div class='tiles'>{''.join(tiles)}</div><p class='note'>{escape(notes)}</p>"

    def group_state(self, group: Figures, key: str) -> str:
        targets = self.data.group_targets.get(group.key, self.data.bot_targets)
        return verdict(group.value(key), getattr(targets, key), key, group.offered, targets.min_offered)

    # --- service level ----------------------------------------------------------------------------

    def panels(self, series: Sequence[DailySeries], figures: dict[int | None, Figures], target_of: Callable) -> str:
        dates = self.data.period.dates()
        days = tuple(self.w.short_day(day) if len(dates) == 1 else str(day.day) for day in dates)
        cells = []
        for item in series:
            target = target_of(item)
            period = figures[item.key]  # the same rows of kpi.sla_daily: every series has its period figures
            period_value = period.sla_pct
            state = verdict(period_value, target, "sla_pct_min", period.offered, self.data.bot_targets.min_offered)
            chart = svg.sla_panel(svg.Panel(item.name, days, item.sla_pct, target))
            cells.append(
                f"<figure class='panel'><figcaption><span class='name' title='{escape(item.name, quote=True)}'>"
                f"{escape(item.name)}</span><span class='figure {state}'>{escape(self.w.pct(period_value))}</span>"
                f"</figcaption>{chart}<div class='panel-target'>{escape(self.target_text('sla_pct_min', target))}"
                "</div></figure>"
            )
        note = self.w("sla.bar_note" if self.data.period.days == 1 else "sla.chart_note")
        return f"<div class='panels'>{''.join(cells)}</div><p class='note'>{escape(note)}</p>"

    def group_table(self) -> str:
        w = self.w
        head = [w("col.group"), w("col.offered"), w("col.lost"), w("col.sla"), w("col.sla_target"),
                w("col.abandonment"), w("col.wait_p90"), w("col.csat"), w("col.answers")]  # fmt: skip
        rows = []
        total = self.data.total
        assert total is not None
        for group in [*self.data.groups, total]:
            targets = self.data.bot_targets if group is total else self.data.group_targets[group.key]
            css = " class='total'" if group is total else ""
            rows.append(
                f"<tr{css}><td class='name'>{escape(group.name)}</td><td class='num'>{w.count(group.offered)}</td>"
                f"<td class='num'>{w.count(group.lost)}</td>{self.judged_cell(group, targets, 'sla_pct_min')}"
                f"<td class='num muted'>{escape(self.bound_text('sla_pct_min', targets.sla_pct_min))}</td>"
                f"{self.judged_cell(group, targets, 'abandonment_pct_max')}"
                f"{self.judged_cell(group, targets, 'wait_p90_s_max')}"
                f"<td class='num'>{w.pct(group.csat_pct)}</td><td class='num'>{w.count(group.feedback_count)}</td></tr>"
            )
        return table(head, rows, numeric_from=1, note=w("groups.note"), css="groups")

    def channel_table(self) -> str:
        w = self.w
        head = [w("col.channel"), w("col.offered"), w("col.lost"), w("col.sla"), w("col.abandonment"), w("col.csat")]
        targets = self.data.bot_targets
        rows = [
            f"<tr><td class='name'>{escape(c.name)}</td><td class='num'>{w.count(c.offered)}</td>"
            f"<td class='num'>{w.count(c.lost)}</td>{self.judged_cell(c, targets, 'sla_pct_min')}"
            f"{self.judged_cell(c, targets, 'abandonment_pct_max')}<td class='num'>{w.pct(c.csat_pct)}</td></tr>"
            for c in self.data.channels
        ]
        note = w("channels.note", target=self.target_text("sla_pct_min", targets.sla_pct_min))
        return table(head, rows, numeric_from=1, note=note, css="channels")

    # --- time of day ------------------------------------------------------------------------------

    def profile(self) -> str:
        data, w = self.data, self.w
        if not data.slots:
            return f"<p class='note'>{escape(w('no_rows'))}</p>"
        slots = [svg.ProfileSlot(f"{s.start:%H:%M}", s.offered_avg, s.hour_sla_pct, s.worst) for s in data.slots]
        legend = (w("tod.offered"), w("tod.sla"), w("tod.worst"))
        chart = svg.day_profile(w("h.time_of_day"), slots, data.bot_targets.sla_pct_min, legend=legend)
        average = w("tod.average" if data.profile_weekdays_only else "tod.average_all", count=data.profile_days)
        worst = sorted({s.start.hour for s in data.slots if s.worst})
        hour_sla = {s.start.hour: s.hour_sla_pct for s in data.slots}
        listed = ", ".join(f"{hour:02d}:00–{hour + 1:02d}:00 ({w.pct(hour_sla[hour])})" for hour in worst)
        lines = [average] + ([w("tod.worst_list", hours=listed)] if worst else [])
        note = w("tod.note", min_offered=data.bot_targets.min_offered)
        return (
            f"<p class='lead'>{escape(' '.join(lines))}</p><figure class='wide'>{chart}</figure>"
            f"<p class='note'>{escape(note)}</p>"
        )

    # --- agents -----------------------------------------------------------------------------------

    def csat_colour(self, agent: AgentFigures) -> str:
        if agent.csat_pct is None:
            return svg.AXIS
        return svg.GOOD if agent.csat_pct >= CSAT_GOOD else svg.BAD if agent.csat_pct < CSAT_BAD else svg.INK

    def agents(self) -> str:
        w, agents = self.w, self.data.agents
        if not agents:
            return f"<p class='note'>{escape(w('no_rows'))}</p>"
        top = agents[:RANKED_AGENTS]
        bars = [
            svg.Bar(
                a.name,
                float(a.handled),
                f"CSAT {w.pct(a.csat_pct, 0)} · {w('first_response_short')} {w.seconds(a.first_response_avg_s)}",
                self.csat_colour(a),
            )
            for a in top
        ]
        title = w("agents.chart", count=len(top))
        chart = svg.ranking(title, bars)
        head = [w("col.rank"), w("col.agent"), w("col.handled"), w("col.hours"), w("col.first_response"),
                w("col.csat"), w("col.answers"), w("col.transfer")]  # fmt: skip
        rows = [
            f"<tr><td class='num'>{rank}</td><td class='name'>{escape(a.name)}</td>"
            f"<td class='num'>{w.count(a.handled)}</td><td class='num'>{w.number(a.handled_hours, 1)}</td>"
            f"<td class='num'>{w.seconds(a.first_response_avg_s)}</td>"
            f"<td class='num'>{w.pct(a.csat_pct)}</td><td class='num'>{w.count(a.feedback_count)}</td>"
            f"<td class='num'>{w.pct(a.transfer_pct)}</td></tr>"
            for rank, a in enumerate(agents, start=1)
        ]
        note = w("agents.note", good=w.number(CSAT_GOOD), bad=w.number(CSAT_BAD))
        return f"<p class='lead'>{escape(title)}</p><figure class='wide'>{chart}</figure>" + table(
            head, rows, numeric_from=2, note=note, css="agents", name_column=1
        )

    # --- alerts -----------------------------------------------------------------------------------

    def alerts(self) -> str:
        return alerts_section(self.data, self.w, self.metric_text, table)

    # --- completeness -----------------------------------------------------------------------------

    def check_detail(self, outcome: CheckOutcome) -> str:
        """The first failing partition; the check's description too in English (checks speak English)."""
        if self.w.lang != "en" or not outcome.detail:
            return outcome.partition
        return f"{outcome.partition}: {outcome.detail}" if outcome.partition else outcome.detail

    def completeness(self) -> str:
        w = self.w
        zone = self.data.timezone
        rows = []
        for item in self.data.completeness:
            if not item.in_warehouse:
                rows.append(
                    f"<tr class='absent'><td><code>{escape(item.table)}</code></td>"
                    f"<td colspan='4'>{escape(w('table.absent'))}</td></tr>"
                )
                continue
            missing = ", ".join(w.short_day(day) for day in item.missing) or "–"
            loaded = w.moment(item.loaded_at.astimezone(self.data.zone)) if item.loaded_at else "–"
            state = "missed" if item.missing else "met"
            rows.append(
                f"<tr><td><code>{escape(item.table)}</code></td><td class='num {state}'>{len(item.present)} / "
                f"{len(item.expected)}</td><td>{escape(missing)}</td><td class='num'>{w.count(item.rows)}</td>"
                f"<td>{escape(loaded)}</td></tr>"
            )
        head = [w("col.table"), w("col.partitions"), w("col.missing"), w("col.rows"), w("col.loaded")]
        parts = [table(head, rows, numeric_from=None, note=w("data.note", zone=zone), css="data")]
        if self.data.checks:
            check_rows = [
                f"<tr><td><code>{escape(c.asset)}</code></td><td>{escape(c.check)}</td>"
                f"<td class='num met'>{c.passed}</td><td class='num {'missed' if c.failed else ''}'>{c.failed}</td>"
                f"<td class='detail'>{escape(self.check_detail(c))}</td></tr>"
                for c in self.data.checks
            ]
            head = [w("col.asset"), w("col.check"), w("col.passed"), w("col.failed"), w("col.detail")]
            parts.append(table(head, check_rows, numeric_from=None, css="checks"))
        else:
            parts.append(f"<p class='note'>{escape(w('checks.none'))}</p>")
        return "".join(parts)


def table(
    head: Sequence[str],
    rows: Sequence[str],
    *,
    numeric_from: int | None,
    note: str = "",
    css: str = "",
    name_column: int = 0,
) -> str:
    """A table whose columns from ``numeric_from`` on are numbers (right-aligned); ``rows`` are ``<tr>`` markup."""
    cells = []
    for index, header in enumerate(head):
        kind = "num" if numeric_from is not None and index >= numeric_from else ("name" if index == name_column else "")
        cells.append(f"<th class='{kind}'>{escape(header)}</th>")
    body = "".join(rows) or f"<tr><td colspan='{len(head)}'>–</td></tr>"
    note_html = f"<p class='note'>{escape(note)}</p>" if note else ""
    return f"<div class='table'><table class='{css}'><thead><tr>{''.join(cells)}</tr></thead><tbody>{body}</tbody></table></div>{note_html}"  # noqa: E501


def _section(key: str, title: str, body: str) -> str:
    return f"<section id='{key}'><h2>{escape(title)}</h2>{body}</section>"


def render_report(data: ReportData, lang: str, generated_at: dt.datetime | None = None) -> str:
    """The whole page as a string, in ``lang`` (``en``, ``es``, ``pt``)."""
    words = Words(lang)
    page = Page(data, words)
    period = data.period.label(words)
    generated = (generated_at or dt.datetime.now(dt.UTC)).astimezone(data.zone)
    sections = []
    if data.empty:
        empty = f"<p class='lead empty'>{escape(words('empty'))}</p>"
        sections.append(_section("headline", words("h.headline"), empty))
    else:
        total_figures = {g.key: g for g in data.groups}
        channel_figures = {c.key: c for c in data.channels}
        targets = data.group_targets
        sections += [
            _section("headline", words("h.headline"), page.headline()),
            _section(
                "sla-groups",
                words("h.sla_groups"),
                page.panels(data.daily_groups, total_figures, lambda s: targets[s.key].sla_pct_min)
                + page.group_table(),
            ),
            _section(
                "sla-channels",
                words("h.sla_channels"),
                page.panels(data.daily_channels, channel_figures, lambda s: data.bot_targets.sla_pct_min)
                + page.channel_table(),
            ),
            _section("time-of-day", words("h.time_of_day"), page.profile()),
            _section("agents", words("h.agents", period=period), page.agents()),
        ]
    sections.append(_section("alerts", words("h.alerts"), page.alerts()))
    sections.append(_section("data", words("h.data"), page.completeness()))
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(words('title'))} · {escape(data.bot)} · {escape(period)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{escape(words('title'))}</h1><p class='period'>{escape(period)}</p>"
        f"<p class='meta'>{escape(words('bot'))} <b>{escape(data.bot)}</b> · {escape(data.timezone)} · "
        f"{escape(words('generated', when=words.moment(generated)))}</p></header>"
        + "".join(sections)
        + "</body></html>\n"
    )


def write_html(path: Path, html: str) -> Path:
    """Write atomically: a reader (or a browser refreshing) never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return path
