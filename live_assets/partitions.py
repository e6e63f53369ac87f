"""The partitions of every asset, defined once, in the bot's time zone from ``LIVE_START_DATE``.

A day's partition appears once the day is over (``end_offset=0``); the data of its last quarter
hour may still be arriving (CONTRACT.md §1), so the assets refuse a day until it is final and the
schedules run after that delay.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from live_assets.settings import LiveSettings, load_settings


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


SETTINGS = load_settings()
daily_partitions = daily_partitions_for(SETTINGS)
weekly_partitions = weekly_partitions_for(SETTINGS)
