"""A lock-free copy for BI tools: each materialized partition's rows as Parquet under ``LIVE_PUBLISH_DIR``.

A BI tool that opens the DuckDB file holds a lock the next run must wait for; Parquet files hold
nothing. The layout is ``<dir>/<schema>/<table>/_bot=<bot>/<period column>=<YYYY-MM-DD>/data.parquet``
(hive partitioning: DuckDB, Spark, Superset and Power BI read the folder as one table). Each file is
written beside its place and renamed over it, so a reader sees the old file or the new one, never
half of one. Every file keeps the bot and period columns too, for tools that ignore folder names.
See ``docs/bi.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from live_assets.raw.statements import quote_identifier
from live_assets.warehouse.base import WarehouseBase

PUBLISHED_FILE = "data.parquet"


def table_folder(publish_dir: Path, table: str) -> Path:
    """``kpi.sla_daily`` → ``<publish_dir>/kpi/sla_daily``."""
    schema, _, name = table.partition(".")
    return publish_dir / schema / name


def publish_partition(
    warehouse: WarehouseBase,
    table: str,
    *,
    bot: str,
    period_column: str,
    first: dt.date,
    last: dt.date,
    publish_dir: Path,
    order_by: Sequence[str] = (),
    bot_column: str = "_bot",
) -> list[Path]:
    """Publish ``table``'s rows of ``bot`` whose ``period_column`` falls in ``first..last``; the files written.

    One file per period present; a period of the span that has no rows any more loses its file.
    ``order_by`` (the table's key columns) fixes the rows' order in each file.
    """
    folder = table_folder(publish_dir, table)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging-"))
    try:
        order = ", ".join(map(quote_identifier, order_by or (period_column,)))
        bot_q, period_q = quote_identifier(bot_column), quote_identifier(period_column)
        query = f"SELECT * FROM {table} WHERE {bot_q} = $bot AND {period_q} BETWEEN $first AND $last ORDER BY {order}"
        target = str(staging / "out").replace("'", "''")
        with warehouse.connect() as connection:
            connection.execute(
                f"COPY ({query}) TO '{target}' (FORMAT parquet, PARTITION_BY ({bot_q}, {period_q}), "
                "WRITE_PARTITION_COLUMNS true)",
                {"bot": bot, "first": first, "last": last},
            )
        written = []
        for produced in sorted((staging / "out").glob("*/*/*.parquet")):
            destination = folder / produced.parent.parent.name / produced.parent.name / PUBLISHED_FILE
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(produced, destination)  # atomic: same file system, same folder tree
            written.append(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_emptied(folder / f"{bot_column}={urllib.parse.quote(bot)}", period_column, first, last, set(written))
    return written


def _remove_emptied(bot_folder: Path, period_column: str, first: dt.date, last: dt.date, kept: set[Path]) -> None:
    """Delete the files of the span's periods that have no rows now (a re-run that found none)."""
    for period_folder in bot_folder.glob(f"{period_column}=*") if bot_folder.is_dir() else ():
        try:
            period = dt.date.fromisoformat(period_folder.name.split("=", 1)[1])
        except ValueError:
            continue
        published = period_folder / PUBLISHED_FILE
        if first <= period <= last and published not in kept:
            published.unlink(missing_ok=True)
            shutil.rmtree(period_folder, ignore_errors=True)
