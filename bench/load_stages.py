"""The load of one landed ``raw.conversations`` window into DuckDB, stage by stage, best of N.

``make bench`` reports one load-rate figure for a whole backfill; this script takes it apart so that a
change to the loading code can be measured in seconds, without a simulator process or Dagster. It
generates one window with the simulator's own generator (the very bytes the list endpoint serves),
lands it the way the client does (``write_landing``), and times each stage alone::

    .venv/bin/python -m bench.load_stages              # 7 days at 3,000 conversations a day
    .venv/bin/python -m bench.load_stages --extra      # every row carrying unknown fields (slow path)
    .venv/bin/python -m bench.load_stages --days 1 --repeat 9

The figure to compare with ``BENCHMARKS.md`` is ``load_landed`` (received bytes to committed rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from live_assets.client import LANDING_CODEC
from live_assets.client.windows import Window
from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.raw.loading import Landed, file_has_unknown_keys, landing_path, load_landed, write_landing
from live_assets.simulator.config import SimulatorConfig
from live_assets.simulator.faults import add_extra_fields
from live_assets.simulator.generate import generate_day
from live_assets.simulator.world import build_world
from live_assets.warehouse import Warehouse

BOT = "default"
SPEC = ENDPOINTS_BY_TABLE["conversations"]
FIRST_DAY = dt.date(2026, 3, 2)  # a Monday, as the benchmark's windows


@dataclass(frozen=True)
class Stage:
    name: str
    milliseconds: float


def window_body(first: dt.date, days: int, volume: int, *, extra: bool) -> tuple[Window, bytes, int]:
    """The list endpoint's body for ``days`` days from ``first``: the window, the bytes, the row count."""
    config = SimulatorConfig(conversations_per_day=volume)
    bot = config.bot_profiles()[0]
    world = build_world(bot.seed, config.agents_per_bot)
    bodies: list[bytes] = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        bodies += [c.body for c in generate_day(bot.seed, bot.bot_id, world, day, volume)]
    if extra:  # what the simulator's ``extra_fields`` fault serves: unknown fields at every level
        separators = (",", ":")
        bodies = [
            json.dumps(add_extra_fields(json.loads(b)), ensure_ascii=False, separators=separators).encode()
            for b in bodies
        ]
    window = Window.for_days(first, first + dt.timedelta(days=days - 1))
    return window, b"[" + b",".join(bodies) + b"]", len(bodies)


def best_of(repeat: int, action: Callable[[], object], before: Callable[[], object] | None = None) -> float:
    """The fastest of ``repeat`` runs of ``action``, in milliseconds (``before`` runs untimed first)."""
    fastest = float("inf")
    for _ in range(repeat):
        if before is not None:
            before()
        began = time.perf_counter()
        action()
        fastest = min(fastest, time.perf_counter() - began)
    return 1000 * fastest


def measure(root: Path, days: int, volume: int, repeat: int, *, extra: bool) -> tuple[int, int, list[Stage]]:
    """Land one window under ``root`` and time each stage; the rows, the bytes and the stages."""
    window, body, rows = window_body(FIRST_DAY, days, volume, extra=extra)
    path = landing_path(root / "landing", BOT, SPEC, window)
    write_landing(path, body)
    landed = Landed(SPEC, path, window, len(body), 1)
    compressed = path.read_bytes()
    loaded_at = dt.datetime.now(dt.UTC)
    parameters = {"path": str(path), "bot": BOT, "loaded_at": loaded_at}
    stages: list[Stage] = []

    def stage(name: str, action: Callable[[], object], before: Callable[[], object] | None = None) -> None:
        stages.append(Stage(name, best_of(repeat, action, before)))

    memory = duckdb.connect()
    for statement in statements.create_table(SPEC):
        memory.execute(statement)
    stage(
        f"decompress the file ({LANDING_CODEC}, {len(compressed) / 1e6:.1f} MB)",
        lambda: pa.CompressedInputStream(pa.BufferReader(compressed), LANDING_CODEC).read(),
    )
    split = f"SELECT count(*) FROM read_json_objects($path, compression = '{LANDING_CODEC}', format = 'array')"
    stage("DuckDB: split the array into objects", lambda: memory.execute(split, {"path": str(path)}).fetchall())
    stage_sql = statements.stage_json(SPEC)
    stage("DuckDB: staging statement (typed + _extra)", lambda: memory.execute(stage_sql, parameters))
    stage("DuckDB: key check (distinct key lists)", lambda: file_has_unknown_keys(SPEC, path))
    direct = statements.insert_direct(SPEC)
    window_days = {"first_day": window.first_day, "last_day": window.last_day}
    stage(
        "DuckDB: direct insert (read_json, typed), in memory",
        lambda: memory.execute(direct, parameters | window_days),
        lambda: memory.execute(f"DELETE FROM {SPEC.qualified_table}"),
    )
    memory.close()

    fresh = root / "fresh.duckdb"

    def remove_fresh() -> None:
        for leftover in root.glob("fresh.duckdb*"):
            leftover.unlink()

    stage(
        "load_landed, first window into a new file",
        lambda: load_landed(Warehouse(fresh), landed, bot=BOT, loaded_at=loaded_at),
        remove_fresh,
    )
    warehouse = Warehouse(root / "reload.duckdb")
    load_landed(warehouse, landed, bot=BOT, loaded_at=loaded_at)
    stage(
        "load_landed, the same window again (replace)",
        lambda: load_landed(warehouse, landed, bot=BOT, loaded_at=loaded_at),
    )
    (count,) = warehouse.query("SELECT count(*) FROM raw.conversations")[0]
    if count != rows:
        raise AssertionError(f"loaded {count} rows, expected {rows}")
    return rows, len(body), stages


def render(rows: int, size: int, stages: list[Stage]) -> str:
    lines = [
        f"raw.conversations, one window: {rows:,} rows, {size / 1e6:.1f} MB of JSON "
        f"({size / max(1, rows):,.0f} bytes a row)",
        "",
        "| stage | ms | rows/s | MB/s |",
        "| --- | --- | --- | --- |",
    ]
    for item in stages:
        seconds = item.milliseconds / 1000
        lines.append(
            f"| {item.name} | {item.milliseconds:,.1f} | {rows / seconds:,.0f} | {size / 1e6 / seconds:,.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_stages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7, help="days in the window (default 7, the list's widest)")
    parser.add_argument("--volume", type=int, default=3000, help="conversations a weekday (default 3,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each stage; the fastest is shown")
    parser.add_argument("--extra", action="store_true", help="add unknown fields to every row (the _extra path)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-stages-") as directory:
        rows, size, stages = measure(Path(directory), options.days, options.volume, options.repeat, extra=options.extra)
    print(render(rows, size, stages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
