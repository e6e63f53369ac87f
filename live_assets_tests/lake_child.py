"""The processes of the DuckLake concurrency test: a writer per bot, and a reader watching them.

``python -m live_assets_tests.lake_child write PLAN BOT``: loads the bot's landed files and refreshes
its KPIs into the warehouse the environment names (``LIVE_WAREHOUSE=ducklake`` …), then prints how
many commits were retried. ``… read PLAN DONE_FILE``: attaches the lake itself, holds one transaction
open from start to end, and reads ``raw.conversations`` again and again until ``DONE_FILE`` appears,
checking that each bot's window is there whole or not at all; prints what it saw.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

from live_assets.settings import LiveSettings
from live_assets.warehouse.settings import WarehouseSettings, open_warehouse
from live_assets_tests.lake import LandedFile, load_bot


class _Retries(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "conflicted" in record.getMessage()


def write(plan: dict, bot: str) -> dict:
    retries = _Retries()
    logger = logging.getLogger("live_assets_tests.lake_child")
    logger.addHandler(retries)
    logger.setLevel(logging.INFO)
    warehouse = open_warehouse(LiveSettings(), WarehouseSettings.from_env(os.environ), logger=logger)
    started = time.monotonic()
    load_bot(warehouse, bot, [LandedFile(**f) for f in plan["files"][bot]], plan)
    return {"bot": bot, "retries": retries.count, "seconds": time.monotonic() - started}


WINDOW_ROWS = "SELECT _bot, _partition_day, count(*) FROM raw.conversations GROUP BY ALL ORDER BY ALL"


def read(plan: dict, done: Path) -> dict:
    """Windows are ``plan["windows"]``: per bot, a list of {day: rows}; each must be whole or absent."""
    warehouse = open_warehouse(LiveSettings(), WarehouseSettings.from_env(os.environ))
    expected: dict[str, list[dict[str, int]]] = plan["windows"]
    violations: list[str] = []
    states: set[tuple] = set()
    reads = 0
    with warehouse.connect() as held:
        held.begin()
        held_before = held.execute("SELECT count(*) FROM raw.conversations").fetchall()
        print("ready", flush=True)
        while not done.exists():
            seen = {(bot, day.isoformat()): rows for bot, day, rows in warehouse.query(WINDOW_ROWS)}
            reads += 1
            states.add(tuple(sorted(seen.items())))
            for bot, windows in expected.items():
                for window in windows:
                    present = {day: seen.get((bot, day)) for day in window}
                    if any(present.values()) and present != window:
                        violations.append(f"{bot}: {present} instead of {window}")
        held_after = held.execute("SELECT count(*) FROM raw.conversations").fetchall()
        held.commit()
    return {"reads": reads, "states": len(states), "violations": violations[:5], "held": [held_before, held_after]}


def main() -> None:
    mode, plan_path, argument = sys.argv[1:4]
    plan = json.loads(Path(plan_path).read_text())
    outcome = write(plan, argument) if mode == "write" else read(plan, Path(argument))
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
