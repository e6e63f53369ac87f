"""Jobs and schedules: the previous day once it is final, the previous week, the dimension lists.

Schedules run in the bot's time zone, half an hour after midnight: a day's last conversations can
appear up to 15 minutes after they end (CONTRACT.md §1), and the assets refuse a day before that.
KPI assets follow their raw inputs by declarative automation, so no schedule names them.
"""

from __future__ import annotations

import dagster as dg

from live_assets.partitions import SETTINGS
from live_assets.raw.assets import RAW_GROUP
from live_assets.raw.endpoints import ENDPOINTS, Partitioning

SCHEDULE_MINUTE = 30


def _raw_keys(partitioning: Partitioning) -> list[dg.AssetKey]:
    return [dg.AssetKey(spec.asset_key_path) for spec in ENDPOINTS if spec.partitioning is partitioning]


daily_raw_job = dg.define_asset_job(
    "live_daily_raw",
    selection=dg.AssetSelection.assets(*_raw_keys(Partitioning.DAILY)),
    description=f"Every daily raw asset of group {RAW_GROUP} for one day.",
)
weekly_raw_job = dg.define_asset_job(
    "live_weekly_raw",
    selection=dg.AssetSelection.assets(*_raw_keys(Partitioning.WEEKLY)),
    description="The weekly raw assets for one week (Monday to Sunday).",
)
dimensions_job = dg.define_asset_job(
    "live_dimensions",
    selection=dg.AssetSelection.assets(*_raw_keys(Partitioning.NONE)),
    description="Refresh the agent and group lists.",
)

JOBS = [daily_raw_job, weekly_raw_job, dimensions_job]
SCHEDULES = [
    dg.build_schedule_from_partitioned_job(daily_raw_job, hour_of_day=0, minute_of_hour=SCHEDULE_MINUTE),
    dg.build_schedule_from_partitioned_job(
        weekly_raw_job, day_of_week=1, hour_of_day=0, minute_of_hour=SCHEDULE_MINUTE
    ),
    dg.ScheduleDefinition(
        job=dimensions_job, cron_schedule=f"{SCHEDULE_MINUTE - 10} 0 * * *", execution_timezone=SETTINGS.timezone
    ),
]
