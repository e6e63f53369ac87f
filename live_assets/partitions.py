"""How the partitions of every asset are cut, in the bot's time zone from ``LIVE_START_DATE``.

With a bots file (``live_assets/bots.py``) the partitions become two-dimensional: a static ``bot``
dimension (the file's bot names) times the ``date`` dimension (daily, or weekly for the weekly
assets), so that the UI backfills one bot, several or all, and shows the partition status per bot.
Without one, they are the plain daily and weekly partitions. ``live_assets.deployment.Deployment``
builds them once per code location from these functions.

A day's partition appears once the day is over (``end_offset=0``); the data of its last quarter
hour may still be arriving (docs/api-contract.md §1), so the assets refuse a day until it is final and the
schedules run after that delay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg

from live_assets.bots import BotSpec
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION
from live_assets.settings import LiveSettings


def first_monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def daily_partitions_for(settings: LiveSettings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=settings.start_date.isoformat(), timezone=settings.timezone, end_offset=0
    )


def weekly_partitions_for(settings: LiveSettings) -> dg.WeeklyPartitionsDefinition:
    # day_offset=1: weeks start on Monday, as the API's WEEK buckets do.
    return dg.WeeklyPartitionsDefinition(
        start_date=first_monday_on_or_after(settings.start_date).isoformat(),
        timezone=settings.timezone,
        day_offset=1,
        end_offset=0,
    )


def monthly_partitions_for(settings: LiveSettings) -> dg.MonthlyPartitionsDefinition:
    """Calendar months, from the month of ``LIVE_START_DATE`` (the reports of the user's own that ask for it)."""
    return dg.MonthlyPartitionsDefinition(
        start_date=settings.start_date.replace(day=1).isoformat(), timezone=settings.timezone, end_offset=0
    )


def date_dimension_settings(settings: LiveSettings, bots: tuple[BotSpec, ...]) -> LiveSettings:
    """The calendar the ``date`` dimension follows with many bots: the first bot's zone, the earliest first day.

    A date key means the same calendar day for every bot, each read in the bot's own zone; a day not yet
    final for a bot further west is refused by that bot's step until it is (``ensure_final``), and days
    before a bot's own first day hold no rows for it (the API has none).
    """
    return dataclasses.replace(settings, timezone=bots[0].timezone, start_date=min(bot.start_date for bot in bots))


def by_bot(bots: tuple[BotSpec, ...], dates: dg.TimeWindowPartitionsDefinition) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {BOT_DIMENSION: dg.StaticPartitionsDefinition([bot.name for bot in bots]), DATE_DIMENSION: dates}
    )
