"""Accounts, tokens and X-tokens: who may read which bot, and for how long.

Tokens expire on the monotonic clock (not the data clock, which tests may freeze), so a 2-second TTL
really lasts two seconds. Tokens are random and never logged or echoed in error bodies.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from live_assets import contract
from live_assets.contract import ErrorCode
from live_assets.simulator.config import BotProfile, SimulatorConfig, UserAccount
from live_assets.simulator.errors import ApiError

BEARER_PREFIX = "Bearer "


@dataclass
class IssuedToken:
    email: str
    expires_at: float  # monotonic seconds


class Auth:
    """Thread-safe: the event loop checks tokens while the test thread may issue or expire them."""

    def __init__(self, config: SimulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}
        self._users = {user.email: user for user in config.accounts()}
        self._served = {bot.x_token: bot for bot in config.bot_profiles()}
        foreign = config.foreign_bot()
        self._known = {**self._served, foreign.x_token: foreign}

    @property
    def bots(self) -> dict[str, BotProfile]:
        """The served bots by X-token."""
        return self._served

    def login(self, email: str, password: str) -> str:
        user = self._users.get(email)
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            raise ApiError(ErrorCode.INVALID_CREDENTIALS)
        return self.issue(email, self._config.token_ttl)

    def issue(self, email: str, ttl: float) -> str:
        """A new ``Authorization`` value for ``email`` (the user must exist), valid ``ttl`` seconds."""
        if email not in self._users:
            raise KeyError(email)
        token = BEARER_PREFIX + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = IssuedToken(email, self._clock() + ttl)
        return token

    def expire_all(self) -> None:
        now = self._clock()
        with self._lock:
            for issued in self._tokens.values():
                issued.expires_at = min(issued.expires_at, now)

    def user_for(self, authorization: str | None) -> UserAccount:
        """The user of a valid token, or 401 UNAUTHORIZED (``details.reason`` says why)."""
        if not authorization:
            raise ApiError(ErrorCode.UNAUTHORIZED, details={"reason": "missing"})
        with self._lock:
            issued = self._tokens.get(authorization)
        if issued is None:
            raise ApiError(ErrorCode.UNAUTHORIZED, details={"reason": "invalid"})
        if self._clock() >= issued.expires_at:
            raise ApiError(
                ErrorCode.UNAUTHORIZED,
                "The authentication token has expired",
                {"reason": contract.EXPIRED_TOKEN_REASON},
            )
        return self._users[issued.email]

    def bot_for(self, user: UserAccount, x_token: str | None) -> BotProfile:
        """The bot a user may read through ``x_token``, or 403 FORBIDDEN."""
        bot = self._known.get(x_token or "")
        if bot is None:
            raise ApiError(ErrorCode.FORBIDDEN, "Unknown X-Token", {"reason": "unknown_x_token"})
        linked = user.x_tokens if user.x_tokens is not None else tuple(self._served)
        if bot.x_token not in linked:
            raise ApiError(ErrorCode.FORBIDDEN, "The user is not linked to this bot", {"reason": "not_linked"})
        if not user.reports_permission:
            raise ApiError(
                ErrorCode.FORBIDDEN, "The user lacks the Reports permission", {"reason": "no_reports_permission"}
            )
        if bot.x_token not in self._served:
            raise ApiError(ErrorCode.FORBIDDEN, "The bot is not available", {"reason": "not_linked"})
        return bot
