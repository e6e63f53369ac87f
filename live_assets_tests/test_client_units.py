"""Unit tests of the client's pure parts: body checks, retry timing, errors, tokens and the cache.

Everything here runs without a server. The few HTTP cases the simulator cannot produce (a login
gateway error, a token refused twice, a huge ``Retry-After``) use an ``httpx.MockTransport``; every
other HTTP behaviour is tested against the real simulator in ``test_client_http.py``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import pickle
import ssl
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_assets import contract
from live_assets.client import (
    ClientStats,
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
    TokenCache,
    TokenManager,
    body_problem,
    endpoint_name,
    renewal_margin,
)
from live_assets.client.auth import Token, cache_key, default_token_cache_dir
from live_assets.client.errors import error_for_status
from live_assets.client.retrying import RETRY_AFTER_CAP_SECONDS, backoff_seconds, retry_after_seconds
from live_assets.secret import Secret
from live_assets.settings import LiveSettings, SettingsError, load_settings
from live_assets_tests.endpoint_calls import fetch

JSON = contract.JSON_CONTENT_TYPE
LIST = contract.Path.CONVERSATION_LIST
EXPORT = contract.Path.EXPORT_SIMPLE
PASSWORD = "Pa55-w0rd-never-logged"
X_TOKEN = "x-token-never-logged"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def envelope(code: str, message: str = "vendor message", **details: object) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()


# --- cheap body checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "body", "problem"),
    [
        (LIST, JSON, b"[]", None),
        (LIST, "application/json; charset=utf-8", b'  \n[{"a": 1}]\r\n', None),
        (contract.Path.CONVERSATION_STATS, "application/vnd.live+json", b'{"total": 1}', None),
        (LIST, JSON, b'[{"a": 1}, {"b"', "truncated"),
        (LIST, JSON, b'{"a": [1, 2]', "truncated"),
        (LIST, JSON, b"", "empty JSON body"),
        (LIST, JSON, b"<html>oops</html>", "starts with '<'"),
        (LIST, "text/html; charset=utf-8", b"<html>maintenance</html>", "content type 'text/html'"),
        (LIST, None, b"[]", "content type 'missing'"),
        (EXPORT, contract.CSV_CONTENT_TYPE, b"a,b\r\n1,2\r\n", None),
        (EXPORT, "text/csv", b"a,b\r\n", None),
        (EXPORT, contract.CSV_CONTENT_TYPE, b"a,b\r\n1,", "does not end with a line break"),
        (EXPORT, contract.CSV_CONTENT_TYPE, b"<!DOCTYPE html>\n", "HTML"),
        (EXPORT, contract.CSV_CONTENT_TYPE, b"", "empty CSV body"),
        (EXPORT, JSON, b"[]", "expected 'text/csv'"),
    ],
)
def test_body_problem(path: str, content_type: str | None, body: bytes, problem: str | None) -> None:
    found = body_problem(path, content_type, body)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_body_check_reads_only_the_ends_of_a_large_body() -> None:
    body = b"[" + b'{"conversation_id": 1},' * 2_000_000 + b"{}]"  # ~46 MB
    assert body_problem(LIST, JSON, body) is None
    assert "truncated" in (body_problem(LIST, JSON, body[:-1]) or "")


# --- retry timing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("0", None), ("3", 3.0), (" 2 ", 2.0), ("1.5", 1.5), ("-1", None), ("soon", None), ("nan", None)],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_is_capped() -> None:
    assert retry_after_seconds("86400") == RETRY_AFTER_CAP_SECONDS


@given(st.integers(1, 60), st.floats(0.01, 5), st.floats(0.1, 120), st.floats(0, 1))
def test_backoff_is_full_jitter_under_a_capped_exponential(failures: int, base: float, cap: float, draw: float) -> None:
    ceiling = min(cap, base * 2 ** (failures - 1))
    wait = backoff_seconds(failures, base, cap, lambda: draw)
    assert 0 <= wait <= ceiling + 1e-9
    assert backoff_seconds(failures, base, cap, lambda: 1.0) == pytest.approx(ceiling)


def test_endpoint_names_come_from_the_contract_paths() -> None:
    assert endpoint_name(contract.Path.CONVERSATION_LIST) == "conversation_list"
    assert endpoint_name("/live/public/agent/performance") == "agent_performance"
    assert {endpoint_name(path) for path in contract.Path} == {path.name.lower() for path in contract.Path}


def test_stats_subtract_and_export_as_metadata() -> None:
    before = ClientStats(requests=2, retries=1, logins=1, bytes_received=10, seconds_waiting=0.5, seconds_locked_out=1)
    after = ClientStats(requests=5, retries=1, logins=2, bytes_received=110, seconds_waiting=1.75, seconds_locked_out=3)
    assert (after - before).as_dict() == {
        "requests": 3,
        "retries": 0,
        "logins": 1,
        "bytes_received": 100,
        "seconds_waiting": 1.25,
        "seconds_locked_out": 2,
    }


# --- typed errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "kind", "retryable"),
    [
        (400, "INVALID_DATE_RANGE", LiveBadRequestError, False),
        (401, "INVALID_CREDENTIALS", LiveAuthenticationError, False),
        (401, "UNAUTHORIZED", LiveAuthenticationError, False),
        (403, "FORBIDDEN", LiveForbiddenError, False),
        (404, "NOT_FOUND", LiveNotFoundError, False),
        (429, "TOO_MANY_REQUESTS", LiveRateLimitedError, True),
        (502, None, LiveServerError, True),
        (503, None, LiveServerError, True),
        (418, None, LiveApiError, False),
    ],
)
def test_error_for_status(status: int, code: str | None, kind: type[LiveApiError], retryable: bool) -> None:
    body = envelope(code, "The date range exceeds the limit", max_range="7 days") if code else b""
    error = error_for_status(status, body, endpoint="histogram", window="2025-12-01 00:00:00..2025-12-15 23:59:59")
    assert type(error) is kind
    assert error.is_retryable is retryable
    assert (error.status, error.code, error.endpoint) == (status, code, "histogram")
    text = str(error)
    for part in ("histogram", "[2025-12-01 00:00:00..2025-12-15 23:59:59]", f"HTTP {status}"):
        assert part in text
    if code:
        assert code in text and "The date range exceeds the limit" in text and '"max_range": "7 days"' in text
        assert error.details == {"max_range": "7 days"}


def test_errors_say_which_setting_to_fix() -> None:
    forbidden = error_for_status(403, envelope("FORBIDDEN"), endpoint="conversation_list", window=None)
    assert "LIVE_API_X_TOKEN" in str(forbidden) and "Reports permission" in str(forbidden)
    refused = error_for_status(401, envelope("INVALID_CREDENTIALS"), endpoint="login", window=None)
    assert "LIVE_API_EMAIL" in str(refused) and "LIVE_API_PASSWORD" in str(refused)


def test_gateway_page_is_quoted_short_and_on_one_line() -> None:
    page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n" + b"<p>x</p>" * 500 + b"</html>"
    error = error_for_status(502, page, endpoint="summary", window=None)
    assert "502 Bad Gateway" in str(error) and "\n" not in str(error) and len(str(error)) < 400
    assert "empty response body" in str(error_for_status(504, b"", endpoint="summary", window=None))


def test_errors_survive_pickling_with_their_fields() -> None:
    error = error_for_status(400, envelope("INVALID_LANG", lang="fr"), endpoint="export_simple", window="w")
    error.attempts = 1
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LiveBadRequestError
    assert (copy.status, copy.code, copy.details, copy.endpoint, copy.window, str(copy)) == (
        400,
        "INVALID_LANG",
        {"lang": "fr"},
        "export_simple",
        "w",
        str(error),
    )


# --- tokens ------------------------------------------------------------------------------------------------------


def test_renewal_margin() -> None:
    assert renewal_margin(contract.TOKEN_TTL_SECONDS) == 300
    assert renewal_margin(2) == pytest.approx(0.4)
    assert renewal_margin(1000) == 200


class CountingLogin:
    def __init__(self, ttl: float = 100.0) -> None:
        self.ttl = ttl
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[Secret, float]:
        with self._lock:
            self.calls += 1
            return Secret(f"Bearer token-{self.calls}"), self.ttl


def test_token_is_reused_until_its_renewal_time(tmp_path: Path) -> None:
    clock, login = Clock(), CountingLogin(ttl=100)
    manager = TokenManager(login=login, cache=TokenCache(tmp_path, "k"), clock=clock)
    first = manager.current()
    clock.now += 79.9  # margin is 20 s: renew at 80 s
    assert manager.current() == first and login.calls == 1
    clock.now += 0.1
    second = manager.current()
    assert second != first and login.calls == 2


def test_reject_renews_once_and_only_for_the_current_token(tmp_path: Path) -> None:
    login = CountingLogin()
    manager = TokenManager(login=login, cache=TokenCache(tmp_path, "k"), clock=Clock())
    old = manager.current()
    new = manager.reject(old)
    assert new != old and login.calls == 2
    assert manager.reject(old) == new and login.calls == 2  # a stale 401 (another thread renewed already)


def test_static_token_is_used_as_is_and_its_401_says_how_to_renew() -> None:
    manager = TokenManager(login=None, static_token=Secret("Bearer vendor-issued"), clock=Clock())
    assert manager.current().reveal() == "Bearer vendor-issued"
    with pytest.raises(LiveTokenExpiredError) as caught:
        manager.reject(manager.current())
    assert "LIVE_API_EMAIL" in str(caught.value) and "LIVE_API_PASSWORD" in str(caught.value)


def test_cache_is_shared_private_and_keyed_by_a_hash(tmp_path: Path) -> None:
    login = CountingLogin()
    key = cache_key("https://live.example", "ops@example.com", Secret(X_TOKEN))
    one = TokenManager(login=login, cache=TokenCache(tmp_path, key), clock=Clock())
    two = TokenManager(login=login, cache=TokenCache(tmp_path, key), clock=Clock())
    assert one.current() == two.current()
    assert login.calls == 1
    names = " ".join(path.name for path in tmp_path.iterdir())
    assert "ops" not in names and X_TOKEN not in names and key in names
    cache_file = tmp_path / f"token-{key}.json"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert set(json.loads(cache_file.read_text())) == {"token", "expires_at", "renew_at"}
    other = cache_key("https://live.example", "ops@example.com", Secret("another-bot"))
    assert other != key  # one token per (base URL, e-mail, X-token)
    with_password = cache_key("https://live.example", "ops@example.com", Secret(X_TOKEN), Secret(PASSWORD))
    assert with_password != key and PASSWORD not in with_password  # a changed password never rides on an old token


def test_cache_readable_by_others_is_not_trusted(tmp_path: Path) -> None:
    login = CountingLogin()
    cache = TokenCache(tmp_path, "k")
    TokenManager(login=login, cache=cache, clock=Clock()).current()
    os.chmod(cache.path, 0o644)
    TokenManager(login=login, cache=cache, clock=Clock()).current()
    assert login.calls == 2
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600  # replaced by a private one


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path, "k")
    login = CountingLogin()
    TokenManager(login=login, cache=cache, clock=Clock()).current()
    cache.path.write_text("{not json")
    assert TokenManager(login=login, cache=cache, clock=Clock()).current().reveal() == "Bearer token-2"


def test_unusable_cache_directory_costs_logins_not_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    manager = TokenManager(login=CountingLogin(), cache=TokenCache(blocker / "cache", "k"), clock=Clock())
    assert manager.current().reveal() == "Bearer token-1"


def test_concurrent_threads_of_two_managers_log_in_once(tmp_path: Path) -> None:
    login = CountingLogin()
    managers = [TokenManager(login=login, cache=TokenCache(tmp_path, "k"), clock=Clock()) for _ in range(2)]
    tokens: list[Secret] = []
    threads = [threading.Thread(target=lambda m=m: tokens.append(m.current())) for m in managers * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert login.calls == 1 and len(set(tokens)) == 1


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_token_cache_dir() == tmp_path / "live-assets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_token_cache_dir() == Path.home() / ".cache" / "live-assets"


# --- the client object ----------------------------------------------------------------------------------------


def test_client_refuses_ambiguous_or_missing_auth() -> None:
    with pytest.raises(ValueError, match="not both"):
        LiveClient("https://x", Secret("x"), credentials=("a@b", Secret("p")), static_token=Secret("t"))
    with pytest.raises(ValueError, match="no way to authenticate"):
        LiveClient("https://x", Secret("x"))
    with pytest.raises(TypeError, match="Secret"):
        LiveClient("https://x", Secret("x"), credentials=("a@b", "plain"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Secret"):
        LiveClient("https://x", "plain", static_token=Secret("t"))  # type: ignore[arg-type]


def test_tls_verification_is_on_and_has_no_switch(tmp_path: Path) -> None:
    assert "verify" not in inspect.signature(LiveClient).parameters
    with LiveClient("https://live.example", Secret(X_TOKEN), static_token=Secret("t")) as client:
        context = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert repr(client) == "LiveClient(base_url='https://live.example')"


def test_from_settings_prefers_renewable_credentials(tmp_path: Path) -> None:
    settings = LiveSettings(
        base_url="https://live.example",
        email="ops@example.com",
        password=Secret(PASSWORD),
        token=Secret("Bearer static"),
        x_token=Secret(X_TOKEN),
        max_attempts=3,
        token_cache_dir=tmp_path,
    )
    with LiveClient.from_settings(settings) as client:
        assert client._tokens.renewable and client.retrier.max_attempts == 3  # type: ignore[attr-defined]
    with pytest.raises(SettingsError, match="LIVE_API_X_TOKEN"):
        LiveClient.from_settings(LiveSettings(email="ops@example.com", password=Secret(PASSWORD)))


def test_backoff_base_comes_from_its_setting(tmp_path: Path) -> None:
    env = {"LIVE_API_X_TOKEN": X_TOKEN, "LIVE_API_TOKEN": "t", "LIVE_TOKEN_CACHE_DIR": str(tmp_path)}
    assert load_settings(env, dotenv=False).backoff_base_seconds == 0.5
    settings = load_settings({**env, "LIVE_API_BACKOFF_BASE": "0.02"}, dotenv=False)
    with LiveClient.from_settings(settings) as client:
        assert client.retrier.backoff_base == 0.02
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="LIVE_API_BACKOFF_BASE"):
            load_settings({**env, "LIVE_API_BACKOFF_BASE": bad}, dotenv=False)


def test_a_url_with_credentials_is_refused_without_echoing_them(tmp_path: Path) -> None:
    env = {"LIVE_API_X_TOKEN": X_TOKEN, "LIVE_API_TOKEN": "t", "LIVE_TOKEN_CACHE_DIR": str(tmp_path)}
    for url in ("https://ops:hunter2-secret@api.example.com", "ops:hunter2-secret@api.example.com"):
        with pytest.raises(SettingsError, match="LIVE_API_BASE_URL must not hold credentials") as raised:
            load_settings({**env, "LIVE_API_BASE_URL": url}, dotenv=False)
        assert "hunter2-secret" not in str(raised.value)
    assert load_settings({**env, "LIVE_API_BASE_URL": "https://api.example.com/"}, dotenv=False).base_url == (
        "https://api.example.com"
    )


# --- HTTP corner cases the simulator cannot produce -------------------------------------------------------


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], tmp_path: Path, sleeps: list[float], **options: object
) -> LiveClient:
    return LiveClient(
        "https://live.example",
        Secret(X_TOKEN),
        credentials=("ops@example.com", Secret(PASSWORD)),
        token_cache_dir=tmp_path,
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        **options,  # type: ignore[arg-type]
    )


def login_ok(request: httpx.Request) -> httpx.Response | None:
    if request.url.path == contract.LOGIN_PATH:
        return httpx.Response(200, json={contract.AUTH_HEADER: "Bearer fresh", contract.LOGIN_EXPIRES_IN_FIELD: 3600})
    return None


def test_a_fresh_token_refused_again_is_final(tmp_path: Path) -> None:
    logins = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            logins.append(1)
        return login_ok(request) or httpx.Response(401, json={"error": {"code": "UNAUTHORIZED", "message": "no"}})

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps) as client, pytest.raises(LiveAuthenticationError) as caught:
        fetch(client, "agents")
    assert len(logins) == 2  # the first token, then one renewal: no loop
    assert caught.value.code == "UNAUTHORIZED" and caught.value.endpoint == "agents"


def test_login_gateway_errors_are_retried_but_refusals_are_not(tmp_path: Path) -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(502)])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            return next(answers, None) or login_ok(request)  # type: ignore[return-value]
        return httpx.Response(200, json=[])

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps, rng=FixedDraw(1.0)) as client:
        assert fetch(client, "groups").records() == []
        assert sleeps == [2.0, 1.0]  # Retry-After, then backoff (base 0.5 * 2)
        assert client.stats.logins == 1


class FixedDraw:
    """A random source whose every draw is the same, so backoff waits are exact."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("failure", "final"),
    [(httpx.ConnectError, True), (httpx.ReadError, False), (httpx.RemoteProtocolError, False)],
)
def test_login_transport_error_never_carries_the_password(
    tmp_path: Path, failure: type[httpx.TransportError], final: bool
) -> None:
    """Whatever an httpx message says (here: the request body), the error quotes none of it. A login that
    cannot connect at all is final; one whose connection broke after connecting is retried."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise failure(f"failed while sending {request.content!r}", request=request)

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps, max_attempts=2) as client, pytest.raises(LiveTransportError) as caught:
        fetch(client, "agents")
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    text = "".join(traceback.format_exception(error)) + repr(error) + str(error.details)
    assert PASSWORD not in text and X_TOKEN not in text
    assert "agents (login)" in str(error) and error.is_retryable is not final
    assert len(sleeps) == (0 if final else 1)


def test_data_transport_error_has_no_httpx_request_attached(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            return login_ok(request)  # type: ignore[return-value]
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps, max_attempts=3) as client, pytest.raises(LiveTransportError) as caught:
        fetch(client, "groups")
    assert caught.value.__context__ is None and caught.value.attempts == 3 and len(sleeps) == 2
    assert "RemoteProtocolError" in str(caught.value) and "Bearer fresh" not in str(caught.value)


def test_login_answer_without_a_token_is_not_quoted(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            return httpx.Response(200, json={"token": "Bearer leaked-if-quoted"})
        return httpx.Response(200, json=[])

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps, max_attempts=2) as client, pytest.raises(LiveResponseError) as caught:
        fetch(client, "groups")
    assert "leaked-if-quoted" not in str(caught.value) and "without an Authorization token" in str(caught.value)


def test_a_password_echoed_by_the_server_is_masked(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = envelope("INVALID_CREDENTIALS", f"bad password {PASSWORD}", password=PASSWORD)
        return httpx.Response(401, content=body, headers={"content-type": JSON})

    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps) as client, pytest.raises(LiveAuthenticationError) as caught:
        fetch(client, "groups")
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value.details)
    assert sleeps == []


def test_streaming_a_large_body_into_a_file_uses_bounded_memory(tmp_path: Path) -> None:
    """A 64 MB answer streamed to disk must not be held in memory (docs/api-contract.md §1: big ranges, big bodies)."""
    import tracemalloc

    chunk = b'{"conversation_id": 1, "comment": "' + b"x" * 65_000 + b'"},'
    chunks = 1000

    def body() -> Iterator[bytes]:
        yield b"["
        for _ in range(chunks):
            yield chunk
        yield b"{}]"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            return login_ok(request)  # type: ignore[return-value]
        return httpx.Response(200, content=body(), headers={"content-type": JSON})

    sleeps: list[float] = []
    with mock_client(handler, tmp_path / "cache", sleeps) as client:
        fetch(client, "agents")  # log in first: only the data call is measured
        tracemalloc.start()
        try:
            response = fetch(client, "agents", destination=tmp_path / "agents.json")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.size == len(chunk) * chunks + 4 == (tmp_path / "agents.json").stat().st_size
    assert peak < 4_000_000, f"peak {peak} bytes for a {response.size} byte body"


def test_a_dead_token_adopted_from_the_cache_leads_to_one_login(tmp_path: Path) -> None:
    """After a restart of the API every token is dead, including one another process cached: the
    call adopts it (no login), hears 401 again, then logs in once and succeeds."""
    valid: set[str] = set()
    logins: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.LOGIN_PATH:
            token = f"Bearer fresh-{len(logins)}"
            logins.append(token)
            valid.add(token)
            return httpx.Response(200, json={contract.AUTH_HEADER: token, contract.LOGIN_EXPIRES_IN_FIELD: 3600})
        if request.headers.get(contract.AUTH_HEADER) in valid:
            return httpx.Response(200, json=[])
        return httpx.Response(401, json={"error": {"code": "UNAUTHORIZED", "message": "no", "details": {}}})

    clock = Clock(time.time())
    sleeps: list[float] = []
    with mock_client(handler, tmp_path, sleeps, clock=clock) as client:
        fetch(client, "groups")
        valid.clear()  # the API restarts
        key = cache_key("https://live.example", "ops@example.com", Secret(X_TOKEN), Secret(PASSWORD))
        dead = Secret("Bearer dead-from-another-process")
        TokenCache(tmp_path, key).store(Token(dead, clock.now + 3600, clock.now + 3000))
        response = fetch(client, "groups")
    assert response.attempts == 3 and len(logins) == 2 and sleeps == []


class RecordingLock:
    """A token lock that notes who holds it, and when; the client takes it through its one interface."""

    def __init__(self) -> None:
        self.held = False
        self.holds: list[bool] = []  # first_in_line of each hold

    @contextlib.contextmanager
    def hold(self, *, first_in_line: bool = False) -> Iterator[None]:
        assert not self.held, "a hold inside a hold: two requests at once"
        self.held = True
        self.holds.append(first_in_line)
        try:
            yield
        finally:
            self.held = False

    def close(self) -> None:
        self.held = False


def test_every_attempt_and_login_holds_the_token_lock_and_no_back_off_does(tmp_path: Path) -> None:
    lock = RecordingLock()
    seen: list[tuple[str, bool]] = []
    answers = iter([httpx.Response(503), httpx.Response(200, json=[])])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, lock.held))
        return login_ok(request) or next(answers)

    slept: list[tuple[float, bool]] = []
    with LiveClient(
        "https://live.example",
        Secret(X_TOKEN),
        credentials=("ops@example.com", Secret(PASSWORD)),
        token_cache_dir=tmp_path,
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: slept.append((seconds, lock.held)),
        token_lock=lock,
        first_in_line=True,
    ) as client:
        client.get("groups", contract.Path.GROUPS)
    assert seen == [(contract.LOGIN_PATH, True), (str(contract.Path.GROUPS), True), (str(contract.Path.GROUPS), True)]
    assert lock.holds == [True, True, True]  # the login, the 503, the 200: each its own hold, first in line
    assert len(slept) == 1 and slept[0][1] is False  # the back-off after the 503 held nothing
    assert client.stats.seconds_locked_out >= 0
