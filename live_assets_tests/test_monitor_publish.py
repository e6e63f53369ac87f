"""The monitoring tables after each intraday refresh: published as Parquet for BI tools, and written
through ``warehouse.atomically`` so that a DuckLake conflict with another bot's evaluation is retried.

The refreshes are the real ``kpi/sla_intraday`` step in Dagster on the degraded day of
``test_monitor_alerts`` (loaded from the simulator over HTTP), delivering to a real local webhook; the
Parquet files are read back with DuckDB's own reader. The conflict is a real one, on a DuckLake on the
local PostgreSQL: another bot's evaluation commits to ``monitor.alerts`` while the first is still open.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from live_assets.kpis.tables import SLA_INTRADAY
from live_assets.monitor import alerts
from live_assets.monitor.judging import GroupFigures, judge_all
from live_assets.monitor.targets import Targets
from live_assets.secret import Secret
from live_assets.warehouse import Warehouse
from live_assets.warehouse.lake import LakeWarehouse
from live_assets_tests.lake import LakeDatabase, lake_database  # noqa: F401 - a fixture
from live_assets_tests.monitor_support import Receiver
from live_assets_tests.test_monitor_alerts import (  # noqa: F401 - fixtures
    DAY,
    loaded_day,
    receiver,
    refresh_at,
    warehouse_path,
)


def rows(path: Path, table: str, order: str) -> list[tuple]:
    return Warehouse(path).query(f"SELECT * FROM {table} ORDER BY {order}")


def test_each_refresh_publishes_the_intraday_figures_and_the_alerts(warehouse_path: Path, receiver: Receiver) -> None:  # noqa: F811
    opened = refresh_at(warehouse_path, "11:00", [receiver.url])
    receiver.next()
    assert opened.success
    day_folder = warehouse_path.parent / "published" / "kpi" / "sla_intraday" / "_bot=default" / f"day={DAY}"
    alerts_folder = warehouse_path.parent / "published" / "monitor" / "alerts" / "bot=default" / f"day={DAY}"
    assert (day_folder / "data.parquet").is_file() and (alerts_folder / "data.parquet").is_file()
    intraday_order = "span, bucket_start, group_id"
    assert published_rows(warehouse_path, "kpi.sla_intraday") == rows(
        warehouse_path, "kpi.sla_intraday", intraday_order
    )
    (alert,) = published_rows(warehouse_path, "monitor.alerts", as_dicts=True)
    assert alert["notified_at"] is not None and alert["resolved_at"] is None and alert["day"] == DAY
    materialized = opened.asset_materializations_for_node("kpi__sla_intraday")[0]
    assert materialized.metadata["parquet_files_published"].value == 2

    # The next day (no conversation yet): the intraday copy drops the day the table dropped; the alert of
    # the day that ended is resolved, and its day's file says so.
    next_day = refresh_at(warehouse_path, "00:05", [receiver.url], day=DAY + dt.timedelta(days=1))
    assert next_day.success and receiver.next()["title"].startswith("[live-assets] RESOLVED")
    assert not day_folder.exists()
    assert rows(warehouse_path, "kpi.sla_intraday", intraday_order) == []
    (alert,) = published_rows(warehouse_path, "monitor.alerts", as_dicts=True)
    assert alert["resolved_at"] is not None and alert["resolved_notified_at"] is not None
    assert published_rows(warehouse_path, "monitor.alerts") == rows(warehouse_path, "monitor.alerts", "alert_id")


def published_rows(path: Path, table: str, *, as_dicts: bool = False) -> list:
    """``table``'s Parquet copy read back (the partition columns are in the files too)."""
    files = path.parent / "published" / table.replace(".", "/")
    order = "span, bucket_start, group_id" if table == SLA_INTRADAY.qualified_table else "alert_id"
    with duckdb.connect() as connection:
        cursor = connection.execute(
            f"SELECT * FROM read_parquet('{files}/*/*/*.parquet', hive_partitioning = false) ORDER BY {order}"
        )
        columns = [column[0] for column in cursor.description]
        found = cursor.fetchall()
    return [dict(zip(columns, row, strict=True)) for row in found] if as_dicts else found


class OvertakenOnce(LakeWarehouse):
    """A DuckLake where, once, ``overtake`` commits in another transaction just before ours commits."""

    overtake: Callable[[], None] | None = None
    attempts = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        type(self).attempts += 1
        with super().transaction() as connection:
            yield connection
            overtake, type(self).overtake = type(self).overtake, None
            if overtake is not None:
                overtake()


def figures(bot: str, day: dt.date, sla_pct: float) -> GroupFigures:
    start = dt.datetime.combine(day, dt.time(8))
    return GroupFigures(bot, day, 1, "Billing", start, start + dt.timedelta(hours=3), 40, 12,
                        {"sla_pct": sla_pct, "abandonment_rate": 30.0, "wait_p90_s": 500.0})  # fmt: skip


def test_an_evaluation_that_loses_to_another_bots_commit_is_run_again(lake_database: LakeDatabase) -> None:  # noqa: F811
    plain = lake_database.warehouse()
    lake = OvertakenOnce(plain.catalog, plain.data_path, password=Secret(lake_database.password))
    day, now = dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 11, tzinfo=dt.UTC)
    for bot in ("alpha", "bravo"):  # both open an alert first
        alerts.update_state(plain, bot=bot, day=day, judgements=judge_all([figures(bot, day, 40.0)], Targets()),
                            now=now, page=None)  # fmt: skip
    later = now + dt.timedelta(minutes=15)

    def bravo_resolves() -> None:  # bravo's evaluation commits while alpha's is still open
        back = judge_all([figures("bravo", day, 90.0)], Targets())
        alerts.update_state(plain, bot="bravo", day=day, judgements=back, now=later, page=None)

    OvertakenOnce.overtake = bravo_resolves
    alpha = alerts.update_state(lake, bot="alpha", day=day, judgements=judge_all([figures("alpha", day, 20.0)],
                                Targets()), now=later, page=None)  # fmt: skip
    assert OvertakenOnce.overtake is None  # the other writer did commit in between
    assert OvertakenOnce.attempts == 2  # alpha's first commit lost, the second went through
    assert alpha.still_open == ["Billing (id 1) sla_pct"] and alpha.opened == []
    state = plain.query("SELECT bot, value, resolved_at IS NOT NULL FROM monitor.alerts ORDER BY bot")
    assert state == [("alpha", 20.0, False), ("bravo", 90.0, True)]
