"""Request counters, read by tests and benchmarks through ``GET /_sim/counters``.

Mutated on the event loop, read from test threads: every access holds one lock, for microseconds.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # lets a test await "n requests in flight"
        self._reset()

    def _reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.logins = 0
        self.responses: Counter[str] = Counter()
        self.responses_by_path: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_per_token: Counter[str] = Counter()
        self.max_in_flight_per_token = 0
        # By X-token (the bot), whichever bearer tokens carry them: processes that log in on their own
        # get tokens of their own, and still share the bot.
        self.in_flight_per_bot: Counter[str] = Counter()
        self.max_in_flight_per_bot = 0
        self.serving_seconds = 0.0
        self.serving_seconds_by_path: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()

    def reset(self) -> None:
        """Zero every figure; requests still in flight keep their (token) slots."""
        with self._lock:
            in_flight, per_token, per_bot = self.in_flight, self.in_flight_per_token, self.in_flight_per_bot
            self._reset()
            self.in_flight, self.in_flight_per_token, self.in_flight_per_bot = in_flight, per_token, per_bot

    def begin(self, path: str, token: str | None, login: bool, bot: str | None = None) -> int:
        """Count a request arriving; returns how many requests its token now has in flight."""
        with self._lock:
            self.requests[path] += 1
            if login:
                self.logins += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            if bot is not None:
                self.in_flight_per_bot[bot] += 1
                self.max_in_flight_per_bot = max(self.max_in_flight_per_bot, self.in_flight_per_bot[bot])
            if token is None:
                return 0
            self.in_flight_per_token[token] += 1
            held = self.in_flight_per_token[token]
            self.max_in_flight_per_token = max(self.max_in_flight_per_token, held)
            return held

    def end(self, path: str, token: str | None, status: int | None, seconds: float, bot: str | None = None) -> None:
        """Count a request leaving (``status`` None: the connection was dropped)."""
        label = "dropped" if status is None else str(status)
        with self._lock:
            self.in_flight = max(0, self.in_flight - 1)
            if bot is not None:
                self.in_flight_per_bot[bot] -= 1
                if self.in_flight_per_bot[bot] <= 0:
                    del self.in_flight_per_bot[bot]
            if token is not None:
                self.in_flight_per_token[token] -= 1
                if self.in_flight_per_token[token] <= 0:
                    del self.in_flight_per_token[token]
            self.responses[label] += 1
            self.responses_by_path[path][label] += 1
            self.serving_seconds += seconds
            self.serving_seconds_by_path[path] += seconds

    def wait_in_flight(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` requests are in flight (True), or ``timeout`` passes (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.in_flight >= count, timeout)

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults_injected[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "requests_total": sum(self.requests.values()),
                "logins": self.logins,
                "responses": dict(self.responses),
                "responses_by_path": {path: dict(c) for path, c in self.responses_by_path.items()},
                "max_in_flight": self.max_in_flight,
                "max_in_flight_per_token": self.max_in_flight_per_token,
                "max_in_flight_per_bot": self.max_in_flight_per_bot,
                "serving_seconds": round(self.serving_seconds, 6),
                "serving_seconds_by_path": {path: round(s, 6) for path, s in self.serving_seconds_by_path.items()},
                "faults_injected": dict(self.faults_injected),
            }
