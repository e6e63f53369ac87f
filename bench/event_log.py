"""What one event costs Dagster's SQLite event log: ``python -m bench.event_log [--events 500]``.

A 90-day backfill's runs write one "materialization planned" and one materialization event per asset
partition, and one evaluation per check partition: some 2,500 events, each its own SQLite transaction
(plus a copy in the index database for asset and check events). This times the same writes on a
throwaway instance in a temporary folder, on the machine's disk, with the shipped ``dagster.yaml``'s
storage (SQLite, Dagster's default), so that the benchmark's gap analysis can say how much of a
backfill's time is the event log.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent

JOB = "__ASSET_JOB"
STEP = "raw__conversations"


def seconds_per_event(home: Path, events: int) -> float:
    """Write ``events`` planned-materialization events for one run, as a run's creation does; seconds each."""
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = str(uuid.uuid4())
        began = time.perf_counter()
        for n in range(events):
            planned = AssetMaterializationPlannedData(dg.AssetKey(["raw", "conversations"]), partition=f"day-{n}")
            instance.report_dagster_event(
                DagsterEvent.build_asset_materialization_planned_event(JOB, STEP, planned), run_id
            )
        return (time.perf_counter() - began) / events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_log", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500, help="events per measurement (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements; the median is printed")
    parser.add_argument("--dir", type=Path, help="where the throwaway instances go (default: a temporary folder)")
    args = parser.parse_args(argv)
    timings = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(dir=args.dir) as home:
            timings.append(seconds_per_event(Path(home), args.events))
    median = statistics.median(timings)
    print(
        f"SQLite event log: {median * 1000:.2f} ms per event (median of {args.repeat} x {args.events}); "
        f"2,500 events = {2500 * median:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
