"""The demo, end to end: simulator, Dagster, a backfill of every asset, the checks, today so far, the report.

It takes the path a user takes in the UI, not a shortcut: a Dagster webserver and daemon on a real
instance (``.dagster_home``, with the project's ``dagster.yaml``), a partition backfill submitted to
the webserver and run by the daemon through the run queue and pools. So ``make dev`` afterwards
shows the very runs, partitions and check results the demo produced, on the same DuckDB file.

After the backfill it refreshes today as the intraday schedule does (``live_assets/devtools/demo/today.py``), with
one group of the simulated bot degraded for a stretch of today, and prints the day so far, the open
alerts and what the webhook it listens on (``live_assets/devtools/demo/webhook.py``) received from Apprise.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from live_assets.backfill.check_outcomes import CheckSummary, check_results
from live_assets.backfill.days import DayRange, last_complete_days
from live_assets.backfill.graphql import DagsterGraphQL, DagsterGraphQLError, DagsterUnreachableError
from live_assets.backfill.submit import (
    BackfillError,
    BackfillProgress,
    BackfillTimeoutError,
    RunInfo,
    default_tags,
    fetch_assets,
    launch_backfill,
    plan_backfill,
    runs_since,
    select_assets,
    wait_for_backfill,
)
from live_assets.devtools.demo import today
from live_assets.devtools.demo.webhook import Receiver, running_receiver
from live_assets.devtools.stack import (
    LocalDagster,
    ProcessDiedError,
    choose_dagster_home,
    restore_interrupts,
    simulator_settings_env,
)
from live_assets.monitor.assets import TARGETS_MET
from live_assets.monitor.settings import ALERT_URLS_ENV, DAGSTER_URL_ENV
from live_assets.monitor.targets import load_targets, targets_file_path
from live_assets.monitor.verdict_table import service_level_summary
from live_assets.report.build import write_report
from live_assets.report.cli import summary_text
from live_assets.report.completeness import outcomes_of
from live_assets.report.data import ReportData
from live_assets.report.i18n import Words
from live_assets.report.period import Period
from live_assets.report.settings import ReportSettings
from live_assets.report.today import TODAY_FILE
from live_assets.settings import LiveSettings, SettingsError, keep_start_date, load_settings, read_environment
from live_assets.warehouse import Warehouse

EXIT_OK, EXIT_FAILED, EXIT_SETUP = 0, 1, 2
DEMO_BOT = "default"  # LiveApiResource's default bot: the simulator's first X-token
DEV_HINT = "make dev"
REPORT_NAME = "live-report.html"


@dataclass
class DemoPaths:
    """Where the demo keeps things; defaults match ``make dev`` so both see the same data."""

    duckdb_path: Path
    landing_dir: Path
    token_cache_dir: Path
    dagster_home: Path
    output_dir: Path

    @property
    def report_path(self) -> Path:
        return self.output_dir / REPORT_NAME

    @property
    def log_dir(self) -> Path:
        return self.dagster_home / "process-logs"


@dataclass
class DemoOutcome:
    """What the demo found; ``exit_code`` turns it into the process's answer."""

    days: DayRange
    progress: BackfillProgress | None = None
    checks: list[CheckSummary] = field(default_factory=list)
    other_failed_runs: list[RunInfo] = field(default_factory=list)
    report: ReportData | None = None
    report_path: Path | None = None
    today: today.TodayOutcome | None = None
    service_level: str = ""  # the report period's monitor.verdicts in one sentence
    problems: list[str] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[CheckSummary]:
        return [c for c in self.checks if c.status == "failed"]

    @property
    def data_checks(self) -> list[CheckSummary]:
        """The checks of the data; ``targets_met`` judges the service level, said apart (monitor.verdicts)."""
        return [c for c in self.checks if c.check != TARGETS_MET]

    def closing_lines(self) -> list[str]:
        """The data's verdict, then the service level's: two facts the demo never mixes."""
        if self.problems:
            lines = ["The demo found problems:", *(f"  - {problem}" for problem in self.problems)]
        else:
            # A check whose latest evaluation is still running (the freshness sensor may start one as the
            # backfill ends) has no verdict yet: it is named, not counted.
            pending = [f"{c.asset}:{c.check}" for c in self.data_checks if c.status == "pending"]
            checks = [c for c in self.data_checks if c.status != "pending"]
            passed = sum(c.status == "passed" for c in checks)
            warned = [f"{c.asset}:{c.check}" for c in checks if c.status == "warning"]
            notes = [f"{len(warned)} warned: {', '.join(warned)}"] if warned else []
            notes += [f"{len(pending)} still being evaluated: {', '.join(pending)}"] if pending else []
            lines = [
                f"Data: all runs succeeded, {passed} of {len(checks)} checks passed for {self.days}"
                + (f" ({'; '.join(notes)})." if notes else ".")
            ]
        if self.service_level and self.report is not None:
            lines.append(
                f"Service level {self.report.period.first} to {self.report.period.last}: {self.service_level}."
            )
        return lines

    def report_lines(self) -> list[str]:
        """Where the pages are: the demo's week, today's page and the report assets' files of the bot."""
        if self.report_path is None:
            return []
        lines = [f"Report of the week: {self.report_path}"]
        bot_dir = self.report_path.parent / DEMO_BOT
        if (bot_dir / TODAY_FILE).is_file():
            lines.append(f"Today's page (rewritten at every refresh): {bot_dir / TODAY_FILE}")
        if bot_dir.is_dir():
            lines.append(f"Every report of the bot: {bot_dir}/ (weekly/, daily/, custom/)")
        return lines

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.problems else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m live_assets.devtools.demo",
        description="Materialize the last complete days of every asset through Dagster, check them, report the KPIs.",
    )
    parser.add_argument("--days", type=int, default=14, help="how many complete days to backfill (default: 14)")
    parser.add_argument(
        "--output",
        type=Path,
        help="the reports' folder: the demo's week and the report assets' files (default: LIVE_REPORT_DIR)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="put the DuckDB file and landing folder here (default: LIVE_DUCKDB_PATH, ...)"
    )
    parser.add_argument(
        "--dagster-home", type=Path, help="the Dagster instance (default: $DAGSTER_HOME, else .dagster_home)"
    )
    parser.add_argument("--port", type=int, default=0, help="webserver port (default: a free one)")
    parser.add_argument("--conversations-per-day", type=int, default=300, help="simulated volume (weekday average)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (make dev uses 7 too)")
    parser.add_argument("--select", action="append", help="assets to backfill (default: all), see live_assets.backfill")
    parser.add_argument("--exclude", action="append", help="assets to leave out of the selection, same forms")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up on the backfill after this many seconds")
    parser.add_argument(
        "--no-today", action="store_true", help="skip today's refresh (the intraday service level and its alerts)"
    )
    return parser


def resolve_paths(args: argparse.Namespace, settings: LiveSettings) -> DemoPaths:
    """Absolute paths: Dagster's processes run in DAGSTER_HOME, where a relative path would mean something else."""
    if args.data_dir is not None:
        duckdb_path, landing_dir = args.data_dir / "live.duckdb", args.data_dir / "landing"
    else:
        duckdb_path, landing_dir = settings.duckdb_path, settings.landing_dir
    token_cache = settings.token_cache_dir or duckdb_path.parent / "token-cache"
    return DemoPaths(
        duckdb_path=duckdb_path.resolve(),
        landing_dir=landing_dir.resolve(),
        token_cache_dir=token_cache.resolve(),
        dagster_home=choose_dagster_home(args.dagster_home).path.resolve(),
        output_dir=(args.output or ReportSettings.from_env(os.environ).report_dir).resolve(),
    )


def simulator_env(base_url: str, paths: DemoPaths, settings: LiveSettings) -> dict[str, str]:
    return simulator_settings_env(
        base_url,
        duckdb_path=paths.duckdb_path,
        landing_dir=paths.landing_dir,
        token_cache_dir=paths.token_cache_dir,
        settings=settings,
        report_dir=paths.output_dir,
    )


class Narrator:
    """Prints the demo's steps with the time since the start, so a slow step is visible as such."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step(self, text: str) -> None:
        print(f"[{self.elapsed():6.1f} s] {text}", file=self.out, flush=True)

    def detail(self, text: str) -> None:
        print(f"           {text}", file=self.out, flush=True)

    def progress(self, progress: BackfillProgress) -> None:
        self.step(f"backfill {progress.backfill_id}: {progress.summary()}")


def run_demo(args: argparse.Namespace, out: TextIO) -> DemoOutcome:
    from live_assets.simulator import SimulatorConfig, SimulatorServer

    say = Narrator(out)
    # Not the first day an earlier demo kept in the instance: a longer demo must reach before it.
    settings = load_settings({k: v for k, v in read_environment().items() if k != "DAGSTER_HOME"})
    paths = resolve_paths(args, settings)
    days = last_complete_days(args.days, dt.datetime.now(dt.UTC), settings.timezone, start_date=settings.start_date)
    # Kept with the instance: ``make dev`` on it starts the partitions there (without LIVE_START_DATE).
    settings = dataclasses.replace(settings, start_date=keep_start_date(paths.dagster_home, days.first))
    outcome = DemoOutcome(days=days)
    say.step(f"live-assets demo: the last {days.days} complete day(s) {days} ({settings.timezone})")
    say.detail(f"DuckDB {paths.duckdb_path} · Dagster instance {paths.dagster_home}")

    degraded = today.degraded_stretch(dt.datetime.now(ZoneInfo(settings.timezone)))
    simulator = SimulatorConfig(
        seed=args.seed,
        conversations_per_day=args.conversations_per_day,
        timezone=settings.timezone,
        port=0,
        degraded=degraded,
    )
    with SimulatorServer(simulator) as sim, running_receiver() as receiver:
        say.step(f"simulated Live API on {sim.base_url} ({args.conversations_per_day} conversations a weekday)")
        say.detail(
            f"group {degraded.group_id} served badly {degraded.start:%H:%M}–{degraded.end:%H:%M} every day "
            f"(+{degraded.extra_wait_s} s before an agent can answer); alerts go to {receiver.url}"
        )
        stack = LocalDagster(
            dagster_home=paths.dagster_home,
            env={**simulator_env(sim.base_url, paths, settings), ALERT_URLS_ENV: receiver.url},
            log_dir=paths.log_dir,
            port=args.port,
            refresh_config=not choose_dagster_home(args.dagster_home).keeps_config,  # as make dev
        )
        stack.env = {**stack.env, DAGSTER_URL_ENV: stack.url}  # the alerts link to the asset's page
        with stack:
            say.step(f"starting the Dagster webserver on {stack.url} (logs: {paths.log_dir})")
            stack.start_webserver()
            with DagsterGraphQL(stack.url) as client:
                _backfill_and_check(client, stack, args, days, outcome, say)
                if not args.no_today:
                    _refresh_today(client, stack, Warehouse(paths.duckdb_path), receiver, args, outcome, say)
            say.step("stopping Dagster")
        counters = sim.counters()
        responses = counters.get("responses", {})
        total = counters.get("requests_total", 0)
        say.detail(f"the simulator answered {total} requests: {dict(sorted(responses.items()))}")

    # The report of the last whole week (or of every day, with fewer), as the report assets write it.
    lang = ReportSettings.from_env(os.environ).lang
    written = write_report(
        Warehouse(paths.duckdb_path),
        Period.last_week_or_all(days.first, days.last),
        DEMO_BOT,
        paths.report_path,
        targets=load_targets(targets_file_path()),
        timezone=settings.timezone,
        lang=lang,
        checks=outcomes_of(outcome.checks),
    )
    outcome.report, outcome.report_path = written.data, written.path
    outcome.service_level = service_level_summary(written.data.day_verdicts)
    if not written.data.empty:
        print(f"\n{summary_text(written.data, Words(lang))}\n", file=say.out)
    say.step(f"HTML report: {outcome.report_path}")
    return outcome


def _backfill_and_check(
    client: DagsterGraphQL,
    stack: LocalDagster,
    args: argparse.Namespace,
    days: DayRange,
    outcome: DemoOutcome,
    say: Narrator,
) -> None:
    submitted_after = time.time()
    assets = fetch_assets(client)
    plan = plan_backfill(select_assets(assets, args.select, args.exclude), days)
    say.step(f"backfill plan: {len(plan.targets)} assets, {plan.num_partitions} asset partitions")
    for line in plan.describe():
        say.detail(line)
    backfill_id = launch_backfill(client, plan, tags=default_tags("demo"), title=f"live-assets demo {days}")
    say.step(f"submitted backfill {backfill_id}: {stack.url}/runs/b/{backfill_id}")
    # Started after the submission, the daemon's first iteration picks the backfill up at once.
    stack.start_daemon()
    say.step("started the Dagster daemon (live_assets.devtools.daemon: it advances backfills every second)")
    outcome.progress = progress = wait_for_backfill(
        client, backfill_id, timeout=args.timeout, on_progress=say.progress, alive=stack.check_alive
    )
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in progress.timings().items())
    say.step(f"backfill ended: {progress.status} ({timings})")
    say.detail("pickup: submission to first run; completion: last run's end to the daemon marking it done")
    for run in progress.runs:
        say.detail(f"run {run.describe()}")
    if not progress.succeeded:
        outcome.problems.append(f"backfill {backfill_id} ended {progress.status}")
    for run in progress.failed_runs:
        outcome.problems.append(f"run {run.run_id} {run.status}: {stack.url}/runs/{run.run_id}")

    backfill_runs = {run.run_id for run in progress.runs}
    others = [r for r in runs_since(client, submitted_after) if r.run_id not in backfill_runs]
    outcome.other_failed_runs = [r for r in others if r.status in ("FAILURE", "CANCELED")]
    if others:
        say.detail(f"{len(others)} other run(s) started meanwhile (automation): {sorted({r.status for r in others})}")
    for run in outcome.other_failed_runs:
        outcome.problems.append(f"run {run.run_id} (not from the backfill) {run.status}")

    targeted = [target.asset for target in plan.targets]
    all_runs = backfill_runs | {r.run_id for r in others}
    outcome.checks = check_results(client, targeted, all_runs)
    for summary in outcome.checks:
        evaluated = f"{len(summary.latest())} partition(s), {len(summary.executions)} execution(s)"
        say.detail(f"check {summary.asset}:{summary.check}: {summary.status} ({evaluated})")
        label = "warned" if summary.status == "warning" else "failed"
        for failure in summary.failures[:3]:
            where = f" partition {failure.partition}" if failure.partition else ""
            say.detail(f"  {label}{where}: {failure.description or dict(failure.metadata)}")
    for summary in outcome.failed_checks:
        outcome.problems.append(f"check {summary.asset}:{summary.check} failed")


def _refresh_today(
    client: DagsterGraphQL,
    stack: LocalDagster,
    warehouse: Warehouse,
    receiver: Receiver,
    args: argparse.Namespace,
    outcome: DemoOutcome,
    say: Narrator,
) -> None:
    say.step(f"refreshing today as live_intraday_schedule does: job {today.INTRADAY_JOB}, {today.intraday_tags()}")
    outcome.today = found = today.refresh_today(
        client, warehouse, receiver, bot=DEMO_BOT, timeout=args.timeout, alive=stack.check_alive
    )
    say.step(f"today's refresh: run {found.run.describe()}")
    if found.run.status != "SUCCESS":
        run = found.run
        outcome.problems.append(f"today's refresh {run.run_id} {run.status}: {stack.url}/runs/{run.run_id}")
    for line in today.describe(found):
        say.detail(line)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM as an exception, so the ``with`` blocks stop Dagster and the simulator on the way out."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    restore_interrupts()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        outcome = run_demo(args, out)
    except (SettingsError, ValueError, BackfillError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return EXIT_SETUP
    except (ProcessDiedError, DagsterUnreachableError, DagsterGraphQLError, BackfillTimeoutError) as error:
        print(f"demo: Dagster failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("demo: interrupted; Dagster and the simulator were stopped", file=sys.stderr)
        return 130
    for line in outcome.closing_lines():
        print(line, file=out)
    print(f"Open the Dagster UI on the same data: `{DEV_HINT}` (then http://127.0.0.1:3000).", file=out)
    for line in outcome.report_lines():
        print(line, file=out)
    return outcome.exit_code
