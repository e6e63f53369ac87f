"""The first request of the check, read as four answers: the login, the token's renewal, the X-token, the permission.

One data call (the group list) answers all four: the client logs in (or presents the static token), then
sends the call with the token and the bot's X-token. What failed is told by where the client stopped: a
refused or unreachable login is the login's; a token the API refuses right after its own login issued it
is the renewal's; a ``403`` is the X-token's or the permission's, as the API's reason says (the contract's
``403 FORBIDDEN`` covers an unknown X-token, one not linked to the user, and a user without the Reports
permission, docs/api-contract.md; when the API gives no reason, the line says it cannot tell which).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from live_assets import contract
from live_assets.check.findings import Finding, Report, Status
from live_assets.client import LiveApiError, LiveAuthenticationError, LiveClient, LiveForbiddenError
from live_assets.client.errors import LiveTokenExpiredError, LiveUnreachableError
from live_assets.raw.endpoints import ENDPOINTS

LOGIN, RENEWAL, X_TOKEN, PERMISSION = "login", "token renewal", "X-token", "permission"
# The reasons a 403's details may give (the simulator gives them; the vendor's API may not).
X_TOKEN_REASONS: Final = frozenset({"unknown_x_token", "not_linked"})
PERMISSION_REASONS: Final = frozenset({"no_reports_permission"})


def check_access(report: Report, client: LiveClient) -> bool:
    """Add the four lines to ``report``, up to the first that fails; False when the rest cannot run."""
    login = report.add(Finding(LOGIN))
    spec = next(spec for spec in ENDPOINTS if spec.path is contract.Path.GROUPS)
    try:
        client.get(spec.table, spec.path)  # the first call logs in (or presents the static token)
    except LiveApiError as error:
        failure = error
    else:
        failure = None
    if failure is not None and _stopped_at_login(failure, client):
        login.flag(Status.MISMATCH, str(failure))
        login.summary = "cannot log in: nothing else was checked"
        return False
    login.summary = (
        "logged in with LIVE_API_EMAIL and LIVE_API_PASSWORD"
        if client.renewable
        else "static token (LIVE_API_TOKEN) accepted; its expiry is not known until the API refuses it"
    )
    renewal = report.add(_renewal(client))
    if isinstance(failure, LiveAuthenticationError):
        renewal.flag(Status.MISMATCH, f"the API refused the token its own login had just issued: {failure}")
        renewal.summary = "the login works, but its token is refused: nothing else was checked"
        return False
    x_token = report.add(Finding(X_TOKEN))
    if failure is None:
        x_token.summary = "accepted: the bot is known and linked to the user"
        report.add(Finding(PERMISSION, summary="the user may read the bot's reports"))
        return True
    reason = str(failure.details.get("reason", "")) if isinstance(failure, LiveForbiddenError) else ""
    if reason in PERMISSION_REASONS:
        x_token.summary = "accepted: the bot is known and linked to the user"
        permission = report.add(Finding(PERMISSION, summary="refused: give the user the Reports permission"))
        permission.flag(Status.MISMATCH, f"the user lacks the Reports permission: {failure}")
    else:
        _x_token_refused(x_token, failure, reason)
    return False


def _stopped_at_login(error: LiveApiError, client: LiveClient) -> bool:
    """Whether ``error`` came before any data call was answered: the login, or the static token itself."""
    if isinstance(error, LiveTokenExpiredError | LiveUnreachableError) or (error.endpoint or "").endswith("(login)"):
        return True
    return client.renewable and client.token_expires_at is None  # no token was ever issued


def _renewal(client: LiveClient) -> Finding:
    finding = Finding(RENEWAL)
    finding.measured["renewable"] = client.renewable
    if not client.renewable:
        finding.summary = "not possible: the static token cannot be renewed"
        finding.flag(
            Status.WARNING,
            "renewal will not work with LIVE_API_TOKEN alone: set LIVE_API_EMAIL and LIVE_API_PASSWORD",
        )
        return finding
    finding.summary = "renewal will work (the credentials logged in)"
    expires = client.token_expires_at
    if expires is not None:
        finding.measured["token_expires_at"] = dt.datetime.fromtimestamp(expires, dt.UTC).isoformat(timespec="seconds")
        finding.summary += f"; the token expires at {finding.measured['token_expires_at']}"
    return finding


def _x_token_refused(x_token: Finding, error: LiveApiError, reason: str) -> None:
    """The first data call failed after a good login, not for the permission: the X-token's line says how."""
    if reason in X_TOKEN_REASONS:
        x_token.flag(Status.MISMATCH, str(error))
        x_token.summary = (
            "refused: unknown X-token" if reason == "unknown_x_token" else "refused: the bot is not linked to the user"
        )
    elif isinstance(error, LiveForbiddenError):
        x_token.flag(Status.MISMATCH, str(error))
        x_token.summary = "refused (403); the API does not say whether the X-token or the permission is at fault"
    else:
        x_token.flag(Status.MISMATCH, f"the first data call failed: {error}")
        x_token.summary = "not known: the first data call failed"
