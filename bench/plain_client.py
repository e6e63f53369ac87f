"""The yardstick of the headline: a plain httpx client sending the backfill's minimal requests.

The requests are the ones the raw assets plan for the backfill's partitions (each registry entry's window
rule through ``plan_requests``, one request for a dimension list), in registry order, one at a time on one
keep-alive connection, after one login. Each body is read off the socket as it arrives and dropped (no
decompression, no file, no load): what any client of this API must at least spend. Timed against the same
simulator as our backfill, once it is warm (its days generated), so that ours ÷ this is what the pipeline
adds to fetching the data, whatever the API's own speed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from bench.processes import SimulatorProcess
from live_assets import contract
from live_assets.backfill.days import cadence_days, parse_partition_date
from live_assets.backfill.submit import AssetInfo, BackfillPlan
from live_assets.client.login import token_from_login
from live_assets.client.windows import Window
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE, EndpointSpec, Partitioning
from live_assets.raw.fetching import plan_requests
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, DEMO_X_TOKEN


@dataclass(frozen=True)
class PlannedRequest:
    """One request of the backfill's raw steps: an endpoint and its window (None: the whole list)."""

    spec: EndpointSpec
    window: Window | None

    def params(self, export_lang: str) -> dict[str, str]:
        return {**(self.window.params() if self.window else {}), **self.spec.request_params(export_lang)}


def target_days(asset: AssetInfo, keys: tuple[str, ...] | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day an asset's partition keys cover (a weekly key covers its 7 days)."""
    if keys is None:
        return None
    width = cadence_days(asset.partition_description) or 1
    dates = sorted(parse_partition_date(key) for key in keys)
    return dates[0], dates[-1] + dt.timedelta(days=width - 1)


def planned_requests(plan: BackfillPlan) -> list[PlannedRequest]:
    """The fewest requests the window planner allows for the plan's raw assets, in registry order."""
    requests: list[PlannedRequest] = []
    for target in plan.targets:
        if target.asset.key[0] != "raw":
            continue
        spec = ENDPOINTS_BY_TABLE[target.asset.key[1]]
        span = target_days(target.asset, target.partition_keys)
        if spec.partitioning is Partitioning.NONE or span is None:
            requests.append(PlannedRequest(spec, None))
        else:
            requests += [PlannedRequest(spec, window) for window in plan_requests(spec, span[0], span[1])]
    order = {table: index for index, table in enumerate(ENDPOINTS_BY_TABLE)}
    return sorted(requests, key=lambda r: order[r.spec.table])  # stable: windows stay in date order


@dataclass(frozen=True)
class PlainPass:
    """One pass of the plain client: its wall time, what it sent and received, the API's serving time."""

    seconds: float
    requests: int
    bytes_received: int
    serving_seconds: float


def plain_pass(sim: SimulatorProcess, requests: list[PlannedRequest], export_lang: str) -> PlainPass:
    """Log in, send every request in turn, read and drop each body; the simulator's counters over the pass."""
    sim.reset_counters()
    received = 0
    began = time.perf_counter()
    with httpx.Client(base_url=sim.base_url, timeout=300.0) as http:
        login = http.post(contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        token = token_from_login(login.content) if login.status_code == 200 else None
        if token is None:
            raise RuntimeError(f"the plain client's login at {sim.base_url} failed: HTTP {login.status_code}")
        headers = {contract.AUTH_HEADER: token[0].reveal(), contract.X_TOKEN_HEADER: DEMO_X_TOKEN}
        for request in requests:
            params = request.params(export_lang)
            with http.stream("GET", str(request.spec.path), params=params, headers=headers) as response:
                for chunk in response.iter_raw():
                    received += len(chunk)
            if response.status_code != 200:
                raise RuntimeError(f"plain client: {request.spec.table} {request.window}: HTTP {response.status_code}")
    seconds = time.perf_counter() - began
    counters = sim.counters()
    sent = Counter(str(r.spec.path) for r in requests)
    seen = {path: counters["requests"].get(path, 0) for path in sent}
    if seen != dict(sent):  # another client on this simulator: the pass would not time what it claims
        raise RuntimeError(f"the simulator received {seen} during the plain client's pass, which sent {dict(sent)}")
    return PlainPass(seconds, len(requests), received, float(counters["serving_seconds"]))
