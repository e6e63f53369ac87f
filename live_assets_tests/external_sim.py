"""The simulator in a process of its own, driven over its ``/_sim`` HTTP helpers.

The in-process ``SimulatorServer`` shares the GIL with the code under test: with a thousand small
requests, every answer waits for a thread switch (5 ms each), and a 30-day backfill takes twice as
long. A separate process also keeps the simulator's memory out of a measurement of the pipeline's.
"""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx

STARTUP_SECONDS = 60.0


class ExternalSimulator:
    """``python -m live_assets.simulator`` on a free port; counters, faults and tokens over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=30)

    def counters(self) -> dict[str, Any]:
        return self._http.get("/_sim/counters").raise_for_status().json()

    def reset_counters(self) -> None:
        self._http.post("/_sim/counters/reset").raise_for_status()

    def expire_tokens(self) -> None:
        self._http.post("/_sim/tokens/expire").raise_for_status()

    def issue_token(self, email: str, ttl: float) -> str:
        answer = self._http.post("/_sim/tokens", json={"email": email, "ttl": ttl}).raise_for_status().json()
        return str(answer["Authorization"])

    def schedule_fault(self, path: str, kind: str, times: int = 1) -> None:
        self._http.post("/_sim/faults", json={"path": str(path), "kind": kind, "times": times}).raise_for_status()

    def close(self) -> None:
        self._http.close()


@contextlib.contextmanager
def external_simulator(*options: str) -> Iterator[ExternalSimulator]:
    """Start the simulator with command-line ``options`` (``"--fault-rate", "0.2"``); stop it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "live_assets.simulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, name="simulator-output", daemon=True).start()
    simulator = None
    try:
        try:
            first = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            raise AssertionError(f"the simulator printed nothing within {STARTUP_SECONDS:.0f} s") from None
        match = re.search(r"on (http://\S+)", first)
        assert match, f"unexpected simulator output: {first!r}"
        simulator = ExternalSimulator(match.group(1))
        yield simulator
    finally:
        if simulator is not None:
            simulator.close()
        process.terminate()  # SIGTERM: the simulator stops cleanly
        process.wait(timeout=30)
