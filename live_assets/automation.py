"""Jobs and schedules: the recent days once final, the previous week, the lists, today every few minutes.

Schedules run in the bot's time zone (with a bots file, the ``date`` dimension's), after midnight: a
day's last conversations can appear up to 15 minutes after they end (docs/api-contract.md §1), and
the assets refuse a day before that. The daily schedule also re-reads the ``LIVE_LOOKBACK_DAYS``
before it (a chat that ends after midnight, a survey answered later, a vendor correction): the window
replace makes that idempotent. Every schedule asks one run per bot and starts
running with the code location unless ``LIVE_SCHEDULES_STOPPED`` is set. KPI assets follow their raw
inputs by declarative automation, so no schedule names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import dagster as dg

from live_assets.deployment import Deployment
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION, PRIORITY_TAG, RANGE_END_TAG, RANGE_START_TAG
from live_assets.raw.assets import RAW_GROUP, RawStep, step_of
from live_assets.raw.endpoints import ENDPOINTS

SCHEDULE_MINUTE = 30
Requests = Callable[[dg.ScheduleEvaluationContext], Iterator[dg.RunRequest]]
# Run-queue priority (Dagster's ``dagster/priority``): today's refresh starts before queued backfill runs
# when the queue is full; at the API, its client goes first at the token lock (``first_in_line``).
INTRADAY_PRIORITY = "10"


def _keys(*steps: RawStep) -> list[dg.AssetKey]:
    return [dg.AssetKey(spec.asset_key_path) for spec in ENDPOINTS if step_of(spec) in steps]


def _key(deployment: Deployment, bot: str, date_key: str) -> str:
    if deployment.bots is None:
        return date_key
    return str(dg.MultiPartitionKey({BOT_DIMENSION: bot, DATE_DIMENSION: date_key}))


def range_requests(deployment: Deployment, first: dt.date, last: dt.date, key_format: str) -> Iterator[dg.RunRequest]:
    """One run per bot over ``first..last`` (range tags, as a backfill's run has)."""
    for bot in deployment.bot_names:
        start, end = (_key(deployment, bot, day.strftime(key_format)) for day in (first, last))
        tags = {RANGE_START_TAG: start, RANGE_END_TAG: end}
        yield dg.RunRequest(run_key=f"{bot}:{start}..{end}", tags=tags)


def per_bot_requests(
    deployment: Deployment, run_key: str, tags: dict[str, str] | None = None
) -> Iterator[dg.RunRequest]:
    """One run per bot of an asset without dates (partitioned by bot with a bots file)."""
    if deployment.per_bot is None:
        yield dg.RunRequest(run_key=run_key, tags=tags or {})
        return
    for bot in deployment.bot_names:
        yield dg.RunRequest(run_key=f"{bot}:{run_key}", partition_key=bot, tags=tags or {})


def build_automation(
    deployment: Deployment,
) -> tuple[list[dg.UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    settings = deployment.settings
    zone = deployment.settings.timezone if deployment.bots is None else deployment.bots[0].timezone
    status = dg.DefaultScheduleStatus.STOPPED if settings.schedules_stopped else dg.DefaultScheduleStatus.RUNNING

    daily_job = dg.define_asset_job(
        "live_daily_raw",
        selection=dg.AssetSelection.assets(*_keys(RawStep.DAILY, RawStep.DETAILS)),
        partitions_def=deployment.daily,
        description=f"Every daily raw asset of group {RAW_GROUP}: the previous day and the days before it.",
    )
    weekly_job = dg.define_asset_job(
        "live_weekly_raw",
        selection=dg.AssetSelection.assets(*_keys(RawStep.WEEKLY)),
        partitions_def=deployment.weekly,
        description="The weekly raw assets for the previous week (Monday to Sunday).",
    )
    lists_job = dg.define_asset_job(
        "live_dimensions",
        selection=dg.AssetSelection.assets(*_keys(RawStep.LISTS)),
        partitions_def=deployment.per_bot,
        description="Refresh the agent and group lists.",
    )
    intraday_job = dg.define_asset_job(
        "live_intraday",
        selection=dg.AssetSelection.assets(*_keys(RawStep.TODAY)).downstream(),
        partitions_def=deployment.per_bot,
        description="Today's conversations so far, and what follows from them (today's service level, alerts).",
    )

    def daily(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        yesterday = _local_date(context, zone) - dt.timedelta(days=1)
        first = max(yesterday - dt.timedelta(days=settings.lookback_days), settings.start_date)
        yield from range_requests(deployment, first, yesterday, "%Y-%m-%d")

    def weekly(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        monday = _local_date(context, zone) - dt.timedelta(days=7)
        yield from range_requests(deployment, monday, monday, "%Y-%m-%d")

    def lists(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        yield from per_bot_requests(deployment, _local_date(context, zone).isoformat())

    def intraday(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else "now"
        yield from per_bot_requests(deployment, tick, {PRIORITY_TAG: INTRADAY_PRIORITY})

    table: list[tuple[str, dg.UnresolvedAssetJobDefinition, str, str, Requests]] = [
        ("live_daily_raw_schedule", daily_job, f"{SCHEDULE_MINUTE} 0 * * *",
         f"The previous day and the {settings.lookback_days} before it (LIVE_LOOKBACK_DAYS), once final.", daily),
        ("live_weekly_raw_schedule", weekly_job, f"{SCHEDULE_MINUTE} 0 * * 1",
         "The previous week (Monday to Sunday), on Mondays once it is final.", weekly),
        ("live_dimensions_schedule", lists_job, f"{SCHEDULE_MINUTE - 10} 0 * * *",
         "The agent and group lists, every day.", lists),
        ("live_intraday_schedule", intraday_job, f"*/{settings.intraday_minutes} * * * *",
         f"Today so far, every {settings.intraday_minutes} minutes (LIVE_INTRADAY_MINUTES).", intraday),
    ]  # fmt: skip
    schedules = [
        dg.ScheduleDefinition(
            name=name,
            job=job,
            cron_schedule=cron,
            execution_timezone=zone,
            default_status=status,
            description=description,
            execution_fn=requests,
        )
        for name, job, cron, description, requests in table
    ]
    return [daily_job, weekly_job, lists_job, intraday_job], schedules


def _local_date(context: dg.ScheduleEvaluationContext, zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    moment = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo(zone)).date()
