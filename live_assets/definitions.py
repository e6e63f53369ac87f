"""The Dagster code location of live-assets: raw assets, KPI assets, checks, jobs and schedules."""

from __future__ import annotations

import dagster as dg

from live_assets.automation import JOBS, SCHEDULES
from live_assets.checks import CHECK_SENSORS, CHECKS
from live_assets.kpis.assets import KPI_ASSETS
from live_assets.kpis.conditions import automation_sensor
from live_assets.partitions import SETTINGS
from live_assets.raw.assets import RAW_ASSETS
from live_assets.resources import LiveApiResource, WarehouseResource

defs = dg.Definitions(
    assets=[*RAW_ASSETS, *KPI_ASSETS],
    asset_checks=CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=[automation_sensor, *CHECK_SENSORS],
    resources={
        "live_api": LiveApiResource(),
        "warehouse": WarehouseResource(duckdb_path=str(SETTINGS.duckdb_path), landing_dir=str(SETTINGS.landing_dir)),
    },
)
