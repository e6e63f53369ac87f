"""Which bots and which days a run covers: the one answer shared by raw assets, KPI assets and checks.

A run covers one partition, or a range of them (a single-run backfill). With one bot (no bots file) the
keys are dates and the bot is ``LiveApiResource.bot``. With a bots file the keys are multi-partition
keys ``"<bot>|<date>"``, and a range is the product of a range of bots and a range of dates
(``MultiPartitionsDefinition.get_partition_keys_in_range``). A single-run backfill over several bots
and days is cut by Dagster into ranges that hold one value of whichever dimension has fewer keys
(``DefaultPartitionsSubset.get_partition_key_ranges``): one run per bot when the backfill spans at
least as many days as bots, else one run per day covering several bots. Either way the answer here is
a list of bots, each with its contiguous days, and each caller works through the bots one after the
other, so a run never has two requests in flight on one bot's token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from live_assets.client.windows import days_of_time_window
from live_assets.partitions import BOT_DIMENSION, BOTS, DATE_DIMENSION
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

    ``spans`` is empty for an unpartitioned asset (the agent and group lists): the whole list, per bot.
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


def bot_settings(live_api: LiveApiResource, bot: str) -> LiveSettings:
    """The settings of ``bot``: the bots file's entry, or the ``LIVE_*`` variables with no file."""
    if BOTS is None:
        return live_api.settings()
    for spec in BOTS:
        if spec.name == bot:
            return spec.settings()
    raise dg.Failure(description=f"bot {bot!r} is not in the bots file (reload the code location?)")


def _date_span(key: str, dates: dg.TimeWindowPartitionsDefinition, timezone: str) -> tuple[dt.date, dt.date]:
    window = dates.time_window_for_partition_key(key)
    return days_of_time_window(window.start, window.end, timezone)


def scope_of_keys(
    partitions_def: dg.PartitionsDefinition | None, partition_keys: Sequence[str], live_api: LiveApiResource
) -> list[BotScope]:
    """The bots of ``partition_keys`` in file order, each with its spans in date order (see the module docstring)."""
    if partitions_def is None:
        names = [live_api.bot] if BOTS is None else [spec.name for spec in BOTS]
        return [BotScope(name, bot_settings(live_api, name), ()) for name in names]
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        settings = live_api.settings()
        spans = [PartitionSpan(k, *_date_span(k, partitions_def, settings.timezone)) for k in partition_keys]
        return [BotScope(live_api.bot, settings, tuple(sorted(spans, key=lambda span: span.first_day)))]
    if not isinstance(partitions_def, dg.MultiPartitionsDefinition):
        raise TypeError(f"expected daily/weekly or bot x date partitions, got {partitions_def!r}")
    dates = partitions_def.get_partitions_def_for_dimension(DATE_DIMENSION)
    assert isinstance(dates, dg.TimeWindowPartitionsDefinition)
    by_bot: dict[str, list[PartitionSpan]] = {}
    for key in partition_keys:
        parts = partitions_def.get_partition_key_from_str(key).keys_by_dimension
        span = PartitionSpan(key, *_date_span(parts[DATE_DIMENSION], dates, dates.timezone))
        by_bot.setdefault(parts[BOT_DIMENSION], []).append(span)
    order = [spec.name for spec in BOTS or ()]
    bots = sorted(by_bot, key=lambda name: order.index(name) if name in order else len(order))
    return [
        BotScope(bot, bot_settings(live_api, bot), tuple(sorted(by_bot[bot], key=lambda s: s.first_day)))
        for bot in bots
    ]


def run_scope(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, live_api: LiveApiResource
) -> list[BotScope]:
    """The bots and days of this asset's or check's run: one partition, a backfill's range, or unpartitioned."""
    if isinstance(context, dg.AssetCheckExecutionContext):
        (spec,) = context.check_specs
        partitions_def = spec.partitions_def
    else:
        partitions_def = context.assets_def.partitions_def
    keys = list(context.partition_keys) if partitions_def is not None else []
    return scope_of_keys(partitions_def, keys, live_api)
