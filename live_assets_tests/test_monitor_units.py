"""The monitoring's settings and the simulator's degraded stretch."""

from __future__ import annotations

import datetime as dt

import pytest

from live_assets.monitor.settings import MonitorSettings
from live_assets.settings import SettingsError
from live_assets.simulator.config import Degradation
from live_assets.simulator.generate import generate_day
from live_assets.simulator.world import build_world

SLACK_LIKE = "slack://T0AAAAAAA/B0BBBBBBB/secretpartofthewebhook"


def test_alert_urls_are_secrets_and_a_bad_one_is_named_by_position_and_scheme() -> None:
    settings = MonitorSettings.from_env({"LIVE_ALERT_URLS": f"json://127.0.0.1:9/x  {SLACK_LIKE}"})
    assert len(settings.alert_urls) == 2 and SLACK_LIKE not in repr(settings)
    with pytest.raises(SettingsError) as caught:
        MonitorSettings.from_env({"LIVE_ALERT_URLS": "json://127.0.0.1:9/x nosuch://token-in-here"})
    assert "LIVE_ALERT_URLS: URL #2 (nosuch://)" in str(caught.value) and "token-in-here" not in str(caught.value)
    with pytest.raises(SettingsError, match="LIVE_DAGSTER_URL"):
        MonitorSettings.from_env({"LIVE_DAGSTER_URL": "dagster.local"})
    assert MonitorSettings.from_env({}) == MonitorSettings()


def test_the_degraded_stretch_waits_longer_and_loses_more_and_stays_deterministic() -> None:
    world = build_world(11, 12)
    day = dt.date(2026, 3, 4)
    stretch = Degradation(1, dt.time(9), dt.time(12), extra_wait_s=900)
    normal = generate_day(11, 101, world, day, 600)
    degraded = generate_day(11, 101, world, day, 600, stretch)
    assert degraded == generate_day(11, 101, world, day, 600, stretch)

    def inside(conversations: tuple) -> list:
        return [c for c in conversations if c.group_id == 1 and 9 <= c.queued.hour < 12]

    lost = [sum(c.status == "lost" for c in inside(x)) / len(inside(x)) for x in (normal, degraded)]
    waits = [sum(c.wait_time for c in inside(x)) / len(inside(x)) for x in (normal, degraded)]
    assert lost[1] > lost[0] + 0.3 and waits[1] > waits[0]
    before = [c for c in normal if c.queued.hour < 9]
    assert [c.body for c in degraded[: len(before)]] == [c.body for c in before]  # the day before it is unchanged
    with pytest.raises(ValueError, match="start < end"):
        Degradation(1, dt.time(12), dt.time(9))


def test_a_surge_adds_the_groups_chats_to_its_stretch_on_its_day_only() -> None:
    world = build_world(11, 12)
    day = dt.date(2026, 3, 4)
    surge = Degradation(1, dt.time(0), dt.time(2), extra_wait_s=900, surge_per_hour=60, surge_on=day)
    plain = Degradation(1, dt.time(0), dt.time(2), extra_wait_s=900)

    def night(conversations: tuple) -> int:
        return sum(c.group_id == 1 and c.queued.hour < 2 for c in conversations)

    assert (
        night(generate_day(11, 101, world, day, 600, surge))
        >= night(generate_day(11, 101, world, day, 600, plain)) + 100
    )
    other = day + dt.timedelta(days=1)
    assert generate_day(11, 101, world, other, 600, surge) == generate_day(11, 101, world, other, 600, plain)
