"""The Live API client: one HTTP connection pool, one request in flight, typed errors, bounded retries.

Design choices, and why:

- One ``httpx.Client`` per ``LiveClient``: keep-alive saves a TLS handshake per window, and a backfill
  makes hundreds of calls. TLS verification is always on; there is deliberately no switch.
- One lock per client: the API allows one request in flight per token (CONTRACT.md §1), and a caller
  fetching the next window from a background thread while it loads the previous one must not break
  that rule by accident.
- Retries live here, not in callers: ``429``, ``5xx``, timeouts, dropped connections and 200s whose
  body is visibly not what was asked (HTML, truncated JSON) are retried with capped exponential
  backoff and full jitter, honouring ``Retry-After`` when it is above 0. ``400``/``403``/``404`` fail
  at once: the same request would fail the same way.
- Secrets are revealed only while a request is built. Errors are raised outside ``except`` blocks so
  that no httpx exception (whose request holds the headers, or the login body with the password)
  stays attached as ``__context__``; httpcore's debug log of response headers is filtered out.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import operator
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import IO, Any, Final

import httpx
import pyarrow as pa

from live_assets import contract
from live_assets.client.auth import TokenCache, TokenManager, cache_key, default_token_cache_dir
from live_assets.client.errors import (
    AUTHENTICATION_HINT,
    TLS_HINT,
    TOKEN_EXPIRED_HINT,
    LiveApiError,
    LiveAuthenticationError,
    LiveResponseError,
    LiveTlsError,
    LiveTokenExpiredError,
    LiveTransportError,
    envelope_of,
    error_for_status,
)
from live_assets.client.export_csv import iter_export_batches, parse_export
from live_assets.client.windows import Window
from live_assets.secret import MASK, Secret
from live_assets.settings import LiveSettings

log = logging.getLogger(__name__)

JSON_MEDIA_TYPE: Final = contract.JSON_CONTENT_TYPE.split(";")[0].strip().lower()
CSV_MEDIA_TYPE: Final = contract.CSV_CONTENT_TYPE.split(";")[0].strip().lower()
RETRY_AFTER_CAP_SECONDS: Final = 600.0  # a server asking for more than 10 minutes is treated as asking 10
MAX_REJECTIONS_PER_CALL: Final = 2  # 401s one call may answer by renewing (see ``get``)
CONNECT_TIMEOUT_CAP_SECONDS: Final = 30.0  # connecting never needs the long read timeout of big ranges
USER_AGENT: Final = "live-assets/0.1 (+httpx)"
_WHITESPACE: Final = frozenset(b" \t\r\n")
_CLOSING: Final = {ord("["): ord("]"), ord("{"): ord("}")}

# How a body kept on disk (a landing file) is compressed, in the one name pyarrow's streams and DuckDB's
# ``compression =`` both take, and the suffix that marks such a file. zstd at level 1 (Arrow's default)
# against gzip at level 1, on a 7-day window of 18 MB of conversations: written while fetching in 19 ms
# instead of 56, 1.6 MB instead of 2.5, and read by DuckDB in 28.5 ms instead of 44.6 (twice per load).
LANDING_CODEC: Final = "zstd"
LANDING_SUFFIX: Final = ".zst"


def is_compressed(path: Path) -> bool:
    """Whether ``path`` names a compressed landing file (and is written and read through the codec)."""
    return path.name.endswith(LANDING_SUFFIX)


def compressed_writer(path: Path) -> pa.NativeFile:
    """A stream that compresses what is written to it into ``path``, chunk by chunk.

    Arrow's own file and codec: each write is compressed outside the GIL, so landing the next window
    does not hold back the thread that loads the previous one, and nothing is buffered past a chunk.
    """
    return pa.output_stream(path, compression=LANDING_CODEC)


def compressed_reader(path: Path) -> pa.NativeFile:
    """The uncompressed bytes of the landing file at ``path``, as a binary stream read chunk by chunk."""
    return pa.input_stream(path, compression=LANDING_CODEC)


_ZSTD_MAGIC: Final = 0xFD2FB528
_ZSTD_SKIPPABLE: Final = 0x184D2A50  # ... to 0x184D2A5F: frames a reader skips (RFC 8878 §3.1.2)


def compressed_file_problem(path: Path) -> str | None:
    """Why the landing file at ``path`` is not whole zstd frames, or ``None`` if it is.

    DuckDB's zstd reader takes a file cut inside its last block for a shorter one, without an error (its
    gzip reader raised): a one-block file cut anywhere reads as no rows at all, and would replace a
    window's rows with nothing. So the frames are walked before DuckDB reads the file, block header to
    block header (RFC 8878 §3.1.1), which costs a few hundred small reads for a 7-day window, not a
    decompression. Damage inside a block is the decompressor's to find.
    """
    size = path.stat().st_size
    frames = 0
    with path.open("rb") as file:

        def read(count: int) -> bytes:
            data = file.read(count)
            if len(data) < count:
                raise EOFError
            return data

        try:
            while file.tell() < size:
                opening = read(4)
                magic = int.from_bytes(opening, "little")
                if magic & 0xFFFFFFF0 == _ZSTD_SKIPPABLE:
                    file.seek(int.from_bytes(read(4), "little"), os.SEEK_CUR)
                    continue
                if magic != _ZSTD_MAGIC:
                    return f"not zstd: bytes {opening.hex()} at offset {file.tell() - 4} open no zstd frame"
                (descriptor,) = read(1)
                single_segment = descriptor >> 5 & 1
                content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[descriptor >> 6]
                dictionary_bytes = (0, 1, 2, 4)[descriptor & 3]
                read((1 - single_segment) + dictionary_bytes + content_size_bytes)
                last = False
                while not last:
                    header = int.from_bytes(read(3), "little")
                    last, kind, length = bool(header & 1), header >> 1 & 3, header >> 3
                    file.seek(1 if kind == 1 else length, os.SEEK_CUR)  # an RLE block is one repeated byte
                if descriptor >> 2 & 1:
                    read(4)  # the content checksum
                frames += 1
        except EOFError:
            return f"cut short: its {size} bytes end inside a zstd frame"
        if file.tell() > size:  # a seek past the end is no error until something is read there
            return f"cut short: its {size} bytes end inside a zstd block"
    return None if frames else "empty: no zstd frame"


# --- pure helpers -----------------------------------------------------------------------------------


def media_type(content_type: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return (content_type or "").split(";")[0].strip().lower()


def expected_media_type(path: str) -> str:
    """The export answers CSV; every other endpoint JSON (CONTRACT.md §1)."""
    return CSV_MEDIA_TYPE if path == contract.Path.EXPORT_SIMPLE else JSON_MEDIA_TYPE


def _edge_bytes(body: bytes) -> tuple[int | None, int | None]:
    """First and last non-whitespace bytes, scanning only the ends: a 100 MB body costs nothing."""
    start, end = 0, len(body) - 1
    while start <= end and body[start] in _WHITESPACE:
        start += 1
    while end >= start and body[end] in _WHITESPACE:
        end -= 1
    if start > end:
        return None, None
    return body[start], body[end]


class _Edges:
    """What the cheap body check needs, gathered chunk by chunk so a streamed body is never held whole."""

    __slots__ = ("ends_with_newline", "first", "last", "size")

    def __init__(self) -> None:
        self.first: int | None = None
        self.last: int | None = None
        self.ends_with_newline = False
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        first, last = _edge_bytes(chunk)
        if first is not None:
            if self.first is None:
                self.first = first
            self.last = last
        self.ends_with_newline = chunk.endswith(b"\n")


def body_problem(path: str, content_type: str | None, body: bytes) -> str | None:
    """Why a ``200`` body is visibly not the answer asked for, or ``None`` if it looks right.

    A cheap check, not a parse: the content type, and for JSON that the body opens with ``[`` or ``{``
    and closes with the matching bracket (a body cut short by a gateway almost never does); for CSV
    that it is not an HTML page and ends with the line break every record ends with (RFC 4180, CRLF).
    """
    edges = _Edges()
    edges.feed(body)
    return _shape_problem(path, content_type, edges)


def _shape_problem(path: str, content_type: str | None, edges: _Edges) -> str | None:
    expected = expected_media_type(path)
    actual = media_type(content_type)
    if actual != expected and not (expected == JSON_MEDIA_TYPE and actual.endswith("+json")):
        return f"content type {actual or 'missing'!r}, expected {expected!r}"
    first, last = edges.first, edges.last
    if expected == JSON_MEDIA_TYPE:
        if first is None:
            return "empty JSON body"
        if first not in _CLOSING:
            return f"JSON body starts with {chr(first)!r}, not '[' or '{{'"
        if last != _CLOSING[first]:
            return f"JSON body truncated: it opens with {chr(first)!r} but ends with {chr(last or 0)!r}"
        return None
    if first is None:
        return "empty CSV body (not even a header row)"
    if first == ord("<"):
        return "CSV body looks like HTML"
    if not edges.ends_with_newline:
        return "CSV body truncated: it does not end with a line break"
    return None


def retry_after_seconds(value: str | None) -> float | None:
    """The ``Retry-After`` hint in seconds, or ``None`` when absent, unparseable or ``0`` ("no hint")."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP-date, or garbage: fall back on our own backoff
    if not seconds > 0:  # also rejects NaN
        return None
    return min(seconds, RETRY_AFTER_CAP_SECONDS)


def backoff_seconds(failures: int, base: float, cap: float, draw: Callable[[], float]) -> float:
    """Full jitter: uniform in ``[0, min(cap, base * 2**(failures-1))]`` after the ``failures``-th failure."""
    ceiling = min(cap, base * 2 ** max(failures - 1, 0))
    return ceiling * draw()


def filter_params(filters: Mapping[str, Any]) -> dict[str, str]:
    """``group_id=[1, 2]`` → ``{"group_id": "1,2"}``; only the contract's filters are accepted."""
    params: dict[str, str] = {}
    for name, value in filters.items():
        if name not in contract.FILTER_PARAMETERS:
            raise TypeError(f"unknown filter {name!r}; filters are {', '.join(contract.FILTER_PARAMETERS)}")
        if value is None:
            continue
        if isinstance(value, str | int):
            params[name] = str(value)
        else:
            params[name] = ",".join(str(item) for item in value)
    return params


def endpoint_name(path: str) -> str:
    """``/live/public/conversation/list`` → ``conversation_list`` (from the contract's path names)."""
    try:
        return contract.Path(path).name.lower()
    except ValueError:
        return path.strip("/").replace("/", "_") or "root"


# --- responses and counters -----------------------------------------------------------------------


@dataclass(frozen=True)
class ApiResponse:
    """One successful response plus how it was obtained; holds no secret.

    The body is in memory (``body``), or, when the call was given a ``destination``, in that file
    (``file``; compressed when its name ends in :data:`LANDING_SUFFIX`) and ``body`` is empty. ``size``
    is the body's length as received, either way.
    """

    endpoint: str
    path: str
    window: Window | None
    params: Mapping[str, str]
    status: int
    content_type: str
    body: bytes = field(repr=False)
    attempts: int
    elapsed_seconds: float
    file: Path | None = None
    size: int = 0

    def open(self) -> IO[bytes] | pa.NativeFile:
        """The body as a binary stream, wherever it is (from a compressed file, decompressed as it is read)."""
        if self.file is None:
            return io.BytesIO(self.body)
        if is_compressed(self.file):
            return compressed_reader(self.file)
        return self.file.open("rb")

    def json(self) -> Any:
        if self.file is None:
            return json.loads(self.body)
        with self.open() as stream:
            return json.load(stream)

    def records(self) -> list[dict[str, Any]]:
        """Rows: a JSON array as is, a JSON object as one row, the CSV export parsed (small bodies)."""
        if media_type(self.content_type) == CSV_MEDIA_TYPE:
            if self.file is None:
                return parse_export(self.body)
            with self.open() as stream:
                return [row for batch in iter_export_batches(stream) for row in batch.to_pylist()]
        payload = self.json()
        if isinstance(payload, list):
            return payload
        return [payload]


@dataclass(frozen=True)
class ClientStats:
    """Counters for Dagster metadata; subtract two snapshots to get one task's share, add shares up."""

    requests: int = 0
    retries: int = 0
    logins: int = 0
    bytes_received: int = 0
    seconds_waiting: float = 0.0

    def __sub__(self, other: ClientStats) -> ClientStats:
        return self._combined(other, operator.sub)

    def __add__(self, other: ClientStats) -> ClientStats:
        return self._combined(other, operator.add)

    def _combined(self, other: ClientStats, op: Callable[[Any, Any], Any]) -> ClientStats:
        return ClientStats(*(op(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))

    def as_dict(self) -> dict[str, int | float]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "logins": self.logins,
            "bytes_received": self.bytes_received,
            "seconds_waiting": round(self.seconds_waiting, 3),
        }


class _HeaderLogFilter(logging.Filter):
    """httpcore logs response headers at DEBUG; a header is nobody's business in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(("receive_response_headers.complete", "send_request_headers")):
            record.msg = message.split(" ", 1)[0] + " (headers not logged)"
            record.args = ()
        return True


_HEADER_FILTER: Final = _HeaderLogFilter()
_HTTPCORE_LOGGERS: Final = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")


def _install_header_filter() -> None:
    for name in _HTTPCORE_LOGGERS:
        logger = logging.getLogger(name)
        if _HEADER_FILTER not in logger.filters:
            logger.addFilter(_HEADER_FILTER)


@dataclass
class _Failure:
    """A retryable failure of one attempt; it becomes the raised error if it is the last one."""

    error: LiveApiError
    retry_after: float | None = None


@dataclass
class _Unauthorized:
    """A ``401`` on a data call: the token may be renewed once."""

    response_body: bytes


# --- the client ----------------------------------------------------------------------------------


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
    ) -> None:
        """``transport``, ``sleep``, ``rng`` and ``clock`` are for tests: they let a test drop a
        connection, record the waits instead of waiting, and move time forward to age a token."""
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
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.base_url = base_url.rstrip("/")
        self._x_token = x_token
        self._credentials = credentials
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._lock = threading.Lock()
        self._stats = ClientStats()
        _install_header_filter()
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
            directory = token_cache_dir if token_cache_dir is not None else default_token_cache_dir()
            cache = TokenCache(directory, cache_key(self.base_url, credentials[0], x_token, credentials[1]))
        self._tokens = TokenManager(
            login=self._log_in if credentials is not None else None,
            static_token=static_token,
            cache=cache,
            clock=clock,
        )

    @classmethod
    def from_settings(cls, settings: LiveSettings, **overrides: Any) -> LiveClient:
        """A client from validated settings; credentials win over a static token when both are set
        (the token cannot be renewed, the credentials can)."""
        settings.require_api_access()
        assert settings.x_token is not None  # require_api_access guarantees it
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

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LiveClient(base_url={self.base_url!r})"

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the counters: data requests sent, retries, logins, bytes received, seconds slept."""
        return self._stats

    def _count(self, **increments: float) -> None:
        self._stats = self._stats + ClientStats(**increments)

    def _wait_before_retry(self, failures: int, retry_after: float | None, what: str, attempts: int, why: str) -> None:
        wait = retry_after
        if wait is None:
            wait = backoff_seconds(failures, self.backoff_base, self.backoff_cap, self._rng.random)
        log.warning("%s: attempt %d failed (%s); retrying in %.2f s", what, attempts, why, wait)
        self._count(retries=1, seconds_waiting=wait)
        self._sleep(wait)

    # -- the core ----------------------------------------------------------------------------------

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

        With ``destination``, the body streams into that file (compressed when :func:`is_compressed`)
        instead of memory, so a 100 MB answer costs a network buffer; the file appears, atomically,
        only once a whole, well-shaped body has arrived. Raises a :class:`LiveApiError` subclass
        carrying ``endpoint`` and ``window``.
        """
        path = str(path)  # a contract.Path is a StrEnum; keep plain text in responses and logs
        query = dict(window.params()) if window is not None else {}
        query.update(params or {})
        where = str(window) if window is not None else None
        what = f"{endpoint} [{where}]" if where else endpoint
        with self._lock:
            started = time.perf_counter()
            attempts = failures = rejections = 0
            logged_in_again = False
            while True:
                attempts += 1
                token = self._located(self._tokens.current, endpoint, where)
                outcome = self._attempt(endpoint, path, query, where, token, destination)
                if isinstance(outcome, ApiResponse):
                    return replace(
                        outcome, window=window, attempts=attempts, elapsed_seconds=time.perf_counter() - started
                    )
                if isinstance(outcome, _Unauthorized):
                    if not self._tokens.renewable:
                        raise _token_expired(outcome.response_body, endpoint, where)
                    if logged_in_again or rejections >= MAX_REJECTIONS_PER_CALL:
                        # A token fresh from a login was refused too: renewing again will not help.
                        raise error_for_status(
                            401, outcome.response_body, endpoint=endpoint, window=where, attempts=attempts
                        )
                    rejections += 1
                    log.info("%s: token refused (401), renewing it", what)
                    logins_before = self._tokens.logins
                    self._located(lambda failed=token: self._tokens.reject(failed), endpoint, where)
                    # Adopting another process's cached token is not a renewal: if that one is dead too,
                    # the next 401 logs in. A second 401 after a login of our own is final.
                    logged_in_again = self._tokens.logins > logins_before
                    continue
                failures += 1
                outcome.error.attempts = attempts
                if failures >= self.max_attempts:
                    raise outcome.error
                why = _reason(outcome.error)
                self._wait_before_retry(failures, outcome.retry_after, what, attempts, why)

    @staticmethod
    def _located(action: Callable[[], Secret], endpoint: str, where: str | None) -> Secret:
        """Run a token action; an error it raises (a refused login) says which call it stopped."""
        try:
            return action()
        except LiveApiError as error:
            failure = error
        failure.endpoint = f"{endpoint} (login)" if failure.endpoint in ("", "login") else failure.endpoint
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
    ) -> ApiResponse | _Unauthorized | _Failure:
        """One request: a good response, a ``401``, a retryable failure; raises on a final error."""
        headers = {contract.AUTH_HEADER: token.reveal(), contract.X_TOKEN_HEADER: self._x_token.reveal()}
        partial = None if destination is None else _partial_path(destination)
        edges = _Edges()
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
            certificate = _certificate_problem(error)
        self._count(requests=1, bytes_received=edges.size)
        if certificate is not None:
            _discard(partial)
            raise LiveTlsError(f"{certificate}: {TLS_HINT}", endpoint=endpoint, window=where)
        if transport_problem is not None:  # raised here, outside the except: no httpx request attached
            _discard(partial)
            return _Failure(LiveTransportError(transport_problem, endpoint=endpoint, window=where))
        content_type = response.headers.get("content-type", "")
        log.debug("%s [%s]: HTTP %d, %d bytes", endpoint, where or "-", status, edges.size)
        if status == 200:
            problem = _shape_problem(path, content_type, edges)
            if problem is not None:
                _discard(partial)
                return _Failure(LiveResponseError(problem, status=status, endpoint=endpoint, window=where))
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
        if not error.is_retryable:
            raise error
        return _Failure(error, retry_after_seconds(response.headers.get(contract.RETRY_AFTER_HEADER)))

    def _log_in(self) -> tuple[Secret, float]:
        """``POST /user/login-simple``. Retried like a data call on 429/5xx/transport failures, but
        refused credentials fail at once: retrying a wrong password only risks locking the account."""
        assert self._credentials is not None
        email, password = self._credentials
        attempts = failures = 0
        while True:
            attempts += 1
            outcome = self._login_attempt(email, password)
            if isinstance(outcome, tuple):
                self._count(logins=1)
                log.info("logged in to %s as %s", self.base_url, email)
                return outcome
            failures += 1
            outcome.error.attempts = attempts
            if not outcome.error.is_retryable or failures >= self.max_attempts:
                raise outcome.error
            why = _reason(outcome.error)
            self._wait_before_retry(failures, outcome.retry_after, "login", attempts, why)

    def _login_attempt(self, email: str, password: Secret) -> tuple[Secret, float] | _Failure:
        transport_problem = certificate = None
        try:
            response = self._http.post(contract.LOGIN_PATH, json={"email": email, "password": password.reveal()})
        except httpx.TimeoutException as error:
            transport_problem = f"login timed out ({type(error).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as error:
            # Only the type: an httpx message could quote the request, and this one carries the password.
            transport_problem = f"login connection failed ({type(error).__name__})"
            certificate = _certificate_problem(error)
        if certificate is not None:  # final: _log_in does not retry it, and the password was never sent
            return _Failure(LiveTlsError(f"login: {certificate}: {TLS_HINT}", endpoint="login"))
        if transport_problem is not None:
            return _Failure(LiveTransportError(transport_problem, endpoint="login"))
        body = response.content
        status = response.status_code
        if status == 200:
            token = _token_from_login(body)
            if token is not None:
                return token
            # Never quote this body: it may hold a token.
            return _Failure(LiveResponseError("login answered 200 without an Authorization token", endpoint="login"))
        error = error_for_status(status, body, endpoint="login", window=None)
        _scrub(error, password)
        if status == 401:
            code = error.code or "INVALID_CREDENTIALS"
            vendor = error.message.split(": ")[0] if error.code else "credentials refused"
            error = LiveAuthenticationError(
                f"login as {email} refused ({vendor}): {AUTHENTICATION_HINT}",
                status=401,
                code=code,
                details=error.details,
                endpoint="login",
            )
        if not error.is_retryable:
            return _Failure(error)
        return _Failure(error, retry_after_seconds(response.headers.get(contract.RETRY_AFTER_HEADER)))

    # -- one method per endpoint (CONTRACT.md §6) -------------------------------------------------------

    def _ranged(
        self,
        path: contract.Path,
        window: Window,
        extra: Mapping[str, str],
        filters: Mapping[str, Any],
        destination: Path | None,
    ) -> ApiResponse:
        params = dict(extra)
        params.update(filter_params(filters))
        return self.get(endpoint_name(path), path, params, window, destination=destination)

    def conversation_list(self, window: Window, *, destination: Path | None = None, **filters: Any) -> ApiResponse:
        """Every conversation queued in the window, ordered by ``queueddatetime``."""
        return self._ranged(contract.Path.CONVERSATION_LIST, window, {}, filters, destination)

    def conversation_detail(self, conversation_id: int, *, destination: Path | None = None) -> ApiResponse:
        """One conversation with its messages; an unknown id raises :class:`LiveNotFoundError`."""
        path = contract.Path.CONVERSATION_DETAIL
        params = {"conversation_id": str(int(conversation_id))}
        return self.get(endpoint_name(path), path, params, destination=destination)

    def conversation_stats(self, window: Window, *, destination: Path | None = None, **filters: Any) -> ApiResponse:
        """One object of totals and averages over the whole window."""
        return self._ranged(contract.Path.CONVERSATION_STATS, window, {}, filters, destination)

    def conversation_sla(self, window: Window, *, destination: Path | None = None, **filters: Any) -> ApiResponse:
        """SLA figures per group over the whole window."""
        return self._ranged(contract.Path.CONVERSATION_SLA, window, {}, filters, destination)

    def histogram(
        self, window: Window, frequency: contract.Frequency | str, *, destination: Path | None = None, **filters: Any
    ) -> ApiResponse:
        """One row per bucket of ``frequency`` in the window, empty buckets included."""
        extra = {"frequency": contract.Frequency(frequency).value}
        return self._ranged(contract.Path.HISTOGRAM, window, extra, filters, destination)

    def summary(
        self, window: Window, frequency: contract.Frequency | str, *, destination: Path | None = None, **filters: Any
    ) -> ApiResponse:
        """One row per non-empty (bucket, group, protocol)."""
        extra = {"frequency": contract.Frequency(frequency).value}
        return self._ranged(contract.Path.SUMMARY, window, extra, filters, destination)

    def agent_performance(self, window: Window, *, destination: Path | None = None, **filters: Any) -> ApiResponse:
        """One row per agent active in the window, aggregated over the whole window."""
        return self._ranged(contract.Path.AGENT_PERFORMANCE, window, {}, filters, destination)

    def feedback(self, window: Window, *, destination: Path | None = None, **filters: Any) -> ApiResponse:
        """Survey figures and items for the window (one JSON object)."""
        return self._ranged(contract.Path.FEEDBACK, window, {}, filters, destination)

    def export_simple(
        self,
        window: Window,
        lang: str = contract.DEFAULT_EXPORT_LANGUAGE,
        *,
        destination: Path | None = None,
        **filters: Any,
    ) -> ApiResponse:
        """The CSV export, headers and labels in ``lang``; ``records()`` un-translates them."""
        if lang not in contract.EXPORT_LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(contract.EXPORT_LANGUAGES)}, got {lang!r}")
        return self._ranged(contract.Path.EXPORT_SIMPLE, window, {"lang": lang}, filters, destination)

    def agents(self, *, destination: Path | None = None) -> ApiResponse:
        """The agents dimension."""
        return self.get(endpoint_name(contract.Path.AGENTS), contract.Path.AGENTS, destination=destination)

    def groups(self, *, destination: Path | None = None) -> ApiResponse:
        """The groups dimension."""
        return self.get(endpoint_name(contract.Path.GROUPS), contract.Path.GROUPS, destination=destination)


def _reason(error: LiveApiError) -> str:
    """A short reason for a retry's log line: ``429 TOO_MANY_REQUESTS``, ``timed out (ReadTimeout)``."""
    if error.code:
        return f"{error.status} {error.code}"
    if error.status is not None and error.status != 200:
        return f"HTTP {error.status}"
    return error.message[:120]


def _certificate_problem(error: BaseException) -> str | None:
    """``"TLS certificate of the API not trusted (self-signed certificate)"`` when a connection failed on
    certificate verification, else None. Only the SSL error's own words: nothing of the request."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate of the API not trusted ({cause.verify_message or cause.reason})"
        cause = cause.__cause__ or cause.__context__
    return None


def _token_from_login(body: bytes) -> tuple[Secret, float] | None:
    """``(Authorization value, expires_in)`` from a login answer, or ``None``; never echoes the body."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    value = payload.get(contract.AUTH_HEADER)
    if not isinstance(value, str) or not value:
        return None
    expires_in = payload.get(contract.LOGIN_EXPIRES_IN_FIELD)
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or not expires_in > 0:
        expires_in = contract.TOKEN_TTL_SECONDS  # [vendor] a token lives 10 hours when the answer does not say
    return Secret(value), float(expires_in)


def _token_expired(body: bytes, endpoint: str, where: str | None) -> LiveTokenExpiredError:
    code, _message, details = envelope_of(body)
    return LiveTokenExpiredError(
        TOKEN_EXPIRED_HINT, status=401, code=code, details=details, endpoint=endpoint, window=where
    )


def _scrub(error: LiveApiError, password: Secret) -> None:
    """Mask the password should a server ever echo it in an error message or its details."""
    secret = password.reveal()
    if not secret:
        return
    error.message = error.message.replace(secret, MASK)
    text = json.dumps(error.details, default=str)
    escaped = json.dumps(secret)[1:-1]
    if escaped in text:
        error.details = json.loads(text.replace(escaped, MASK))


def _partial_path(destination: Path) -> Path:
    """Where a streamed body is written until it is known whole (same directory: the rename is atomic)."""
    return destination.with_name(f".{destination.name}.{os.getpid()}.{threading.get_ident()}.part")


def _receive_into(response: httpx.Response, partial: Path, edges: _Edges, *, compress: bool) -> None:
    """Stream ``response``'s body into ``partial``, through the landing codec when ``compress``: one
    network chunk in memory at a time, whatever the body's size."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    with compressed_writer(partial) if compress else partial.open("wb") as sink:
        for chunk in response.iter_bytes():
            edges.feed(chunk)
            sink.write(chunk)


def _discard(partial: Path | None) -> None:
    if partial is not None:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
