"""Tokens: log in once, share the token across processes, renew it before it expires.

A backfill runs many steps in many processes on one machine over hours; the token lives 10 hours
(docs/api-contract.md §2). Logging in per step would multiply logins for nothing, so the token is kept in a
cache file per (base URL, e-mail, X-token), readable by its owner only (0600), written atomically and
guarded by a file lock: whichever process needs a token first logs in, the others read it.

The module does no HTTP itself: the client hands in a ``login`` callable, which keeps the lock logic
testable and the password inside the client's request code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from filelock import FileLock, Timeout

from live_assets.client.errors import TOKEN_EXPIRED_HINT, LiveApiError, LiveAuthenticationError, LiveTokenExpiredError
from live_assets.secret import Secret

log = logging.getLogger(__name__)

RENEWAL_MARGIN_CAP_SECONDS: Final = 300.0  # renew at most 5 minutes before expiry ...
RENEWAL_MARGIN_SHARE: Final = 0.2  # ... or after 80 % of the token's life, whichever is later
CACHE_LOCK_TIMEOUT_SECONDS: Final = 300.0  # longer than any sane login, shorter than forever
# After the API refused these credentials, how long every process of this machine answers with that
# refusal instead of logging in again. A backfill's steps each log in (in their own process) when no
# token is cached: without this, a wrong password cost one refused login per step (~11 per backfill,
# more with several runs), which is how accounts get locked. Changed credentials are a new cache key,
# so a corrected password is used at once; the same ones are tried again after this hold.
REFUSED_LOGIN_HOLD_SECONDS: Final = 600.0


class TokenLockError(LiveApiError):
    """The token cache folder (and so the token lock) cannot be used as configured: fix what it names."""


def ensure_private_directory(directory: Path, variable: str = "LIVE_TOKEN_CACHE_DIR") -> None:
    """Make ``directory`` (0700) or check that it is private: a folder other users may open could hold
    a planted lock file or read the token cache, so it is refused, naming the fix."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.stat(directory)
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenLockError(
            f"the token cache folder {directory} is open to other users (mode {stat.S_IMODE(info.st_mode):o}, "
            f"owner uid {info.st_uid}): run `chmod 700 {directory}` as its owner, or point {variable} at a "
            "private folder",
            endpoint="token lock",
        )


def default_token_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/live-assets``, i.e. ``~/.cache/live-assets`` by default."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "live-assets"


def renewal_margin(ttl_seconds: float) -> float:
    """How long before expiry a token is renewed: ``min(300 s, 20 % of its life)``, so that a
    10-hour token is renewed 5 minutes early and a 2-second test token 0.4 s early."""
    return min(RENEWAL_MARGIN_CAP_SECONDS, RENEWAL_MARGIN_SHARE * max(ttl_seconds, 0.0))


@dataclass(frozen=True)
class Token:
    """A bearer value and when to stop using it (``renew_at``, epoch seconds, before the expiry)."""

    value: Secret
    expires_at: float
    renew_at: float

    @classmethod
    def issued(cls, value: Secret, expires_in: float, now: float) -> Token:
        return cls(value, now + expires_in, now + expires_in - renewal_margin(expires_in))

    def fresh(self, now: float) -> bool:
        return now < self.renew_at


def cache_key(base_url: str, email: str, x_token: Secret, password: Secret | None = None) -> str:
    """The cache file's name: a hash, so that neither the e-mail nor the X-token shows in a file name.

    The password is part of the key too: a token obtained with yesterday's password must not hide
    that today's setting is wrong (it would surface hours later, at the first renewal). The hash
    also covers the X-token, a secret of its own, so the name is no oracle for guessing the password.
    """
    parts = [base_url.rstrip("/"), email, x_token.reveal()]
    if password is not None:
        parts.append(password.reveal())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


class TokenCache:
    """One token in one 0600 JSON file ``{token, expires_at, renew_at}``, shared by processes."""

    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / f"token-{key}.json"
        self._lock = FileLock(str(directory / f"token-{key}.lock"), timeout=CACHE_LOCK_TIMEOUT_SECONDS, mode=0o600)
        self._directory = directory

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock: logins happen inside it, so concurrent processes log in once."""
        ensure_private_directory(self._directory)
        try:
            self._lock.acquire()
        except Timeout:
            raise OSError(f"could not lock the token cache {self.path} within {CACHE_LOCK_TIMEOUT_SECONDS} s") from None
        try:
            yield
        finally:
            self._lock.release()

    def load(self) -> Token | None:
        """The cached token, or ``None`` when absent, unreadable, malformed, or readable by others."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
                # A file others can read (or wrote) is not trusted, nor used: it is replaced on next login.
                log.warning("ignoring token cache %s: it is not private to this user (0600)", self.path)
                return None
            try:
                payload = json.loads(file.read())
                return Token(Secret(str(payload["token"])), float(payload["expires_at"]), float(payload["renew_at"]))
            except (ValueError, KeyError, TypeError):
                return None

    def store(self, token: Token) -> None:
        """Write atomically (temp file created 0600, then rename), so readers never see half a file."""
        payload = json.dumps(
            {"token": token.value.reveal(), "expires_at": token.expires_at, "renew_at": token.renew_at}
        ).encode("utf-8")
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @property
    def refusal_path(self) -> Path:
        return self._directory / f"refused-{self.path.stem.removeprefix('token-')}.json"

    def load_refusal(self, now: float) -> LiveAuthenticationError | None:
        """The refusal of these credentials recorded less than ``REFUSED_LOGIN_HOLD_SECONDS`` ago, if any."""
        try:
            payload = json.loads(self.refusal_path.read_text(encoding="utf-8"))
            refused_at = float(payload["refused_at"])
            message, code = str(payload["message"]), payload.get("code")
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not 0 <= now - refused_at < REFUSED_LOGIN_HOLD_SECONDS:
            return None
        until = time.strftime("%H:%M:%S", time.localtime(refused_at + REFUSED_LOGIN_HOLD_SECONDS))
        return LiveAuthenticationError(
            f"{message} (not tried again: these credentials were refused "
            f"{now - refused_at:.0f} s ago; next attempt after {until}, or at once with changed credentials)",
            status=401,
            code=None if code is None else str(code),
            endpoint="login",
        )

    def store_refusal(self, error: LiveAuthenticationError, now: float) -> None:
        """Record that the API refused these credentials (the error's message holds no secret)."""
        payload = json.dumps({"refused_at": now, "message": error.message, "code": error.code})
        fd = os.open(self.refusal_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(payload)

    def clear_refusal(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.refusal_path.unlink()


Login = Callable[[], tuple[Secret, float]]
"""Performs one login and returns ``(authorization value, expires_in seconds)``."""


class TokenManager:
    """Hands out a usable token, logging in (once, across processes) when there is none or it is old.

    With ``login`` (credentials), tokens are renewed before expiry and once after a ``401``. With only
    a ``static_token``, that token is used as is; its ``401`` is final (:class:`LiveTokenExpiredError`).
    """

    def __init__(
        self,
        *,
        login: Login | None,
        static_token: Secret | None = None,
        cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if login is None and static_token is None:
            raise ValueError("a TokenManager needs credentials (login) or a static token")
        self._login = login
        self._cache = cache if login is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = (
            Token(static_token, float("inf"), float("inf")) if static_token is not None and login is None else None
        )
        self.logins = 0

    @property
    def renewable(self) -> bool:
        return self._login is not None

    @property
    def expires_at(self) -> float | None:
        """When the token in hand expires (epoch seconds): ``None`` before the first login, and for a
        static token, whose lifetime is not known here."""
        token = self._token
        if token is None or token.expires_at == float("inf"):
            return None
        return token.expires_at

    def current(self) -> Secret:
        """A token believed valid now; logs in when there is none or it is due for renewal."""
        with self._lock:
            token = self._token
            if token is not None and token.fresh(self._clock()):
                return token.value
            return self._refresh(failed=None).value

    def reject(self, failed: Secret) -> Secret:
        """The API answered ``401`` to ``failed``: renew (unless someone already did) and return the new token."""
        with self._lock:
            if self._login is None:
                raise LiveTokenExpiredError(TOKEN_EXPIRED_HINT, status=401, code="UNAUTHORIZED")
            token = self._token
            if token is not None and token.value != failed and token.fresh(self._clock()):
                return token.value  # another thread of this process renewed it already
            return self._refresh(failed=failed).value

    def _refresh(self, failed: Secret | None) -> Token:
        """Adopt a fresh token from the cache, or log in and publish one; caller holds ``self._lock``."""
        if self._login is None:  # a static token never goes stale by our clock
            assert self._token is not None
            return self._token
        if self._cache is None:
            self._token = self._log_in()
            return self._token
        try:
            with self._cache.locked():
                cached = self._cache.load()
                if cached is not None and cached.value != failed and cached.fresh(self._clock()):
                    log.debug("using the token another process logged in for")
                    self._token = cached
                    return cached
                refused = self._cache.load_refusal(self._clock())
                if refused is not None:
                    raise refused
                try:
                    self._token = self._log_in()
                except LiveAuthenticationError as error:
                    with contextlib.suppress(OSError):  # an unwritable cache must not turn into a second login
                        self._cache.store_refusal(error, self._clock())
                    raise
                self._cache.clear_refusal()
                try:
                    self._cache.store(self._token)
                except OSError as error:
                    log.warning("could not write the token cache %s: %s", self._cache.path, error.strerror)
                return self._token
        except OSError as error:
            # An unwritable cache costs extra logins, not the run.
            log.warning("token cache unavailable (%s); logging in without sharing the token", error)
            self._token = self._log_in()
            return self._token

    def _log_in(self) -> Token:
        assert self._login is not None
        value, expires_in = self._login()
        self.logins += 1
        return Token.issued(value, expires_in, self._clock())
