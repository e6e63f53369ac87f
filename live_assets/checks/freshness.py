"""Freshness: yesterday's KPIs exist by 03:00 (bot's time zone), last week's by Monday 03:00.

Why 03:00: a day is final 15 minutes after midnight (CONTRACT.md §1); the daily raw job starts at
00:30; its retries (up to three, minutes apart) and the automation sensor's 30-second ticks normally
put the KPIs in place before 01:00. Two more hours absorb a slow API or a gateway outage without
crying wolf, and the check still fires before the working day starts.

Dagster's ``build_time_partition_freshness_checks`` fits: at each deadline it expects the most recent
complete partition (yesterday; last week on Mondays) to have a materialization. Its sensor runs the
checks at the deadlines; it is on by default so that ``dagster dev`` evaluates them.
"""

from __future__ import annotations

import warnings
from typing import Final

import dagster as dg

from live_assets.kpis.tables import KPI_TABLES, Grain
from live_assets.partitions import BOTS, SETTINGS

DAILY_DEADLINE_CRON: Final = "0 3 * * *"
WEEKLY_DEADLINE_CRON: Final = "0 3 * * 1"


def _keys(grain: Grain) -> list[dg.AssetKey]:
    return [dg.AssetKey(table.asset_key_path) for table in KPI_TABLES if table.grain is grain]


# Dagster 1.13 marks these factories superseded by ``FreshnessPolicy``. That policy only compares the
# time of the latest materialization with the deadline, so a backfill of an old day would pass it;
# the partition check asks the question we mean: does yesterday's partition exist.
# With many bots (``live_assets/bots.py``) the KPIs are partitioned by bot and date, which these factories
# do not support (they expect time-window partitions): no freshness checks then; the per-bot partition
# status in the UI and the schedules' run failures show a late day instead.
FRESHNESS_CHECKS: list[dg.AssetChecksDefinition] = []
freshness_sensor: dg.SensorDefinition | None = None
if BOTS is None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        FRESHNESS_CHECKS = [
            *dg.build_time_partition_freshness_checks(
                assets=_keys(Grain.DAILY), deadline_cron=DAILY_DEADLINE_CRON, timezone=SETTINGS.timezone
            ),
            *dg.build_time_partition_freshness_checks(
                assets=_keys(Grain.WEEKLY), deadline_cron=WEEKLY_DEADLINE_CRON, timezone=SETTINGS.timezone
            ),
        ]
        freshness_sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=FRESHNESS_CHECKS,
            name="kpi_freshness_sensor",
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
