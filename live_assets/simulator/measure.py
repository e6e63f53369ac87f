"""``python -m live_assets.simulator.measure``: what a 7-day conversation list costs the simulator.

Starts a simulator (3,000 conversations a weekday by default), logs in, then fetches the same
7-day list several times: the first fetch generates the days (cold), the next ones are served from
the cache (warm). Prints the simulator's own serving time (its counters) and the client's wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Sequence

import httpx

from live_assets import contract
from live_assets.simulator.config import DEMO_EMAIL, DEMO_PASSWORD, SimulatorConfig
from live_assets.simulator.server import SimulatorServer


def measure(conversations_per_day: int, first_day: str, repeats: int) -> list[tuple[str, int, float, float]]:
    """(label, rows, serving seconds, wall seconds) per fetch, cold first."""
    results = []
    with SimulatorServer(SimulatorConfig(conversations_per_day=conversations_per_day)) as sim:
        client = httpx.Client(base_url=sim.base_url, timeout=120)
        login = client.post(contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        client.headers[contract.AUTH_HEADER] = login.json()[contract.AUTH_HEADER]
        client.headers[contract.X_TOKEN_HEADER] = sim.config.x_token
        start = contract.parse_datetime(f"{first_day} 00:00:00")
        end = start + contract.RECOMMENDED_WINDOW - dt.timedelta(seconds=1)
        params = {"from": contract.format_datetime(start), "to": contract.format_datetime(end)}
        for attempt in range(repeats):
            sim.reset_counters()
            began = time.perf_counter()
            response = client.get(contract.Path.CONVERSATION_LIST, params=params)
            wall = time.perf_counter() - began
            response.raise_for_status()
            label = "cold" if attempt == 0 else "warm"
            results.append((label, len(response.json()), sim.counters()["serving_seconds"], wall))
        client.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live_assets.simulator.measure", description=__doc__)
    parser.add_argument("--conversations-per-day", type=int, default=3000)
    parser.add_argument("--from-day", default="2025-12-01")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)
    results = measure(args.conversations_per_day, args.from_day, args.repeats)
    for label, rows, serving, wall in results:
        print(f"{label}: {rows} conversations, simulator {serving * 1000:.1f} ms, client wall {wall * 1000:.1f} ms")
    warm = [serving for label, _, serving, _ in results if label == "warm"]
    if warm:
        print(f"warm median: {statistics.median(warm) * 1000:.1f} ms of simulator time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
