"""The current instant, as the pipeline reads it wherever the time of the bot's day matters.

Today's window (``raw/conversations_today``), which days are final (``ensure_final``), the per-bot
freshness checks and the backfill command's "last complete days" all ask :func:`now`. In production it is
the machine's clock. ``LIVE_TEST_NOW`` (an ISO 8601 instant with its offset, e.g.
``2026-03-08T03:00:00-04:00``) fixes it, so that a test runs the pipeline at the hour of the bot's day it
needs (``live_assets_tests/test_hours.py``), in its own process or in the Dagster processes it starts.
Deployments never set it; it is read at each call, never cached.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Final

TEST_NOW_VARIABLE: Final = "LIVE_TEST_NOW"


def fixed_now() -> dt.datetime | None:
    """The instant ``LIVE_TEST_NOW`` fixes, or None when it is unset or empty (the machine's clock)."""
    text = os.environ.get(TEST_NOW_VARIABLE, "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{TEST_NOW_VARIABLE} must be an ISO 8601 instant such as 2026-03-08T03:00:00-04:00") from None
    if moment.tzinfo is None:
        raise ValueError(f"{TEST_NOW_VARIABLE} must carry its UTC offset (e.g. +00:00): a bare time has no zone")
    return moment


def now(zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The current instant, aware, in ``zone``."""
    return (fixed_now() or dt.datetime.now(dt.UTC)).astimezone(zone)
