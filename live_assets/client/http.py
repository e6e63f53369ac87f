"""The Live API client: one HTTP connection pool, one request in flight, typed errors, bounded retries.

Design choices, and why:

- One ``httpx.Client`` per ``LiveClient``: keep-alive saves a TLS handshake per window, and a backfill
  makes hundreds of calls. TLS verification is always on; there is deliberately no switch.
- The token lock (``token_lock``): the API allows one request in flight per token (docs/api-contract.md
  §1), whoever sends it. Every request attempt and every login holds the bot's lock, shared by every
  process of the machine (or, with ``LIVE_TOKEN_LOCK=postgres``, of the deployment), only while it is in
  flight: a retry's back-off holds nothing. A thread lock per client keeps one call at a time as well.
- One generic :meth:`LiveClient.get`: the endpoint registry (``live_assets.raw.endpoints``) is the one
  description of the endpoints, their paths and parameters; the client knows none of them.
- Retries (``retrying``), the body check (``sniffing``) and the landing codec (``landing``) live in
  their own modules. Secrets are revealed only while a request is built; errors are raised outside
  ``except`` blocks so that no httpx exception (whose request holds the headers) stays attached.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import httpx

from live_assets import contract
from live_assets.client.auth import TokenCache, TokenManager, cache_key, default_token_cache_dir
from live_assets.client.connection import certificate_problem
from live_assets.client.errors import (
    TLS_HINT,
    TOKEN_EXPIRED_HINT,
    LiveApiError,
    LiveResponseError,
    LiveTlsError,
    LiveTokenExpiredError,
    LiveTransportError,
    envelope_of,
    error_for_status,
)
from live_assets.client.landing import compressed_writer, discard, is_compressed, partial_path
from live_assets.client.log_filter import install_header_filter
from live_assets.client.login import LOGIN_ENDPOINT, attempt_login
from live_assets.client.responses import ApiResponse, ClientStats
from live_assets.client.retrying import RETRY_NOW, Failure, Retrier, RetryNow, retry_after_seconds
from live_assets.client.sniffing import BodyEdges, shape_problem
from live_assets.client.token_lock import TokenLock, token_lock_for, token_lock_of
from live_assets.client.windows import Window
from live_assets.secret import Secret
from live_assets.settings import LiveSettings

log = logging.getLogger(__name__)

MAX_REJECTIONS_PER_CALL: Final = 2  # 401s one call may answer by renewing (see ``get``)
CONNECT_TIMEOUT_CAP_SECONDS: Final = 30.0  # connecting never needs the long read timeout of big ranges
USER_AGENT: Final = "live-assets/0.1 (+httpx)"

__all__ = ["ApiResponse", "ClientStats", "LiveClient", "endpoint_name"]


def endpoint_name(path: str) -> str:
    """``/live/public/conversation/list`` → ``conversation_list`` (from the contract's path names)."""
    try:
        return contract.Path(path).name.lower()
    except ValueError:
        return path.strip("/").replace("/", "_") or "root"


class LiveClient:
    """A client of the Live analytics API; see the module docstring for what it guarantees."""

    def __init__(
        self,
        base_url: str,
        x_token: Secret,
        *,
        credentials: tuple[str, Secret] | None = None,
        static_token: Secret | None = None,
        max_attempts: int = 6,
        timeout: float = 120,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        token_cache_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        token_lock: TokenLock | None = None,
        first_in_line: bool = False,
    ) -> None:
        """``transport``, ``sleep``, ``rng`` and ``clock`` are for tests: they let a test drop a
        connection, record the waits instead of waiting, and move time forward to age a token.

        ``token_lock`` is the bot's lock (default: the file lock in the token-cache folder; see
        ``token_lock``); ``first_in_line`` asks it to go before other callers waiting on this bot
        (today's refresh, ahead of a backfill)."""
        if not isinstance(x_token, Secret):
            raise TypeError("x_token must be a Secret")
        if credentials is not None and static_token is not None:
            raise ValueError("give credentials (renewable) or a static token, not both")
        if credentials is None and static_token is None:
            raise ValueError("no way to authenticate: give credentials=(email, Secret(password)) or static_token")
        if credentials is not None and not isinstance(credentials[1], Secret):
            raise TypeError("the password must be a Secret")
        if static_token is not None and not isinstance(static_token, Secret):
            raise TypeError("static_token must be a Secret")
        self.base_url = base_url.rstrip("/")
        self._x_token = x_token
        self._credentials = credentials
        self.retrier: Final = Retrier(
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            sleep=sleep,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
            on_wait=lambda seconds: self._count(retries=1, seconds_waiting=seconds),
        )
        self._lock = threading.Lock()
        self._cache_dir = token_cache_dir if token_cache_dir is not None else default_token_cache_dir()
        self._token_lock = token_lock or token_lock_for(self.base_url, x_token, directory=self._cache_dir)
        self._first_in_line = first_in_line
        self._stats = ClientStats()
        install_header_filter()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_CAP_SECONDS)),
            verify=True,
            transport=transport,
            follow_redirects=False,  # a redirect would carry our headers somewhere we did not choose
            headers={"User-Agent": USER_AGENT},
        )
        cache = None
        if credentials is not None:
            cache = TokenCache(self._cache_dir, cache_key(self.base_url, credentials[0], x_token, credentials[1]))
        self._tokens = TokenManager(
            login=self._log_in if credentials is not None else None,
            static_token=static_token,
            cache=cache,
            clock=clock,
        )

    @classmethod
    def from_settings(cls, settings: LiveSettings, **overrides: Any) -> LiveClient:
        """A client from validated settings; credentials win over a static token when both are set
        (the token cannot be renewed, the credentials can). The token lock follows ``LIVE_TOKEN_LOCK`` and
        ``LIVE_TOKEN_CACHE_DIR``, also when ``token_cache_dir`` is overridden (the connection check keeps its
        tokens apart, not its lock)."""
        settings.require_api_access()
        assert settings.x_token is not None  # require_api_access guarantees it
        if "token_lock" not in overrides:
            overrides["token_lock"] = token_lock_of(settings)
        credentials = None
        if settings.email and settings.password is not None:
            credentials = (settings.email, settings.password)
        options: dict[str, Any] = {
            "credentials": credentials,
            "static_token": None if credentials else settings.token,
            "max_attempts": settings.max_attempts,
            "timeout": settings.timeout_seconds,
            "backoff_base": settings.backoff_base_seconds,
            "token_cache_dir": settings.token_cache_dir,
        }
        options.update(overrides)
        return cls(settings.base_url, settings.x_token, **options)

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()
        self._token_lock.close()

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LiveClient(base_url={self.base_url!r})"

    @property
    def renewable(self) -> bool:
        """Whether a refused or ageing token can be replaced (credentials), or not (a static token)."""
        return self._tokens.renewable

    @property
    def token_expires_at(self) -> float | None:
        """When the token in use expires (epoch seconds); ``None`` before the first call, or for a static
        token, whose lifetime the client cannot know."""
        return self._tokens.expires_at

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the counters: data requests sent, retries, logins, bytes received, seconds slept."""
        return self._stats

    def _count(self, **increments: float) -> None:
        self._stats = self._stats + ClientStats(**increments)

    # -- the one call ------------------------------------------------------------------------------

    def get(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        window: Window | None = None,
        *,
        destination: Path | None = None,
    ) -> ApiResponse:
        """``GET path`` with the window's ``from``/``to`` and ``params``; retries what may pass later.

        ``endpoint`` names the call in errors, logs and the response (the registry's table name). With
        ``destination``, the body streams into that file (compressed when its name ends in
        ``LANDING_SUFFIX``) instead of memory, so a 100 MB answer costs a network buffer; the file
        appears, atomically, only once a whole, well-shaped body has arrived. Raises a
        :class:`LiveApiError` subclass carrying ``endpoint`` and ``window``.
        """
        path = str(path)  # a contract.Path is a StrEnum; keep plain text in responses and logs
        query = dict(window.params()) if window is not None else {}
        query.update(params or {})
        where = str(window) if window is not None else None
        what = f"{endpoint} [{where}]" if where else endpoint
        attempts = rejections = 0
        logged_in_again = False

        def attempt() -> ApiResponse | Failure | RetryNow:
            nonlocal attempts, rejections, logged_in_again
            attempts += 1
            token = self._located(self._tokens.current, endpoint, where)
            with self._holding_token_lock():
                outcome = self._attempt(endpoint, path, query, where, token, destination)
            if not isinstance(outcome, _Unauthorized):
                return outcome
            if not self._tokens.renewable:
                return Failure(_token_expired(outcome.body, endpoint, where))
            if logged_in_again or rejections >= MAX_REJECTIONS_PER_CALL:
                # A token fresh from a login was refused too: renewing again will not help.
                return Failure(error_for_status(401, outcome.body, endpoint=endpoint, window=where))
            rejections += 1
            log.info("%s: token refused (401), renewing it", what)
            logins_before = self._tokens.logins
            self._located(lambda: self._tokens.reject(token), endpoint, where)
            # Adopting another process's cached token is not a renewal: if that one is dead too, the
            # next 401 logs in. A second 401 after a login of our own is final.
            logged_in_again = self._tokens.logins > logins_before
            return RETRY_NOW

        with self._lock:
            started = time.perf_counter()
            response = self.retrier.run(what, attempt)
            return replace(response, window=window, attempts=attempts, elapsed_seconds=time.perf_counter() - started)

    @contextlib.contextmanager
    def _holding_token_lock(self) -> Iterator[None]:
        """Hold the bot's token lock for one request; the wait counts in ``stats.seconds_locked_out``."""
        asked = time.perf_counter()
        with self._token_lock.hold(first_in_line=self._first_in_line):
            self._count(seconds_locked_out=time.perf_counter() - asked)
            yield

    @staticmethod
    def _located(action: Callable[[], Secret], endpoint: str, where: str | None) -> Secret:
        """Run a token action; an error it raises (a refused login) says which call it stopped."""
        try:
            return action()
        except LiveApiError as error:
            failure = error
        failure.endpoint = f"{endpoint} (login)" if failure.endpoint in ("", LOGIN_ENDPOINT) else failure.endpoint
        failure.window = failure.window or where
        raise failure

    def _attempt(
        self,
        endpoint: str,
        path: str,
        query: Mapping[str, str],
        where: str | None,
        token: Secret,
        destination: Path | None,
    ) -> ApiResponse | _Unauthorized | Failure:
        """One request: a good response, a ``401``, or the failure of this attempt."""
        headers = {contract.AUTH_HEADER: token.reveal(), contract.X_TOKEN_HEADER: self._x_token.reveal()}
        partial = None if destination is None else partial_path(destination)
        edges = BodyEdges()
        body = b""
        transport_problem = certificate = None
        try:
            with self._http.stream("GET", path, params=query, headers=headers) as response:
                status = response.status_code
                if status == 200 and destination is not None and partial is not None:
                    _receive_into(response, partial, edges, compress=is_compressed(destination))
                else:
                    body = response.read()
                    edges.feed(body)
        except httpx.TimeoutException as error:
            transport_problem = f"timed out ({type(error).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as error:
            transport_problem = f"connection failed ({type(error).__name__}: {error})"
            certificate = certificate_problem(error)
        self._count(requests=1, bytes_received=edges.size)
        if certificate is not None:
            discard(partial)
            return Failure(LiveTlsError(f"{certificate}: {TLS_HINT}", endpoint=endpoint, window=where))
        if transport_problem is not None:  # returned here, outside the except: no httpx request attached
            discard(partial)
            return Failure(LiveTransportError(transport_problem, endpoint=endpoint, window=where))
        content_type = response.headers.get("content-type", "")
        log.debug("%s [%s]: HTTP %d, %d bytes", endpoint, where or "-", status, edges.size)
        if status == 200:
            problem = shape_problem(path, content_type, edges)
            if problem is not None:
                discard(partial)
                return Failure(LiveResponseError(problem, status=status, endpoint=endpoint, window=where))
            if partial is not None and destination is not None:
                os.replace(partial, destination)
            return ApiResponse(
                endpoint=endpoint,
                path=path,
                window=None,
                params=query,
                status=status,
                content_type=content_type,
                body=body,
                attempts=0,
                elapsed_seconds=0.0,
                file=destination,
                size=edges.size,
            )
        if status == 401:
            return _Unauthorized(body)
        error = error_for_status(status, body, endpoint=endpoint, window=where)
        return Failure(error, retry_after_seconds(response.headers.get(contract.RETRY_AFTER_HEADER)))

    def _log_in(self) -> tuple[Secret, float]:
        """``POST /user/login-simple``, retried like a data call on 429/5xx/timeouts; refused credentials
        and an unreachable server fail at once (see ``login.attempt_login``)."""
        assert self._credentials is not None
        email, password = self._credentials

        def attempt() -> tuple[Secret, float] | Failure:
            with self._holding_token_lock():
                return attempt_login(self._http, self.base_url, email, password)

        token = self.retrier.run(LOGIN_ENDPOINT, attempt)
        self._count(logins=1)
        log.info("logged in to %s as %s", self.base_url, email)
        return token


class _Unauthorized:
    """A ``401`` on a data call: the token may be renewed."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body


def _token_expired(body: bytes, endpoint: str, where: str | None) -> LiveTokenExpiredError:
    code, _message, details = envelope_of(body)
    return LiveTokenExpiredError(
        TOKEN_EXPIRED_HINT, status=401, code=code, details=details, endpoint=endpoint, window=where
    )


def _receive_into(response: httpx.Response, partial: Path, edges: BodyEdges, *, compress: bool) -> None:
    """Stream ``response``'s body into ``partial``, through the landing codec when ``compress``: one
    network chunk in memory at a time, whatever the body's size."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    with compressed_writer(partial) if compress else partial.open("wb") as sink:
        for chunk in response.iter_bytes():
            edges.feed(chunk)
            sink.write(chunk)
