"""The benchmark's workloads through Dagster: our backfill (the UI's path) and the naive one-run-per-partition.

Both run on a fresh instance (a temporary ``DAGSTER_HOME`` holding the variant's ``dagster.yaml``, see
``bench/variants.py``), a fresh warehouse and a fresh simulator process, with ``dagster-webserver`` and the
daemon started as a deployment runs them. The daemon is started and healthy *before* anything is submitted:
a user clicking "Launch backfill" finds a daemon mid-way through its interval, not one waiting for them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.plain_client import planned_requests
from bench.postgres import LocalPostgres
from bench.processes import MemoryPeaks, SimulatorOptions, SimulatorProcess, sampling
from bench.steps import environment
from bench.timeline import TimelineEntry, read_timeline
from bench.variants import Provisioned, Variant, provisioned
from live_assets.backfill.days import DayRange, cadence_days
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.runs import LAUNCH_RUN, repository_of
from live_assets.backfill.submit import (
    AssetInfo,
    BackfillPlan,
    BackfillProgress,
    default_tags,
    fetch_assets,
    launch_backfill,
    plan_backfill,
    wait_for_backfill,
)
from live_assets.devtools.daemon import INTERVAL_ENV
from live_assets.devtools.stack import PROJECT_DAEMON, STOCK_DAEMON, LocalDagster
from live_assets.kpis.tables import SLA_INTRADAY
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE, Partitioning
from live_assets.settings import LiveSettings

BOT = "default"
SCHEDULES_STOPPED = "LIVE_SCHEDULES_STOPPED"
TODAY = "today's refresh, not history"
# Left out of the measured backfill, and why (shown in the report's workload line).
EXCLUDED: dict[str, str] = {
    "raw/conversation_messages": "one request per conversation, measured on its own",
    **{f"raw/{spec.table}": TODAY for spec in ENDPOINTS if spec.partitioning is Partitioning.TODAY},
    "/".join(SLA_INTRADAY.asset_key_path): TODAY,
}
REPORTS_PREFIX = "report/"  # files for managers, after the KPIs: measured with --with-reports only
BENCH_TAG = "live/bench"

RUNS_BY_TAG = """
query BenchRuns($key: String!, $value: String!) {
  runsOrError(filter: { tags: [{ key: $key, value: $value }] }) {
    ... on Runs { results { runId status creationTime startTime endTime } }
  }
}
"""


@dataclass
class Stack:
    """Where one measured workload lives: its simulator, Dagster, files and the variant's databases."""

    root: Path
    sim: SimulatorProcess
    dagster: LocalDagster
    provisioned: Provisioned

    def process_roots(self) -> list[int]:
        return [managed.process.pid for managed in self.dagster.processes]


@contextlib.contextmanager
def running_stack(
    root: Path, options: SimulatorOptions, variant: Variant, postgres: LocalPostgres | None
) -> Iterator[Stack]:
    """A simulator, then a webserver and a daemon on a fresh instance of ``variant``, ready; stopped on exit.

    The daemon is the project's (``live_assets.devtools.daemon``, as ``make dev`` and a deployment run it)
    with the backfill loop's sleep capped at the variant's interval, or Dagster's stock ``dagster-daemon``
    (30 s between backfill iterations), to measure what that interval costs.
    """
    root.mkdir(parents=True, exist_ok=True)
    with provisioned(variant, root, postgres) as extra, SimulatorProcess(options, root / "simulator.log") as sim:
        settings = LiveSettings(timezone=options.timezone, start_date=dt.date(2020, 1, 1), max_attempts=6)
        env = sim.settings_env(root, settings)
        # No schedule ticks: the intraday refresh (every few minutes) would add its runs and requests to the
        # backfill's. The automation sensor stays on: it is what starts the freshness checks.
        env |= {SCHEDULES_STOPPED: "true", **extra.env}
        command = STOCK_DAEMON
        if not variant.stock_daemon:
            env[INTERVAL_ENV] = str(variant.daemon_interval)
            command = PROJECT_DAEMON
        dagster = LocalDagster(
            dagster_home=root / "dagster_home", env=env, log_dir=root / "logs", daemon_command=list(command)
        )
        if extra.instance_yaml is not None:
            (dagster.dagster_home / "dagster.yaml").write_text(extra.instance_yaml)
        try:
            dagster.start_webserver()
            dagster.start_daemon()
            with DagsterGraphQL(dagster.url) as client:
                client.wait_for_daemons(timeout=180, alive=dagster.check_alive)
            yield Stack(root, sim, dagster, extra)
        finally:
            dagster.stop()


def measured(path: str, *, with_reports: bool) -> bool:
    return path not in EXCLUDED and (with_reports or not path.startswith(REPORTS_PREFIX))


def benchmark_plan(client: DagsterGraphQL, days: DayRange, *, with_reports: bool = False) -> BackfillPlan:
    """Every materializable asset but the excluded ones, with the partitions of ``days`` each has."""
    assets = [a for a in fetch_assets(client) if a.materializable and measured(a.path, with_reports=with_reports)]
    return plan_backfill(assets, days)


def minimal_requests(plan: BackfillPlan) -> dict[str, int]:
    """The fewest requests per API path the window planner allows for the plan's raw assets."""
    return dict(Counter(str(request.spec.path) for request in planned_requests(plan)))


def path_tables(plan: BackfillPlan) -> dict[str, list[str]]:
    """Which raw tables each API path feeds (``summary`` and ``summary_weekly`` share one)."""
    tables: dict[str, list[str]] = defaultdict(list)
    for target in plan.targets:
        if target.asset.key[0] == "raw":
            tables[ENDPOINTS_BY_TABLE[target.asset.key[1]].path.value].append(target.asset.key[1])
    return dict(tables)


@dataclass
class WorkloadResult:
    """One measured workload: wall time, the simulator's counters over it, memory, runs."""

    name: str
    wall_seconds: float
    counters: dict[str, Any]
    memory: MemoryPeaks
    runs: int
    succeeded: bool
    timings: dict[str, float] = field(default_factory=dict)
    summary: str = ""
    minimal: dict[str, int] = field(default_factory=dict)
    tables_by_path: dict[str, list[str]] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def serving_seconds(self) -> float:
        return float(self.counters.get("serving_seconds", 0.0))

    @property
    def max_in_flight_on_bot(self) -> int:
        """The most requests the simulator had in flight at once for the bot (by X-token where it counts so,
        else by bearer token)."""
        return int(self.counters.get("max_in_flight_per_bot", self.counters.get("max_in_flight_per_token", 0)))

    @property
    def responses_429(self) -> int:
        return int(self.counters.get("responses", {}).get("429", 0))


def run_ours(stack: Stack, days: DayRange, say: Any, timeout: float, *, with_reports: bool = False) -> WorkloadResult:
    """The backfill as the UI launches it: one ``launchPartitionBackfill``; the daemon does the rest."""
    with DagsterGraphQL(stack.dagster.url) as client:
        plan = benchmark_plan(client, days, with_reports=with_reports)
        stack.sim.reset_counters()
        started, submitted_at = time.monotonic(), time.time()
        with sampling(stack.process_roots) as memory:
            backfill_id = launch_backfill(client, plan, tags=default_tags("bench"), title=f"bench {days}")
            final: BackfillProgress = wait_for_backfill(
                client,
                backfill_id,
                timeout=timeout,
                poll=0.25,
                alive=stack.dagster.check_alive,
                on_progress=lambda p: say(f"  backfill: {p.summary()}"),
            )
        observed = time.monotonic() - started
        counters = stack.sim.counters()
    timings = final.timings()
    with environment(stack.provisioned.env, stack.root):  # a PostgreSQL instance reads DAGSTER_PG_*
        timeline = read_timeline(
            stack.dagster.dagster_home, submitted_at, counters, event_log=stack.provisioned.event_log
        )
    return WorkloadResult(
        name="ours",
        timeline=timeline,
        wall_seconds=timings.get("total", observed),
        counters=counters,
        memory=memory,
        runs=len(final.runs),
        succeeded=final.succeeded,
        timings=timings,
        summary=final.summary(),
        minimal=minimal_requests(plan),
        tables_by_path=path_tables(plan),
    )


def naive_runs(plan: BackfillPlan) -> list[tuple[str | None, list[AssetInfo]]]:
    """One run per partition: each partition key with every selected asset that has it, dimensions first.

    A daily key gets the daily raw assets and daily KPIs of that day. A Monday's key also names the week
    starting that day, so its run holds the weekly raw asset and KPIs too; those runs go last, when
    every day of their weeks is loaded. That is what looping over partitions (or a schedule's job
    backfilled day by day) does.
    """
    unpartitioned = [t.asset for t in plan.targets if t.partition_keys is None]
    by_key: dict[str, list[AssetInfo]] = defaultdict(list)
    for target in plan.targets:
        for key in target.partition_keys or ():
            by_key[key].append(target.asset)
    runs: list[tuple[str | None, list[AssetInfo]]] = [(None, unpartitioned)] if unpartitioned else []
    daily = {k: v for k, v in by_key.items() if all(cadence_days(a.partition_description) == 1 for a in v)}
    weekly = {k: v for k, v in by_key.items() if k not in daily}
    runs += sorted(daily.items()) + sorted(weekly.items())
    return runs


def run_naive(stack: Stack, days: DayRange, say: Any, timeout: float, *, with_reports: bool = False) -> WorkloadResult:
    """The same assets and days as one run per partition, queued through the same run queue and pools."""
    with DagsterGraphQL(stack.dagster.url) as client:
        plan = benchmark_plan(client, days, with_reports=with_reports)
        location, repository = repository_of(client)
        bench_id = f"naive-{time.time_ns()}"
        stack.sim.reset_counters()
        started_wall = time.time()
        started = time.monotonic()
        with sampling(stack.process_roots) as memory:
            launched = 0
            for key, assets in naive_runs(plan):
                tags = {**default_tags("bench-naive"), BENCH_TAG: bench_id}
                if key is not None:
                    tags["dagster/partition"] = key
                params = {
                    "selector": {
                        "repositoryLocationName": location,
                        "repositoryName": repository,
                        "jobName": "__ASSET_JOB",
                        "assetSelection": [{"path": list(a.key)} for a in assets],
                    },
                    "mode": "default",
                    "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
                }
                outcome = client.execute(LAUNCH_RUN, {"executionParams": params})["launchRun"]
                if outcome["__typename"] != "LaunchRunSuccess":
                    raise RuntimeError(f"naive run for {key} refused: {outcome}")
                launched += 1
            say(f"  naive: {launched} runs queued")
            deadline = time.monotonic() + timeout
            done = 0
            while True:
                stack.dagster.check_alive()
                runs = client.execute(RUNS_BY_TAG, {"key": BENCH_TAG, "value": bench_id})["runsOrError"]["results"]
                finished = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
                if len(finished) != done:
                    done = len(finished)
                    say(f"  naive: {done}/{launched} runs finished")
                if len(finished) == launched:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"naive runs not finished after {timeout:.0f} s")
                time.sleep(1.0)
        counters = stack.sim.counters()
    ended = max(float(r["endTime"]) for r in runs)
    observed = time.monotonic() - started
    failed = [r for r in runs if r["status"] != "SUCCESS"]
    return WorkloadResult(
        name="naive",
        wall_seconds=ended - started_wall if ended > started_wall else observed,
        counters=counters,
        memory=memory,
        runs=launched,
        succeeded=not failed,
        summary=f"{launched} runs, {len(failed)} failed",
        minimal=minimal_requests(plan),
        tables_by_path=path_tables(plan),
    )
