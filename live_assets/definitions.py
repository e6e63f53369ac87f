"""The Dagster code location of live-assets, built from the settings and the bots file by one function.

``build_definitions`` takes everything it needs as arguments, so that one process can build a one-bot
and a many-bot code location side by side; ``defs`` calls it when Dagster loads the code location,
never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from live_assets.asset_checks import build_checks
from live_assets.automation import build_automation
from live_assets.bots import BotSpec, bots_file_path, load_bots_file
from live_assets.deployment import Deployment
from live_assets.kpis.assets import build_kpi_assets, raw_partition_mapping
from live_assets.kpis.conditions import automation_sensor
from live_assets.monitor.assets import build_daily_targets_check, build_intraday_assets
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import Targets, load_targets, targets_file_path
from live_assets.names import DEFAULT_BOT
from live_assets.raw.assets import build_raw_assets
from live_assets.report.assets import build_report_assets
from live_assets.report.custom import load_custom_reports
from live_assets.report.custom_assets import build_custom_report_assets, warehouse_tables
from live_assets.report.settings import ReportSettings
from live_assets.report.today import TodaySettings
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.settings import LiveSettings, load_settings, read_environment
from live_assets.validation import validate_settings
from live_assets.warehouse.maintenance import build_maintenance_defs
from live_assets.warehouse.settings import Backend, WarehouseSettings

# A run's steps go one after the other in the run's own process: no Python process is started per
# step. Parallelism is across runs; runs of one bot share its token through the client's token lock.
EXECUTOR: dg.ExecutorDefinition = dg.in_process_executor


def build_definitions(
    settings: LiveSettings,
    bots: tuple[BotSpec, ...] | None = None,
    bots_file: Path | None = None,
    *,
    monitor: MonitorSettings | None = None,
    targets: Targets | None = None,
    reports: ReportSettings | None = None,
    warehouse: WarehouseSettings | None = None,
) -> dg.Definitions:
    """Every asset, check, job, schedule, sensor and resource for ``settings`` and ``bots`` (None: one bot),
    with the alerting settings, the service-level targets, the reports' and the warehouse's settings (None:
    no alert URL, the built-in targets, reports in ``data/reports`` in the export's language, the DuckDB
    file). The DuckLake's maintenance job and schedule exist only on a DuckLake."""
    deployment = Deployment.build(settings, bots, bots_file)
    monitor, targets, reports = monitor or MonitorSettings(), targets or Targets(), reports or ReportSettings()
    checks, check_sensors = build_checks(deployment)
    checks.append(build_daily_targets_check(deployment.daily, targets=targets))
    jobs, schedules = build_automation(deployment)
    zones = {bot.name: bot.timezone for bot in bots} if bots else {}
    today = TodaySettings(
        report_dir=reports.report_dir,
        lang=reports.lang,
        refresh_minutes=settings.intraday_minutes,
        timezone=settings.timezone,
        bot_timezones=zones,
    )
    intraday = build_intraday_assets(
        deployment.per_bot,
        targets=targets,
        settings=monitor,
        default_bot=DEFAULT_BOT,
        today=today,
        report_urls=reports.report_urls,
    )
    report_assets = build_report_assets(
        deployment.daily,
        deployment.weekly,
        settings=reports,
        targets=targets,
        bot_timezones=zones or None,
        check_keys=[key for check in checks for key in check.check_keys],
        default_bot=DEFAULT_BOT,
        raw_mapping=raw_partition_mapping(deployment),
    )
    built = [*build_raw_assets(deployment), *build_kpi_assets(deployment), *intraday, *report_assets]
    custom = []
    if reports.custom_dir is not None:
        own = load_custom_reports(reports.custom_dir, warehouse_tables())
        cadences = {"daily": deployment.daily, "weekly": deployment.weekly, "monthly": deployment.monthly}
        custom = build_custom_report_assets(own, cadences, built, settings=reports, default_bot=DEFAULT_BOT)
    lake = (warehouse or WarehouseSettings()).backend is Backend.DUCKLAKE
    zone = settings.timezone if bots is None else bots[0].timezone
    maintenance = build_maintenance_defs(timezone=zone) if lake else dg.Definitions()
    core = dg.Definitions(
        assets=[*built, *custom],
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
    return dg.Definitions.merge(core, maintenance)


@dg.definitions
def defs() -> dg.Definitions:
    """The code location Dagster loads: the ``LIVE_*`` settings, the bots file and the targets file
    (``LIVE_BOTS_FILE``, ``LIVE_TARGETS_FILE``, or beside ``dagster.yaml``). Every setting is validated first
    (``live_assets.validation``, as the connection check does): a wrong one fails the load with one line per
    problem, naming the setting (and a file's line and key)."""
    env = read_environment()
    validate_settings(env)
    settings = load_settings(env)
    path = bots_file_path()
    bots = load_bots_file(path) if path else None
    targets = load_targets(targets_file_path(), known_bots=[bot.name for bot in bots] if bots else None)
    return build_definitions(
        settings,
        bots,
        path,
        monitor=MonitorSettings.from_env(os.environ),
        targets=targets,
        reports=ReportSettings.from_env(os.environ),
        warehouse=WarehouseSettings.from_env(os.environ),
    )
