"""The vendor's one-request rule, kept where requests are sent: a lock per bot token shared by every process.

The API serves one request in flight per token (docs/api-contract.md §1). Whoever sends on a token (a
Dagster step, ``dagster asset materialize`` from a shell, the connection check, the command-line
backfill, a notebook) holds that token's lock for the time of one request or one login, never during a
retry's back-off. Two implementations behind :class:`TokenLock`, chosen by ``LIVE_TOKEN_LOCK``:

- ``file`` (default): ``flock`` on a file in the token-cache folder. The call blocks in the kernel,
  which wakes the next waiter the moment the holder lets go (no polling interval added to a request),
  and drops the lock of a process that dies. One machine.
- ``postgres``: ``pg_advisory_lock`` on a connection of the lock's own, for runs spread over machines
  (the Docker and Kubernetes launchers); the server drops the lock with a holder's connection.

Today first: a caller ``first_in_line`` (today's refresh) takes the bot's gate exclusively before the
lock; every other caller passes the gate (takes it shared, then lets go) before waiting for the lock.
While a refresh waits, a backfill that lets the lock go therefore cannot take it again at once: the
refresh waits for the request in flight, plus at most one request per process already past the gate.

The key is a hash of the bot's identity (base URL and X-token), so no secret shows in a file name, a
lock key or a log.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Protocol

from live_assets.client.auth import TokenLockError, default_token_cache_dir, ensure_private_directory
from live_assets.client.errors import LiveApiError
from live_assets.secret import Secret
from live_assets.settings import TOKEN_LOCK_FILE, TOKEN_LOCK_POSTGRES, LiveSettings

POSTGRES_CONNECT_TIMEOUT_SECONDS: Final = 10
POSTGRES_APPLICATION_NAME: Final = "live-assets token lock"


class TokenLockUnavailableError(LiveApiError):
    """The lock's PostgreSQL could not be reached: no request was sent; a later try may pass."""

    retryable = True


class TokenLock(Protocol):
    """One bot token's lock; ``hold`` while exactly one request (or login) is in flight."""

    def hold(self, *, first_in_line: bool = False) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


def token_identity(base_url: str, x_token: Secret) -> str:
    """The bot's identity as a hash: the same for every process sending on this token, and no oracle
    for the X-token (a secret)."""
    text = "\n".join(("live-assets token lock", base_url.rstrip("/"), x_token.reveal()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FileTokenLock:
    """``flock`` on ``lock-<identity>`` (and its gate) in the token-cache folder: one machine's processes."""

    def __init__(self, directory: Path, identity: str) -> None:
        self.directory = directory
        self.path = directory / f"lock-{identity}"
        self._gate_path = directory / f"lock-{identity}.gate"
        self._files: tuple[int, int] | None = None
        # flock excludes open files, not threads: threads sharing this object take turns here first.
        self._threads = threading.Lock()

    def _opened(self) -> tuple[int, int]:
        if self._files is None:
            ensure_private_directory(self.directory)
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
            lock = os.open(self.path, flags, 0o600)
            try:
                gate = os.open(self._gate_path, flags, 0o600)
            except BaseException:
                os.close(lock)
                raise
            self._files = (lock, gate)
        return self._files

    @contextlib.contextmanager
    def hold(self, *, first_in_line: bool = False) -> Iterator[None]:
        with self._threads:
            lock, gate = self._opened()
            if first_in_line:
                fcntl.flock(gate, fcntl.LOCK_EX)  # from now on, newcomers wait behind us at the gate
            else:
                fcntl.flock(gate, fcntl.LOCK_SH)  # blocks only while a first-in-line caller holds the gate
                fcntl.flock(gate, fcntl.LOCK_UN)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            finally:
                if first_in_line:
                    fcntl.flock(gate, fcntl.LOCK_UN)

    def close(self) -> None:
        files, self._files = self._files, None
        for fd in files or ():
            os.close(fd)


def _advisory_key(identity: str, role: str) -> int:
    """A signed 64-bit advisory-lock key for the bot's lock (``role="lock"``) or gate (``"gate"``)."""
    digest = hashlib.sha256(f"{identity}:{role}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresTokenLock:
    """``pg_advisory_lock`` on a connection of its own (opened at first use, kept for the client's life):
    processes on any machine that reach this PostgreSQL share the rule."""

    def __init__(self, dsn: str, password: Secret | None, identity: str) -> None:
        self._dsn = dsn
        self._password = password
        self.lock_key = _advisory_key(identity, "lock")
        self.gate_key = _advisory_key(identity, "gate")
        self._connection: Any = None
        self._threads = threading.Lock()

    def _cursor(self) -> Any:
        import psycopg2  # only deployments that choose this lock need the driver (extra "postgres")

        if self._connection is None or self._connection.closed:
            options: dict[str, Any] = {
                "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
                "application_name": POSTGRES_APPLICATION_NAME,
            }
            if self._password is not None:
                options["password"] = self._password.reveal()
            problem = None
            try:
                self._connection = psycopg2.connect(self._dsn, **options)
            except psycopg2.Error as error:
                problem = self._describe(error)
            if problem is not None:  # raised outside the except block: nothing of the attempt rides along
                raise TokenLockUnavailableError(
                    f"cannot reach the PostgreSQL of LIVE_TOKEN_LOCK_POSTGRES: {problem}; no request was sent",
                    endpoint="token lock",
                )
            self._connection.autocommit = True  # session-level advisory locks, no transaction left open
        return self._connection.cursor()

    def _describe(self, error: BaseException) -> str:
        text = " ".join(str(error).split()) or type(error).__name__
        if self._password is not None and self._password.reveal():
            text = text.replace(self._password.reveal(), "***")
        return text[:300]

    @contextlib.contextmanager
    def hold(self, *, first_in_line: bool = False) -> Iterator[None]:
        import psycopg2

        with self._threads:
            problem = None
            for _ in range(2):  # a connection kept from an earlier request may have been lost since: once more
                reused = self._connection is not None and not self._connection.closed
                cursor = self._cursor()
                try:
                    if first_in_line:
                        cursor.execute("SELECT pg_advisory_lock(%s)", (self.gate_key,))
                    else:
                        cursor.execute("SELECT pg_advisory_lock_shared(%s)", (self.gate_key,))
                        cursor.execute("SELECT pg_advisory_unlock_shared(%s)", (self.gate_key,))
                    cursor.execute("SELECT pg_advisory_lock(%s)", (self.lock_key,))
                except psycopg2.Error as error:
                    problem = self._describe(error)
                    self._drop()  # whatever it held dies with the connection
                    if reused:
                        continue
                else:
                    problem = None
                break
            if problem is not None:
                raise TokenLockUnavailableError(
                    f"the PostgreSQL of LIVE_TOKEN_LOCK_POSTGRES failed while locking: {problem}; no request was sent",
                    endpoint="token lock",
                )
            try:
                yield
            finally:
                try:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", (self.lock_key,))
                    if first_in_line:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", (self.gate_key,))
                except psycopg2.Error:
                    self._drop()  # the server released both with the lost connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        with self._threads:
            self._drop()


class UnlockedForProbe:
    """No lock at all. Only the connection check's ``--probe-concurrency`` uses it, on purpose: that probe
    sends a second request while one is in flight to see how the API answers, which breaks the rule."""

    @contextlib.contextmanager
    def hold(self, *, first_in_line: bool = False) -> Iterator[None]:
        yield

    def close(self) -> None:
        return None


def token_lock_for(
    base_url: str,
    x_token: Secret,
    *,
    kind: str = TOKEN_LOCK_FILE,
    directory: Path | None = None,
    postgres: str | None = None,
    password: Secret | None = None,
) -> TokenLock:
    """The lock of the bot ``(base_url, x_token)`` of the kind ``LIVE_TOKEN_LOCK`` names (settings
    validated it): a file in ``directory`` (the token-cache folder), or an advisory lock on ``postgres``."""
    identity = token_identity(base_url, x_token)
    if kind == TOKEN_LOCK_POSTGRES:
        if not postgres:
            raise TokenLockError("LIVE_TOKEN_LOCK=postgres needs LIVE_TOKEN_LOCK_POSTGRES", endpoint="token lock")
        return PostgresTokenLock(postgres, password, identity)
    return FileTokenLock(directory if directory is not None else default_token_cache_dir(), identity)


def token_lock_of(settings: LiveSettings) -> TokenLock:
    """The lock of the bot these settings send on (``LIVE_TOKEN_LOCK``, ``LIVE_TOKEN_CACHE_DIR``, ...)."""
    if settings.x_token is None:
        raise TokenLockError("no X-token: the token lock is keyed by the bot's X-token", endpoint="token lock")
    return token_lock_for(
        settings.base_url,
        settings.x_token,
        kind=settings.token_lock,
        directory=settings.token_cache_dir,
        postgres=settings.token_lock_postgres,
        password=settings.token_lock_password,
    )
