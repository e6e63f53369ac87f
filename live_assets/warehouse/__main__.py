"""``python -m live_assets.warehouse copy --to ducklake [--from FILE]``: move the DuckDB file into the lake.

The lake is the one ``LIVE_DUCKLAKE_CATALOG`` and ``LIVE_DUCKLAKE_DATA_PATH`` name (``LIVE_WAREHOUSE`` may
still say ``duckdb``: the copy comes before the switch); the file is ``LIVE_DUCKDB_PATH`` unless ``--from``
names another. Stop the runs that write the file first. Exit status 1 when any partition's row count
differs between the file and the lake.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from live_assets.settings import SettingsError, load_settings
from live_assets.warehouse.copy import copy_file_to_lake
from live_assets.warehouse.settings import BACKEND_VARIABLE, Backend, WarehouseSettings, open_warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live_assets.warehouse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    copy = commands.add_parser(
        "copy",
        help="copy the DuckDB file's tables into the DuckLake and verify them",
        description=" ".join(__doc__.split("\n\n")[1].split()),
    )
    copy.add_argument(
        "--to", choices=[Backend.DUCKLAKE.value], required=True, help="the backend to copy into (LIVE_DUCKLAKE_*)"
    )
    copy.add_argument("--from", dest="source", type=Path, help="the DuckDB file (default: LIVE_DUCKDB_PATH)")
    args = parser.parse_args(argv)
    try:
        live = load_settings()
        settings = WarehouseSettings.from_env({**os.environ, BACKEND_VARIABLE: Backend.DUCKLAKE.value})
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    lake = open_warehouse(live, settings)
    source = args.source or live.duckdb_path
    copied = copy_file_to_lake(source, lake)
    for table in copied:
        print(table)
    differing = [table.table for table in copied if table.mismatched]
    print(f"{len(copied)} tables copied from {source} into the DuckLake; " + (
        f"row counts differ in {', '.join(differing)}" if differing else "every partition's row count matches"
    ))  # fmt: skip
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
