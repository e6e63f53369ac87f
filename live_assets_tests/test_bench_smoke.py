"""``python -m bench`` at smoke size (1 day, no latency, a tiny volume), so that the benchmark never rots.

It runs the real thing (the simulator pinned to a core of its own, webserver, daemon, the plain client's
passes, today's refresh ticked behind a second backfill, the naive runs, the overhead step and the
reloads) and checks that the table is printed, every figure is computed and the report is written.
Timing targets are not asserted: timing is the benchmark's to report, not a test's to judge.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from live_assets.devtools.stack import PROJECT_DIR

pytestmark = pytest.mark.slow

SMOKE = [
    "--days", "1", "--conversations-per-day", "20", "--latency-ms", "5", "--latency-per-row-us", "0",
    "--overhead-latency-ms", "0", "--timeout", "600",
    "--repetitions", "1", "--naive-repetitions", "1", "--load-repetitions", "1",
]  # fmt: skip
PLAIN = "wall time ÷ plain httpx client (same requests, warm simulator)"
TICK = "today's refresh behind a backfill of its bot: tick → first request (s)"
FIGURES = (
    PLAIN,
    "backfill wall time (s)",
    "plain client wall time (s)",
    TICK,
    "today's refresh behind a backfill: the backfill's requests before it",
    "wall time ÷ API serving time (secondary: the simulator's own time)",
    "naive (one run per partition) ÷ ours",
    "client overhead per request (ms)",
    "load rate: conversations",
    "load rate: export_conversations",
    "load rate: conversation_messages",
    "peak memory of any step (MB RSS)",
    "intraday refresh (s): request, load, KPIs, alerts, delivery",
    "intraday refresh peak memory (MB RSS)",
    "429 responses",
    "requests in flight at once on the bot (most seen)",
)


def _value(output: str, figure: str) -> str:
    match = re.search(rf"^\| {re.escape(figure)} \| ([^|]+) \|", output, re.MULTILINE)
    assert match, f"no row {figure!r} in:\n{output}"
    return match.group(1).strip()


def test_the_benchmark_prints_every_figure_at_smoke_size(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nNotes kept across runs.\n")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", *SMOKE, "--output", str(report), "--work-dir", str(tmp_path / "work")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-6000:]
    output = completed.stdout
    assert "| figure | value (median) | target | met |" in output
    for figure in FIGURES:
        value = _value(output, figure)
        assert value != "n/a" and not value.startswith("nan"), f"{figure}: {value}"
    requests = re.findall(r"^\| requests ÷ minimal: [^|]+ \| ([^|]+) \|", output, re.MULTILINE)
    assert len(requests) >= 7 and all(float(v) > 0 for v in requests), requests
    # The headline: ours ÷ the plain client's timed pass, both against the one simulator of the stack.
    ours, plain = float(_value(output, "backfill wall time (s)")), float(_value(output, "plain client wall time (s)"))
    assert ours > plain > 0 and float(_value(output, PLAIN)) > 1, (ours, plain)
    assert "**Aim: our backfill in at most 1.25 × the wall time of a plain httpx client" in output
    assert float(_value(output, TICK)) > 0
    assert float(_value(output, "naive (one run per partition) ÷ ours")) > 0
    assert _value(output, "429 responses") == "0"
    assert _value(output, "requests in flight at once on the bot (most seen)") == "1"
    written = report.read_text()
    assert written.startswith("# Benchmarks\n\nNotes kept across runs.")
    assert "Command: `python -m bench --days 1" in written and "cores" in written and "GiB memory" in written
    cores = sorted(os.sched_getaffinity(0))
    pipeline = ",".join(str(core) for core in cores[:-1])
    assert (
        f"the simulator on core {cores[-1]} (`taskset -c`), the pipeline and the plain client on core(s) {pipeline}"
        in written
    )
    assert f"| {PLAIN} |" in written
    # The per-repetition line: the plain pass sent exactly the minimal requests the endpoint table lists.
    minimal = sum(int(n) for n in re.findall(r"^\| `[^`]+` \| [^|]+ \| \d+ \| (\d+) \|", written, re.MULTILINE))
    assert f"plain client: {minimal} requests in" in completed.stderr, completed.stderr[-3000:]
    # The side-by-side table carries the pair for this variant.
    row = next(line for line in written.splitlines() if line.startswith("| SQLite instance, project daemon, DuckDB"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4] != "n/a" and float(cells[5]) > 1 and float(cells[7]) > 0, cells
    # Where the time went: every run, and each raw step with its requests (from its materialization
    # metadata) next to their API serving time.
    steps = dict(
        (name, (float(seconds), int(requests), float(serving)))
        for name, seconds, requests, serving in re.findall(
            r"^\|   (live_raw_\w+) \| [\d.]+ \| ([\d.]+) \| (\d+) \| ([\d.]+) \|", written, re.MULTILINE
        )
    )
    assert set(steps) == {"live_raw_daily", "live_raw_lists"}, steps  # 1 day: no whole week, no weekly step
    daily_requests = (
        sum(int(n) for n in re.findall(r"^\| `[^`]+` \| [^|]+ \| (\d+) \|", written, re.MULTILINE))
        - steps["live_raw_lists"][1]
    )
    assert steps["live_raw_daily"][1] == daily_requests > 0, (steps, daily_requests)
    assert all(seconds >= serving >= 0 for seconds, _, serving in steps.values()), steps  # no latency: serving ~0
    assert len(re.findall(r"^\| run [0-9a-f]{8} \(queued at", written, re.MULTILINE)) >= 2


def test_the_event_log_timing_prints_its_figure(tmp_path: Path) -> None:
    """``python -m bench.event_log``, which the gap analysis in BENCHMARKS.md quotes, at smoke size."""
    command = [sys.executable, "-m", "bench.event_log", "--events", "20", "--repeat", "1", "--dir", str(tmp_path)]
    done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"SQLite event log: \d+\.\d\d ms per event \(median of 1 x 20\); 2,500 events = \d+\.\d s\n", done.stdout
    )


def test_the_demo_is_timed_on_a_fresh_clone(tmp_path: Path) -> None:
    """``python -m bench.demo`` (what ``python -m bench --demo`` adds to its block) at one day: the committed tree
    cloned, the demo run there to its end with no setting of the caller's, its wall time printed."""
    command = [sys.executable, "-m", "bench.demo", "--days", "1", "--dir", str(tmp_path)]
    env = {**os.environ, "LIVE_DUCKDB_PATH": str(tmp_path / "elsewhere.duckdb")}  # the demo must not see it
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert re.fullmatch(
        r"make demo on a fresh clone of [0-9a-f]{7,}: \d+\.\d s after the install \(exit 0\)\n", done.stdout
    ), done.stdout
    clone = tmp_path / "clone"
    assert (clone / ".dagster_home").is_dir() and (clone / "data" / "reports" / "live-report.html").is_file()
    assert not (tmp_path / "elsewhere.duckdb").exists()


def test_the_production_variants_run_on_the_local_postgres(tmp_path: Path) -> None:
    """``--instance postgres --warehouse ducklake`` (deploy/dagster.yaml, a DuckLake) at smoke size: their block
    sits beside the default's in the side-by-side table, and their databases are dropped afterwards.

    ``--backfill-only``: what it leaves out (today's refresh behind a backfill, naive runs, overhead, loads,
    intraday refresh) does not depend on the instance and the warehouse, and the test above runs it."""
    report = tmp_path / "BENCHMARKS.md"
    variant = ["--instance", "postgres", "--warehouse", "ducklake", "--backfill-only"]
    completed = subprocess.run(
        [sys.executable, "-m", "bench", *SMOKE, *variant, "--output", str(report), "--work-dir", str(tmp_path / "w")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-6000:]
    written = report.read_text()
    assert "PostgreSQL events)" in written and "into a DuckLake" in written
    assert "Nothing measured after it (`--backfill-only`)" in written and "0 with the naive way" in written
    assert _value(written, TICK) == "n/a" and _value(written, "intraday refresh peak memory (MB RSS)") == "n/a"
    assert _value(written, "429 responses") == "0" and float(_value(written, PLAIN)) > 1
    assert "| PostgreSQL instance, project daemon, DuckLake | " in written  # the side-by-side row
    # Parquet files in the lake's raw schema (a table of a quiet smoke day may be inlined in the catalog).
    assert list((tmp_path / "w" / "rep0" / "ours" / "lake" / "raw").rglob("*.parquet"))
    databases = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-qtA", "-c",
         "SELECT datname FROM pg_database WHERE datname LIKE 'live_bench%'"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert databases.strip() == "", databases
