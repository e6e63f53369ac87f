"""The raw assets against the simulator: real HTTP, real DuckDB files, real Dagster runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import dagster as dg
import pytest

from live_assets.automation import RANGE_END_TAG, RANGE_START_TAG
from live_assets.client import LiveClient, Window, plan_windows
from live_assets.definitions import build_definitions
from live_assets.raw.assets import ensure_final
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE, BodyShape, Partitioning
from live_assets.raw.fetching import plan_requests
from live_assets_tests.endpoint_calls import fetch
from live_assets_tests.layout import RAW_ASSETS
from live_assets_tests.pipeline import PipelineEnv, range_tags

SAMPLE_DAY = dt.date(2026, 3, 4)  # a Wednesday
DAILY_KEYS = [spec.asset_key_path for spec in ENDPOINTS if spec.partitioning is Partitioning.DAILY]


def _table(env: PipelineEnv, table: str, order: str) -> list[tuple]:
    return env.warehouse.query(f"SELECT * EXCLUDE (_loaded_at) FROM raw.{table} ORDER BY {order}")


def test_conversations_match_the_simulator_to_the_row(pipeline: PipelineEnv):
    pipeline.materialize_raw("conversations", partition_key=SAMPLE_DAY.isoformat())
    expected = pipeline.sim.conversations(SAMPLE_DAY)
    rows = pipeline.warehouse.query(
        "SELECT conversation_id, queued_at, started_at, ended_at, wait_time, session_time, first_response_time, "
        "status, transfers, group_id, agent_id, feedback_value, closed_by_name, user_extra_information, "
        "_partition_day, _bot FROM raw.conversations ORDER BY queued_at, conversation_id"
    )
    assert len(rows) == len(expected) > 0

    def at(text: str | None) -> dt.datetime | None:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None

    for row, conversation in zip(rows, expected, strict=True):
        assert row[:13] == (
            conversation["conversation_id"],
            at(conversation["queueddatetime"]),
            at(conversation["startdatetime"]),
            at(conversation["enddatetime"]),
            conversation["wait_time"],
            conversation["session_time"],
            conversation.get("first_response_time"),
            conversation["status"],
            conversation["transfers"],
            conversation["group"]["id"],
            (conversation.get("agent") or {}).get("id"),
            (conversation.get("feedback") or {}).get("value"),
            (conversation.get("closed_by") or {}).get("name"),
        )
        assert json.loads(row[13]) == conversation["user"]["extra_information"]
        assert row[14:] == (SAMPLE_DAY, "default")


def test_every_daily_asset_loads_a_sample_day_and_rematerializing_changes_nothing(pipeline: PipelineEnv):
    daily = [dg.AssetKey(key) for key in DAILY_KEYS]
    pipeline.materialize(RAW_ASSETS, selection=daily, partition_key=SAMPLE_DAY.isoformat())
    first = {spec.table: _table(pipeline, spec.table, "ALL") for spec in ENDPOINTS if spec.asset_key_path in DAILY_KEYS}
    assert all(first.values()), {table: len(rows) for table, rows in first.items()}

    with LiveClient.from_settings(pipeline.settings()) as client:
        window = Window.for_days(SAMPLE_DAY, SAMPLE_DAY)
        assert len(first["conversation_stats"]) == 1
        stats = fetch(client, "conversation_stats", window).json()
        assert first["conversation_stats"][0][:5] == (
            stats["total"],
            stats["attended"],
            stats["closed"],
            stats["lost"],
            stats["transferred"],
        )
        assert len(first["sla_by_group"]) == len(fetch(client, "sla_by_group", window).records())
        assert len(first["histogram"]) == 48
        assert len(first["summary"]) == len(fetch(client, "summary", window).records())
        assert len(first["agent_performance"]) == len(fetch(client, "agent_performance", window).records())
        assert len(first["feedback"]) == len(fetch(client, "feedback", window).json()["items"])
        assert len(first["export_conversations"]) == len(first["conversations"]) == stats["total"]
    conversations = {row[0] for row in first["conversations"]}
    assert {row[0] for row in first["conversation_messages"]} == conversations

    requests_before = pipeline.sim.counters()["requests_total"]
    pipeline.materialize(RAW_ASSETS, selection=daily, partition_key=SAMPLE_DAY.isoformat())
    again = {table: _table(pipeline, table, "ALL") for table in first}
    assert again == first
    # Messages are only fetched for conversations not held yet: none, the second time.
    assert pipeline.sim.counters()["requests"].get("/live/public/conversation/detail", 0) == len(conversations)
    assert pipeline.sim.counters()["requests_total"] > requests_before


def test_dimension_lists_replace_the_whole_table(pipeline: PipelineEnv):
    pipeline.materialize_raw("agents", "groups")
    pipeline.materialize_raw("agents", "groups")
    with LiveClient.from_settings(pipeline.settings()) as client:
        assert len(pipeline.warehouse.query("SELECT * FROM raw.agents")) == len(fetch(client, "agents").records())
        assert len(pipeline.warehouse.query("SELECT * FROM raw.groups")) == len(fetch(client, "groups").records())


def test_a_fourteen_day_range_makes_the_minimal_number_of_requests(pipeline: PipelineEnv):
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 15)  # two whole weeks, Monday to Sunday
    windowed = [dg.AssetKey(key) for key in DAILY_KEYS if key[1] != "conversation_messages"]
    result = pipeline.materialize(RAW_ASSETS, selection=windowed, tags=range_tags(first, last))
    # One API step for every daily endpoint; the KPIs' raw inputs come first, so that a backfill's KPI
    # runs can start while the others load.
    started = [event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_START]
    assert started == ["live_raw_daily"]
    materialized = list(dict.fromkeys(e.asset_key.path[-1] for e in result.get_asset_materialization_events()))
    assert materialized[:2] == ["conversations", "sla_by_group"]
    counters = pipeline.sim.counters()
    assert counters["responses"].get("429", 0) == 0
    for spec in ENDPOINTS:
        if spec.asset_key_path not in DAILY_KEYS or spec.body is BodyShape.DETAIL_MESSAGES:
            continue
        minimal = len(plan_requests(spec, first, last))
        assert counters["requests"][spec.path.value] == minimal, spec.table
    assert len(plan_requests(ENDPOINTS_BY_TABLE["conversations"], first, last)) == 2
    assert len(plan_requests(ENDPOINTS_BY_TABLE["conversation_stats"], first, last)) == 14
    days = pipeline.warehouse.query("SELECT count(DISTINCT _partition_day) FROM raw.conversations")
    assert days == [(14,)]


def test_weekly_summary_asks_whole_weeks(pipeline: PipelineEnv):
    monday = dt.date(2026, 2, 2)
    # Weekly partition keys are the weeks' Mondays: four weeks, from the first to the last Monday.
    pipeline.materialize_raw("summary_weekly", tags=range_tags(monday, monday + dt.timedelta(weeks=3)))
    rows = pipeline.warehouse.query("SELECT DISTINCT period FROM raw.summary_weekly ORDER BY 1")
    assert [r[0].date() for r in rows] == [monday + dt.timedelta(weeks=n) for n in range(4)]
    assert pipeline.sim.counters()["requests"]["/live/public/summary"] == 1
    assert plan_windows(
        monday,
        monday + dt.timedelta(days=27),
        max_range=ENDPOINTS_BY_TABLE["summary_weekly"].window.max_range,
        unit_days=7,
    ) == [Window.for_days(monday, monday + dt.timedelta(days=27))]


def test_a_failing_load_leaves_the_previous_rows(pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch):
    day = SAMPLE_DAY.isoformat()
    pipeline.materialize_raw("conversations", "export_conversations", partition_key=day)
    before = _table(pipeline, "conversations", "conversation_id")
    export_before = _table(pipeline, "export_conversations", "conversation_id")

    monkeypatch.setenv("LIVE_API_MAX_ATTEMPTS", "2")  # the client retries a bad body; keep the test short
    pipeline.sim.schedule_fault("/live/public/conversation/list", "html_200", times=100)
    pipeline.sim.schedule_fault("/live/public/export-simple", "csv_ragged_row", times=100)
    result = pipeline.materialize_raw("conversations", partition_key=day, raise_on_error=False)
    assert not result.success
    result = pipeline.materialize_raw("export_conversations", partition_key=day, raise_on_error=False)
    assert not result.success
    failure = _failure_text(result)
    assert "export_conversations" in failure and "2026-03-04" in failure
    assert _table(pipeline, "conversations", "conversation_id") == before
    assert _table(pipeline, "export_conversations", "conversation_id") == export_before


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    events = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return " ".join(str(e.event_specific_data.error) for e in events)  # type: ignore[union-attr]


def test_a_day_is_refused_until_its_data_is_final():
    day = dt.date(2026, 3, 4)
    ensure_final(day, "Europe/Madrid", now=dt.datetime(2026, 3, 5, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    with pytest.raises(dg.Failure, match="not final"):
        ensure_final(
            day, "Europe/Madrid", now=dt.datetime(2026, 3, 5, 0, 14, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        )


def test_a_step_sweeps_the_partial_files_of_dead_writers(pipeline: PipelineEnv):
    """A body half-streamed by a killed run (hours ago) is removed when the table is next landed; a partial
    that may still be written, and the whole landing files, stay."""
    folder = pipeline.root / "landing" / "default" / "conversations"
    folder.mkdir(parents=True)
    stale = [folder / ".2026-03-04T00-00__2026-03-05T00-00.json.zst.4242.1.part", folder / ".landing-x1y2.tmp"]
    fresh = folder / ".2026-03-05T00-00__2026-03-06T00-00.json.zst.4343.1.part"
    for path in [*stale, fresh]:
        path.write_bytes(b"half a body")
    two_hours_ago = time.time() - 2 * 3600
    for path in stale:
        os.utime(path, (two_hours_ago, two_hours_ago))

    pipeline.materialize_raw("conversations", partition_key=SAMPLE_DAY.isoformat())

    assert not any(path.exists() for path in stale) and fresh.exists()
    assert [path.name for path in folder.iterdir() if not path.name.startswith(".")], "the landed file is kept"


def test_the_daily_schedule_rereads_the_lookback_days_in_one_run_per_bot(pipeline: PipelineEnv):
    """The schedule's run covers the previous day and LIVE_LOOKBACK_DAYS before it, every window asked once."""
    definitions = build_definitions(pipeline.settings())
    schedule = definitions.resolve_schedule_def("live_daily_raw_schedule")
    tick = dt.datetime(2026, 2, 6, 0, 30, tzinfo=dt.UTC)
    (request,) = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick)).run_requests
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2026-02-03", "2026-02-05")
    job = definitions.resolve_job_def("live_daily_raw")
    result = job.execute_in_process(tags=request.tags, resources=pipeline.resources())
    assert result.success
    counters = pipeline.sim.counters()["requests"]
    for spec in ENDPOINTS:
        if spec.partitioning is Partitioning.DAILY and spec.body is not BodyShape.DETAIL_MESSAGES:
            expected = len(plan_requests(spec, dt.date(2026, 2, 3), dt.date(2026, 2, 5)))
            assert counters[spec.path.value] == expected, spec.table


def test_a_ranged_runs_partitions_show_their_own_rows(pipeline: PipelineEnv):
    """A ranged run's result holds the run's figures (named run_*); each partition's materialization also
    gets its own row count and changes (add_asset_metadata with its partition key)."""
    first, last = dt.date(2026, 2, 2), dt.date(2026, 2, 4)
    result = pipeline.materialize_raw("conversations", tags=range_tags(first, last))
    events = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["raw", "conversations"])
    ]
    metadata_by_day = {e.partition: e.step_materialization_data.materialization.metadata for e in events}
    held = dict(
        pipeline.warehouse.query("SELECT CAST(_partition_day AS VARCHAR), count(*) FROM raw.conversations GROUP BY 1")
    )
    assert len(held) == 3 and sorted(metadata_by_day) == sorted(held)
    assert len(set(held.values())) > 1  # the days differ, so a shared figure would show
    for day, metadata in metadata_by_day.items():
        assert "rows_loaded" not in metadata
        assert metadata["dagster/row_count"].value == held[day]
        assert metadata["rows_added"].value == held[day]  # a first load: every row is new
        assert metadata["run_rows_loaded"].value == sum(held.values())
        by_day = {record.data["day"]: record.data["rows"] for record in metadata["rows_by_day"].value.records}
        assert by_day == held
    single = pipeline.materialize_raw("conversations", partition_key=first.isoformat())
    own = single.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert own["dagster/row_count"].value == held[first.isoformat()]


def test_a_raw_asset_key_finds_its_registry_entry_and_no_other_key_does():
    from live_assets.raw.endpoints import endpoint_of_asset

    assert endpoint_of_asset(["raw", "groups"]) is ENDPOINTS_BY_TABLE["groups"]
    assert all(endpoint_of_asset(spec.asset_key_path) is spec for spec in ENDPOINTS)
    assert endpoint_of_asset(["kpi", "groups"]) is None  # same last segment, not a raw asset
    assert endpoint_of_asset(["raw", "unknown"]) is None
    assert endpoint_of_asset([]) is None
