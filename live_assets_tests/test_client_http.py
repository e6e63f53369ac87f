"""The client against the simulator over real HTTP: endpoints, errors, retries, tokens, secrets.

Nothing here sleeps: the client's ``sleep`` records the waits (and moves a test clock), so retries
and token ages are checked by value, not by waiting for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import socket
import stat
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_assets import contract
from live_assets.client import (
    LANDING_SUFFIX,
    LiveApiError,
    LiveAuthenticationError,
    LiveBadRequestError,
    LiveClient,
    LiveForbiddenError,
    LiveNotFoundError,
    LiveRateLimitedError,
    LiveResponseError,
    LiveServerError,
    LiveTokenExpiredError,
    LiveTransportError,
    LiveUnreachableError,
    Window,
    plan_windows,
)
from live_assets.client.auth import REFUSED_LOGIN_HOLD_SECONDS
from live_assets.client.export_csv import ExportFormatError
from live_assets.secret import Secret
from live_assets.simulator import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_X_TOKEN,
    FOREIGN_X_TOKEN,
    VIEWER_EMAIL,
    VIEWER_PASSWORD,
    SimulatorServer,
)
from live_assets_tests.endpoint_calls import fetch

WEEK = Window.for_days(dt.date(2025, 11, 3), dt.date(2025, 11, 9))  # Monday..Sunday, long final
DAY = Window.for_days(dt.date(2025, 11, 5), dt.date(2025, 11, 5))
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # the first bytes of a zstd frame (RFC 8878)
P = contract.Path


class TestClock:
    """Wall-clock seconds the test moves: the client's view of token age."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


class FixedDraw:
    """Every jitter draw is 1.0, so a backoff wait is exactly its ceiling."""

    def random(self) -> float:
        return 1.0


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    authorization: str | None
    retry_after: str | None


class RecordingTransport(httpx.BaseTransport):
    """The real HTTP transport, noting what went out and what came back (for Retry-After and secrets)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                response.status_code,
                request.headers.get(contract.AUTH_HEADER),
                response.headers.get(contract.RETRY_AFTER_HEADER),
            )
        )
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Harness:
    """Builds clients for one simulator, with recorded sleeps, a test clock and a token cache of the test's own."""

    server: SimulatorServer
    cache_dir: Path
    clock: TestClock = field(default_factory=TestClock)
    sleeps: list[float] = field(default_factory=list)
    transports: list[RecordingTransport] = field(default_factory=list)
    clients: list[LiveClient] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.now += seconds

    def client(
        self,
        *,
        email: str = DEMO_EMAIL,
        password: str = DEMO_PASSWORD,
        x_token: str = DEMO_X_TOKEN,
        static_token: str | None = None,
        **options: Any,
    ) -> LiveClient:
        transport = RecordingTransport()
        self.transports.append(transport)
        auth: dict[str, Any] = (
            {"static_token": Secret(static_token)}
            if static_token is not None
            else {"credentials": (email, Secret(password))}
        )
        options.setdefault("rng", FixedDraw())
        client = LiveClient(
            self.server.base_url,
            Secret(x_token),
            token_cache_dir=self.cache_dir,
            transport=transport,
            sleep=self.sleep,
            clock=self.clock,
            **auth,
            **options,
        )
        self.clients.append(client)
        return client

    def exchanges(self) -> list[Exchange]:
        return [exchange for transport in self.transports for exchange in transport.exchanges]

    def requests_to(self, path: str) -> int:
        return self.server.counters()["requests"].get(str(path), 0)

    def logins(self) -> int:
        return self.server.counters()["logins"]


@pytest.fixture
def harness(sim: SimulatorServer, tmp_path: Path) -> Iterator[Harness]:
    built = Harness(sim, tmp_path / "token-cache")
    yield built
    for client in built.clients:
        client.close()


# --- every endpoint ---------------------------------------------------------------------------------


def test_conversation_list_matches_the_simulator_day_by_day(harness: Harness) -> None:
    client = harness.client()
    response = fetch(client, "conversations", WEEK)
    records = response.records()
    expected = [row for day in WEEK.days() for row in harness.server.conversations(day)]
    assert records == expected and len(records) > 500
    assert response.params == WEEK.params() and response.window == WEEK and response.attempts == 1
    assert response.endpoint == "conversations" and response.path == P.CONVERSATION_LIST
    assert response.content_type.startswith(contract.JSON_CONTENT_TYPE)
    assert client.stats.requests == 1 and client.stats.bytes_received == len(response.body)


def test_conversation_detail_and_its_404(harness: Harness) -> None:
    client = harness.client()
    first = harness.server.conversations(DAY.first_day)[0]
    (detail,) = fetch(client, "conversation_messages", conversation_id=str(first["conversation_id"])).records()
    assert {key: detail[key] for key in first} == first
    assert detail["messages"] and {m["sender"] for m in detail["messages"]} <= set(contract.MESSAGE_SENDERS)
    with pytest.raises(LiveNotFoundError) as caught:
        fetch(client, "conversation_messages", conversation_id=str(999_999_999))
    assert caught.value.code == "NOT_FOUND" and caught.value.endpoint == "conversation_messages"
    assert harness.requests_to(P.CONVERSATION_DETAIL) == 2  # a 404 is not retried


def test_aggregate_endpoints_agree_with_the_list(harness: Harness) -> None:
    client = harness.client()
    conversations = fetch(client, "conversations", DAY).records()
    total, lost = len(conversations), sum(c["status"] == "lost" for c in conversations)
    (stats,) = fetch(client, "conversation_stats", DAY).records()
    assert (stats["total"], stats["lost"], stats["closed"]) == (total, lost, total - lost)
    sla = fetch(client, "sla_by_group", DAY).records()
    assert sum(row["total"] for row in sla) == total
    histogram = fetch(client, "histogram", DAY).records()
    assert len(histogram) == 48 and sum(row["total"] for row in histogram) == total
    assert histogram[0]["period"] == "2025-11-05 00:00:00"
    summary = fetch(client, "summary", DAY).records()
    assert sum(row["total"] for row in summary) == total
    performance = fetch(client, "agent_performance", DAY).records()
    assert sum(row["conversations"] for row in performance) == total - lost
    (feedback,) = fetch(client, "feedback", DAY).records()
    assert feedback["surveys"] == sum(c["feedback"] is not None for c in conversations) == len(feedback["items"])


def test_weekly_summary_over_a_month_of_weeks(harness: Harness) -> None:
    client = harness.client()
    first, last = dt.date(2025, 10, 6), dt.date(2025, 11, 9)  # five weeks, Monday to Sunday
    windows = plan_windows(first, last, max_range=contract.ONE_MONTH, unit_days=7)
    rows = [row for window in windows for row in fetch(client, "summary_weekly", window).records()]
    assert len(windows) == 2
    periods = sorted({row["period"] for row in rows})
    assert periods == [f"{first + dt.timedelta(weeks=n)} 00:00:00" for n in range(5)]


def test_dimension_lists(harness: Harness) -> None:
    client = harness.client()
    agents, groups = fetch(client, "agents").records(), fetch(client, "groups").records()
    assert agents and {"id", "name", "nick_name", "email", "max_concurrent_chats"} <= set(agents[0])
    assert groups and {"id", "name", "description", "sla_threshold"} <= set(groups[0])


def test_filters_narrow_the_answer(harness: Harness) -> None:
    client = harness.client()
    everything = fetch(client, "conversations", DAY).records()
    group_ids = sorted({c["group"]["id"] for c in everything})[:2]
    some = fetch(client, "conversations", DAY, group_id=",".join(map(str, group_ids))).records()
    assert some and len(some) < len(everything)
    assert {c["group"]["id"] for c in some} <= set(group_ids)
    assert some == [c for c in everything if c["group"]["id"] in group_ids]


@pytest.mark.parametrize("lang", contract.EXPORT_LANGUAGES)
def test_export_in_every_language_matches_the_list(harness: Harness, lang: str) -> None:
    client = harness.client()
    conversations = {c["conversation_id"]: c for c in fetch(client, "conversations", DAY).records()}
    response = fetch(client, "export_conversations", DAY, lang=lang)
    assert response.params["lang"] == lang
    assert response.body.startswith(",".join(contract.export_headers(lang)).encode())
    rows = response.records()
    assert [row["conversation_id"] for row in rows] == list(conversations)
    for row in rows:
        source = conversations[row["conversation_id"]]
        assert row["status"] == source["status"]
        assert row["queued_at"] == contract.parse_datetime(source["queueddatetime"])
        assert (row["wait_time"], row["session_time"]) == (source["wait_time"], source["session_time"])
        assert row["first_response_time"] == source["first_response_time"]
        assert row["transfers"] == source["transfers"]
        assert row["feedback"] == (source["feedback"] or {}).get("value")
    comments = [row["comment"] for row in rows if row["comment"]]
    assert any("\n" in c for c in comments) and any('"' in c for c in comments) and any("," in c for c in comments)


def test_export_comments_survive_intact(harness: Harness) -> None:
    client = harness.client()
    feedback_items = fetch(client, "feedback", WEEK).records()[0]["items"]
    by_conversation = {item["conversation_id"]: item["comment"] for item in feedback_items}
    rows = fetch(client, "export_conversations", WEEK, lang="pt").records()
    exported = {row["conversation_id"]: row["comment"] for row in rows if row["conversation_id"] in by_conversation}
    assert exported == {cid: comment or None for cid, comment in by_conversation.items()}


# --- every error code -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (P.CONVERSATION_LIST, {}, "MISSING_PARAMETER"),
        (P.CONVERSATION_LIST, {"from": "2025/11/05", "to": "2025-11-05 23:59:59"}, "INVALID_DATE_FORMAT"),
        (P.CONVERSATION_LIST, {"from": "2025-11-06 00:00:00", "to": "2025-11-05 23:59:59"}, "INVALID_DATE_RANGE"),
        (P.HISTOGRAM, {**DAY.params(), "frequency": "FORTNIGHT"}, "INVALID_FREQUENCY"),
        (P.EXPORT_SIMPLE, {**DAY.params(), "lang": "fr"}, "INVALID_LANG"),
        (P.CONVERSATION_DETAIL, {"conversation_id": "abc"}, "INVALID_PARAMETER"),
        (P.CONVERSATION_LIST, {**DAY.params(), "group_id": "one,two"}, "INVALID_PARAMETER"),
    ],
)
def test_bad_requests_fail_fast_with_the_vendor_envelope(
    harness: Harness, path: str, params: dict[str, str], code: str
) -> None:
    client = harness.client()
    with pytest.raises(LiveBadRequestError) as caught:
        client.get("probe", path, params)
    error = caught.value
    assert (error.status, error.code, error.endpoint) == (400, code, "probe")
    assert error.message and not error.is_retryable
    assert harness.requests_to(path) == 1 and harness.sleeps == []


def test_range_too_long_carries_the_vendor_details_and_window(harness: Harness) -> None:
    client = harness.client()
    fifteen_days = Window.for_days(dt.date(2025, 11, 1), dt.date(2025, 11, 15))
    with pytest.raises(LiveBadRequestError) as caught:
        fetch(client, "histogram", fifteen_days, frequency="HOUR")
    error = caught.value
    assert error.code == "INVALID_DATE_RANGE" and error.window == str(fifteen_days)
    assert error.details == {"max_range": "7 days", "provided_range": "15 days", "frequency": "HOUR"}
    text = str(error)
    assert "histogram" in text and str(fifteen_days) in text and "15 days" in text


def test_wrong_password_is_one_login_and_a_clear_error(harness: Harness) -> None:
    client = harness.client(password="not-the-password")
    with pytest.raises(LiveAuthenticationError) as caught:
        fetch(client, "conversations", DAY)
    error = caught.value
    assert error.code == "INVALID_CREDENTIALS" and error.status == 401
    assert "LIVE_API_EMAIL" in str(error) and "LIVE_API_PASSWORD" in str(error)
    assert "conversations (login)" in str(error)
    assert harness.logins() == 1 and harness.requests_to(P.CONVERSATION_LIST) == 0 and harness.sleeps == []
    # The refusal is remembered in the token cache: another call, or another process (a later step of
    # the backfill, here a second client on the same cache), is refused without a login attempt.
    for again in (client, harness.client(password="not-the-password")):
        with pytest.raises(LiveAuthenticationError, match="not tried again") as repeated:
            fetch(again, "conversations", DAY)
        assert repeated.value.code == "INVALID_CREDENTIALS" and "LIVE_API_PASSWORD" in str(repeated.value)
    assert harness.logins() == 1
    # Changed (corrected) credentials are a different cache entry: used at once.
    assert len(fetch(harness.client(), "conversations", DAY).json()) > 0
    assert harness.logins() == 2
    # And the same wrong ones are tried again once the hold is over: a second refused login.
    harness.clock.now += REFUSED_LOGIN_HOLD_SECONDS
    with pytest.raises(LiveAuthenticationError) as after_hold:
        fetch(client, "conversations", DAY)
    assert "not tried again" not in str(after_hold.value)
    assert harness.logins() == 3


@pytest.mark.parametrize(
    ("email", "password", "x_token", "reason"),
    [
        (DEMO_EMAIL, DEMO_PASSWORD, "no-such-x-token", "unknown_x_token"),
        (DEMO_EMAIL, DEMO_PASSWORD, FOREIGN_X_TOKEN, "not_linked"),
        (VIEWER_EMAIL, VIEWER_PASSWORD, DEMO_X_TOKEN, "no_reports_permission"),
    ],
)
def test_forbidden_fails_fast_naming_the_setting(
    harness: Harness, email: str, password: str, x_token: str, reason: str
) -> None:
    client = harness.client(email=email, password=password, x_token=x_token)
    with pytest.raises(LiveForbiddenError) as caught:
        fetch(client, "conversation_stats", DAY)
    error = caught.value
    assert (error.status, error.code, error.details.get("reason")) == (403, "FORBIDDEN", reason)
    assert "conversation_stats" in str(error) and "LIVE_API_X_TOKEN" in str(error) and "Reports" in str(error)
    assert harness.requests_to(P.CONVERSATION_STATS) == 1


def test_static_token_works_without_login_and_expires_with_a_hint(harness: Harness) -> None:
    token = harness.server.issue_token(DEMO_EMAIL, ttl=3600)
    client = harness.client(static_token=token)
    assert fetch(client, "conversation_stats", DAY).records()[0]["total"] > 0
    harness.server.expire_tokens()
    with pytest.raises(LiveTokenExpiredError) as caught:
        fetch(client, "conversation_stats", DAY)
    error = caught.value
    assert error.status == 401 and error.code == "UNAUTHORIZED"
    assert error.details.get("reason") == contract.EXPIRED_TOKEN_REASON
    assert "set LIVE_API_EMAIL and LIVE_API_PASSWORD" in str(error) and "conversation_stats" in str(error)
    assert harness.logins() == 0 and token not in str(error)


# --- a server that cannot be reached ---------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port bound but never listening: a connection to it is refused, for as long as the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def unreachable_urls(closed_port: int, sim: SimulatorServer) -> list[tuple[str, str]]:
    plain_http_port = httpx.URL(sim.base_url).port
    return [
        (f"http://127.0.0.1:{closed_port}", "connection refused"),
        ("http://nonexistent.invalid", "host name not found"),
        (f"https://127.0.0.1:{plain_http_port}", "TLS handshake failed"),  # TLS spoken to a plain HTTP server
    ]


def test_an_unreachable_api_fails_the_login_at_once_naming_url_and_setting(
    harness: Harness, closed_port: int, tmp_path: Path
) -> None:
    for url, reason in unreachable_urls(closed_port, harness.server):
        sleeps: list[float] = []
        client = LiveClient(
            url,
            Secret(DEMO_X_TOKEN),
            credentials=(DEMO_EMAIL, Secret(DEMO_PASSWORD)),
            token_cache_dir=tmp_path,
            sleep=sleeps.append,
        )
        with client, pytest.raises(LiveUnreachableError) as caught:
            fetch(client, "conversation_stats", DAY)
        error = caught.value
        text = str(error)
        assert not error.is_retryable and error.attempts == 1 and sleeps == [], url
        assert text.startswith(f"conversation_stats (login) [{DAY}]: cannot reach the API at {url}: {reason}"), text
        assert "check LIVE_API_BASE_URL" in text and "\n" not in text
        assert "(after" not in text and DEMO_PASSWORD not in text
        assert client.stats.requests == 0 and client.stats.logins == 0


def test_a_refused_data_call_is_still_retried(harness: Harness) -> None:
    """Only the login's connection failures are final: the API that answered a moment ago and drops a
    connection now is restarting, and a retry is what gets the window through."""
    client = harness.client()
    fetch(client, "groups")
    harness.server.schedule_fault(P.CONVERSATION_STATS, "drop", times=1)
    assert fetch(client, "conversation_stats", DAY).attempts == 2


# --- retries ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["502", "503", "504", "drop", "truncate", "truncated_json_200", "html_200"])
def test_transient_faults_are_retried_with_backoff(harness: Harness, kind: str) -> None:
    client = harness.client()
    expected = fetch(client, "conversation_stats", DAY).body
    harness.server.schedule_fault(P.CONVERSATION_STATS, kind, times=2)
    response = fetch(client, "conversation_stats", DAY)
    assert response.body == expected and response.attempts == 3
    assert harness.sleeps == [0.5, 1.0]  # full jitter drawn at its ceiling: base * 2**(n-1)
    assert client.stats.retries == 2 and client.stats.seconds_waiting == 1.5
    assert harness.requests_to(P.CONVERSATION_STATS) == 4


def test_retry_after_is_honoured_and_zero_means_backoff(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = make_simulator()
    harness = Harness(server, tmp_path)
    client = harness.client(max_attempts=8, backoff_base=0.25)
    server.schedule_fault(P.CONVERSATION_LIST, "429", times=7)
    response = fetch(client, "conversations", DAY)
    assert response.attempts == 8
    hints = [e.retry_after for e in harness.exchanges() if e.status == 429]
    assert len(hints) == 7 and {"0", "1"} <= set(hints), hints  # the simulator sends both
    for failures, (hint, wait) in enumerate(zip(hints, harness.sleeps, strict=True), start=1):
        if hint == "0":
            assert wait == min(30.0, 0.25 * 2 ** (failures - 1))  # "no hint": our own backoff
        else:
            assert wait == float(hint)
    client.close()


def test_attempts_are_bounded_and_the_error_is_typed(harness: Harness) -> None:
    client = harness.client(max_attempts=3)
    cases: list[tuple[str, type[LiveApiError]]] = [
        ("429", LiveRateLimitedError),
        ("502", LiveServerError),
        ("drop", LiveTransportError),
        ("truncate", LiveTransportError),
        ("html_200", LiveResponseError),
        ("truncated_json_200", LiveResponseError),
    ]
    for kind, error_type in cases:
        harness.server.clear_faults()
        harness.server.reset_counters()
        harness.sleeps.clear()
        harness.server.schedule_fault(P.SUMMARY, kind, times=10)
        with pytest.raises(error_type) as caught:
            fetch(client, "summary", DAY)
        assert caught.value.attempts == 3 and caught.value.is_retryable, kind
        assert "after 3 attempts" in str(caught.value) and str(DAY) in str(caught.value)
        assert harness.requests_to(P.SUMMARY) == 3 and len(harness.sleeps) == 2, kind


def test_a_timeout_is_a_transport_error(make_simulator: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    server = make_simulator(latency_ms=400)
    harness = Harness(server, tmp_path)
    client = harness.client(timeout=0.05, max_attempts=1)
    with pytest.raises(LiveTransportError, match="timed out"):
        fetch(client, "conversation_stats", DAY)
    client.close()


def test_csv_faults_are_load_errors_not_retries(harness: Harness) -> None:
    client = harness.client()
    for kind, message in (
        ("csv_unknown_header", "unknown export header 'Columna misteriosa'"),
        ("csv_ragged_row", "ragged row"),
    ):
        harness.server.schedule_fault(P.EXPORT_SIMPLE, kind)
        response = fetch(client, "export_conversations", DAY)
        with pytest.raises(ExportFormatError, match=message):
            response.records()


def test_unknown_and_missing_fields_are_kept_or_tolerated(harness: Harness) -> None:
    client = harness.client()
    harness.server.schedule_fault(P.CONVERSATION_LIST, "extra_fields")
    extra = fetch(client, "conversations", DAY).records()
    assert all("x_sim_extra" in row for row in extra)
    harness.server.schedule_fault(P.CONVERSATION_LIST, "missing_optional")
    assert len(fetch(client, "conversations", DAY).records()) == len(extra)


# --- tokens ----------------------------------------------------------------------------------------------------


def test_short_lived_tokens_are_renewed_before_expiry_across_windows(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = make_simulator(token_ttl=2)
    harness = Harness(server, tmp_path)
    client = harness.client()
    windows = plan_windows(dt.date(2025, 11, 3), dt.date(2025, 11, 16), max_range=None, per_unit=True)
    totals = []
    for window in windows:
        totals.append(fetch(client, "conversation_stats", window).records()[0]["total"])
        harness.clock.now += 0.9  # each window takes 0.9 s by the client's clock
    assert len(totals) == 14 and all(totals)
    refused = server.counters()["responses"].get("401", 0)
    # Renewed 0.4 s before expiry (20 % of 2 s): a new token every second window, before the API refuses it.
    assert client.stats.logins == 7 + refused == server.counters()["logins"]
    tokens = [e.authorization for e in harness.exchanges() if e.method == "GET"]
    assert len(set(tokens)) >= 7
    client.close()


def test_a_401_renews_the_token_once(harness: Harness) -> None:
    client = harness.client()
    fetch(client, "conversation_stats", DAY)
    harness.server.expire_tokens()
    response = fetch(client, "conversation_stats", DAY)
    assert response.status == 200 and response.attempts == 2
    assert harness.logins() == 2 and harness.server.counters()["responses"]["401"] == 1
    assert harness.sleeps == []  # renewing is not a retry


def test_two_clients_share_one_login_through_the_cache(harness: Harness) -> None:
    first, second = harness.client(), harness.client()
    fetch(first, "conversation_stats", DAY)
    fetch(second, "conversation_stats", DAY)
    assert harness.logins() == 1
    (cache_file,) = harness.cache_dir.glob("token-*.json")
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert DEMO_EMAIL not in cache_file.name and DEMO_X_TOKEN not in cache_file.name
    # The API forgets every token: the first client to hear it logs in, the other reads its token.
    harness.server.expire_tokens()
    fetch(first, "conversation_stats", DAY)
    fetch(second, "conversation_stats", DAY)
    assert harness.logins() == 2
    assert harness.server.counters()["responses"]["401"] == 2


def _login_in_another_process(base_url: str, cache_dir: str, barrier: Any) -> str:
    with LiveClient(
        base_url, Secret(DEMO_X_TOKEN), credentials=(DEMO_EMAIL, Secret(DEMO_PASSWORD)), token_cache_dir=Path(cache_dir)
    ) as client:
        barrier.wait(timeout=60)
        fetch(client, "agents")
        return str(client.stats.logins)


def test_concurrent_processes_log_in_once(harness: Harness) -> None:
    # concurrent.futures, whose exit waits for its idle workers to end; multiprocessing.Pool's exit
    # terminates them, and once left a worker blocked on the pool's queue lock, hanging the test.
    context = multiprocessing.get_context("spawn")
    processes = 3
    with context.Manager() as manager, ProcessPoolExecutor(processes, mp_context=context) as pool:
        barrier = manager.Barrier(processes)
        args = (harness.server.base_url, str(harness.cache_dir), barrier)
        futures = [pool.submit(_login_in_another_process, *args) for _ in range(processes)]
        logins = [future.result(timeout=120) for future in futures]
    assert sorted(logins) == ["0", "0", "1"]
    assert harness.logins() == 1


def test_one_request_in_flight_even_from_two_threads(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = make_simulator(latency_ms=40)
    harness = Harness(server, tmp_path)
    client = harness.client()
    errors: list[BaseException] = []

    def fetch_four() -> None:
        try:
            for _ in range(4):
                fetch(client, "conversation_stats", DAY)
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=fetch_four) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counters = server.counters()
    assert counters["max_in_flight_per_token"] == 1 and "429" not in counters["responses"]
    assert client.stats.requests == 8
    client.close()


# --- secrets ------------------------------------------------------------------------------------------------------

SECRET_PASSWORD = "Pw-7f3a9c1e-do-not-log"
SECRET_X_TOKEN = "xt-5b2d8e4f-do-not-log"


def test_secrets_never_reach_logs_errors_or_reprs(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_simulator(email="ops@example.com", password=SECRET_PASSWORD, x_token=SECRET_X_TOKEN)
    harness = Harness(server, tmp_path)
    texts: list[str] = []
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "live_assets"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = harness.client(email="ops@example.com", password=SECRET_PASSWORD, x_token=SECRET_X_TOKEN, max_attempts=2)
    texts += [repr(client), str(client.__dict__.get("base_url"))]
    response = fetch(client, "conversations", DAY)
    texts += [repr(response), str(response.params)]
    for kind in ("502", "drop", "truncate", "html_200"):
        server.schedule_fault(P.CONVERSATION_STATS, kind)
        fetch(client, "conversation_stats", DAY)
    server.expire_tokens()
    fetch(client, "conversation_stats", DAY)  # a 401, then a renewal
    failing: list[Callable[[], object]] = [
        lambda: fetch(
            client, "histogram", Window.for_days(dt.date(2025, 11, 1), dt.date(2025, 11, 15)), frequency="HOUR"
        ),
        lambda: fetch(client, "conversation_messages", conversation_id=str(999_999_999)),
        lambda: fetch(harness.client(email="ops@example.com", password=SECRET_PASSWORD, x_token="wrong"), "groups"),
        lambda: fetch(
            harness.client(email="ops@example.com", password=SECRET_PASSWORD + "x", x_token=SECRET_X_TOKEN), "groups"
        ),
    ]
    server.schedule_fault(P.SUMMARY, "503", times=5)
    failing.append(lambda: fetch(client, "summary", DAY, frequency="DAY"))
    for call in failing:
        with pytest.raises(LiveApiError) as caught:
            call()
        texts += [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value))]
    tokens = {e.authorization for e in harness.exchanges() if e.authorization}
    assert len(tokens) >= 2 and caplog.records
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    everything = "\n".join([caplog.text, *(r.getMessage() for r in caplog.records), *texts])
    for secret in (SECRET_PASSWORD, SECRET_X_TOKEN, *tokens, *(t.removeprefix("Bearer ") for t in tokens)):
        assert secret not in everything
    for client_built in harness.clients:
        client_built.close()


# --- bodies streamed into files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["conversations.json", f"conversations.json{LANDING_SUFFIX}"])
def test_a_body_streams_into_a_file_atomically(harness: Harness, tmp_path: Path, name: str) -> None:
    client = harness.client()
    in_memory = fetch(client, "conversations", WEEK)
    destination = tmp_path / "landing" / name
    harness.server.schedule_fault(P.CONVERSATION_LIST, "truncate")  # half a body, then the connection drops
    harness.server.schedule_fault(P.CONVERSATION_LIST, "truncated_json_200")  # a whole response, half a JSON
    streamed = fetch(client, "conversations", WEEK, destination=destination)
    assert streamed.attempts == 3 and streamed.body == b"" and streamed.file == destination
    assert streamed.size == len(in_memory.body)
    with streamed.open() as stream:
        assert stream.read() == in_memory.body
    assert streamed.records() == in_memory.records()
    assert sorted(p.name for p in destination.parent.iterdir()) == [name]  # no partial file left behind


def test_a_body_that_never_arrives_whole_leaves_no_file(harness: Harness, tmp_path: Path) -> None:
    client = harness.client(max_attempts=2)
    destination = tmp_path / "landing" / "stats.json"
    harness.server.schedule_fault(P.CONVERSATION_STATS, "html_200", times=2)
    with pytest.raises(LiveResponseError):
        fetch(client, "conversation_stats", DAY, destination=destination)
    assert list(destination.parent.iterdir()) == []


def test_the_export_streams_into_a_compressed_file(harness: Harness, tmp_path: Path) -> None:
    client = harness.client()
    expected = fetch(client, "export_conversations", WEEK, lang="en").records()
    destination = tmp_path / f"export.csv{LANDING_SUFFIX}"
    streamed = fetch(client, "export_conversations", WEEK, lang="en", destination=destination)
    assert streamed.records() == expected
    assert streamed.size > destination.stat().st_size  # it was compressed on the way
    with destination.open("rb") as raw:
        assert raw.read(4) == ZSTD_MAGIC  # by the landing codec, which DuckDB reads too
