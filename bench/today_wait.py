"""Today's refresh while the same bot's backfill runs: seconds from its tick to its first request.

An alert is only as early as the refresh that finds it, and a refresh that queues behind a backfill of its
bot (the vendor allows one request in flight per token) finds it late. So, on the stack where our backfill
was just timed, a second backfill of the same days is launched; once its raw step is past its conversation
list requests and sending the next ones, the intraday schedule ticks: its evaluation through the webserver
(``scheduleDryRun``, so the run carries whatever tags the schedule gives it) and the launch of the run it
asks for, as the daemon does on a tick. The first request is the first list request the simulator receives
after that (the backfill has sent all of its own), seen by polling its counters every 50 ms. The figure is
reported with how many of the backfill's requests went in between. The second backfill is not waited for:
the stack is stopped under it once today's run has ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.workload import Stack, minimal_requests
from live_assets.backfill.graphql import DagsterGraphQL, DagsterGraphQLError
from live_assets.backfill.runs import LAUNCH_RUN, repository_of, run_info, wait_for_run
from live_assets.backfill.submit import FINISHED_RUN_STATUSES, BackfillPlan, default_tags, launch_backfill
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE

INTRADAY_SCHEDULE = "live_intraday_schedule"
INTRADAY_JOB = "live_intraday"  # the schedule's job (a dry run's request names none)
TODAY_PATH = str(ENDPOINTS_BY_TABLE["conversations_today"].path)
POLL_SECONDS = 0.05
AHEAD = 5  # backfill requests sent past its list requests before the tick: its raw step is under way

DRY_RUN = """
mutation BenchTick($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { runRequests { jobName tags { key value } } skipReason error { message } }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass(frozen=True)
class TodayWait:
    """Today's refresh launched while a backfill of its bot sends its requests."""

    tick_to_first_request: float | None  # None: today's run sent no request
    tick_to_run_start: float | None  # the run queue and the run's launch: what comes before its own wait
    backfill_requests_left: int  # of the backfill's minimal requests, not yet sent at the tick
    backfill_requests_between: int  # the backfill's requests between the tick and today's first request
    run_status: str


def _sent(counters: Mapping[str, Any], paths: Iterable[str]) -> int:
    """Data requests received on ``paths`` (logins left out)."""
    return int(sum(counters["requests"].get(path, 0) for path in paths))


def _tick(client: DagsterGraphQL, location: str, repository: str) -> list[str]:
    """Evaluate the intraday schedule now and launch the runs it asks for; their ids."""
    selector = {"repositoryLocationName": location, "repositoryName": repository, "scheduleName": INTRADAY_SCHEDULE}
    outcome = client.execute(DRY_RUN, {"selector": selector, "timestamp": time.time()})["scheduleDryRun"]
    if outcome["__typename"] != "DryRunInstigationTick":
        raise DagsterGraphQLError(f"{INTRADAY_SCHEDULE}: {outcome.get('message', outcome['__typename'])}")
    result = outcome["evaluationResult"]
    if result.get("error") or not result.get("runRequests"):
        raise DagsterGraphQLError(f"{INTRADAY_SCHEDULE} asked for no run: {result}")
    run_ids = []
    for request in result["runRequests"]:
        tags = {t["key"]: t["value"] for t in request["tags"]} | {"dagster/schedule_name": INTRADAY_SCHEDULE}
        job = request["jobName"] or INTRADAY_JOB
        params = {
            "selector": {
                "repositoryLocationName": location,
                "repositoryName": repository,
                "jobName": job,
            },
            "mode": "default",
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in sorted(tags.items())]},
        }
        launched = client.execute(LAUNCH_RUN, {"executionParams": params})["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise DagsterGraphQLError(f"the intraday run was refused: {launched}")
        run_ids.append(str(launched["run"]["runId"]))
    return run_ids


def measure_today_wait(stack: Stack, plan: BackfillPlan, say: Callable[[str], None], timeout: float) -> TodayWait:
    """Launch ``plan`` again as a backfill, tick the intraday schedule once its raw step is under way."""
    minimal = minimal_requests(plan)
    own_lists, total = minimal.get(TODAY_PATH, 0), sum(minimal.values())
    ready_at = min(total, own_lists + AHEAD)
    deadline = time.monotonic() + timeout
    with DagsterGraphQL(stack.dagster.url) as client:
        location, repository = repository_of(client)
        stack.sim.reset_counters()
        launch_backfill(client, plan, tags=default_tags("bench-today"), title="bench: today's refresh behind this")
        while True:
            counters = stack.sim.counters()
            if counters["requests"].get(TODAY_PATH, 0) >= own_lists and _sent(counters, minimal) >= ready_at:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the backfill sent {_sent(counters, minimal)} of {total} requests in {timeout:.0f} s"
                )
            stack.dagster.check_alive()
            time.sleep(POLL_SECONDS)
        ticked, ticked_at = time.monotonic(), time.time()
        at_tick = _sent(counters, minimal)
        (run_id,) = _tick(client, location, repository)
        say(f"  today's refresh: ticked with {total - at_tick} of the backfill's {total} requests to go ({run_id[:8]})")
        first: float | None = None
        polls = 0
        while True:
            counters = stack.sim.counters()
            if counters["requests"].get(TODAY_PATH, 0) > own_lists:
                first = time.monotonic() - ticked
                break
            polls += 1
            if polls % 20 == 0:
                stack.dagster.check_alive()
                if run_info(client, run_id).status in FINISHED_RUN_STATUSES:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"today's run {run_id} sent no request in {timeout:.0f} s")
            time.sleep(POLL_SECONDS)
        between = _sent(counters, minimal) - at_tick - (1 if first is not None else 0)
        info = wait_for_run(
            client, run_id, timeout=max(1.0, deadline - time.monotonic()), alive=stack.dagster.check_alive
        )
    started = info.started_at - ticked_at if info.started_at is not None else None
    return TodayWait(first, started, total - at_tick, between, info.status)
