"""Freshness with many bots: which partition each bot owes at an instant, and the check on a real instance.

The pure part (``expected_partitions``) is tested at chosen instants around the deadlines and across
zones. The check itself runs in a check-only job on an ephemeral Dagster instance (what the freshness
sensor launches), over stand-in bot x date assets with the KPI keys, after real materializations of
some of their partitions; then Dagster's freshness sensor, fed by the check's results, is evaluated.
The code location's own wiring (checks and sensor present with a bots file) is loaded in a child
process, since the bots file is read when ``live_assets.partitions`` is imported.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import dagster as dg
import pytest

from live_assets import clock
from live_assets.asset_checks.freshness import (
    FRESH_UNTIL_METADATA_KEY,
    build_bot_freshness_checks,
    build_freshness,
    expected_partitions,
    next_deadline,
)
from live_assets.bots import BotSpec
from live_assets.definitions import build_definitions
from live_assets.kpis.tables import Grain
from live_assets.partitions import by_bot, daily_partitions_for, date_dimension_settings, weekly_partitions_for
from live_assets.settings import LiveSettings, load_settings

UTC_BOT = BotSpec("alpha", "X", "UTC", dt.date(2026, 1, 1))
TOKYO_BOT = BotSpec("tokyo", "X", "Asia/Tokyo", dt.date(2026, 1, 1))
LA_BOT = BotSpec("la", "X", "America/Los_Angeles", dt.date(2026, 3, 5))  # its first day: a Thursday
ZONED_BOTS = (UTC_BOT, TOKYO_BOT, LA_BOT)


def dimensions(
    bots: tuple[BotSpec, ...],
) -> tuple[dg.TimeWindowPartitionsDefinition, dg.TimeWindowPartitionsDefinition]:
    """The daily and weekly date dimensions exactly as live_assets/partitions.py cuts them for ``bots``."""
    settings = date_dimension_settings(load_settings({}, dotenv=False), bots)
    return daily_partitions_for(settings), weekly_partitions_for(settings)


DAILY_CASES = [
    # (instant UTC, expected daily keys). The date dimension is cut in the first bot's zone (UTC).
    ("2026-03-05T02:59", {"alpha": "alpha|2026-03-03", "tokyo": "tokyo|2026-03-04"}),  # alpha's deadline not yet
    ("2026-03-05T03:00", {"alpha": "alpha|2026-03-04", "tokyo": "tokyo|2026-03-04"}),  # alpha's deadline passed
    # 03:30 in Tokyo on the 7th: Tokyo owes the 6th, which is not over in UTC: not a partition yet, not due.
    ("2026-03-06T18:30", {"alpha": "alpha|2026-03-05", "la": "la|2026-03-05"}),
    ("2026-03-06T10:59", {"alpha": "alpha|2026-03-05", "tokyo": "tokyo|2026-03-05"}),  # LA before 03:00 of the 6th
    ("2026-03-06T11:00", {"alpha": "alpha|2026-03-05", "tokyo": "tokyo|2026-03-05", "la": "la|2026-03-05"}),
]
WEEKLY_CASES = [
    ("2026-03-09T02:59", {"alpha": "alpha|2026-02-23", "tokyo": "tokyo|2026-03-02"}),  # Tokyo's Monday 11:59
    (
        "2026-03-09T03:00",
        {"alpha": "alpha|2026-03-02", "tokyo": "tokyo|2026-03-02"},
    ),  # LA: that week began before its first day
    ("2026-03-16T11:00", {"alpha": "alpha|2026-03-09", "tokyo": "tokyo|2026-03-09", "la": "la|2026-03-09"}),
]


@pytest.mark.parametrize(("instant", "expected"), DAILY_CASES)
def test_the_day_each_bot_owes(instant: str, expected: dict[str, str]) -> None:
    daily, _ = dimensions(ZONED_BOTS)
    now = dt.datetime.fromisoformat(instant).replace(tzinfo=dt.UTC)
    assert expected_partitions(ZONED_BOTS, Grain.DAILY, daily, now) == expected


@pytest.mark.parametrize(("instant", "expected"), WEEKLY_CASES)
def test_the_week_each_bot_owes(instant: str, expected: dict[str, str]) -> None:
    _, weekly = dimensions(ZONED_BOTS)
    now = dt.datetime.fromisoformat(instant).replace(tzinfo=dt.UTC)
    assert expected_partitions(ZONED_BOTS, Grain.WEEKLY, weekly, now) == expected


def test_a_passed_check_can_be_late_again_at_the_next_deadline_of_any_bot() -> None:
    now = dt.datetime(2026, 3, 5, 3, 0, tzinfo=dt.UTC)
    assert next_deadline(ZONED_BOTS, Grain.DAILY, now) == dt.datetime(2026, 3, 5, 11, 0, tzinfo=dt.UTC)  # LA 03:00
    assert next_deadline((UTC_BOT,), Grain.DAILY, now) == dt.datetime(2026, 3, 6, 3, 0, tzinfo=dt.UTC)
    assert next_deadline((UTC_BOT,), Grain.WEEKLY, now) == dt.datetime(2026, 3, 9, 3, 0, tzinfo=dt.UTC)


# The check on an instance. West of UTC only, so that every bot's yesterday is a partition whatever
# the wall clock says when the test runs (a bot east of the dimension's zone may owe nothing yet).
BOTS = (UTC_BOT, BotSpec("bravo", "X", "America/New_York", dt.date(2026, 1, 1)))
DAILY_BOTS = by_bot(BOTS, dimensions(BOTS)[0])
KEY = dg.AssetKey(["kpi", "sla_daily"])


@dg.asset(key=KEY, partitions_def=DAILY_BOTS)
def sla_daily() -> None:
    """A stand-in with the KPI's key and bot x date partitions: the check reads only the instance."""


CHECKS = build_bot_freshness_checks(BOTS, {Grain.DAILY: ([KEY], DAILY_BOTS)})
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    SENSOR = dg.build_sensor_for_freshness_checks(freshness_checks=CHECKS, name="kpi_freshness_sensor")
DEFS = dg.Definitions(
    assets=[sla_daily],
    asset_checks=CHECKS,
    sensors=[SENSOR],
    jobs=[dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*CHECKS))],
)


def evaluate(instance: dg.DagsterInstance) -> dg.AssetCheckEvaluation:
    result = DEFS.resolve_job_def("freshness").execute_in_process(instance=instance)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_check_names_each_late_bot_until_its_partition_is_materialized(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check runs at noon UTC of today (LIVE_TEST_NOW), past every bot's deadline: what it owes does
    # not change if the test runs across a deadline, and its next deadline is still ahead for the sensor.
    noon = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setenv(clock.TEST_NOW_VARIABLE, noon.isoformat())
    owed = expected_partitions(BOTS, Grain.DAILY, dimensions(BOTS)[0], noon)
    assert set(owed) == {"alpha", "bravo"}
    with dg.DagsterInstance.ephemeral() as instance:
        nothing = evaluate(instance)
        assert not nothing.passed and nothing.severity == dg.AssetCheckSeverity.WARN
        assert nothing.description == (
            f"late: alpha (partition {owed['alpha']} missing), bravo (partition {owed['bravo']} missing)"
        )

        # alpha's owed partition, and an older one of bravo's: bravo is still late.
        older = f"bravo|{dt.date(2026, 2, 2).isoformat()}"
        for key in (owed["alpha"], older):
            assert dg.materialize([sla_daily], partition_key=key, instance=instance).success
        one_late = evaluate(instance)
        assert not one_late.passed
        assert one_late.description == f"late: bravo (partition {owed['bravo']} missing)"
        assert one_late.metadata["late_bots"].value == ["bravo"]

        # Dagster's freshness sensor re-runs a failed check only once its asset was materialized again.
        context = dg.build_sensor_context(instance=instance, definitions=DEFS)
        assert isinstance(SENSOR(context), dg.SkipReason)
        assert dg.materialize([sla_daily], partition_key=owed["bravo"], instance=instance).success
        request = SENSOR(dg.build_sensor_context(instance=instance, definitions=DEFS))
        assert isinstance(request, dg.RunRequest)
        assert request.asset_check_keys == [dg.AssetCheckKey(KEY, "freshness_check")]

        fresh = evaluate(instance)
        assert fresh.passed, fresh.description
        assert fresh.metadata[FRESH_UNTIL_METADATA_KEY].value == next_deadline(BOTS, Grain.DAILY, noon).timestamp()
        # Passed and not overdue before that deadline: the sensor leaves it alone until then.
        assert isinstance(SENSOR(dg.build_sensor_context(instance=instance, definitions=DEFS)), dg.SkipReason)


def test_the_code_location_has_the_checks_and_their_sensor_with_a_bots_file() -> None:
    """One process builds a many-bot and a one-bot code location side by side (no settings at import)."""
    many = build_definitions(LiveSettings(), BOTS, Path("bots.yaml"))
    one = build_definitions(LiveSettings())
    for defs, bots in ((many, [bot.name for bot in BOTS]), (one, None)):
        defs.resolve_all_job_defs()
        checks = sorted(
            key.to_user_string()
            for c in defs.asset_checks or []
            for key in c.check_keys
            if key.name == "freshness_check"
        )
        kpis = ["kpi/agent_daily", "kpi/agent_weekly", "kpi/sla_daily", "kpi/sla_weekly"]
        assert checks == [f"{key}:freshness_check" for key in kpis]
        assert "kpi_freshness_sensor" in {s.name for s in defs.sensors or []}
        partitions = defs.get_repository_def().asset_graph.get(dg.AssetKey(["raw", "groups"])).partitions_def
        assert (partitions.get_partition_keys() if partitions else None) == bots


MONDAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize("hour", ["00:05", "03:00", "14:00", "23:55"])
def test_a_new_deployment_without_a_complete_week_says_no_data_yet(hour: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a bots file, a weekly KPI whose first week is not over is "no data yet", not a crash; the
    daily one owes yesterday from 03:00 and the day before until then (the pipeline's clock, fixed)."""
    now = dt.datetime.combine(MONDAY, dt.time.fromisoformat(hour), tzinfo=dt.UTC)
    monkeypatch.setenv(clock.TEST_NOW_VARIABLE, now.isoformat())
    weekly = dg.WeeklyPartitionsDefinition(start_date=MONDAY.isoformat(), day_offset=1)
    daily = dg.DailyPartitionsDefinition(start_date=(MONDAY - dt.timedelta(days=3)).isoformat())

    def stand_in(name: str, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
        @dg.asset(key=["kpi", name], partitions_def=partitions)
        def the_asset() -> None: ...

        return the_asset

    assets = [stand_in("sla_weekly", weekly), stand_in("agent_weekly", weekly), stand_in("sla_daily", daily),
              stand_in("agent_daily", daily)]  # fmt: skip
    checks, _ = build_freshness(None, "UTC", {Grain.WEEKLY: weekly, Grain.DAILY: daily})
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*assets, *checks], selection=dg.AssetSelection.checks(*checks), instance=instance, raise_on_error=False
        )
    assert result.success
    outcomes = {e.asset_key.path[-1]: (e.passed, e.description) for e in result.get_asset_check_evaluations()}
    no_data = (True, "no data yet: no weekly partition is complete by the deadline")
    assert outcomes["sla_weekly"] == outcomes["agent_weekly"] == no_data
    owed = MONDAY - dt.timedelta(days=1 if now.hour >= 3 else 2)
    assert outcomes["sla_daily"] == (False, f"partition {owed.isoformat()} is missing (late)")
