"""Typed errors of the Live API client.

Each error carries what an operator needs to act without reading code: the endpoint and window that
failed, the HTTP status, the vendor's error code, message and details (docs/api-contract.md §4), and, for the
failures a setting can fix, the environment variable to look at. No error ever holds a secret: the
client builds them from the response envelope and from names, never from request headers or bodies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from live_assets import contract

SNIPPET_CHARS: Final = 200  # how much of a non-envelope body (an HTML error page) an error quotes


class LiveApiError(Exception):
    """A call to the Live API failed; ``is_retryable`` says whether trying again may help."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        endpoint: str = "",
        window: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.endpoint = endpoint
        self.window = window
        self.attempts = attempts

    @property
    def is_retryable(self) -> bool:
        """Whether the same request may succeed later (rate limits, gateways, dropped connections)."""
        return self.retryable

    def __str__(self) -> str:
        """One line: where, status, code, then the message, so that a log's or the UI's first line of a
        failed step is its cause (a vendor message's own line breaks are folded)."""
        where = self.endpoint or "live api"
        if self.window:
            where += f" [{self.window}]"
        parts = [where + ":"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + " " + " ".join(self.message.splitlines())
        if self.details:
            text += " details=" + json.dumps(self.details, ensure_ascii=False, sort_keys=True, default=str)
        if self.attempts and self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions with keyword-only arguments do not survive pickling by default, and multiprocess
        # executors pickle what a step raises.
        return (
            _rebuild,
            (type(self), self.message, self.status, self.code, self.details, self.endpoint, self.window, self.attempts),
        )


def _rebuild(cls: type[LiveApiError], message: str, *fields: Any) -> LiveApiError:
    status, code, details, endpoint, window, attempts = fields
    error = cls.__new__(cls)
    LiveApiError.__init__(
        error,
        message,
        status=status,
        code=code,
        details=details,
        endpoint=endpoint,
        window=window,
        attempts=attempts,
    )
    return error


class LiveBadRequestError(LiveApiError):
    """400: the request itself is wrong (a parameter, a date, a range); retrying cannot help."""


class LiveAuthenticationError(LiveApiError):
    """401: the credentials were refused, or a fresh token was refused too."""


class LiveTokenExpiredError(LiveAuthenticationError):
    """401 on a vendor-issued token with no credentials to renew it."""


class LiveForbiddenError(LiveApiError):
    """403: the X-token is unknown, not linked to the user, or the user lacks the Reports permission."""


class LiveNotFoundError(LiveApiError):
    """404: the resource (a conversation id) does not exist."""


class LiveRateLimitedError(LiveApiError):
    """429 on every attempt: another request keeps holding the token."""

    retryable = True


class LiveServerError(LiveApiError):
    """5xx on every attempt: the API or a gateway in front of it is failing."""

    retryable = True


class LiveTransportError(LiveApiError):
    """Timeouts or dropped connections on every attempt."""

    retryable = True


class LiveUnreachableError(LiveTransportError):
    """The login found nothing to talk to: connection refused, a host name that does not resolve, a
    failed TLS handshake. Final at once: it is a wrong ``LIVE_API_BASE_URL`` far more often than a
    passing fault, and six attempts plus the step's retries only delayed saying so by minutes."""

    retryable = False


class LiveTlsError(LiveUnreachableError):
    """The server's TLS certificate did not verify. Not retried: a certificate does not fix itself
    between attempts, and verification is never turned off."""


class LiveResponseError(LiveApiError):
    """A 200 whose body is not what was asked for: HTML, truncated JSON, the wrong content type."""

    retryable = True


AUTHENTICATION_HINT: Final = "check LIVE_API_EMAIL and LIVE_API_PASSWORD"
TOKEN_EXPIRED_HINT: Final = (
    "the token from LIVE_API_TOKEN was refused (expired or revoked) and cannot be renewed without "
    "credentials: set LIVE_API_EMAIL and LIVE_API_PASSWORD so the token can be renewed automatically, "
    "or ask the vendor for a new LIVE_API_TOKEN"
)
TLS_HINT: Final = (
    "verification is always on: fix the server's certificate, or check LIVE_API_BASE_URL and any "
    "proxy between this machine and the API"
)
UNREACHABLE_HINT: Final = (
    "check LIVE_API_BASE_URL (the vendor's API is at " + contract.VENDOR_BASE_URL + ") and that this "
    "machine can reach it"
)
FORBIDDEN_HINT: Final = (
    "check that LIVE_API_X_TOKEN is the X-token of the bot, that the bot is linked to the user, "
    "and that the user has the Reports permission"
)


def envelope_of(body: bytes) -> tuple[str | None, str | None, dict[str, Any]]:
    """``(code, message, details)`` from the vendor's error envelope, or ``(None, None, {})``.

    Gateways answer 5xx with any body or none, so nothing here may raise.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None, {}
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None, {}
    code = error.get("code")
    message = error.get("message")
    details = error.get("details")
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        details if isinstance(details, dict) else ({} if details is None else {"details": details}),
    )


def snippet(body: bytes) -> str:
    """The start of a body that is not an envelope, on one line, for an error message."""
    text = body[: SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")


def error_for_status(
    status: int,
    body: bytes,
    *,
    endpoint: str,
    window: str | None,
    attempts: int | None = None,
) -> LiveApiError:
    """The typed error for a non-200 response, from its status and the vendor's envelope."""
    code, message, details = envelope_of(body)
    if message is None:
        message = f"response body: {snippet(body)!r}" if body else "empty response body"
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "details": details,
        "endpoint": endpoint,
        "window": window,
        "attempts": attempts,
    }
    if status == 400:
        return LiveBadRequestError(message, **fields)
    if status == 401:
        if code == contract.ErrorCode.INVALID_CREDENTIALS:
            return LiveAuthenticationError(f"{message}: {AUTHENTICATION_HINT}", **fields)
        return LiveAuthenticationError(f"{message}: the API refused a freshly issued token", **fields)
    if status == 403:
        return LiveForbiddenError(f"{message}: {FORBIDDEN_HINT}", **fields)
    if status == 404:
        return LiveNotFoundError(message, **fields)
    if status == 429:
        return LiveRateLimitedError(message, **fields)
    if status >= 500:
        return LiveServerError(message, **fields)
    return LiveApiError(f"unexpected status: {message}", **fields)
