"""``python -m bench.lake_files LANDING_DIR``: files per DuckLake table after a backfill's loads, and after maintenance.

The benchmark's DuckLake variant drops its catalog when it ends; its landing folder stays. This loads
every landed window of that folder into a fresh lake exactly as the raw steps did (one window replace per
transaction, in the registry's order, window after window), counts the data and delete files per table,
runs the maintenance job's ``maintain`` (merge small files, expire snapshots, clean up), and counts them
again. Needs the local PostgreSQL of ``make postgres``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from bench.postgres import LocalPostgres
from live_assets.client import LANDING_SUFFIX, Window
from live_assets.raw.endpoints import ENDPOINTS, Partitioning
from live_assets.raw.loading import Landed, load_landed
from live_assets.warehouse.lake import LakeWarehouse
from live_assets.warehouse.maintenance import files_markdown, maintain

STAMP = "%Y%m%dT%H%M%S"


def window_of(path: Path) -> Window | None:
    """The window in a landing file's name (``<from>__<to>.<ext>.zst``; ``all`` for a whole list)."""
    name = path.name.removesuffix(LANDING_SUFFIX).split(".", 1)[0]
    if name == "all":
        return None
    start, end = (dt.datetime.strptime(part, STAMP) for part in name.split("__"))
    return Window(start, end)


def load_all(lake: LakeWarehouse, landing: Path) -> int:
    loaded_at, windows = dt.datetime.now(dt.UTC), 0
    for spec in ENDPOINTS:
        if spec.children_of is not None or spec.partitioning is Partitioning.TODAY:
            continue
        for bot_dir in sorted(path for path in landing.iterdir() if path.is_dir()):
            files = sorted((bot_dir / spec.table).glob(f"*{LANDING_SUFFIX}"), key=lambda p: p.name)
            for path in files:
                window = window_of(path)
                landed = Landed(spec, path, window, path.stat().st_size, 0)
                load_landed(lake, landed, bot=bot_dir.name, loaded_at=loaded_at)
                windows += 1
    return windows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lake_files", description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path, help="a landing folder (LIVE_LANDING_DIR) of a backfill")
    args = parser.parse_args(argv)
    postgres = LocalPostgres()
    database = postgres.create_database("files")
    try:
        with tempfile.TemporaryDirectory(prefix="lake-files-") as data:
            lake = LakeWarehouse(postgres.catalog(database), data, password=postgres.password)
            windows = load_all(lake, args.landing)
            done = maintain(lake, retention=dt.timedelta(0), file_grace=dt.timedelta(0))
            print(f"{windows} windows loaded, one transaction each\n")
            print("Before maintenance:\n\n" + files_markdown(done.before) + "\n")
            print(
                f"After maintenance ({done.snapshots_expired} snapshots expired, {done.files_deleted} files deleted):\n"
            )
            print(files_markdown(done.after))
    finally:
        postgres.drop(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
