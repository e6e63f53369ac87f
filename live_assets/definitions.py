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

# A run's steps go one after the other in the run's own process (in-process executor): a run (one bot;
# or one day of several bots, handled one after the other) never has two requests in flight on a token,
# and no Python process is started per step. Parallelism is across runs, one per bot (run queue, pool:
# deploy/dagster.yaml). Measured on 2 cores: with a process per step, four bots' step start-ups alone
# took 13-27 s each and serialised the bots; with one bot, a 2-day backfill spent 3-5 s starting each
# of its ~20 steps (raw assets, checks, KPIs), while its API steps could never overlap anyway (the
# live_api pool has one slot). The pool still orders API steps across runs.
EXECUTOR: dg.ExecutorDefinition = dg.in_process_executor

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
