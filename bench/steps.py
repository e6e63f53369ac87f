"""Single steps measured on their own: the client's overhead per request, and the load into DuckDB.

The client overhead is the conversation-detail step (one request per conversation) of one day,
materialized in this process against a simulator with a fixed latency: the step's own wall time
(Dagster's STEP_START to STEP_SUCCESS) minus the simulator's serving time, per request.

The load rate reads the files a backfill landed and loads them again into a fresh warehouse of the
variant's backend (a DuckDB file, or a DuckLake), timing ``load_landed`` alone (no API): received bytes in,
committed rows out. The client overhead is measured on a DuckDB file whatever the variant: it is the client's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from bench.processes import SimulatorOptions, SimulatorProcess
from live_assets.client import LANDING_SUFFIX, compressed_reader
from live_assets.client.windows import Window
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE, EndpointSpec
from live_assets.raw.fetching import plan_requests
from live_assets.raw.loading import Landed, landing_path, load_landed
from live_assets.settings import LiveSettings
from live_assets.warehouse import WarehouseBase
from live_assets.warehouse.settings import BACKEND_VARIABLE, Backend

BOT = "default"


@contextlib.contextmanager
def environment(values: Mapping[str, str], cwd: Path) -> Iterator[None]:
    """Set LIVE_* variables and the working directory (no project ``.env`` is read) for a block."""
    saved = {name: os.environ.get(name) for name in values}
    previous = Path.cwd()
    os.environ.update(values)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Overhead:
    """One day of conversation details: requests, the step's wall time and the API's serving time."""

    day: dt.date
    requests: int
    step_seconds: float
    serving_seconds: float
    landing_dir: Path

    @property
    def per_request_ms(self) -> float:
        return 1000 * (self.step_seconds - self.serving_seconds) / max(1, self.requests)


def _step_seconds(instance: object, run_id: str) -> float:
    import dagster as dg

    assert isinstance(instance, dg.DagsterInstance)
    times: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.event_type_value in ("STEP_START", "STEP_SUCCESS"):
            times[event.event_type_value] = entry.timestamp
    return times["STEP_SUCCESS"] - times["STEP_START"]


def measure_overhead(root: Path, day: dt.date, options: SimulatorOptions) -> Overhead:
    """:func:`overhead_in_process` in a fresh interpreter: the project's code as it is now, its own memory."""
    root.mkdir(parents=True, exist_ok=True)
    o = options
    command = [
        sys.executable, "-m", "bench.steps", str(root), day.isoformat(), str(o.conversations_per_day),
        str(o.latency_ms), str(o.latency_per_row_us), str(o.seed), o.timezone,
    ]  # fmt: skip
    with (root / "overhead.log").open("wb") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])
    figures = json.loads((root / "overhead.json").read_text())
    return Overhead(
        day=day,
        requests=figures["requests"],
        step_seconds=figures["step_seconds"],
        serving_seconds=figures["serving_seconds"],
        landing_dir=root / "landing",
    )


def overhead_in_process(root: Path, day: dt.date, options: SimulatorOptions) -> Overhead:
    """Materialize ``raw/conversations`` then, measured, ``raw/conversation_messages`` for ``day``."""
    import dagster as dg

    from live_assets.definitions import build_definitions
    from live_assets.resources import LiveApiResource, WarehouseResource

    root.mkdir(parents=True, exist_ok=True)
    with SimulatorProcess(options, root / "simulator.log") as sim:
        settings = LiveSettings(timezone=options.timezone, start_date=dt.date(2020, 1, 1))
        env = sim.settings_env(root, settings)
        env[BACKEND_VARIABLE] = Backend.DUCKDB.value  # the client's overhead, on the default warehouse
        resources = {
            "live_api": LiveApiResource(),
            "warehouse": WarehouseResource(duckdb_path=env["LIVE_DUCKDB_PATH"], landing_dir=env["LIVE_LANDING_DIR"]),
        }
        raw = list(build_definitions(settings).assets or [])
        with environment(env, root), dg.DagsterInstance.ephemeral() as instance:
            key = day.isoformat()
            options = {"partition_key": key, "resources": resources, "instance": instance}
            dg.materialize(raw, selection=[dg.AssetKey(["raw", "conversations"])], **options)
            sim.reset_counters()
            result = dg.materialize(raw, selection=[dg.AssetKey(["raw", "conversation_messages"])], **options)
            counters = sim.counters()
            step = _step_seconds(instance, result.run_id)
    path = "/live/public/conversation/detail"
    return Overhead(
        day=day,
        requests=int(counters["requests"].get(path, 0)),
        step_seconds=step,
        serving_seconds=float(counters["serving_seconds"]),
        landing_dir=root / "landing",
    )


@dataclass(frozen=True)
class LoadRate:
    """Loading one table's landed files: rows committed and bytes received, per second of loading."""

    table: str
    files: int
    rows: int
    bytes_received: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes_received / 1e6 / self.seconds if self.seconds else 0.0


def landed_size(path: Path) -> int:
    """The uncompressed size of a landing file: the bytes the API sent.

    Counted by reading it through, a megabyte at a time (~10 ms for a 7-day window, before any timing):
    a zstd frame written as a stream does not record its size, as gzip's trailer did.
    """
    size = 0
    with compressed_reader(path) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
    return size


def landed_windows(spec: EndpointSpec, landing_dir: Path, first: dt.date, last: dt.date) -> list[Landed]:
    """The files a backfill of ``first..last`` landed for ``spec``, one per planned window."""
    landed = []
    for window in plan_requests(spec, first, last):
        path = landing_path(landing_dir, BOT, spec, window)
        landed.append(Landed(spec, path, window, landed_size(path), 1))
    return landed


def landed_details(landing_dir: Path, day: dt.date) -> list[Landed]:
    spec = ENDPOINTS_BY_TABLE["conversation_messages"]
    files = sorted((landing_dir / BOT / spec.table).glob(f"*.jsonl{LANDING_SUFFIX}"))
    return [Landed(spec, path, Window.for_days(day, day), landed_size(path), 1) for path in files]


def _load_all(warehouse: WarehouseBase, items: list[Landed]) -> tuple[int, float]:
    loaded_at = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    rows = sum(load_landed(warehouse, item, bot=BOT, loaded_at=loaded_at).rows for item in items)
    return rows, time.perf_counter() - began


def measure_loads(
    root: Path,
    backfill_landing: Path,
    days: tuple[dt.date, dt.date],
    details: Overhead | None,
    repetitions: int,
    new_warehouse: Callable[[Path], AbstractContextManager[WarehouseBase]],
) -> list[LoadRate]:
    """Load conversations, the export and (if measured) one day of messages again, each repetition into an
    empty warehouse from ``new_warehouse`` (the variant's backend); median of ``repetitions``."""
    first, last = days
    conversations = landed_windows(ENDPOINTS_BY_TABLE["conversations"], backfill_landing, first, last)
    export = landed_windows(ENDPOINTS_BY_TABLE["export_conversations"], backfill_landing, first, last)
    messages = landed_details(details.landing_dir, details.day) if details else []
    timings: dict[str, list[float]] = {"conversations": [], "export_conversations": [], "conversation_messages": []}
    rows: dict[str, int] = {}
    for repetition in range(repetitions):
        with new_warehouse(root / f"load-{repetition}") as warehouse:
            for table, items in (("conversations", conversations), ("export_conversations", export)):
                rows[table], seconds = _load_all(warehouse, items)
                timings[table].append(seconds)
            if messages:
                rows["conversation_messages"], seconds = _load_all(warehouse, messages)
                timings["conversation_messages"].append(seconds)
    sources = {"conversations": conversations, "export_conversations": export, "conversation_messages": messages}
    return [
        LoadRate(
            table,
            len(sources[table]),
            rows[table],
            sum(item.bytes_received for item in sources[table]),
            statistics.median(timings[table]),
        )
        for table in timings
        if timings[table]
    ]


def main(argv: list[str]) -> int:
    """``python -m bench.steps ROOT DAY VOLUME LATENCY_MS LATENCY_PER_ROW_US SEED ZONE``: writes ROOT/overhead.json."""
    root, day, volume, latency, per_row, seed, zone = argv
    options = SimulatorOptions(int(volume), float(latency), float(per_row), int(seed), zone)
    measured = overhead_in_process(Path(root), dt.date.fromisoformat(day), options)
    figures = {k: getattr(measured, k) for k in ("requests", "step_seconds", "serving_seconds")}
    (Path(root) / "overhead.json").write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
