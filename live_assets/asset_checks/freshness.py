"""Freshness: yesterday's KPIs exist by 03:00 (bot's time zone), last week's by Monday 03:00.

Why 03:00: a day is final 15 minutes after midnight (docs/api-contract.md §1); the daily raw job starts at
00:30; its retries (up to three, minutes apart) and the automation sensor's 30-second ticks normally
put the KPIs in place before 01:00. Two more hours absorb a slow API or a gateway outage without
crying wolf, and the check still fires before the working day starts.

Dagster's ``build_time_partition_freshness_checks`` asks the right question: at each deadline, does the
most recent complete partition (yesterday; last week on Mondays) have a materialization. It fails with
a ``CheckError`` while no partition is complete yet (a new deployment), so :func:`_single_freshness_check`
asks the same question and says "no data yet" there. Dagster's freshness sensor runs the checks at the
deadlines; it is on by default so that ``dagster dev`` evaluates them.

With many bots (a bots file) the KPIs are partitioned by bot x date, which that factory does not
support (it needs time-window partitions). :func:`build_bot_freshness_checks` asks the same question
per bot instead: at each evaluation, which ``<bot>|<date>`` partition is each bot's most recent
complete one (by the same deadlines, each in the bot's own zone), and is it materialized; the check
fails naming every bot that is late. Its results carry Dagster's ``dagster/fresh_until_timestamp``
(the next deadline of any bot), so Dagster's freshness sensor runs them at the deadlines exactly as
in the single-bot case.
"""

# No ``from __future__ import annotations`` here: Dagster compares the ``context`` annotation of a
# multi-asset check's function with its context classes as objects, and a string annotation is refused.
import datetime as dt
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

import dagster as dg

from live_assets import clock
from live_assets.bots import BotSpec
from live_assets.kpis.tables import KPI_TABLES, Grain
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION

# A day is due by 03:00 of the next day, a week by Monday 03:00 (bot's zone), written as crons for
# Dagster's own factory; ``latest_deadline`` computes the same instants for the per-bot check.
DEADLINE_TIME: Final = dt.time(3)
DAILY_DEADLINE_CRON: Final = "0 3 * * *"
WEEKLY_DEADLINE_CRON: Final = "0 3 * * 1"


def _keys(grain: Grain) -> list[dg.AssetKey]:
    return [dg.AssetKey(table.asset_key_path) for table in KPI_TABLES if table.grain is grain]


# Dagster 1.13 marks these factories superseded by ``FreshnessPolicy``. That policy only compares the
# time of the latest materialization with the deadline, so a backfill of an old day would pass it;
# the partition check asks the question we mean: does yesterday's partition exist.
# With many bots (``live_assets/bots.py``) the KPIs are partitioned by bot and date, which these factories
# do not support (they expect time-window partitions): build_bot_freshness_checks below then.
FRESHNESS_CHECK_NAME: Final = "freshness_check"  # the name Dagster's factory gives its checks
# Dagster's metadata key that its freshness sensor reads to know when a passed check can be late again.
FRESH_UNTIL_METADATA_KEY: Final = "dagster/fresh_until_timestamp"
DEADLINE_CRONS: Final[Mapping[Grain, str]] = {Grain.DAILY: DAILY_DEADLINE_CRON, Grain.WEEKLY: WEEKLY_DEADLINE_CRON}


def due_period(bot: BotSpec, grain: Grain, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first day of ``bot``'s most recent period that must be loaded by ``now``, and that deadline.

    The deadline is the latest tick of the grain's cron at or before ``now`` in the bot's zone: from
    03:00 the previous day is due, from Monday 03:00 the previous week (Monday to Sunday).
    """
    deadline = latest_deadline(grain, now, bot.timezone)
    return deadline.date() - _period(grain), deadline


def _period(grain: Grain) -> dt.timedelta:
    return dt.timedelta(days=1 if grain is Grain.DAILY else 7)


def latest_deadline(grain: Grain, now: dt.datetime, timezone: str) -> dt.datetime:
    """The latest 03:00 (daily) or Monday 03:00 (weekly) at or before ``now``, in ``timezone``."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.date() - (dt.timedelta(days=local.weekday()) if grain is Grain.WEEKLY else dt.timedelta())
    deadline = dt.datetime.combine(day, DEADLINE_TIME, tzinfo=ZoneInfo(timezone))
    return deadline if deadline <= local else deadline - _period(grain)


def expected_partitions(
    bots: Sequence[BotSpec], grain: Grain, dates: dg.TimeWindowPartitionsDefinition, now: dt.datetime
) -> dict[str, str]:
    """Bot -> the multi-partition key (``<bot>|<date>``) that must be materialized at ``now``.

    A bot whose due period starts before its own first day (``start_date``) has nothing due yet. A date
    key that the ``date`` dimension does not have yet at ``now`` (a bot further east than the zone the
    dimension is cut in: its yesterday is not over there) is not due either: it cannot be materialized.
    """
    with dg.partition_loading_context(effective_dt=now):
        last_key = dates.get_last_partition_key()
    first_key = dates.get_first_partition_key()
    expected: dict[str, str] = {}
    for bot in bots:
        first_day, _ = due_period(bot, grain, now)
        key = first_day.isoformat()
        if first_day < bot.start_date or first_key is None or last_key is None or not first_key <= key <= last_key:
            continue
        expected[bot.name] = str(dg.MultiPartitionKey({BOT_DIMENSION: bot.name, DATE_DIMENSION: key}))
    return expected


def next_deadline(bots: Sequence[BotSpec], grain: Grain, now: dt.datetime) -> dt.datetime:
    """The earliest deadline after ``now`` of any bot: when a check that passes now may fail again."""
    return min(latest_deadline(grain, now, bot.timezone) + _period(grain) for bot in bots)


def _date_dimension(partitions_def: dg.PartitionsDefinition) -> dg.TimeWindowPartitionsDefinition:
    assert isinstance(partitions_def, dg.MultiPartitionsDefinition)
    dates = partitions_def.get_partitions_def_for_dimension(DATE_DIMENSION)
    assert isinstance(dates, dg.TimeWindowPartitionsDefinition)
    return dates


def build_bot_freshness_checks(
    bots: Sequence[BotSpec],
    assets_by_grain: Mapping[Grain, tuple[Sequence[dg.AssetKey], dg.PartitionsDefinition]],
) -> list[dg.AssetChecksDefinition]:
    """One multi-asset check per grain: each asset's most recent complete partition, per bot, is materialized.

    ``assets_by_grain`` gives, per grain, the asset keys and their bot x date partitions. A check
    reads the instance (``get_materialized_partitions``) when it runs, so it needs no input and
    reads no table; it fails (severity WARN, as Dagster's own freshness checks) naming each late bot
    and its missing partition.
    """
    checks: list[dg.AssetChecksDefinition] = []
    for grain, (keys, partitions_def) in assets_by_grain.items():
        dates = _date_dimension(partitions_def)
        specs = [
            dg.AssetCheckSpec(
                FRESHNESS_CHECK_NAME,
                asset=key,
                description=f"Each bot's latest complete {grain.value} partition is materialized by its "
                f"deadline ({DEADLINE_CRONS[grain]}, in the bot's zone).",
            )
            for key in keys
        ]
        checks.append(_bot_freshness_check(f"kpi_{grain.value}_freshness_by_bot", specs, bots, grain, dates))
    return checks


def _result(
    check_key: dg.AssetCheckKey, passed: bool, description: str, metadata: dict[str, Any]
) -> dg.AssetCheckResult:
    """A freshness result: a warning when late, as Dagster's own freshness checks."""
    return dg.AssetCheckResult(
        passed=passed,
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def _bot_freshness_check(
    name: str,
    specs: Sequence[dg.AssetCheckSpec],
    bots: Sequence[BotSpec],
    grain: Grain,
    dates: dg.TimeWindowPartitionsDefinition,
) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(specs=specs, name=name, can_subset=True)
    def the_check(context: dg.AssetCheckExecutionContext) -> Iterable[dg.AssetCheckResult]:
        now = clock.now()
        expected = expected_partitions(bots, grain, dates, now)
        fresh_until = next_deadline(bots, grain, now).timestamp()
        for check_key in context.selected_asset_check_keys:
            materialized = context.instance.get_materialized_partitions(check_key.asset_key)
            late = {bot: key for bot, key in expected.items() if key not in materialized}
            metadata: dict[str, dg.RawMetadataValue] = {
                "expected_partitions": dg.MetadataValue.json(dict(expected)),
                "late_bots": dg.MetadataValue.json(sorted(late)),
            }
            if late:
                description = "late: " + ", ".join(f"{bot} (partition {key} missing)" for bot, key in late.items())
            else:
                metadata[FRESH_UNTIL_METADATA_KEY] = dg.MetadataValue.timestamp(fresh_until)
                description = f"every bot's latest complete {grain.value} partition is materialized" + (
                    "" if expected else " (none due yet)"
                )
            yield _result(check_key, not late, description, metadata)

    return the_check


def _single_freshness_check(
    grain: Grain, keys: Sequence[dg.AssetKey], partitions: dg.PartitionsDefinition, timezone: str
) -> dg.AssetChecksDefinition:
    """Without a bots file: the latest complete partition at the latest deadline is materialized.

    What ``build_time_partition_freshness_checks`` asks, except that a partitions definition with no
    complete period yet at the deadline (a deployment whose first week is not over) says "no data yet"
    and passes: Dagster 1.13's factory fails there with ``CheckError: Expected non-None value: None``
    (its ``check.not_none`` on the last partition window).
    """
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    specs = [
        dg.AssetCheckSpec(
            FRESHNESS_CHECK_NAME,
            asset=key,
            description=f"The latest complete {grain.value} partition is materialized by its deadline "
            f"({DEADLINE_CRONS[grain]}, {timezone}).",
        )
        for key in keys
    ]

    @dg.multi_asset_check(specs=specs, name=f"kpi_{grain.value}_freshness", can_subset=True)
    def the_check(context: dg.AssetCheckExecutionContext) -> Iterable[dg.AssetCheckResult]:
        now = clock.now()
        deadline = latest_deadline(grain, now, timezone)
        with dg.partition_loading_context(effective_dt=deadline):
            window = partitions.get_last_partition_window()
        fresh_until = (deadline + _period(grain)).timestamp()
        expected = None if window is None else partitions.get_partition_key_range_for_time_window(window).start
        for check_key in context.selected_asset_check_keys:
            metadata: dict[str, dg.RawMetadataValue] = {"deadline": dg.MetadataValue.timestamp(deadline.timestamp())}
            if expected is None:
                passed, description = True, f"no data yet: no {grain.value} partition is complete by the deadline"
            else:
                passed = expected in context.instance.get_materialized_partitions(check_key.asset_key)
                metadata["expected_partition"] = expected
                description = f"partition {expected} " + ("is materialized" if passed else "is missing (late)")
            if passed:
                metadata[FRESH_UNTIL_METADATA_KEY] = dg.MetadataValue.timestamp(fresh_until)
            yield _result(check_key, passed, description, metadata)

    return the_check


def build_freshness(
    bots: Sequence[BotSpec] | None, timezone: str, partitions_by_grain: Mapping[Grain, dg.PartitionsDefinition]
) -> tuple[list[dg.AssetChecksDefinition], dg.SensorDefinition]:
    """The KPI freshness checks (per bot with a bots file, else Dagster's own) and the sensor that runs them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        if bots is not None:
            checks = build_bot_freshness_checks(
                bots, {grain: (_keys(grain), partitions) for grain, partitions in partitions_by_grain.items()}
            )
        else:
            checks = [
                _single_freshness_check(grain, _keys(grain), partitions, timezone)
                for grain, partitions in partitions_by_grain.items()
            ]
        sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name="kpi_freshness_sensor", default_status=dg.DefaultSensorStatus.RUNNING
        )
    return checks, sensor
