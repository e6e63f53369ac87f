"""The Dagster code location of live-assets: raw assets, KPI assets, checks, jobs and schedules."""

from __future__ import annotations

import dagster as dg

from live_assets.automation import JOBS, SCHEDULES
from live_assets.checks import CHECK_SENSORS, CHECKS
from live_assets.kpis.assets import KPI_ASSETS
from live_assets.kpis.conditions import automation_sensor
from live_assets.partitions import SETTINGS
from live_assets.raw.assets import API_STEP_TAG, RAW_ASSETS
from live_assets.resources import LiveApiResource, WarehouseResource

# Inside one run, the API steps go one at a time, whatever the pool's limit: with many bots the pool
# has a slot per bot, and a run (one bot, or one day of several bots handled one after the other) must
# still hold at most one of them. Other steps (checks, KPIs) run beside it as usual.
EXECUTOR = dg.multiprocess_executor.configured(
    {"tag_concurrency_limits": [{"key": API_STEP_TAG, "value": "true", "limit": 1}]}
)

defs = dg.Definitions(
    assets=[*RAW_ASSETS, *KPI_ASSETS],
    asset_checks=CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=[automation_sensor, *CHECK_SENSORS],
    executor=EXECUTOR,
    resources={
        "live_api": LiveApiResource(),
        "warehouse": WarehouseResource(duckdb_path=str(SETTINGS.duckdb_path), landing_dir=str(SETTINGS.landing_dir)),
    },
)
