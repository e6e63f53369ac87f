"""The first day to suggest when ``LIVE_START_DATE`` is unset: a week before the sample day the API answered.

Unset, the partitions start on ``DEFAULT_START_DATE`` (hundreds of days: "Materialize all" would read them
all); the README's "Connect your bot" loads a few days first. The suggestion is read from what the check
saw: the sample day (the last complete one) and how many conversations the API had on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from live_assets.check.findings import Finding, Report
from live_assets.settings import DEFAULT_START_DATE, START_DATE_ENV

FIRST_DAYS: Final = 7
CONVERSATIONS: Final = "conversations"


def start_date_finding(report: Report) -> Finding:
    """A line saying which ``LIVE_START_DATE`` to set, from the report's sample day and conversations."""
    day = dt.date.fromisoformat(report.day)
    first = day - dt.timedelta(days=FIRST_DAYS - 1)
    finding = Finding("start date")
    sampled = next((f for f in report.findings if f.name == CONVERSATIONS and "rows" in f.measured), None)
    seen = (
        f"the API had {sampled.measured['rows']} conversations on {day}"
        if sampled is not None
        else f"the last complete day is {day}"
    )
    partitions = (day - DEFAULT_START_DATE).days + 1
    finding.summary = (
        f"{START_DATE_ENV} is not set: the partitions would start on {DEFAULT_START_DATE} ({partitions} days); "
        f"{seen}: set {START_DATE_ENV}={first} for a first week, then move it back"
    )
    finding.measured["suggested_start_date"] = first.isoformat()
    return finding
