"""The connection check itself: log in, read a sample of every endpoint, probe the limits, estimate.

Every request goes through the same ``LiveClient`` the assets use, with the same settings and the same
token lock, so what passes here passes there and the check may run beside a backfill of the bot. The
token cache is a temporary one: the check really logs in, which is the only way to know that the
credentials (and so the renewal) work. Only ``--probe-concurrency`` sends a request past the lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import httpx

from live_assets import contract
from live_assets.check.access import check_access
from live_assets.check.estimate import backfill_estimate, sample_window
from live_assets.check.findings import Finding, Report, Status
from live_assets.check.shapes import compare_export, compare_rows, rows_of
from live_assets.client import LiveApiError, LiveBadRequestError, LiveClient, LiveRateLimitedError, Window
from live_assets.client.token_lock import UnlockedForProbe
from live_assets.client.windows import day_start
from live_assets.raw.endpoints import ENDPOINTS, BodyShape, EndpointSpec
from live_assets.settings import LiveSettings

DETAILS_SAMPLED: Final = 3  # conversations whose detail is read: one request each
SEND_GRACE_SECONDS: Final = 0.01
HOUR_LIMIT_PATH: Final = contract.Path.HISTOGRAM
ClientFactory = Callable[..., LiveClient]


def recent_complete_day(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """The last day whose conversations have all arrived (``contract.DATA_LAG`` after its midnight)."""
    current = now or dt.datetime.now(ZoneInfo(timezone))
    return (current.astimezone(ZoneInfo(timezone)) - contract.DATA_LAG).date() - dt.timedelta(days=1)


def run_check(
    settings: LiveSettings,
    bot: str,
    *,
    days: int = 30,
    now: dt.datetime | None = None,
    client_factory: ClientFactory = LiveClient.from_settings,
    probe_concurrency: bool = False,
    say: Callable[[str], None] = lambda _line: None,
) -> Report:
    """Check ``bot``'s connection and every endpoint against the registry; see ``live_assets.check``.

    ``probe_concurrency`` also sends a second request while one is in flight (it breaks the vendor's
    rule for that moment; ``say`` announces it before and after)."""
    day = recent_complete_day(settings.timezone, now)
    report = Report(bot=bot, base_url=settings.base_url, day=day.isoformat())
    with tempfile.TemporaryDirectory(prefix="live-check-") as cache:
        make = functools.partial(client_factory, settings, token_cache_dir=Path(cache))
        with make() as client:
            if not check_access(report, client):
                return report
            latencies, per_day = _endpoints(report, client, settings, day)
            _hour_limit(report, client, day)
        if probe_concurrency:
            say(
                f"probing the one-request rule: a second request on bot {bot}'s token while one is in flight, "
                "past the token lock; this breaks the vendor's rule while the probe runs"
            )
            _concurrency(report, make, day)
            say("probe done: the bot's token lock is honoured again")
        else:
            finding = report.add(Finding("probe: one request in flight"))
            finding.summary = "not probed (--probe-concurrency sends a second request at once, against the rule)"
    report.estimate = backfill_estimate(days, day, latencies, per_day)
    return report


def _endpoints(
    report: Report, client: LiveClient, settings: LiveSettings, day: dt.date
) -> tuple[dict[str, float], dict[str, float]]:
    """Every registry entry on its sample; returns each one's latency (s) and rows per day."""
    latencies: dict[str, float] = {}
    per_day: dict[str, float] = {}
    listed: list[int] = []
    for spec in ENDPOINTS:
        finding = report.add(Finding(spec.table))
        window = sample_window(spec, day)
        started = time.perf_counter()
        try:
            if spec.body is BodyShape.DETAIL_MESSAGES:
                details = [_detail(client, spec, conversation_id) for conversation_id in listed[:DETAILS_SAMPLED]]
                compare_rows(finding, spec, rows_of(spec, details))
                finding.summary = f"details of {len(details)} conversations of {day}"
                seconds = (time.perf_counter() - started) / max(len(details), 1)
            else:
                response = client.get(
                    spec.table, spec.path, params=spec.request_params(settings.export_lang), window=window
                )
                seconds = response.elapsed_seconds
                if spec.body is BodyShape.CSV_EXPORT:
                    compare_export(finding, response.body, settings.export_lang)
                else:
                    rows = rows_of(spec, response.json())
                    compare_rows(finding, spec, rows)
                    if spec.path is contract.Path.CONVERSATION_LIST:
                        listed = [int(row["conversation_id"]) for row in rows if "conversation_id" in row]
                finding.summary = f"{finding.measured.get('rows', 0)} rows for {window or 'the whole list'}"
        except LiveApiError as error:
            finding.flag(Status.MISMATCH, str(error))
            finding.summary = "the request failed"
            continue
        latencies[spec.table] = seconds
        finding.measured["latency_ms"] = round(seconds * 1000, 1)
        if window is not None:
            per_day[spec.table] = finding.measured.get("rows", 0) / len(window.days())
    if listed:
        per_day["conversation_messages"] = len(listed)  # details are one request per conversation
    return latencies, per_day


def _detail(client: LiveClient, spec: EndpointSpec, conversation_id: int) -> dict[str, Any]:
    response = client.get(spec.table, spec.path, params={"conversation_id": str(conversation_id)})
    payload = response.json()
    return payload if isinstance(payload, dict) else {}


def _hour_limit(report: Report, client: LiveClient, day: dt.date) -> None:
    """``HOUR`` over exactly 7 days must be refused (``to`` must be earlier than ``from`` + 7 days), the
    way the contract says, and the longest window the plan sends (7 days less a second) accepted."""
    finding = report.add(Finding("probe: HOUR range limit"))
    first = day - dt.timedelta(days=6)
    longest = Window.for_days(first, day)
    too_long = Window(day_start(first), day_start(day + dt.timedelta(days=1)))
    params = {"frequency": contract.Frequency.HOUR.value}
    try:
        client.get("histogram (7 days)", HOUR_LIMIT_PATH, params=params, window=longest)
    except LiveApiError as error:
        finding.flag(Status.MISMATCH, f"the longest window the plan sends was refused: {error}")
    try:
        client.get("histogram (7 days + 1 s)", HOUR_LIMIT_PATH, params=params, window=too_long)
    except LiveBadRequestError as error:
        if error.code is None:
            finding.flag(Status.WARNING, "refused with HTTP 400, but not in the vendor's error envelope")
        elif error.code != contract.ErrorCode.INVALID_DATE_RANGE or "max_range" not in error.details:
            finding.flag(Status.WARNING, f"refused, but not as the contract says: {error}")
        finding.measured["refusal"] = {"code": error.code, "details": error.details}
    except LiveApiError as error:
        finding.flag(Status.WARNING, f"refused with another status than 400: {error}")
    else:
        finding.flag(Status.WARNING, "an HOUR range of 7 days was accepted: the plan sends more requests than needed")
    if finding.status is Status.OK:
        finding.summary = "7 days less a second accepted; 7 days refused with 400 INVALID_DATE_RANGE"


class _AnswerClock(httpx.HTTPTransport):
    """The real transport, noting when a request goes out and when its response's headers arrive."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = threading.Event()
        self.at: float | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sending.set()
        response = super().handle_request(request)
        self.at = time.perf_counter()
        return response


def _concurrency(report: Report, make: Callable[..., LiveClient], day: dt.date) -> None:
    """Does the API refuse a second request on the token while one is in flight (429, contract §1)?

    Two clients share the token (through the cache); while the first fetches a week of conversations,
    the second asks for the group list. Neither retries, so a refusal is seen as it is; a second request
    served before the first was answered ran alongside it; one answered after it says nothing. The second
    client has no token lock, on purpose: with it, it would wait for the first, and there is no probe.
    """
    finding = report.add(Finding("probe: one request in flight"))
    groups = next(spec for spec in ENDPOINTS if spec.path is contract.Path.GROUPS)
    listing = next(spec for spec in ENDPOINTS if spec.path is contract.Path.CONVERSATION_LIST)
    week = Window.for_days(day - dt.timedelta(days=6), day)
    done = threading.Event()
    answered = _AnswerClock()
    unlocked = UnlockedForProbe()  # the second request must not wait for the first: that is the probe
    with make(max_attempts=1, transport=answered) as first, make(max_attempts=1, token_lock=unlocked) as second:
        first.get(groups.table, groups.path)  # both hold the token before the probe starts
        second.get(groups.table, groups.path)

        answered.sending.clear()
        answered.at = None

        def hold() -> None:
            try:
                first.get(listing.table, listing.path, window=week)
            except LiveApiError as error:
                finding.flag(Status.WARNING, f"the request in flight failed: {error}")
            finally:
                done.set()

        holder = threading.Thread(target=hold)
        holder.start()
        answered.sending.wait()
        time.sleep(SEND_GRACE_SECONDS)  # the first request's bytes reach the server before the second's
        finding.summary = "not observable: the first request ended before a second could be sent"
        while not done.is_set():
            try:
                second.get(groups.table, groups.path)
            except LiveRateLimitedError as error:
                finding.summary = f"a second request was refused: {error.status} {error.code}"
                finding.measured["refusal"] = {"status": error.status, "code": error.code}
                break
            except LiveApiError as error:
                finding.flag(Status.WARNING, f"a second request was refused, not with 429: {error}")
                break
            if answered.at is None:  # served while the first was still unanswered: the two ran at once
                finding.summary = "a second concurrent request was served"
                finding.flag(
                    Status.WARNING,
                    "the API does not refuse a second concurrent request as the contract says "
                    "(harmless: the client never sends two)",
                )
            else:
                finding.summary = "not observable: the API answered the first request before the second (it queues)"
            break
        holder.join()
