"""Reports sent to ``LIVE_REPORT_URLS``: once per report, bot and period, again only as a correction.

Each materialization of a report asks :func:`deliver_report` to send what it wrote. The version is
recorded in ``monitor.report_deliveries`` (``sql/report_deliveries.sql``) with a hash of its figures:

- no earlier row for that report, bot and period: it is sent as a new report;
- the latest row has the same hash: nothing is recorded, nothing is sent (a re-run, a re-read of the
  lookback with the same data);
- another hash: a *correction* is recorded, whose message lists the headline figures that changed.

The sending itself is the alerts' (``live_assets.monitor.delivery``): per URL, remembered by
fingerprint, outside the warehouse transaction, and a message a URL refused is sent again to it at the
next evaluation (the next report, or the next intraday refresh) until ``STALE_AFTER``. A report whose
period ended more than ``DELIVER_WITHIN`` ago (a backfill of last year) is written but not sent.
Messages hold the organisation's figures and names only (bot, groups, report title), never an end
user's data nor a URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from live_assets.kpis import queries
from live_assets.kpis.conditions import LOOKBACK
from live_assets.monitor import delivery
from live_assets.monitor.messages import TITLE_PREFIX
from live_assets.report.data import REPORT_PACKAGE
from live_assets.secret import Secret
from live_assets.warehouse import Warehouse

DELIVERIES_TABLE: Final = "monitor.report_deliveries"
# A report of a period older than the automation's own horizon is a backfill's: written, not sent.
DELIVER_WITHIN: Final = LOOKBACK
STALE_AFTER: Final = dt.timedelta(days=3)
SENT: Final = "sent"

_LATEST = (
    f"SELECT content_hash, figures, created_at FROM {DELIVERIES_TABLE} WHERE report = $report AND bot = $bot "
    "AND first_day = $first_day AND last_day = $last_day ORDER BY created_at DESC LIMIT 1"
)
_INSERT = (
    f"INSERT INTO {DELIVERIES_TABLE} (delivery_id, report, bot, first_day, last_day, content_hash, kind, figures, "
    "message, attachment, created_at, outcome) VALUES (CAST(hash($report, $bot, $first_day, $content_hash, $now) "
    "% 9223372036854775807 AS BIGINT), $report, $bot, $first_day, $last_day, $content_hash, $kind, $figures, "
    "$message, $attachment, $now, 'pending')"
)
_PENDING = (
    f"SELECT delivery_id, message, attachment, sent_to FROM {DELIVERIES_TABLE} "
    "WHERE bot = $bot AND sent_at IS NULL AND created_at >= $since ORDER BY created_at, delivery_id"
)
_MARK = (
    f"UPDATE {DELIVERIES_TABLE} SET sent_to = $sent_to, sent_at = $sent_at, attempted_at = $now, "
    "outcome = $outcome WHERE delivery_id = $delivery_id"
)


@dataclass(frozen=True)
class ReportVersion:
    """What one materialization wrote, as delivery sees it: which report, whose, which days, its figures."""

    report: str  # weekly, daily, custom/<name>
    bot: str
    first_day: dt.date
    last_day: dt.date
    content_hash: str
    figures: Mapping[str, object]  # the headline, as shown: what a correction compares
    title: str  # after "[live-assets] ", e.g. "Weekly report default · 2025-03-10..2025-03-16"
    lines: Sequence[str]  # the body, one fact per line
    attachment: Path | None = None


@dataclass(frozen=True)
class Outcome:
    """One report's delivery: recorded as new, as a correction, or not at all; then what was sent."""

    recorded: str | None = None  # 'report', 'correction', or None
    reason: str = ""
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    pending: int = 0


def content_hash(*parts: object) -> str:
    """A stable hash of a report's figures (their ``repr``: dataclasses of numbers and names)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def ensure_table(connection: Any) -> None:
    queries.run_script(connection, queries.read_sql(REPORT_PACKAGE, "report_deliveries.sql"), {})


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    changed = [
        f"{name}: {before.get(name, '–')} → {after.get(name, '–')}"
        for name in after
        if before.get(name) != after.get(name)
    ]
    return changed or ["the headline figures are unchanged; details of the report (groups, channels, rows) changed"]


def _message(version: ReportVersion, previous: tuple[str, str, dt.datetime] | None) -> tuple[str, str]:
    if previous is None:
        return "report", "\n".join([f"{TITLE_PREFIX} {version.title}", *version.lines])
    _, figures, created_at = previous
    changes = _changes(json.loads(figures), version.figures)
    lines = [
        f"{TITLE_PREFIX} CORRECTION {version.title}",
        f"This replaces the report sent on {created_at:%Y-%m-%d %H:%M} UTC; what changed:",
        *(f"- {change}" for change in changes),
        "",
        *version.lines,
    ]
    return "correction", "\n".join(lines)


def record(warehouse: Warehouse, version: ReportVersion, now: dt.datetime) -> str | None:
    """Record ``version`` to be sent, unless its content was recorded already; the kind recorded."""

    def apply(connection: Any) -> str | None:
        ensure_table(connection)
        key = {"report": version.report, "bot": version.bot, "first_day": version.first_day}
        previous = connection.execute(_LATEST, key | {"last_day": version.last_day}).fetchone()
        if previous is not None and previous[0] == version.content_hash:
            return None
        kind, message = _message(version, previous)
        connection.execute(
            _INSERT,
            key
            | {
                "last_day": version.last_day,
                "content_hash": version.content_hash,
                "kind": kind,
                "figures": json.dumps(dict(version.figures), ensure_ascii=False),
                "message": message,
                "attachment": None if version.attachment is None else str(version.attachment),
                "now": now,
            },
        )
        return kind

    return warehouse.atomically(apply, what=f"{DELIVERIES_TABLE} of {version.bot} {version.report}")


def send_pending(warehouse: Warehouse, *, bot: str, urls: Sequence[Secret], now: dt.datetime) -> Outcome:
    """Send the bot's report messages not yet accepted by every URL, then record who accepted them."""
    if not urls:
        return Outcome()
    with warehouse.connect() as connection:
        ensure_table(connection)
        pending = connection.execute(_PENDING, {"bot": bot, "since": now - STALE_AFTER}).fetchall()
    sent, failures, marks = 0, [], []
    for delivery_id, message, attachment, sent_to in pending:
        path = Path(attachment) if attachment and Path(attachment).is_file() else None
        result = delivery.deliver(message, urls, already=sent_to or (), attachment=path, what="report")
        failures += list(result.failures)
        sent += result.complete
        marks.append(
            {
                "delivery_id": delivery_id,
                "sent_to": list(result.accepted_by),
                "sent_at": now if result.complete else None,
                "now": now,
                "outcome": SENT if result.complete else "; ".join(result.failures),
            }
        )

    def mark(connection: Any) -> None:
        for parameters in marks:
            connection.execute(_MARK, parameters)

    if marks:
        warehouse.atomically(mark, what=f"{DELIVERIES_TABLE} sendings of {bot}")
    return Outcome(sent=sent, failures=failures, pending=len(marks) - sent)


def deliver_report(
    warehouse: Warehouse, version: ReportVersion, *, urls: Sequence[Secret], now: dt.datetime
) -> Outcome:
    """Record ``version`` (new, correction, or nothing when its content was sent already) and send every
    pending report message of its bot. Nothing at all without URLs, or for a period older than
    ``DELIVER_WITHIN``."""
    if not urls:
        return Outcome(reason="LIVE_REPORT_URLS is not set")
    if version.last_day < now.date() - DELIVER_WITHIN:
        return Outcome(reason=f"not sent: the period ended more than {DELIVER_WITHIN.days} days ago (a backfill)")
    kind = record(warehouse, version, now)
    done = send_pending(warehouse, bot=version.bot, urls=urls, now=now)
    reason = "same content as the report already sent: not sent again" if kind is None else f"recorded as a {kind}"
    return Outcome(kind, reason, done.sent, done.failures, done.pending)
