"""How many requests, and how long, an N-day backfill takes: the minimal plan times the measured latency.

The plan is the one the raw assets send (``plan_windows`` with each registry entry's window rule); a
window's time is the sample day's latency times the days it covers (the API's time grows with the
data in the range). The details are one request per conversation, shown apart: they dominate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from live_assets.client import Window, plan_windows
from live_assets.client.windows import WEEK_DAYS
from live_assets.raw.endpoints import ENDPOINTS, BodyShape, EndpointSpec


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def sample_window(spec: EndpointSpec, day: dt.date) -> Window | None:
    """The sample an entry is checked on: ``day``, or the last whole week up to it; None for the lists."""
    if spec.window is None:
        return None
    if spec.window.unit_days == WEEK_DAYS:
        last_sunday = day - dt.timedelta(days=(day.weekday() + 1) % WEEK_DAYS)
        return Window.for_days(last_sunday - dt.timedelta(days=WEEK_DAYS - 1), last_sunday)
    return Window.for_days(day, day)


def planned_windows(spec: EndpointSpec, first_day: dt.date, last_day: dt.date) -> list[Window]:
    """The fewest windows for ``spec`` over the days (whole weeks for a weekly entry)."""
    assert spec.window is not None
    rule = spec.window
    if rule.unit_days == WEEK_DAYS:
        first_day = _monday(first_day)
        last_day = _monday(last_day) - dt.timedelta(days=1) if last_day.weekday() != WEEK_DAYS - 1 else last_day
        if last_day < first_day:
            return []
    return plan_windows(first_day, last_day, max_range=rule.max_range, unit_days=rule.unit_days, per_unit=rule.per_unit)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def backfill_estimate(
    days: int, last_day: dt.date, latencies: Mapping[str, float], per_day: Mapping[str, float]
) -> dict[str, Any]:
    """Requests and time of a ``days``-day backfill ending on ``last_day``, per endpoint and in all."""
    first_day = last_day - dt.timedelta(days=days - 1)
    rows: list[dict[str, Any]] = []
    for spec in ENDPOINTS:
        latency = latencies.get(spec.table)
        if spec.body is BodyShape.DETAIL_MESSAGES:
            requests = round(per_day.get(spec.table, 0) * days)
            seconds = requests * (latency or 0)
        elif spec.window is None:
            requests, seconds = 1, latency or 0
        else:
            windows = planned_windows(spec, first_day, last_day)
            sample_days = len(sample_window(spec, last_day).days())  # type: ignore[union-attr]
            requests = len(windows)
            seconds = sum((latency or 0) * len(window.days()) / sample_days for window in windows)
        rows.append({"endpoint": spec.table, "requests": requests, "seconds": round(seconds, 1)})
    details = [row for row in rows if row["endpoint"] == "conversation_messages"]
    others = [row for row in rows if row not in details]
    requests, seconds = sum(row["requests"] for row in others), sum(row["seconds"] for row in others)
    detail_requests, detail_seconds = sum(r["requests"] for r in details), sum(r["seconds"] for r in details)
    return {
        "days": days,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "requests": requests,
        "seconds": round(seconds, 1),
        "detail_requests": detail_requests,
        "detail_seconds": round(detail_seconds, 1),
        "per_endpoint": rows,
        "summary": (
            f"A {days}-day backfill ({first_day}..{last_day}): {requests} requests, about {_duration(seconds)}; "
            f"the conversation details apart: {detail_requests} more requests, about {_duration(detail_seconds)}"
        ),
        "lines": [f"{row['endpoint']:<22} {row['requests']:>7} requests  {_duration(row['seconds'])}" for row in rows],
    }
