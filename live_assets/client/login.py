"""One login attempt: ``POST /user/login-simple`` with the e-mail and password (docs/api-contract.md §2).

The password is revealed only to build this one request body, and nothing of that request ever
reaches an error: httpx messages are not quoted, a server that echoes the password has it masked, and
a login answer is never quoted (it may hold a token).
"""

from __future__ import annotations

import json

import httpx

from live_assets import contract
from live_assets.client.connection import certificate_problem, unreachable_reason
from live_assets.client.errors import (
    AUTHENTICATION_HINT,
    TLS_HINT,
    UNREACHABLE_HINT,
    LiveApiError,
    LiveAuthenticationError,
    LiveResponseError,
    LiveTlsError,
    LiveTransportError,
    LiveUnreachableError,
    error_for_status,
)
from live_assets.client.retrying import Failure, retry_after_seconds
from live_assets.secret import MASK, Secret

LOGIN_ENDPOINT = "login"


def attempt_login(http: httpx.Client, base_url: str, email: str, password: Secret) -> tuple[Secret, float] | Failure:
    """``(Authorization value, expires_in)``, or the failure of this attempt.

    Refused credentials are final (retrying a wrong password only risks locking the account), and so
    is a server that cannot be reached at all (refused, unknown host, TLS): that is a setting to fix.
    A timeout, a ``429`` or a ``5xx`` may pass: the caller retries those.
    """
    timed_out = unreachable = certificate = None
    try:
        response = http.post(contract.LOGIN_PATH, json={"email": email, "password": password.reveal()})
    except httpx.TimeoutException as error:
        timed_out = f"login timed out ({type(error).__name__})"
    except httpx.ConnectError as error:
        certificate = certificate_problem(error)
        unreachable = unreachable_reason(error)
    except (httpx.TransportError, httpx.DecodingError) as error:
        # Only the type: an httpx message could quote the request, and this one carries the password.
        timed_out = f"login connection failed ({type(error).__name__})"
        certificate = certificate_problem(error)
    # Raised (by the caller) outside the except blocks: no httpx exception stays attached as context.
    if certificate is not None:  # the password was never sent
        return Failure(LiveTlsError(f"{certificate} at {base_url}: {TLS_HINT}", endpoint=LOGIN_ENDPOINT))
    if unreachable is not None:
        message = f"cannot reach the API at {base_url}: {unreachable}; {UNREACHABLE_HINT}"
        return Failure(LiveUnreachableError(message, endpoint=LOGIN_ENDPOINT))
    if timed_out is not None:
        return Failure(LiveTransportError(timed_out, endpoint=LOGIN_ENDPOINT))
    body = response.content
    status = response.status_code
    if status == 200:
        token = token_from_login(body)
        if token is not None:
            return token
        return Failure(LiveResponseError("login answered 200 without an Authorization token", endpoint=LOGIN_ENDPOINT))
    error = error_for_status(status, body, endpoint=LOGIN_ENDPOINT, window=None)
    scrub(error, password)
    if status == 401:
        code = error.code or "INVALID_CREDENTIALS"
        vendor = error.message.split(": ")[0] if error.code else "credentials refused"
        error = LiveAuthenticationError(
            f"login as {email} refused ({vendor}): {AUTHENTICATION_HINT}",
            status=401,
            code=code,
            details=error.details,
            endpoint=LOGIN_ENDPOINT,
        )
    return Failure(error, retry_after_seconds(response.headers.get(contract.RETRY_AFTER_HEADER)))


def token_from_login(body: bytes) -> tuple[Secret, float] | None:
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


def scrub(error: LiveApiError, password: Secret) -> None:
    """Mask the password should a server ever echo it in an error message or its details."""
    secret = password.reveal()
    if not secret:
        return
    error.message = error.message.replace(secret, MASK)
    text = json.dumps(error.details, default=str)
    escaped = json.dumps(secret)[1:-1]
    if escaped in text:
        error.details = json.loads(text.replace(escaped, MASK))
