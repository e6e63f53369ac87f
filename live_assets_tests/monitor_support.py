"""Helpers of the monitoring tests: a real HTTP receiver for Apprise's ``json://`` (the demo's), and the day so far.

``raw.conversations_today`` is filled from ``raw.conversations`` (loaded from the simulator by the real
raw asset) with the conversations the API would list at a given time of that day: those that ended by
then. That is what the intraday raw asset holds after a refresh at that time.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from live_assets.devtools.demo.webhook import Receiver, running_receiver
from live_assets.warehouse import Warehouse

__all__ = ["Receiver", "conversations_today_stand_in", "fill_today", "running_receiver"]


def fill_today(warehouse: Warehouse, day: dt.date, at: dt.time, *, bot: str = "default") -> int:
    """``raw.conversations_today`` as a refresh at ``at`` on ``day`` leaves it; its row count."""
    moment = dt.datetime.combine(day, at)
    with warehouse.transaction() as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw.conversations_today AS SELECT * FROM raw.conversations WITH NO DATA"
        )
        connection.execute("DELETE FROM raw.conversations_today WHERE _bot = $bot", {"bot": bot})
        connection.execute(
            "INSERT INTO raw.conversations_today SELECT * REPLACE (CAST($loaded AS TIMESTAMPTZ) AS _loaded_at) "
            "FROM raw.conversations WHERE _bot = $bot AND _partition_day = $day AND ended_at <= $moment",
            {"bot": bot, "day": day, "moment": moment, "loaded": moment.replace(tzinfo=dt.UTC)},
        )
        (count,) = connection.execute(
            "SELECT count(*) FROM raw.conversations_today WHERE _bot = $bot", {"bot": bot}
        ).fetchone()
    return count


@dg.asset(key=["raw", "conversations_today"], group_name="live_raw")
def conversations_today_stand_in() -> None:
    """Rows written by the test (``fill_today``), as the lead's intraday raw asset writes them."""
