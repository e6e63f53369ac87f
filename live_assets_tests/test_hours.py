"""The pipeline at any hour of the bot's day: 00:05, 03:00, 14:00 and 23:55, on an ordinary day and on the
two days of the year when the zone's clock changes (daylight saving time).

The pipeline's clock is fixed with ``LIVE_TEST_NOW`` (``live_assets/clock.py``) and the simulator's with
``SimulatorConfig.now``, at the same instant. At each one the time-sensitive parts run as they do in
production, and the test asserts what must hold at that hour:

- today's refresh (``raw/conversations_today`` then ``kpi/sla_intraday``, through Dagster over HTTP) holds
  exactly the conversations the API shows at that instant, all of the bot's local day, and figures of that
  day only, up to that time;
- day completeness: the last complete day, and which days the raw assets accept as final;
- the per-bot freshness checks' due day (yesterday from 03:00, the day before until then);
- the demo's degraded stretch of today, which must lie inside the day and around the hour.

Europe/Berlin is ahead of UTC (at 00:05 its UTC date is still yesterday), America/New_York behind it (at
23:55 its UTC date is already tomorrow): a "today" taken from the UTC date would show at those hours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from live_assets import clock
from live_assets.asset_checks.freshness import due_period
from live_assets.backfill.days import last_complete_day
from live_assets.bots import BotSpec
from live_assets.devtools.demo.today import degraded_stretch
from live_assets.kpis.tables import SLA_INTRADAY, Grain
from live_assets.raw.assets import ensure_final
from live_assets.simulator import SimulatorServer
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS
from live_assets_tests.pipeline import PipelineEnv, simulator_env

HOURS = (dt.time(0, 5), dt.time(3), dt.time(14), dt.time(23, 55))
DAYS = (
    pytest.param("America/New_York", dt.date(2026, 6, 10), id="ordinary-new-york"),
    # 02:00 CET becomes 03:00 CEST: a day of 23 hours.
    pytest.param("Europe/Berlin", dt.date(2026, 3, 29), id="spring-forward-berlin"),
    # 02:00 EDT becomes 01:00 EST: a day of 25 hours.
    pytest.param("America/New_York", dt.date(2026, 11, 1), id="fall-back-new-york"),
)
TODAY_KEY = dg.AssetKey(["raw", "conversations_today"])
INTRADAY_KEY = dg.AssetKey(SLA_INTRADAY.asset_key_path)


def local_instant(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    instant = dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    assert instant.astimezone(dt.UTC).astimezone(ZoneInfo(zone)).time() == at, f"{at} does not exist on {day}"
    return instant


@pytest.fixture(params=HOURS, ids=lambda at: at.strftime("%H%M"))
def hour(request: pytest.FixtureRequest) -> dt.time:
    return request.param


@pytest.mark.parametrize(("zone", "day"), DAYS)
def test_the_clock_of_the_pipeline_is_the_bots_at_any_hour(
    zone: str, day: dt.date, hour: dt.time, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant = local_instant(day, hour, zone)
    monkeypatch.setenv(clock.TEST_NOW_VARIABLE, instant.astimezone(dt.UTC).isoformat())
    assert clock.now(ZoneInfo(zone)) == instant
    yesterday, before = day - dt.timedelta(days=1), day - dt.timedelta(days=2)
    lag_over = hour >= dt.time(0, 15)  # yesterday is final 15 minutes after midnight (contract.DATA_LAG)

    # Day completeness, by the pure rule and by the raw assets' guard (which reads the clock).
    assert last_complete_day(clock.now(), zone) == (yesterday if lag_over else before)
    with pytest.raises(dg.Failure, match=f"{day} is not final yet"):
        ensure_final(day, zone)
    if lag_over:
        ensure_final(yesterday, zone)
    else:
        with pytest.raises(dg.Failure, match=f"{yesterday} is not final yet"):
            ensure_final(yesterday, zone)

    # The freshness checks want yesterday from 03:00 of the bot's day, the day before until then.
    due, deadline = due_period(BotSpec("b", "X", zone, dt.date(2026, 1, 1)), Grain.DAILY, clock.now())
    assert due == (yesterday if hour >= dt.time(3) else before)
    assert deadline.astimezone(ZoneInfo(zone)).time() == dt.time(3)

    # The demo's degraded stretch of today: inside the day, and around the hour.
    stretch = degraded_stretch(clock.now(ZoneInfo(zone)))
    assert dt.time(0) <= stretch.start <= hour <= stretch.end <= dt.time(23, 59, 59)


@pytest.mark.parametrize(("zone", "day"), DAYS)
def test_todays_refresh_holds_the_day_so_far_of_the_bots_day(
    zone: str, day: dt.date, hour: dt.time, make_simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant = local_instant(day, hour, zone)
    sim: SimulatorServer = make_simulator(timezone=zone, now=instant)
    env = simulator_env(sim.base_url, tmp_path, LIVE_TIMEZONE=zone, LIVE_TEST_NOW=instant.isoformat())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pipeline = PipelineEnv(sim, tmp_path)

    result = dg.materialize(
        [*RAW_ASSETS, *KPI_ASSETS], selection=[TODAY_KEY, INTRADAY_KEY], resources=pipeline.resources()
    )
    assert result.success

    warehouse = Warehouse(tmp_path / "live.duckdb")
    shown = {c["conversation_id"] for c in sim.conversations(day)}
    held = warehouse.query("SELECT conversation_id, _partition_day FROM raw.conversations_today")
    assert {conversation_id for conversation_id, _ in held} == shown
    assert {partition_day for _, partition_day in held} <= {day}
    if hour >= dt.time(14):
        assert len(shown) > 0, "a simulated day has conversations by the afternoon"

    figures = warehouse.query("SELECT day, bucket_start, bucket_end, offered FROM kpi.sla_intraday")
    assert bool(figures) == bool(shown)
    wall = instant.replace(tzinfo=None)
    for figure_day, start, end, _ in figures:
        assert figure_day == day and dt.datetime.combine(day, dt.time()) <= start < end
        assert end <= wall + dt.timedelta(minutes=30), f"figures up to {end}, at {wall}"
    (materialization,) = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == INTRADAY_KEY
    ]
    if shown:
        assert materialization.metadata["day"].value == day.isoformat()


def test_the_test_clock_is_the_machines_unless_set_and_refuses_a_time_without_its_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clock.TEST_NOW_VARIABLE, raising=False)
    before = dt.datetime.now(dt.UTC)
    assert before <= clock.now() <= dt.datetime.now(dt.UTC)
    monkeypatch.setenv(clock.TEST_NOW_VARIABLE, "2026-03-29T00:05:00+01:00")
    assert clock.now() == dt.datetime(2026, 3, 28, 23, 5, tzinfo=dt.UTC)
    assert clock.now(ZoneInfo("Europe/Berlin")).date() == dt.date(2026, 3, 29)
    for bad, why in (("2026-03-29T00:05:00", "UTC offset"), ("at five past midnight", "ISO 8601")):
        monkeypatch.setenv(clock.TEST_NOW_VARIABLE, bad)
        with pytest.raises(ValueError, match=f"LIVE_TEST_NOW must .*{why}"):
            clock.now()
