"""The text of an alert's notifications: bot, group, metric, value against target, window, counts, page.

Only figures and names of the organisation (bot, group) go in: never an end user's name, phone or
message text, and never a setting's value other than the UI's address.
"""

from __future__ import annotations

import datetime as dt

from live_assets.monitor.judging import Judgement, format_value

TITLE_PREFIX = "[live-assets]"


def hours_text(day: dt.date, start: dt.datetime, end: dt.datetime) -> str:
    """``08:00–11:30`` of ``day``; an end at the next midnight reads ``24:00``, never ``00:00``."""
    end_text = "24:00" if end.date() > day else f"{end:%H:%M}"
    return f"{start:%H:%M}–{end_text}"


def window_text(day: dt.date, start: dt.datetime, end: dt.datetime, *, today: bool = True) -> str:
    """``today 08:00–11:30`` (``2026-03-04 08:00–24:00`` once the day is over)."""
    return f"{'today' if today else day.isoformat()} {hours_text(day, start, end)}"


def page_url(dagster_url: str | None, asset_path: list[str]) -> str | None:
    return None if dagster_url is None else f"{dagster_url}/assets/{'/'.join(asset_path)}"


def _value(judgement: Judgement) -> str:
    return "unknown" if judgement.value is None else format_value(judgement.metric, judgement.value)


def _lines(judgement: Judgement, state: str, window: str, page: str | None) -> str:
    figures, metric = judgement.figures, judgement.metric
    group = figures.group_name or f"group {figures.group_id}"
    target = metric.target_text(judgement.target)
    lines = [
        f"{TITLE_PREFIX} {state} {figures.bot} · {group}: {metric.label} {_value(judgement)}, target {target}",
        f"Bot: {figures.bot}",
        f"Group: {figures.group_label}",
        f"{metric.label}: {_value(judgement)} (target {target})",
        f"Window: {window} ({figures.day:%a %Y-%m-%d})",
        f"Offered: {figures.offered}, lost: {figures.lost}",
    ]
    if page is not None:
        lines.append(f"Page: {page}")
    return "\n".join(lines)


def open_message(judgement: Judgement, window: str, page: str | None) -> str:
    """First line: the title; then one fact per line."""
    return _lines(judgement, "ALERT", window, page)


def resolve_message(judgement: Judgement, window: str, page: str | None, *, day_ended: bool = False) -> str:
    return _lines(judgement, "RESOLVED (the day ended off target)" if day_ended else "RESOLVED", window, page)


def split(message: str) -> tuple[str, str]:
    """(title, body) of a stored message."""
    title, _, body = message.partition("\n")
    return title, body
