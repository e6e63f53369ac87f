"""The asset checks in real Dagster runs: they pass on consistent data, name what is wrong when a raw table
is corrupted, record one result per day of a range, and a failing blocking check keeps the KPIs out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

# Not exported by dagster: the filter of the instance's check-history query.
from dagster._core.storage.event_log.base import PartitionKeyFilter

from live_assets.asset_checks.by_partition import PartitionSpan
from live_assets.asset_checks.kpi_checks import ranges_verdict
from live_assets.kpis.tables import AGENT_DAILY, SLA_DAILY
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import FRESHNESS_CHECKS, KPI_ASSETS, KPI_CHECKS, RAW_CHECKS
from live_assets_tests.test_kpis_world import DAILY_STAND_INS, STAND_INS, make_days, resources, run, write_conversations

MONDAY = dt.date(2025, 3, 3)
TUESDAY, WEDNESDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
KPI = {asset.key.path[-1]: asset for asset in KPI_ASSETS}
RECONCILE = dg.AssetCheckKey(dg.AssetKey(["raw", "sla_by_group"]), "endpoints_reconcile")
DAILY_KPI_CHECKS = [c for c in KPI_CHECKS if "daily" in next(iter(c.check_keys)).asset_key.path[-1]]
DAILY_RUN = [*DAILY_STAND_INS, *RAW_CHECKS, KPI["sla_daily"], KPI["agent_daily"], *DAILY_KPI_CHECKS]
KPI_KEYS = {asset.key for asset in KPI_ASSETS}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    write_conversations(Warehouse(path), make_days(MONDAY, 3, per_day=60, seed=3))
    return path


def evaluations_of(result: dg.ExecuteInProcessResult, name: str) -> dict[str, dg.AssetCheckEvaluation]:
    return {str(e.partition): e for e in result.get_asset_check_evaluations() if e.check_name == name}


def kpis_materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()} & KPI_KEYS


def test_checks_pass_and_record_every_day_of_a_range_run(path: Path) -> None:
    with dg.instance_for_test() as instance:
        result = run(path, DAILY_RUN, first=MONDAY.isoformat(), last=WEDNESDAY.isoformat(), instance=instance)
        assert result.success
        days = [MONDAY.isoformat(), TUESDAY.isoformat(), WEDNESDAY.isoformat()]
        names = {"conversation_id_unique", "queued_within_partition_day", "endpoints_reconcile"}
        names |= {"sla_pct_matches_api", "values_in_range"}
        for name in names:
            for day, evaluation in evaluations_of(result, name).items():
                assert evaluation.passed, (name, day, evaluation.description)
            assert sorted(evaluations_of(result, name)) == days
        assert len(result.get_asset_check_evaluations()) == 3 * 6
        reconciled = evaluations_of(result, "endpoints_reconcile")[TUESDAY.isoformat()]
        assert reconciled.metadata["total"].value == 60 and reconciled.metadata["mismatches"].value == 0
        assert "all endpoints agree" in str(reconciled.description)
        # Dagster stored one current, passed result per day, each against that day's materialization.
        for day in days:
            (record,) = instance.event_log_storage.get_asset_check_execution_history(
                RECONCILE, limit=5, partition_filter=PartitionKeyFilter(key=day)
            )
            assert record.status.value == "SUCCEEDED" and record.partition == day
            target = record.event.dagster_event.asset_check_evaluation_data.target_materialization_data
            assert target is not None and target.run_id == result.run_id
        assert kpis_materialized(result) == {KPI["sla_daily"].key, KPI["agent_daily"].key}


def test_a_corrupted_export_fails_its_day_and_blocks_the_kpis(path: Path) -> None:
    warehouse = Warehouse(path)
    warehouse.query(
        "DELETE FROM raw.export_conversations WHERE conversation_id = "
        "(SELECT min(conversation_id) FROM raw.export_conversations WHERE _partition_day = $day AND transfers > 0)",
        {"day": TUESDAY},
    )
    with dg.instance_for_test() as instance:
        result = run(
            path, DAILY_RUN, first=MONDAY.isoformat(), last=WEDNESDAY.isoformat(), instance=instance,
            raise_on_error=False,
        )  # fmt: skip
        assert not result.success
        verdicts = evaluations_of(result, "endpoints_reconcile")
        assert {day: e.passed for day, e in verdicts.items()} == {
            MONDAY.isoformat(): True, TUESDAY.isoformat(): False, WEDNESDAY.isoformat(): True,
        }  # fmt: skip
        failed = verdicts[TUESDAY.isoformat()]
        assert "export total 59 vs list 60 (-1)" in str(failed.description)
        assert "export transferred" in str(failed.description) and "export transfers" in str(failed.description)
        assert "export attended" in str(failed.description)  # a transferred conversation had an agent
        assert failed.blocking and failed.metadata["mismatches"].value == 4
        assert "raw.export_conversations" in failed.metadata["differences"].value
        # The KPI steps of the same run did not run: nothing materialized, nothing written.
        assert kpis_materialized(result) == set()
        # ...while the raw assets downstream of raw/conversations still landed: only the KPIs are held back.
        landed = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
        assert {"conversations", "feedback", "conversation_messages", "sla_by_group"} <= landed
        assert not {step.step_key for step in result.get_step_success_events()} & {"kpi__sla_daily", "kpi__agent_daily"}
        assert warehouse.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'kpi'") == [(0,)]
        statuses = {
            day: instance.event_log_storage.get_asset_check_execution_history(
                RECONCILE, limit=1, partition_filter=PartitionKeyFilter(key=day)
            )[0].status.value
            for day in verdicts
        }
        assert statuses == {
            MONDAY.isoformat(): "SUCCEEDED",
            TUESDAY.isoformat(): "FAILED",
            WEDNESDAY.isoformat(): "SUCCEEDED",
        }


CORRUPTIONS: dict[str, tuple[str, str]] = {
    # name: (SQL run on the sample day, text the failure must contain)
    "histogram transfers": (
        "UPDATE raw.histogram SET transfers = transfers + 2 WHERE _partition_day = $day AND period = "
        "(SELECT min(period) FROM raw.histogram WHERE _partition_day = $day)",
        "histogram transfers",
    ),
    "summary lost": (
        "UPDATE raw.summary SET lost = lost + 1 WHERE _partition_day = $day AND period = "
        "(SELECT min(period) FROM raw.summary WHERE _partition_day = $day)",
        "summary lost",
    ),
    "sla total": (
        "UPDATE raw.sla_by_group SET total = total + 1 WHERE _partition_day = $day AND group_id = 2",
        "sla total",
    ),
    "stats attended": (
        "UPDATE raw.conversation_stats SET attended = attended - 1 WHERE _partition_day = $day",
        "stats attended",
    ),
    "stats missing": ("DELETE FROM raw.conversation_stats WHERE _partition_day = $day", "stats: 0 rows"),
    "stats twice": (
        "INSERT INTO raw.conversation_stats SELECT * FROM raw.conversation_stats WHERE _partition_day = $day",
        "stats: 2 rows",
    ),
    "list row lost": (
        "DELETE FROM raw.conversations WHERE _partition_day = $day AND conversation_id = "
        "(SELECT max(conversation_id) FROM raw.conversations WHERE _partition_day = $day)",
        "vs list 59",
    ),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_each_corrupted_source_is_named_and_blocks(path: Path, corruption: str) -> None:
    sql, expected = CORRUPTIONS[corruption]
    Warehouse(path).query(sql, {"day": TUESDAY})
    result = run(path, DAILY_RUN, partition_key=TUESDAY.isoformat(), raise_on_error=False)
    (failed,) = evaluations_of(result, "endpoints_reconcile").values()
    assert not failed.passed and expected in str(failed.description), failed.description
    assert kpis_materialized(result) == set()


def stand_ins_but(*tables: str) -> list[dg.AssetsDefinition]:
    return [asset for asset in DAILY_STAND_INS if asset.key.path[-1] not in tables]


def daily_run_without(*tables: str) -> list[Any]:
    """A daily run of a deployment that does not load ``tables``: their raw assets are not in it."""
    return [*stand_ins_but(*tables), *RAW_CHECKS, KPI["sla_daily"], KPI["agent_daily"], *DAILY_KPI_CHECKS]


def test_sources_not_loaded_are_named_and_the_kpis_still_computed(path: Path) -> None:
    """The issue's case: every daily raw asset but the CSV export and stats, which the warehouse never held."""
    warehouse = Warehouse(path)
    for table in ("export_conversations", "conversation_stats"):
        warehouse.query(f"DROP TABLE raw.{table}")
    result = run(
        path, daily_run_without("export_conversations", "conversation_stats"), partition_key=TUESDAY.isoformat()
    )
    assert result.success
    (reconciled,) = evaluations_of(result, "endpoints_reconcile").values()
    assert reconciled.passed and reconciled.metadata["mismatches"].value == 0
    description = str(reconciled.description)
    assert "the loaded endpoints agree (list, histogram, summary, sla)" in description
    assert "not compared, not loaded: export, stats" in description
    not_loaded = reconciled.metadata["sources_not_loaded"].value
    assert "raw.export_conversations not in the warehouse" in not_loaded
    assert "raw.conversation_stats not in the warehouse" in not_loaded
    assert kpis_materialized(result) == {KPI["sla_daily"].key, KPI["agent_daily"].key}


def test_only_the_kpi_inputs_loaded_and_unmaterialized_tables_not_compared(path: Path) -> None:
    """raw/conversations and raw/sla_by_group alone give the KPIs. A table whose day Dagster never
    materialized is not compared, even when its rows disagree (the export here lost one)."""
    warehouse = Warehouse(path)
    warehouse.query(
        "DELETE FROM raw.export_conversations WHERE conversation_id = "
        "(SELECT min(conversation_id) FROM raw.export_conversations WHERE _partition_day = $day)",
        {"day": TUESDAY},
    )
    others = ("export_conversations", "conversation_stats", "histogram", "summary")
    result = run(
        path, daily_run_without(*others, "feedback", "conversation_messages"), partition_key=TUESDAY.isoformat()
    )
    assert result.success
    (reconciled,) = evaluations_of(result, "endpoints_reconcile").values()
    assert reconciled.passed, reconciled.description
    assert "the loaded endpoints agree (list, sla) (60 conversations" in str(reconciled.description)
    assert "not loaded: export, stats, histogram, summary" in str(reconciled.description)
    assert "raw.export_conversations has no materialization of" in reconciled.metadata["sources_not_loaded"].value
    assert kpis_materialized(result) == {KPI["sla_daily"].key, KPI["agent_daily"].key}


def test_a_real_disagreement_among_the_loaded_sources_still_blocks(path: Path) -> None:
    warehouse = Warehouse(path)
    for table in ("export_conversations", "conversation_stats"):
        warehouse.query(f"DROP TABLE raw.{table}")
    warehouse.query(CORRUPTIONS["sla total"][0], {"day": TUESDAY})
    result = run(
        path, daily_run_without("export_conversations", "conversation_stats"), partition_key=TUESDAY.isoformat(),
        raise_on_error=False,
    )  # fmt: skip
    (failed,) = evaluations_of(result, "endpoints_reconcile").values()
    assert not failed.passed and "sla total 61 vs list 60 (+1)" in str(failed.description)
    assert kpis_materialized(result) == set()


def test_a_duplicated_conversation_fails_uniqueness_on_both_days(path: Path) -> None:
    warehouse = Warehouse(path)
    (copied,) = warehouse.query(
        "SELECT min(conversation_id) FROM raw.conversations WHERE _partition_day = $d", {"d": MONDAY}
    )[0]
    warehouse.query(
        "INSERT INTO raw.conversations SELECT * REPLACE (queued_at + INTERVAL 1 DAY AS queued_at, "
        "CAST($tuesday AS DATE) AS _partition_day) FROM raw.conversations WHERE conversation_id = $id",
        {"id": copied, "tuesday": TUESDAY},
    )
    result = run(path, DAILY_RUN, first=MONDAY.isoformat(), last=WEDNESDAY.isoformat(), raise_on_error=False)
    unique = evaluations_of(result, "conversation_id_unique")
    assert {day: e.passed for day, e in unique.items()} == {
        MONDAY.isoformat(): False, TUESDAY.isoformat(): False, WEDNESDAY.isoformat(): True,
    }  # fmt: skip
    tuesday = unique[TUESDAY.isoformat()]
    assert tuesday.metadata["duplicated_ids"].value == 1 and tuesday.metadata["extra_rows"].value == 1
    assert f"| {copied} | 2 | {MONDAY}, {TUESDAY} |" in tuesday.metadata["sample"].value
    assert all(e.passed for e in evaluations_of(result, "queued_within_partition_day").values())
    assert kpis_materialized(result) == set()


def test_a_row_outside_its_day_fails_the_window_check(path: Path) -> None:
    warehouse = Warehouse(path)
    (moved,) = warehouse.query(
        "SELECT max(conversation_id) FROM raw.conversations WHERE _partition_day = $d", {"d": MONDAY}
    )[0]
    warehouse.query(
        "UPDATE raw.conversations SET _partition_day = $d WHERE conversation_id = $id", {"d": TUESDAY, "id": moved}
    )
    result = run(path, DAILY_RUN, partition_key=TUESDAY.isoformat(), raise_on_error=False)
    (window,) = evaluations_of(result, "queued_within_partition_day").values()
    assert not window.passed
    assert "1 of 61 rows are not queued within 2025-03-04 00:00:00..2025-03-04 23:59:59" in str(window.description)
    assert window.metadata["sample_conversation_ids"].value == str(moved)
    assert window.metadata["first_queued_at"].value.startswith(str(MONDAY))
    assert kpis_materialized(result) == set()


def test_sla_pct_is_compared_with_the_apis_to_a_hundredth(path: Path) -> None:
    warehouse = Warehouse(path)

    def check_after(shift: float) -> dg.AssetCheckEvaluation:
        warehouse.query(
            "UPDATE raw.sla_by_group SET sla_percentage = round(100.0 * within_sla / total, 2) + $shift "
            "WHERE _partition_day = $day AND group_id = 1",
            {"shift": shift, "day": TUESDAY},
        )
        result = run(path, DAILY_RUN, partition_key=TUESDAY.isoformat())
        (evaluation,) = evaluations_of(result, "sla_pct_matches_api").values()
        return evaluation

    passed = check_after(0.004)  # the API's rounding to 2 decimals, and a little more
    assert passed.passed and passed.metadata["groups"].value == 3
    assert 0 < passed.metadata["max_difference_pct"].value <= 0.01
    failed = check_after(0.5)
    assert not failed.passed and "1 group(s) disagree" in str(failed.description)
    assert "| 1 Ventas |" in failed.metadata["differences"].value


def test_values_in_range_names_each_broken_rule() -> None:
    span = PartitionSpan("2025-03-04", TUESDAY, TUESDAY)
    good = {
        "day": TUESDAY, "group_id": 1, "protocol_id": 1, "offered": 10, "attended": 8, "lost": 2,
        "abandonment_rate": 20.0, "within_sla": 6, "sla_pct": 60.0, "wait_avg_s": 12.5, "wait_p90_s": 30.0,
        "transferred": 1, "resolved": 7, "feedback_count": 3, "csat_pct": 100.0, "feedback_score_avg": 4.5,
    }  # fmt: skip
    assert ranges_verdict(SLA_DAILY, span, [good]).passed
    bad = good | {"sla_pct": 104.0, "lost": 3, "wait_p90_s": -1.0, "feedback_score_avg": 0.5, "within_sla": 9}
    verdict = ranges_verdict(SLA_DAILY, span, [bad, good])
    assert not verdict.passed and verdict.metadata["violations"] == 6
    for rule in ("sla_pct in 0..100", "attended + lost = offered", "wait_p90_s >= 0", "feedback_score_avg in 1..5",
                 "within_sla <= attended/handled", "one row per grain key"):  # fmt: skip
        assert rule in verdict.description, rule
    agent = {"day": TUESDAY, "agent_id": 11, "handled": 4, "concurrency_max": 2, "concurrency_avg": 2.5}
    verdict = ranges_verdict(AGENT_DAILY, span, [agent])
    assert not verdict.passed and "1 <= concurrency_avg <= concurrency_max" in verdict.description


FIRST_SUMMARY_ROW = (
    "UPDATE raw.summary SET total = {change} WHERE _partition_day = $d AND period = "
    "(SELECT min(period) FROM raw.summary WHERE _partition_day = $d)"
)


def test_automation_runs_the_kpis_of_the_days_whose_checks_passed(path: Path) -> None:
    warehouse = Warehouse(path)
    write_conversations(
        warehouse, make_days(MONDAY + dt.timedelta(days=3), 4, per_day=20, seed=4, first_id=1000)
    )  # to Sunday
    warehouse.query(FIRST_SUMMARY_ROW.format(change="total + 1"), {"d": WEDNESDAY})
    defs = dg.Definitions(assets=[*STAND_INS, *KPI_ASSETS], asset_checks=RAW_CHECKS, resources=resources(path))
    kpis = dg.AssetSelection.assets(*KPI_KEYS)
    evaluation_time = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    sunday = MONDAY + dt.timedelta(days=6)
    week = [(MONDAY + dt.timedelta(days=n)).isoformat() for n in range(7)]

    def requested(result: Any, name: str) -> list[str]:
        return sorted(str(key) for key in result.get_requested_partitions(KPI[name].key))

    with dg.instance_for_test() as instance:
        tick = dg.evaluate_automation_conditions(defs, instance, asset_selection=kpis, evaluation_time=evaluation_time)
        assert tick.total_requested == 0  # nothing upstream yet
        raw_run = run(path, [*DAILY_STAND_INS, *RAW_CHECKS], first=MONDAY.isoformat(), last=sunday.isoformat(),
                      instance=instance, raise_on_error=False)  # fmt: skip
        assert not raw_run.success  # Wednesday's reconciliation failed
        tick = dg.evaluate_automation_conditions(
            defs, instance, asset_selection=kpis, evaluation_time=evaluation_time, cursor=tick.cursor
        )
        passed_days = [day for day in week if day != WEDNESDAY.isoformat()]
        assert requested(tick, "sla_daily") == requested(tick, "agent_daily") == passed_days
        # The week holds the failing Wednesday: its weekly KPIs wait.
        assert requested(tick, "sla_weekly") == requested(tick, "agent_weekly") == []

        # Fixing Wednesday and reloading it releases the day and the week.
        warehouse.query(FIRST_SUMMARY_ROW.format(change="total - 1"), {"d": WEDNESDAY})
        run(path, [*DAILY_STAND_INS, *RAW_CHECKS], partition_key=WEDNESDAY.isoformat(), instance=instance)
        tick = dg.evaluate_automation_conditions(
            defs, instance, asset_selection=kpis, evaluation_time=evaluation_time, cursor=tick.cursor
        )
        assert WEDNESDAY.isoformat() in requested(tick, "sla_daily")
        assert requested(tick, "sla_weekly") == requested(tick, "agent_weekly") == [MONDAY.isoformat()]


def test_freshness_checks_want_the_latest_complete_partitions(tmp_path: Path) -> None:
    path = tmp_path / "live.duckdb"
    today = dt.datetime.now(dt.UTC).date()
    days = [(today - dt.timedelta(days=n)).isoformat() for n in (2, 1)]
    this_monday = today - dt.timedelta(days=today.weekday())
    weeks = [(this_monday - dt.timedelta(days=n)).isoformat() for n in (14, 7)]
    check_selection = dg.AssetSelection.checks(*FRESHNESS_CHECKS)
    everything = [*STAND_INS, *KPI_ASSETS, *FRESHNESS_CHECKS]

    def freshness(instance: dg.DagsterInstance) -> dict[str, bool]:
        result = dg.materialize(everything, selection=check_selection, instance=instance, resources=resources(path))
        return {e.asset_key.path[-1]: e.passed for e in result.get_asset_check_evaluations()}

    with dg.instance_for_test() as instance:
        assert freshness(instance) == dict.fromkeys(("sla_daily", "agent_daily", "sla_weekly", "agent_weekly"), False)
        daily = [KPI["sla_daily"], KPI["agent_daily"]]
        run(path, everything, first=days[0], last=days[1], selection=daily, instance=instance)
        weekly = [KPI["sla_weekly"], KPI["agent_weekly"]]
        run(path, everything, first=weeks[0], last=weeks[1], selection=weekly, instance=instance)
        assert freshness(instance) == dict.fromkeys(("sla_daily", "agent_daily", "sla_weekly", "agent_weekly"), True)


def test_no_check_holds_the_api_pool() -> None:
    """Checks call no API: none takes a live_api slot, which only API steps hold."""
    for check in [*RAW_CHECKS, *KPI_CHECKS, *FRESHNESS_CHECKS]:
        assert check.op.pool is None, check.check_keys
