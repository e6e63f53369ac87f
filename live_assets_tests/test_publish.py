"""Publishing partitions as Parquet for BI tools, from the DuckDB file and from a DuckLake alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from live_assets.warehouse import WarehouseBase
from live_assets.warehouse.duckdb import Warehouse
from live_assets.warehouse.publish import publish_partition
from live_assets_tests.lake import LakeDatabase, lake_database

__all__ = ["lake_database"]

MONDAY = dt.date(2026, 3, 2)
DAYS = [MONDAY + dt.timedelta(days=n) for n in range(3)]


@pytest.fixture(params=["duckdb", "ducklake"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> WarehouseBase:
    if request.param == "duckdb":
        return Warehouse(tmp_path / "live.duckdb")
    lake: LakeDatabase = request.getfixturevalue("lake_database")
    return lake.warehouse()


def _fill(warehouse: WarehouseBase, rows: list[tuple]) -> None:
    with warehouse.transaction() as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS kpi")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS kpi.published_test (day DATE, group_id BIGINT, offered BIGINT, _bot VARCHAR)"
        )
        connection.execute("DELETE FROM kpi.published_test")
        for row in rows:
            connection.execute("INSERT INTO kpi.published_test VALUES (?, ?, ?, ?)", list(row))


def _publish(warehouse: WarehouseBase, publish_dir: Path, bot: str) -> list[Path]:
    return publish_partition(
        warehouse, "kpi.published_test", bot=bot, period_column="day", first=DAYS[0], last=DAYS[-1],
        publish_dir=publish_dir, order_by=("day", "group_id"),
    )  # fmt: skip


def _read(publish_dir: Path) -> list[tuple]:
    pattern = str(publish_dir / "kpi" / "published_test" / "**" / "*.parquet")
    with duckdb.connect() as reader:
        return reader.execute(
            "SELECT day, group_id, offered, _bot FROM read_parquet($p, hive_partitioning = true) ORDER BY ALL",
            {"p": pattern},
        ).fetchall()


def test_each_period_of_a_bot_becomes_one_file_replaced_whole(warehouse: WarehouseBase, tmp_path: Path) -> None:
    publish_dir = tmp_path / "published"
    rows = [(day, group, 10 * group, bot) for day in DAYS for group in (1, 2) for bot in ("alpha", "bravo")]
    _fill(warehouse, rows)
    written = _publish(warehouse, publish_dir, "alpha")
    assert [p.relative_to(publish_dir).as_posix() for p in written] == [
        f"kpi/published_test/_bot=alpha/day={day}/data.parquet" for day in DAYS
    ]
    _publish(warehouse, publish_dir, "bravo")
    assert _read(publish_dir) == sorted(rows)
    # Each file carries its partition columns too, for tools that ignore folder names (Power BI, Excel).
    with duckdb.connect() as reader:
        alone = reader.execute("SELECT DISTINCT _bot, day FROM read_parquet($p)", {"p": str(written[0])}).fetchall()
    assert alone == [("alpha", DAYS[0])]

    # A re-run: the first day changed, the last one has no rows any more; bravo's files are untouched.
    alpha = [(d, g, o + 1 if d == DAYS[0] else o, b) for d, g, o, b in rows if b == "alpha" and d != DAYS[2]]
    bravo = [row for row in rows if row[3] == "bravo"]
    _fill(warehouse, alpha + [(d, g, 0, b) for d, g, _, b in bravo])  # bravo's table rows change, unpublished
    _publish(warehouse, publish_dir, "alpha")
    assert _read(publish_dir) == sorted(alpha + bravo)
    assert not (publish_dir / "kpi" / "published_test" / "_bot=alpha" / f"day={DAYS[2]}").exists()
    leftovers = [p.name for p in (publish_dir / "kpi" / "published_test").rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # nothing half-written or staged is left behind
