"""The Dagster code location of live-assets, built from the settings and the bots file by one function.

``build_definitions`` takes everything it needs as arguments, so that one process can build a one-bot
and a many-bot code location side by side; ``defs`` calls it when Dagster loads the code location,
never at import time.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from live_assets.automation import build_automation
from live_assets.bots import BotSpec, bots_file_path, load_bots_file
from live_assets.checks import build_checks
from live_assets.deployment import Deployment
from live_assets.kpis.assets import build_kpi_assets
from live_assets.kpis.conditions import automation_sensor
from live_assets.names import DEFAULT_BOT
from live_assets.raw.assets import build_raw_assets
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.settings import LiveSettings, load_settings

# A run's steps go one after the other in the run's own process: an API run (one bot, or a few bots of
# one day, one after the other) never has two requests in flight on a token, and no Python process is
# started per step. Parallelism is across runs, one API run per bot (the run queue's bot lanes).
EXECUTOR: dg.ExecutorDefinition = dg.in_process_executor


def build_definitions(
    settings: LiveSettings, bots: tuple[BotSpec, ...] | None = None, bots_file: Path | None = None
) -> dg.Definitions:
    """Every asset, check, job, schedule, sensor and resource for ``settings`` and ``bots`` (None: one bot)."""
    deployment = Deployment.build(settings, bots, bots_file)
    checks, check_sensors = build_checks(deployment)
    jobs, schedules = build_automation(deployment)
    return dg.Definitions(
        assets=[*build_raw_assets(deployment), *build_kpi_assets(deployment)],
        asset_checks=checks,
        jobs=jobs,
        schedules=schedules,
        sensors=[automation_sensor, *check_sensors],
        executor=EXECUTOR,
        resources={
            "live_api": LiveApiResource(bot=DEFAULT_BOT, bots_file=str(bots_file) if bots_file else None),
            "warehouse": WarehouseResource(
                duckdb_path=str(settings.duckdb_path), landing_dir=str(settings.landing_dir)
            ),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location Dagster loads: ``LIVE_*`` settings and ``LIVE_BOTS_FILE`` (or ``$DAGSTER_HOME/bots.yaml``)."""
    path = bots_file_path()
    return build_definitions(load_settings(), load_bots_file(path) if path else None, path)
