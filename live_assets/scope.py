"""Which bots and which days a run covers: the one answer shared by raw assets, KPI assets and checks.

A run covers one partition, or a range of them (a backfill's run). With one bot (no bots file) the
keys are dates and the bot is ``LiveApiResource.bot``. With a bots file the keys are multi-partition
keys ``"<bot>|<date>"`` (or bot names, for the assets without dates), and a range is the product of a
range of bots and a range of dates (``MultiPartitionsDefinition.get_partition_keys_in_range``). Dagster
cuts a backfill over several bots and days into ranges that hold one value of whichever dimension has
fewer keys (``DefaultPartitionsSubset.get_partition_key_ranges``): one run per bot when the backfill
spans more days than bots, else one run per day covering several bots. Either way the answer here is
a list of bots, each with its contiguous days, and each caller works through the bots one after the
other, so a run never has two requests in flight on one bot's token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from live_assets.client.windows import days_of_time_window
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION
from live_assets.resources import LiveApiResource
from live_assets.settings import LiveSettings


@dataclass(frozen=True)
class PartitionSpan:
    """One partition key of the run and the local days it covers (one day, or a Monday..Sunday week)."""

    key: str
    first_day: dt.date
    last_day: dt.date

    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


@dataclass(frozen=True)
class BotScope:
    """One bot of the run, its settings (secrets read now, in the run's process) and its partitions.

    ``spans`` is empty for an asset without dates (the agent and group lists): the whole list, per bot.
    """

    bot: str
    settings: LiveSettings
    spans: tuple[PartitionSpan, ...]

    @property
    def first_day(self) -> dt.date | None:
        return self.spans[0].first_day if self.spans else None

    @property
    def last_day(self) -> dt.date | None:
        return self.spans[-1].last_day if self.spans else None


def _date_span(key: str, dates: dg.TimeWindowPartitionsDefinition, timezone: str) -> tuple[dt.date, dt.date]:
    window = dates.time_window_for_partition_key(key)
    return days_of_time_window(window.start, window.end, timezone)


def scope_of_keys(
    partitions_def: dg.PartitionsDefinition | None, partition_keys: Sequence[str], live_api: LiveApiResource
) -> list[BotScope]:
    """The bots of ``partition_keys`` in the bot dimension's order, each with its spans in date order."""
    if partitions_def is None:
        return [BotScope(live_api.bot, live_api.settings_for(live_api.bot), ())]
    if isinstance(partitions_def, dg.StaticPartitionsDefinition):  # by bot alone: the lists, today's refresh
        order = partitions_def.get_partition_keys()
        return [BotScope(bot, live_api.settings_for(bot), ()) for bot in sorted(partition_keys, key=order.index)]
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        settings = live_api.settings_for(live_api.bot)
        spans = [PartitionSpan(k, *_date_span(k, partitions_def, settings.timezone)) for k in partition_keys]
        return [BotScope(live_api.bot, settings, tuple(sorted(spans, key=lambda span: span.first_day)))]
    if not isinstance(partitions_def, dg.MultiPartitionsDefinition):
        raise TypeError(f"expected daily/weekly, bot, or bot x date partitions, got {partitions_def!r}")
    dates = partitions_def.get_partitions_def_for_dimension(DATE_DIMENSION)
    assert isinstance(dates, dg.TimeWindowPartitionsDefinition)
    by_bot: dict[str, list[PartitionSpan]] = {}
    for key in partition_keys:
        parts = partitions_def.get_partition_key_from_str(key).keys_by_dimension
        span = PartitionSpan(key, *_date_span(parts[DATE_DIMENSION], dates, dates.timezone))
        by_bot.setdefault(parts[BOT_DIMENSION], []).append(span)
    order = list(partitions_def.get_partitions_def_for_dimension(BOT_DIMENSION).get_partition_keys())
    bots = sorted(by_bot, key=lambda name: order.index(name) if name in order else len(order))
    return [
        BotScope(bot, live_api.settings_for(bot), tuple(sorted(by_bot[bot], key=lambda s: s.first_day))) for bot in bots
    ]


def run_scope(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, live_api: LiveApiResource
) -> list[BotScope]:
    """The bots and days of this step's run: one partition, a backfill's range, or unpartitioned."""
    if isinstance(context, dg.AssetCheckExecutionContext):
        partitions_def = context.check_specs[0].partitions_def
    else:
        partitions_def = context.assets_def.partitions_def
    keys = list(context.partition_keys) if partitions_def is not None else []
    return scope_of_keys(partitions_def, keys, live_api)
