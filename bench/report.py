"""``python -m bench``: how much our backfill adds to fetching the same data with a plain client (issues 7, 21).

    python -m bench [--days 90] [--conversations-per-day 3000] [--latency-ms 100] [--latency-per-row-us 20]
                    [--repetitions 3] [--naive-repetitions 1] [--demo] [--output BENCHMARKS.md]

The machine's cores are split first (``bench/cores.py``): the simulator on a core of its own, everything
else on the rest, so that the API's CPU is not ours. Each repetition starts a fresh simulator process,
Dagster (webserver + daemon on a temporary DAGSTER_HOME with the variant's ``dagster.yaml``) and warehouse.
On that stack, a plain httpx client (``bench/plain_client.py``) first sends the backfill's minimal requests
to warm the simulator up, then again, timed; then our backfill is launched through the webserver's GraphQL
API as the UI does, timed, with the simulator's counters read over it; then today's refresh is ticked
while a second backfill of the same bot runs (``bench/today_wait.py``). The headline is ours ÷ the plain
client's wall time. The naive way (one run per partition) runs on another fresh stack with the same
workload. Then, without Dagster in the way, the client's overhead per request (conversation details, one
day, 10 ms latency), the load rate from landed files, and today's refresh on its own (``bench/intraday.py``).
With ``--demo``, ``make demo`` on a fresh clone (``bench/demo.py``). Medians over the repetitions are
reported. Timing is reported here, never asserted by a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.cores import CoreSplit, split
from bench.demo import DemoRun, measure_demo
from bench.intraday import Intraday, measure_intraday
from bench.markdown import PLAIN_AIM, begin, end, figures_comment, write_report
from bench.plain_client import PlainPass, plain_pass, planned_requests
from bench.postgres import LocalPostgres
from bench.processes import SimulatorOptions
from bench.steps import LoadRate, Overhead, measure_loads, measure_overhead
from bench.timeline import time_by_kind
from bench.today_wait import TodayWait, measure_today_wait
from bench.variants import Instance, Variant, empty_warehouse
from bench.workload import (
    EXCLUDED,
    REPORTS_PREFIX,
    WorkloadResult,
    benchmark_plan,
    run_naive,
    run_ours,
    running_stack,
)
from live_assets import contract
from live_assets.backfill.days import DayRange, last_complete_days
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.devtools.daemon import DEFAULT_INTERVAL_SECONDS
from live_assets.warehouse.settings import Backend

MB = 1e6
DEMO_AIM_SECONDS = 60.0  # issue 21: `make demo` on a fresh clone, after the install, on a quiet machine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark our backfill against a plain client of the same API."
    )
    parser.add_argument("--days", type=int, default=90, help="days of the backfill (default: %(default)s)")
    parser.add_argument("--conversations-per-day", type=int, default=3000, help="simulated volume (weekday average)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="simulated latency per request")
    parser.add_argument("--latency-per-row-us", type=float, default=20.0, help="simulated latency per row returned")
    parser.add_argument("--repetitions", type=int, default=3, help="runs of our backfill; medians are reported")
    parser.add_argument("--naive-repetitions", type=int, default=1, help="of those, how many also run the naive way")
    parser.add_argument("--naive-days", type=int, help="days of the naive backfill (default: --days)")
    parser.add_argument(
        "--plain-warmups", type=int, default=1, help="untimed passes of the plain client that warm the simulator up"
    )
    parser.add_argument("--overhead-latency-ms", type=float, default=10.0, help="latency of the client-overhead step")
    parser.add_argument("--load-repetitions", type=int, default=3, help="loads of the landed files per repetition")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"), help="the report (default: %(default)s)")
    daemon = parser.add_mutually_exclusive_group()
    daemon.add_argument(
        "--daemon-interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        help="the project's daemon (live_assets.devtools.daemon, what make dev and docs/deploy.md run): its cap on "
        "the backfill loop's sleep (default: %(default)s s)",
    )
    daemon.add_argument(
        "--stock-daemon",
        action="store_true",
        help="run Dagster's stock dagster-daemon instead (30 s between backfill iterations)",
    )
    parser.add_argument(
        "--instance",
        choices=[i.value for i in Instance],
        default=Instance.SQLITE.value,
        help="the Dagster instance: the shipped dagster.yaml (sqlite, default) or deploy/dagster.yaml (postgres, "
        "on the local server `make postgres` starts; a fresh database per workload)",
    )
    parser.add_argument(
        "--warehouse",
        choices=[b.value for b in Backend],
        default=Backend.DUCKDB.value,
        help="the warehouse: a DuckDB file (default) or a DuckLake (catalog on the local PostgreSQL, data on disk)",
    )
    parser.add_argument(
        "--with-reports", action="store_true", help=f"backfill the manager reports ({REPORTS_PREFIX}*) too"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also time `make demo` on a fresh clone of the committed tree (bench/demo.py)",
    )
    parser.add_argument("--demo-days", type=int, help="the demo's --days (default: the demo's own)")
    parser.add_argument(
        "--backfill-only",
        action="store_true",
        help="measure the backfill and the plain client only: no today's refresh behind a backfill, naive runs, "
        "client overhead, loads or intraday refresh (a quick comparison of instances and warehouses)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up on a workload after this many seconds")
    parser.add_argument("--work-dir", type=Path, help="keep the instances, logs and DuckDB files here")
    return parser


def variant_of(args: argparse.Namespace) -> Variant:
    return Variant(
        instance=Instance(args.instance),
        stock_daemon=args.stock_daemon,
        daemon_interval=args.daemon_interval,
        warehouse=Backend(args.warehouse),
    )


@dataclass
class Repetition:
    ours: WorkloadResult
    naive: WorkloadResult | None
    overhead: Overhead | None
    loads: list[LoadRate] = field(default_factory=list)
    intraday: Intraday | None = None
    plain: PlainPass | None = None
    today: TodayWait | None = None

    @property
    def plain_ratio(self) -> float | None:
        return self.ours.wall_seconds / self.plain.seconds if self.plain and self.plain.seconds else None

    @property
    def floor_ratio(self) -> float:
        return self.ours.wall_seconds / self.ours.serving_seconds if self.ours.serving_seconds else float("nan")

    @property
    def naive_ratio(self) -> float | None:
        return self.naive.wall_seconds / self.ours.wall_seconds if self.naive else None


def naive_repetitions(args: argparse.Namespace) -> int:
    return 0 if args.backfill_only else args.naive_repetitions


def run_repetition(
    args: argparse.Namespace,
    work: Path,
    index: int,
    days: DayRange,
    say: Callable[[str], None],
    postgres: LocalPostgres | None,
    cores: CoreSplit,
) -> Repetition:
    variant = variant_of(args)
    options = SimulatorOptions(args.conversations_per_day, args.latency_ms, args.latency_per_row_us)
    root = work / f"rep{index}"
    # Fresh instance, warehouse and landing zone, also in a --work-dir kept from an earlier run: a reused
    # one held that run's rows and conversation details (0 detail requests, a client overhead of 131 ms).
    shutil.rmtree(root, ignore_errors=True)
    say(f"repetition {index + 1}: our backfill of {days} ({days.days} days), {variant.title}")
    with running_stack(root / "ours", options, variant, postgres) as stack:
        if cores.api and stack.sim.cores != cores.api:
            raise RuntimeError(f"the simulator runs on cores {stack.sim.cores}, not on {cores.api} as chosen")
        with DagsterGraphQL(stack.dagster.url) as client:
            plan = benchmark_plan(client, days, with_reports=args.with_reports)
        requests = planned_requests(plan)
        for warmup in range(args.plain_warmups):
            warm = plain_pass(stack.sim, requests, contract.DEFAULT_EXPORT_LANGUAGE)
            say(f"  plain client, warm-up {warmup + 1}: {warm.requests} requests in {warm.seconds:.1f} s")
        plain = plain_pass(stack.sim, requests, contract.DEFAULT_EXPORT_LANGUAGE)
        say(
            f"  plain client: {plain.requests} requests in {plain.seconds:.1f} s, {plain.serving_seconds:.1f} s serving"
        )
        ours = run_ours(stack, days, say, args.timeout, with_reports=args.with_reports)
        say(f"  ours: {ours.wall_seconds:.1f} s wall, {ours.serving_seconds:.1f} s serving, {ours.summary}")
        if args.backfill_only:
            return Repetition(ours, None, None, plain=plain)
        today = measure_today_wait(stack, plan, say, args.timeout)
        wait = _fmt(today.tick_to_first_request, ".1f")
        say(f"  today's refresh: first request {wait} s after its tick, run {today.run_status}")
    naive = None
    if index < naive_repetitions(args):
        naive_days = days if not args.naive_days else DayRange(days.last - dt.timedelta(args.naive_days - 1), days.last)
        say(f"repetition {index + 1}: the naive way, one run per partition, {naive_days}")
        with running_stack(root / "naive", options, variant, postgres) as stack:
            naive = run_naive(stack, naive_days, say, args.timeout, with_reports=args.with_reports)
        say(f"  naive: {naive.wall_seconds:.1f} s wall ({naive.summary})")
    overhead_options = SimulatorOptions(args.conversations_per_day, args.overhead_latency_ms, 0.0)
    say(f"repetition {index + 1}: conversation details of {days.last} at {args.overhead_latency_ms:g} ms")
    overhead = measure_overhead(root / "overhead", days.last, overhead_options)
    say(f"  {overhead.requests} requests, step {overhead.step_seconds:.2f} s, serving {overhead.serving_seconds:.2f} s")
    loads = measure_loads(
        root,
        root / "ours" / "landing",
        (days.first, days.last),
        overhead,
        args.load_repetitions,
        lambda path: empty_warehouse(variant, path, postgres),
    )
    say("  load rate: " + ", ".join(f"{x.table} {x.rows_per_second:,.0f} rows/s" for x in loads))
    say(f"repetition {index + 1}: today's refresh at {args.conversations_per_day:,} conversations a day")
    intraday = measure_intraday(root / "intraday", options)
    say(f"  {intraday.conversations} conversations so far ({intraday.zone}), run {intraday.run_seconds:.2f} s, "
        f"peak {intraday.peak_rss_mb:.0f} MB, {intraday.messages_received} alert message(s) delivered")  # fmt: skip
    return Repetition(ours, naive, overhead, loads, intraday, plain, today)


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def figures(reps: list[Repetition], demo: DemoRun | None = None) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met?) rows: medians over the repetitions."""
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: float | None, target: str, ok: bool | None, spec: str = ".2f") -> None:
        rows.append((name, _fmt(value, spec), target, "n/a" if ok is None else ("yes" if ok else "NO")))

    plain = median([r.plain_ratio for r in reps])
    add("wall time ÷ plain httpx client (same requests, warm simulator)", plain, f"≤ {PLAIN_AIM:.2f}",
        None if plain is None else plain <= PLAIN_AIM)  # fmt: skip
    add("backfill wall time (s)", median([r.ours.wall_seconds for r in reps]), "report", None, ".1f")
    add("plain client wall time (s)", median([r.plain.seconds if r.plain else None for r in reps]), "report", None)
    wait = median([r.today.tick_to_first_request if r.today else None for r in reps])
    add("today's refresh behind a backfill of its bot: tick → first request (s)", wait, "report", None, ".1f")
    between = median([r.today.backfill_requests_between if r.today else None for r in reps])
    add("today's refresh behind a backfill: the backfill's requests before it", between, "a few", None, ".0f")
    paths = sorted(reps[0].ours.minimal)
    for path in paths:
        tables = ", ".join(reps[0].ours.tables_by_path.get(path, []))
        ratio = median([r.ours.counters["requests"].get(path, 0) / r.ours.minimal[path] for r in reps])
        add(f"requests ÷ minimal: {tables}", ratio, "1.00", ratio is not None and abs(ratio - 1.0) < 1e-9)
    floor = median([r.floor_ratio for r in reps])
    add("wall time ÷ API serving time (secondary: the simulator's own time)", floor, "report", None)
    naive = median([r.naive_ratio for r in reps])
    add("naive (one run per partition) ÷ ours", naive, "≥ 5", None if naive is None else naive >= 5)
    overhead = median([r.overhead.per_request_ms if r.overhead else None for r in reps])
    add("client overhead per request (ms)", overhead, "≤ 2 ms", None if overhead is None else overhead <= 2.0)
    for table in ("conversations", "export_conversations", "conversation_messages"):
        rates = [next((x for x in r.loads if x.table == table), None) for r in reps]
        rows_s = median([x.rows_per_second if x else None for x in rates])
        mb_s = median([x.mb_per_second if x else None for x in rates])
        target = "≥ 500,000 rows/s" if table == "conversations" else "report"
        ok = (rows_s or 0) >= 500_000 if table == "conversations" and rows_s is not None else None
        rows.append((f"load rate: {table}", f"{_fmt(rows_s, ',.0f')} rows/s, {_fmt(mb_s, '.1f')} MB/s", target,
                     "n/a" if ok is None else ("yes" if ok else "NO")))  # fmt: skip
    memory = median([r.ours.memory.max_process_rss / MB for r in reps])
    add("peak memory of any step (MB RSS)", memory, "≤ 500 MB", memory is not None and memory <= 500, ".0f")
    intraday_s = median([r.intraday.run_seconds if r.intraday else None for r in reps])
    add("intraday refresh (s): request, load, KPIs, alerts, delivery", intraday_s, "≤ 60 s",
        None if intraday_s is None else intraday_s <= 60)  # fmt: skip
    intraday_mb = median([r.intraday.peak_rss_mb if r.intraday else None for r in reps])
    add("intraday refresh peak memory (MB RSS)", intraday_mb, "≤ 500 MB",
        None if intraday_mb is None else intraday_mb <= 500, ".0f")  # fmt: skip
    limit_429 = max(r.ours.responses_429 + (r.naive.responses_429 if r.naive else 0) for r in reps)
    add("429 responses", limit_429, "0", limit_429 == 0, ".0f")
    in_flight = max(r.ours.max_in_flight_on_bot for r in reps)
    add("requests in flight at once on the bot (most seen)", in_flight, "1", in_flight <= 1, ".0f")
    if demo is not None:
        passed = demo.returncode == 0
        add("make demo on a fresh clone (s, after the install)", demo.seconds if passed else None,
            f"≤ {DEMO_AIM_SECONDS:.0f} s", passed and demo.seconds <= DEMO_AIM_SECONDS, ".1f")  # fmt: skip
    return rows


def details(reps: list[Repetition]) -> list[str]:
    """Every repetition's raw figures, so a median can be traced back."""
    header = (
        "| rep | ours wall (s) | plain client (s) | ÷ plain | API serving, ours / plain (s) | ÷ serving | runs "
        "| pickup / runs / completion (s) | today: tick → run start / first request (s), backfill requests before it "
        "| naive wall (s) | naive ÷ ours | detail requests | step (s) | serving (s) | peak step RSS (MB) "
        "| peak run tree RSS (MB) |"
    )
    lines = [header, "| --- " * 16 + "|"]
    for index, r in enumerate(reps, 1):
        t = r.ours.timings
        phases = " / ".join(_fmt(t.get(k), ".1f") for k in ("pickup", "runs", "completion"))
        o, p, w = r.overhead, r.plain, r.today
        today = "n/a"
        if w is not None:
            today = (f"{_fmt(w.tick_to_run_start, '.1f')} / {_fmt(w.tick_to_first_request, '.1f')}, "
                     f"{w.backfill_requests_between} of {w.backfill_requests_left}")  # fmt: skip
        lines.append(
            f"| {index} | {r.ours.wall_seconds:.1f} | {_fmt(p.seconds if p else None, '.1f')} | {_fmt(r.plain_ratio)} "
            f"| {r.ours.serving_seconds:.1f} / {_fmt(p.serving_seconds if p else None, '.1f')} | {r.floor_ratio:.2f} "
            f"| {r.ours.runs} | {phases} | {today} | {_fmt(r.naive.wall_seconds if r.naive else None, '.1f')} | "
            f"{_fmt(r.naive_ratio)} | {o.requests if o else 'n/a'} | {_fmt(o.step_seconds if o else None)} | "
            f"{_fmt(o.serving_seconds if o else None)} | {r.ours.memory.max_process_rss / MB:.0f} | "
            f"{r.ours.memory.max_total_rss / MB:.0f} |"
        )
    return lines


def request_lines(reps: list[Repetition]) -> list[str]:
    first = reps[0].ours
    lines = ["| endpoint | tables | requests (ours) | minimal | requests (naive) |", "| --- | --- | --- | --- | --- |"]
    for path in sorted(first.minimal):
        naive = reps[0].naive.counters["requests"].get(path, 0) if reps[0].naive else "n/a"
        tables = ", ".join(first.tables_by_path.get(path, []))
        ours = first.counters["requests"].get(path, 0)
        lines.append(f"| `{path}` | {tables} | {ours} | {first.minimal[path]} | {naive} |")
    return lines


def timeline_lines(reps: list[Repetition]) -> list[str]:
    """The first repetition's runs and steps: when each started, how long it took, the API's share."""
    lines = [
        "| run / step | start (s) | seconds | requests | API serving (s) | beyond the API (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in reps[0].ours.timeline:
        requests = "" if entry.requests is None else str(entry.requests)
        serving = "" if entry.serving is None else f"{entry.serving:.1f}"
        beyond = "" if entry.serving is None else f"{entry.seconds - entry.serving:.1f}"
        lines.append(f"| {entry.label} | {entry.start:.1f} | {entry.seconds:.1f} | {requests} | {serving} | {beyond} |")
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    import dagster
    import duckdb

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.1f} GiB memory, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, dagster {dagster.__version__}, duckdb {duckdb.__version__}"
    )


def _intraday_text(reps: list[Repetition]) -> str:
    first = reps[0].intraday if reps else None
    if first is None:
        return "not measured"
    return (
        f"{first.conversations:,} conversations in {first.requests} request(s), {first.serving_seconds:.2f} s of API "
        f"serving, {first.alerts_open} alert(s) open, {first.messages_received} message(s) received; first repetition"
    )


def left_out(args: argparse.Namespace) -> str:
    """The assets the backfill leaves out, grouped by reason."""
    reasons: dict[str, list[str]] = {}
    for path, reason in EXCLUDED.items():
        reasons.setdefault(reason, []).append(path)
    if not args.with_reports:
        reasons.setdefault("written after the KPIs, measured with --with-reports", []).append(f"{REPORTS_PREFIX}*")
    return "; ".join(f"{', '.join(paths)} ({reason})" for reason, paths in reasons.items())


def headline(
    args: argparse.Namespace, days: DayRange, reps: list[Repetition], cores: CoreSplit, demo: DemoRun | None
) -> dict[str, object]:
    """The figures the side-by-side table shows for this variant (medians), and what makes workloads equal."""
    variant = variant_of(args)
    conversations = [next((x for x in r.loads if x.table == "conversations"), None) for r in reps]
    requests = [
        max(r.ours.counters["requests"].get(path, 0) / minimal for path, minimal in r.ours.minimal.items())
        for r in reps
    ]
    # The cores are part of the workload: a run with the simulator on a core of its own is not comparable
    # with one where it shared the pipeline's.
    workload = [args.days, args.conversations_per_day, args.latency_ms, args.latency_per_row_us, args.with_reports,
                list(cores.api)]  # fmt: skip
    return {
        "slug": variant.slug,
        "title": variant.title,
        "when": f"{dt.datetime.now(dt.UTC):%Y-%m-%d}",
        "days": days.days,
        "repetitions": len(reps),
        "workload": workload,
        "wall_seconds": median([r.ours.wall_seconds for r in reps]),
        "plain_seconds": median([r.plain.seconds if r.plain else None for r in reps]),
        "plain_ratio": median([r.plain_ratio for r in reps]),
        "today_first_request_seconds": median([r.today.tick_to_first_request if r.today else None for r in reps]),
        "demo_seconds": demo.seconds if demo is not None and demo.returncode == 0 else None,
        "floor_ratio": median([r.floor_ratio for r in reps]),
        "naive_ratio": median([r.naive_ratio for r in reps]),
        "load_rows_per_second": median([x.rows_per_second if x else None for x in conversations]),
        "requests_ratio": median(requests),
        "peak_rss_mb": median([r.ours.memory.max_process_rss / MB for r in reps]),
        "responses_429": max(r.ours.responses_429 + (r.naive.responses_429 if r.naive else 0) for r in reps),
    }


def aim_line(variant: Variant, reps: list[Repetition]) -> str:
    """The headline and its aim, stated where the figures are."""
    ratio = median([r.plain_ratio for r in reps])
    shipped = "" if variant == Variant() else f" (this block is a variant: {variant.title})"
    verdict = "n/a" if ratio is None else f"{ratio:.2f} ×, " + ("met" if ratio <= PLAIN_AIM else "not met")
    return (
        f"**Aim: our backfill in at most {PLAIN_AIM:.2f} × the wall time of a plain httpx client sending the same "
        f"minimal requests to the same warm simulator, on the shipped configuration ({Variant().title}){shipped}. "
        f"This run: {verdict}.**"
    )


def _after_text(args: argparse.Namespace) -> str:
    if args.backfill_only:
        return "Nothing measured after it (`--backfill-only`)."
    return "After it, today's refresh ticked while a second backfill of the same days runs (bench/today_wait.py)."


def _steps_text(args: argparse.Namespace, days: DayRange, reps: list[Repetition]) -> str:
    if args.backfill_only:
        return "Client overhead, loads and intraday refresh: not measured (`--backfill-only`). "
    return (
        f"Client overhead: conversation details of {days.last} at {args.overhead_latency_ms:g} ms. "
        f"Intraday refresh: the `live_intraday` job's steps in a fresh process (bench/intraday.py), the day so far "
        f"at 22:00 in the bot's zone ({_intraday_text(reps)}), alerts delivered to a local JSON webhook. "
    )


def _demo_text(demo: DemoRun | None) -> str:
    if demo is None:
        return "`make demo` on a fresh clone: not measured (`--demo`)."
    days = f"--days {demo.days}" if demo.days else "its default days"
    outcome = "" if demo.returncode == 0 else f", FAILED with exit code {demo.returncode}"
    return (
        f"`make demo` on a fresh clone: `python -m live_assets.devtools.demo` ({days}) in a `git clone` of commit "
        f"{demo.commit}, with the installed environment, on every core, {demo.seconds:.1f} s{outcome} (bench/demo.py)."
    )


def render(
    args: argparse.Namespace,
    command: str,
    days: DayRange,
    reps: list[Repetition],
    seconds: float,
    cores: CoreSplit,
    demo: DemoRun | None = None,
) -> str:
    """This variant's block of BENCHMARKS.md, from its begin marker to its end marker."""
    variant = variant_of(args)
    rows = figures(reps, demo)
    table = ["| figure | value (median) | target | met |", "| --- | --- | --- | --- |"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    naive_days = args.naive_days or args.days
    lines = [
        begin(variant.slug),
        f"### {variant.title}",
        "",
        figures_comment(headline(args, days, reps, cores, demo)),
        aim_line(variant, reps),
        "",
        f"Command: `{command}` (run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} min in all)",
        "",
        f"Machine: {machine()}; {cores.describe()}",
        "",
        f"Workload: simulator in its own process, {args.conversations_per_day:,} conversations/day, latency "
        f"{args.latency_ms:g} ms + {args.latency_per_row_us:g} µs/row; backfill of {days} ({days.days} days) of every "
        f"asset but {left_out(args)}, through the webserver's `launchPartitionBackfill` (the UI's path), "
        f"{variant_of(args).describe()}, schedules held (`LIVE_SCHEDULES_STOPPED`). Before it, on the same stack, "
        f"the plain client (bench/plain_client.py): {args.plain_warmups} untimed pass(es) to warm the simulator, "
        f"then one timed. {_after_text(args)} {len(reps)} repetition(s), "
        f"{min(naive_repetitions(args), len(reps))} with the naive way ({naive_days} days, one run per partition). "
        f"{_steps_text(args, days, reps)}{_demo_text(demo)}",
        "",
        *table,
        "",
        "Requests per endpoint (first repetition):",
        "",
        *request_lines(reps),
        "",
        "Per repetition:",
        "",
        *details(reps),
        "",
        "Where the time went (first repetition; seconds from the submission, from the instance's run and step "
        "records; a raw step's requests from its materialization metadata, its API serving = the simulator's "
        "serving time of its endpoints, shared by requests where two steps call one endpoint):",
        "",
        *timeline_lines(reps),
        "",
        f"In sum: {time_by_kind(reps[0].ours.timeline)}.",
        end(variant.slug),
    ]
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = "python -m bench " + shlex.join(list(argv if argv is not None else sys.argv[1:]))
    began = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - began:7.1f} s] {text}", file=sys.stderr, flush=True)

    # SIGTERM (a killed `make bench`) unwinds like Ctrl-C, so every stack started is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    cores = split()
    say(f"cores: {cores.describe()}")
    days = last_complete_days(args.days, dt.datetime.now(dt.UTC), "UTC", start_date=dt.date(2020, 1, 1))
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="live-bench-"))
    reps: list[Repetition] = []
    postgres = LocalPostgres() if variant_of(args).needs_postgres else None
    try:
        for index in range(args.repetitions):
            reps.append(run_repetition(args, work, index, days, say, postgres, cores))
        demo = None
        if args.demo:
            say("make demo on a fresh clone")
            demo = measure_demo(
                work / "demo", days=args.demo_days, prefix=cores.unpinned_prefix(), timeout=args.timeout
            )
            say(f"  {demo.seconds:.1f} s, exit code {demo.returncode} (log: {work / 'demo' / 'demo.log'})")
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in reps if not r.ours.succeeded or (r.naive and not r.naive.succeeded)]
    if demo is not None and demo.returncode != 0:
        failed.append(reps[0])
    generated = render(args, command.strip(), days, reps, time.monotonic() - began, cores, demo)
    print(generated.split("\n", 1)[1].rsplit("\n", 2)[0])
    write_report(args.output, variant_of(args).slug, generated.rstrip("\n"))
    say(f"wrote {args.output}")
    if failed:
        print("error: a backfill, a naive run or the demo failed; figures are not meaningful", file=sys.stderr)
        return 1
    return 0
