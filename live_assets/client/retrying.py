"""The retry loop of one call: bounded attempts, capped exponential backoff with full jitter.

Retries live in the client, not in its callers: ``429``, ``5xx``, timeouts, dropped connections and
``200``s whose body is visibly not what was asked (HTML, truncated JSON) may pass later; ``400``,
``403``, ``404``, refused credentials and an unreachable server at login would fail the same way again,
so they are final at once. A ``Retry-After`` above 0 is honoured (the vendor's ``0`` means "no hint").
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from live_assets.client.errors import LiveApiError

log = logging.getLogger(__name__)

RETRY_AFTER_CAP_SECONDS: Final = 600.0  # a server asking for more than 10 minutes is treated as asking 10

T = TypeVar("T")


@dataclass
class Failure:
    """One failed attempt; its error is raised if it is final or the attempts are used up."""

    error: LiveApiError
    retry_after: float | None = None


class RetryNow:
    """An attempt that asks to be repeated at once, without counting as a failure (a renewed token)."""


RETRY_NOW: Final = RetryNow()


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


def reason(error: LiveApiError) -> str:
    """A short reason for a retry's log line: ``429 TOO_MANY_REQUESTS``, ``timed out (ReadTimeout)``."""
    if error.code:
        return f"{error.status} {error.code}"
    if error.status is not None and error.status != 200:
        return f"HTTP {error.status}"
    return error.message[:120]


@dataclass
class Retrier:
    """Runs a call's attempts until one succeeds, one fails for good, or ``max_attempts`` have failed.

    ``sleep`` and ``rng`` are injectable so that tests record the waits instead of waiting;
    ``on_wait`` is told every wait (the client counts retries and seconds waited).
    """

    max_attempts: int
    backoff_base: float
    backoff_cap: float
    sleep: Callable[[float], None]
    rng: random.Random
    on_wait: Callable[[float], None]

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def run(self, what: str, attempt: Callable[[], T | Failure | RetryNow]) -> T:
        """``attempt`` until it returns a result; its final error carries the number of attempts."""
        attempts = failures = 0
        while True:
            attempts += 1
            outcome = attempt()
            if isinstance(outcome, RetryNow):
                continue
            if not isinstance(outcome, Failure):
                return outcome
            failures += 1
            outcome.error.attempts = attempts
            if not outcome.error.is_retryable or failures >= self.max_attempts:
                raise outcome.error  # outside any except block: no httpx exception rides along
            wait = outcome.retry_after
            if wait is None:
                wait = backoff_seconds(failures, self.backoff_base, self.backoff_cap, self.rng.random)
            log.warning("%s: attempt %d failed (%s); retrying in %.2f s", what, attempts, reason(outcome.error), wait)
            self.on_wait(wait)
            self.sleep(wait)
