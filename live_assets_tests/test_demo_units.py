"""The demo's pure parts: which days are complete, which partitions a range covers, the backfill plan,
checked without Dagster or a simulator (the report's: test_report_units.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from live_assets.backfill.check_outcomes import CheckExecution, CheckSummary, parse_executions
from live_assets.backfill.days import (
    DayRange,
    cadence_days,
    last_complete_day,
    last_complete_days,
    partitions_inside,
    zone_at_local_hour,
)
from live_assets.backfill.submit import (
    BackfillError,
    parse_assets,
    parse_progress,
    parse_selection,
    plan_backfill,
    select_assets,
)
from live_assets.devtools.demo import today

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"


def at(text: str, zone: str = "UTC") -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


# --- complete days ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-25 00:14:59", "2026-11-23"),  # yesterday's last conversations may still arrive
        ("2026-11-25 00:15:00", "2026-11-24"),  # 15 minutes after midnight: yesterday is final
        ("2026-11-25 23:59:59", "2026-11-24"),
        ("2026-01-01 00:20:00", "2025-12-31"),
    ],
)
def test_a_day_is_complete_fifteen_minutes_after_it_ends(now: str, expected: str) -> None:
    assert last_complete_day(at(now), "UTC") == dt.date.fromisoformat(expected)


def test_complete_days_are_counted_in_the_bots_zone_not_the_machines() -> None:
    # 23:30 UTC on the 24th is already 00:30 on the 25th in Madrid: the 24th is complete there.
    now = at("2026-11-24 23:30:00")
    assert last_complete_day(now, "UTC") == dt.date(2026, 11, 23)
    assert last_complete_day(now, "Europe/Madrid") == dt.date(2026, 11, 24)
    # And at 10:00 in Sao Paulo it is 13:00 UTC: the same answer as UTC's.
    assert last_complete_day(at("2026-11-25 10:00:00", "America/Sao_Paulo"), "America/Sao_Paulo") == dt.date(
        2026, 11, 24
    )


def test_complete_days_across_a_dst_change() -> None:
    # Europe/Madrid leaves summer time on 2026-10-25 (a 25-hour day); 00:16 local on the 26th is final.
    assert last_complete_day(at("2026-10-26 00:16:00", "Europe/Madrid"), "Europe/Madrid") == dt.date(2026, 10, 25)
    assert last_complete_day(at("2026-10-26 00:14:00", "Europe/Madrid"), "Europe/Madrid") == dt.date(2026, 10, 24)


def test_last_n_complete_days() -> None:
    days = last_complete_days(14, at("2026-11-25 09:00:00"), "UTC")
    assert (days.first, days.last, days.days) == (dt.date(2026, 11, 11), dt.date(2026, 11, 24), 14)
    assert list(last_complete_days(1, at("2026-11-25 09:00:00"), "UTC")) == [dt.date(2026, 11, 24)]


def test_last_n_complete_days_stop_at_the_start_date() -> None:
    days = last_complete_days(14, at("2026-11-25 09:00:00"), "UTC", start_date=dt.date(2026, 11, 20))
    assert (days.first, days.last) == (dt.date(2026, 11, 20), dt.date(2026, 11, 24))
    with pytest.raises(ValueError, match="no complete day"):
        last_complete_days(3, at("2026-11-25 09:00:00"), "UTC", start_date=dt.date(2026, 11, 25))
    with pytest.raises(ValueError, match="at least 1"):
        last_complete_days(0, at("2026-11-25 09:00:00"), "UTC")
    with pytest.raises(ValueError, match="aware"):
        last_complete_day(dt.datetime(2026, 11, 25), "UTC")


# --- partitions of a range -------------------------------------------------------------------------
def daily_keys(first: str, last: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def weekly_keys(first_monday: str, weeks: int) -> list[str]:
    start = dt.date.fromisoformat(first_monday)
    return [(start + dt.timedelta(weeks=n)).isoformat() for n in range(weeks)]


def test_daily_partitions_inside_a_range_are_its_days() -> None:
    keys = daily_keys("2026-01-01", "2026-11-24")
    days = DayRange(dt.date(2026, 11, 11), dt.date(2026, 11, 24))
    assert partitions_inside(keys, days) == daily_keys("2026-11-11", "2026-11-24")
    assert partitions_inside(keys, days, width_days=1) == daily_keys("2026-11-11", "2026-11-24")


def test_weekly_partitions_inside_a_range_are_only_whole_weeks() -> None:
    keys = weekly_keys("2026-01-05", 46)  # Mondays up to 2026-11-16 (the week ending Sunday 22nd)
    wednesday_to_tuesday = DayRange(dt.date(2026, 11, 11), dt.date(2026, 11, 24))
    assert partitions_inside(keys, wednesday_to_tuesday, width_days=7) == ["2026-11-16"]
    two_whole_weeks = DayRange(dt.date(2026, 11, 9), dt.date(2026, 11, 22))
    assert partitions_inside(keys, two_whole_weeks, width_days=7) == ["2026-11-09", "2026-11-16"]
    # Without the cadence, the width is read from the spacing of the keys: the same answer.
    assert partitions_inside(keys, two_whole_weeks) == ["2026-11-09", "2026-11-16"]
    assert partitions_inside(keys, DayRange(dt.date(2026, 11, 23), dt.date(2026, 11, 24)), width_days=7) == []


def test_partition_widths() -> None:
    assert cadence_days("Daily, starting 2025-01-01 UTC.") == 1
    assert cadence_days("Weekly, starting 2025-01-06 Europe/Madrid.") == 7
    assert cadence_days("0 * * * *, starting 2025-01-01 UTC.") is None
    with pytest.raises(ValueError, match="cannot tell"):
        partitions_inside(["2026-11-16"], DayRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    with pytest.raises(ValueError, match="increasing"):
        partitions_inside(["2026-11-17", "2026-11-16"], DayRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))


# --- the backfill plan -----------------------------------------------------------------------------
DAILY = "Daily, starting 2026-01-01 UTC."
WEEKLY = "Weekly, starting 2026-01-05 UTC."


def asset_nodes() -> list[dict]:
    def node(path: list[str], group: str, description: str | None, keys: list[str], checks: tuple[str, ...] = ()):
        return {
            "assetKey": {"path": path},
            "groupName": group,
            "kinds": ["duckdb"],
            "isMaterializable": True,
            "isPartitioned": description is not None,
            "partitionDefinition": {"type": "TIME_WINDOW", "description": description} if description else None,
            "partitionKeys": keys,
            "assetChecksOrError": {"__typename": "AssetChecks", "checks": [{"name": c} for c in checks]},
        }

    days, weeks = daily_keys("2026-01-01", "2026-11-24"), weekly_keys("2026-01-05", 46)
    return [
        node(["raw", "conversations"], "live_raw", DAILY, days, ("conversation_id_unique",)),
        node(["raw", "summary_weekly"], "live_raw", WEEKLY, weeks),
        node(["raw", "agents"], "live_raw", None, []),
        node(["kpi", "sla_daily"], "live_kpis", DAILY, days),
        node(["kpi", "sla_weekly"], "live_kpis", WEEKLY, weeks),
    ]


def test_the_plan_gives_each_asset_the_partitions_of_the_range_that_fit_it() -> None:
    assets = parse_assets(asset_nodes())
    plan = plan_backfill(assets, DayRange(dt.date(2026, 11, 11), dt.date(2026, 11, 24)))
    by_path = {t.asset.path: t for t in plan.targets}
    assert by_path["raw/agents"].graphql_input() == {"assetKey": {"path": ["raw", "agents"]}}
    assert by_path["raw/conversations"].graphql_input() == {
        "assetKey": {"path": ["raw", "conversations"]},
        "partitions": {"ranges": [{"start": "2026-11-11", "end": "2026-11-24"}]},
    }
    assert by_path["kpi/sla_weekly"].partition_keys == ("2026-11-16",)
    assert by_path["raw/summary_weekly"].graphql_input()["partitions"] == {
        "ranges": [{"start": "2026-11-16", "end": "2026-11-16"}]
    }
    assert plan.num_partitions == 14 + 14 + 1 + 1 + 1
    assert next(a for a in assets if a.path == "raw/conversations").check_names == ("conversation_id_unique",)


def test_a_partitioned_asset_without_a_partition_in_range_is_left_out_never_sent_bare() -> None:
    # Sent without partitions, Dagster would backfill *all* of an asset's partitions.
    plan = plan_backfill(parse_assets(asset_nodes()), DayRange(dt.date(2026, 11, 23), dt.date(2026, 11, 24)))
    assert {t.asset.path for t in plan.targets} == {"raw/conversations", "raw/agents", "kpi/sla_daily"}
    assert {a.path for a, _ in plan.skipped} == {"raw/summary_weekly", "kpi/sla_weekly"}
    assert all("partitions" in t.graphql_input() for t in plan.targets if t.asset.partitioned)
    assert "raw/summary_weekly: skipped (no whole partition inside 2026-11-23..2026-11-24)" in plan.describe()


def test_nothing_to_backfill_is_an_error() -> None:
    weekly_only = select_assets(parse_assets(asset_nodes()), "kpi/sla_weekly")
    with pytest.raises(BackfillError, match="nothing to backfill"):
        plan_backfill(weekly_only, DayRange(dt.date(2026, 11, 23), dt.date(2026, 11, 24)))


def test_selection() -> None:
    assets = parse_assets(asset_nodes())

    def paths(selection: object) -> list[str]:
        return [a.path for a in select_assets(assets, selection)]  # type: ignore[arg-type]

    assert paths(None) == [a.path for a in assets]
    assert paths("group:live_kpis") == ["kpi/sla_daily", "kpi/sla_weekly"]
    assert paths("group:live_raw, kpi/sla_daily") == [
        "kpi/sla_daily",
        "raw/agents",
        "raw/conversations",
        "raw/summary_weekly",
    ]
    assert paths(["key:raw/*", "kind:duckdb"]) == [a.path for a in assets]
    assert paths(['key:"raw/agents"']) == ["raw/agents"]
    assert parse_selection(" a, ,b ") == ["a", "b"]
    with pytest.raises(BackfillError, match="matches no"):
        select_assets(assets, "group:live_rwa")
    with pytest.raises(BackfillError, match="unknown selection"):
        select_assets(assets, "owner:someone")


def test_progress_and_where_the_time_went() -> None:
    progress = parse_progress(
        {
            "id": "abc",
            "status": "COMPLETED_SUCCESS",
            "timestamp": 100.0,
            "endTimestamp": 160.0,
            "error": None,
            "runs": [
                {
                    "runId": "r2",
                    "status": "SUCCESS",
                    "creationTime": 104.0,
                    "startTime": 120.0,
                    "endTime": 140.0,
                    "assetSelection": [{"path": ["raw", p]} for p in ("groups", "agents", "a", "b", "c")],
                },
                {"runId": "r1", "status": "SUCCESS", "creationTime": 103.0, "startTime": 105.0, "endTime": 118.0},
            ],
            "assetBackfillData": {
                "assetBackfillStatuses": [
                    {
                        "__typename": "AssetPartitionsStatusCounts",
                        "assetKey": {"path": ["raw", "conversations"]},
                        "numPartitionsTargeted": 2,
                        "numPartitionsInProgress": 0,
                        "numPartitionsMaterialized": 2,
                        "numPartitionsFailed": 0,
                    },
                    {
                        "__typename": "UnpartitionedAssetStatus",
                        "assetKey": {"path": ["raw", "agents"]},
                        "inProgress": False,
                        "materialized": True,
                        "failed": False,
                    },
                ]
            },
        }
    )
    assert [r.run_id for r in progress.runs] == ["r1", "r2"]
    assert (progress.partitions_targeted, progress.partitions_materialized) == (3, 3)
    assert progress.terminal and progress.succeeded
    assert progress.summary() == "COMPLETED_SUCCESS · 2 runs launched, 2 finished · 3/3 partitions materialized"
    assert progress.timings() == {"pickup": 3.0, "runs": 37.0, "completion": 20.0, "total": 60.0}
    assert progress.per_asset == {"raw/conversations": (2, 2, 0), "raw/agents": (1, 1, 0)}
    assert progress.runs[0].describe() == "r1 SUCCESS: queued 2.0 s, ran 13.0 s"
    assert progress.runs[1].describe() == (
        "r2 SUCCESS: queued 16.0 s, ran 20.0 s; raw/a, raw/agents, raw/b, raw/c and 1 more"
    )


# --- checks ----------------------------------------------------------------------------------------
def execution(status: str, partition: str | None, timestamp: float) -> CheckExecution:
    return CheckExecution("kpi/sla_daily", "c", "run", status, partition, timestamp, "ERROR", None)


def test_a_check_is_judged_by_its_latest_execution_per_partition() -> None:
    # A sensor evaluated it before the backfill (failed), the backfill's run evaluated it again (passed).
    recovered = CheckSummary("a", "c", (execution("FAILED", None, 1.0), execution("SUCCEEDED", None, 2.0)))
    assert recovered.status == "passed" and recovered.failures == []
    broke = CheckSummary("a", "c", (execution("SUCCEEDED", "d1", 1.0), execution("FAILED", "d2", 1.0)))
    assert broke.status == "failed" and [f.partition for f in broke.failures] == ["d2"]
    assert CheckSummary("a", "c", ()).status == "not run"
    # An unpartitioned check planned per partition of a range run, evaluated once: the evaluation counts.
    planned = (execution("SKIPPED", "d1", 3.0), execution("SKIPPED", "d2", 3.0), execution("SUCCEEDED", None, 2.0))
    assert CheckSummary("a", "c", planned).status == "passed"
    assert CheckSummary("a", "c", planned[:1]).status == "skipped"
    # A later run that skipped a partition does not hide the failure of an earlier evaluation of it.
    hidden = (execution("FAILED", "d1", 1.0), execution("SKIPPED", "d1", 2.0))
    assert CheckSummary("a", "c", hidden).status == "failed"
    assert CheckSummary("a", "c", (execution("IN_PROGRESS", "d1", 1.0),)).status == "pending"
    parsed = parse_executions(
        "raw/conversations",
        "unique",
        [
            {
                "runId": "r",
                "status": "FAILED",
                "partition": "2026-11-23",
                "timestamp": 5.0,
                "evaluation": {
                    "severity": "ERROR",
                    "description": "2 duplicates",
                    "metadataEntries": [
                        {"__typename": "IntMetadataEntry", "label": "duplicates", "intRepr": "2"},
                        {"__typename": "BoolMetadataEntry", "label": "blocking", "boolValue": True},
                        {"__typename": "TableMetadataEntry", "label": "sample"},
                    ],
                },
            }
        ],
    )
    assert parsed[0].metadata == {"duplicates": "2", "blocking": "true", "sample": "table"}
    assert parsed[0].failed


def test_a_failed_check_of_severity_warning_is_a_warning_not_a_failure() -> None:
    warned = CheckExecution("kpi/sla_daily", "targets_met", "run", "FAILED", "d1", 1.0, "WARN", "off target")
    assert CheckSummary("a", "targets_met", (warned,)).status == "warning"
    assert CheckSummary("a", "c", (warned, execution("FAILED", "d2", 1.0))).status == "failed"


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        ("2026-03-04T15:20:30", "11:20:30", "16:20:30"),  # four hours before now, to an hour after it
        ("2026-03-04T02:10:00", "00:00:00", "03:10:00"),  # not before midnight
        ("2026-03-04T23:30:00", "19:30:00", "23:59:59"),  # not past the day's end
    ],
)
def test_the_demo_degrades_a_stretch_of_today_around_now(now: str, start: str, end: str) -> None:
    stretch = today.degraded_stretch(dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC))
    assert (stretch.group_id, stretch.start.isoformat(), stretch.end.isoformat()) == (1, start, end)


@pytest.mark.parametrize("utc_hour", range(24))
def test_a_zone_shows_the_asked_hour_whatever_the_hour_in_utc(utc_hour: int) -> None:
    from zoneinfo import ZoneInfo

    now = dt.datetime(2026, 3, 4, utc_hour, 30, tzinfo=dt.UTC)
    for hour in (14, 22):
        assert now.astimezone(ZoneInfo(zone_at_local_hour(hour, now))).hour == hour


def test_the_demos_data_line_names_a_check_still_running_instead_of_counting_it() -> None:
    from live_assets.devtools.demo.run import DemoOutcome

    outcome = DemoOutcome(days=DayRange(dt.date(2026, 12, 5), dt.date(2026, 12, 6)))
    outcome.checks = [
        CheckSummary("raw/conversations", "unique", (execution("SUCCEEDED", "d1", 1.0),)),
        CheckSummary("kpi/sla_daily", "freshness_check", (execution("IN_PROGRESS", None, 2.0),)),
    ]
    (line,) = outcome.closing_lines()
    assert line == (
        "Data: all runs succeeded, 1 of 1 checks passed for 2026-12-05..2026-12-06 "
        "(1 still being evaluated: kpi/sla_daily:freshness_check)."
    )
    outcome.checks.append(CheckSummary("kpi/sla_daily", "values_in_range", (execution("FAILED", "d1", 3.0),)))
    assert outcome.closing_lines()[0].startswith("Data: all runs succeeded, 1 of 2 checks passed")
