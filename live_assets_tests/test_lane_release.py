"""A run's only API step gives its bot lanes back once its last request is answered, not when the run ends.

The engine's hook comes after the last response and before the loads are done; a step that failed a
request, shares its run with another API step, or would ask again on a retry keeps the lanes.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import dagster as dg
import pytest

from live_assets.names import LANE_HELD, LANE_HOLDER_TAG, LANE_RELEASED
from live_assets.raw import engine
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.raw.engine import StepClients, Task, run_tasks
from live_assets.raw.lanes import may_release
from live_assets.raw.loading import Landed, Loaded
from live_assets_tests.pipeline import PipelineEnv

LANE = "live-lane/default"
AGENTS = ENDPOINTS_BY_TABLE["agents"]


def fake_tasks(count: int, failing: int | None = None) -> list[Task]:
    def fetch(index: int) -> Landed:
        if index == failing:
            raise RuntimeError(f"request {index} failed")
        return Landed(AGENTS, Path(f"/nowhere/{index}"), None, 0, 1)

    return [Task(AGENTS, "default", lambda index=index: fetch(index)) for index in range(count)]  # type: ignore[misc]


def drain(tasks: list[Task], monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], threading.Event]:
    """Run ``tasks`` with loads that may not finish before the hook fires (or 2 s have passed)."""
    order: list[str] = []
    answered = threading.Event()

    def load(_store: object, landed: Landed, *, bot: str, loaded_at: dt.datetime) -> Loaded:
        answered.wait(2)
        order.append(f"load {landed.path.name}")
        return Loaded(landed, rows=1)

    def requests_done() -> None:
        order.append("requests done")
        answered.set()

    monkeypatch.setattr(engine, "load_landed", load)
    clients = StepClients([])
    list(run_tasks(tasks, clients, None, dt.datetime.now(dt.UTC), lambda _: None, requests_done))  # type: ignore[arg-type]
    return order, answered


def test_the_hook_comes_after_the_last_response_and_before_the_loads_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    order, answered = drain(fake_tasks(4), monkeypatch)
    assert answered.is_set()
    assert order == ["requests done", "load 0", "load 1", "load 2", "load 3"]


def test_a_failed_request_keeps_the_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    order, answered = drain(fake_tasks(3, failing=1), monkeypatch)
    assert not answered.is_set() and "requests done" not in order


def test_steps_that_would_ask_again_on_a_retry_keep_the_lanes() -> None:
    assert may_release([ENDPOINTS_BY_TABLE[name] for name in ("conversations", "sla_by_group", "agents")])
    assert not may_release([ENDPOINTS_BY_TABLE["conversation_messages"]])  # details: chosen from the warehouse
    assert not may_release([ENDPOINTS_BY_TABLE["conversations_today"]])  # today's window moves with the clock


def lane_after(pipeline: PipelineEnv, holder: str) -> tuple[str, list[str]]:
    """The run's lane tag once the lists' run has ended, and the run's log messages."""
    with dg.instance_for_test() as instance:
        tags = {LANE: LANE_HELD, LANE_HOLDER_TAG: holder}
        result = pipeline.materialize_raw("agents", "groups", tags=tags, instance=instance)
        run = instance.get_run_by_id(result.run_id)
        assert result.success and run is not None
        return run.tags[LANE], [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_the_runs_only_api_step_releases_its_lane_in_a_real_run(pipeline: PipelineEnv) -> None:
    lane, messages = lane_after(pipeline, "live_raw_lists")
    assert lane == LANE_RELEASED
    assert any("released the run-queue lanes live-lane/default" in message for message in messages)


def test_a_run_with_another_api_step_keeps_its_lane_to_the_end(pipeline: PipelineEnv) -> None:
    lane, messages = lane_after(pipeline, "live_raw_daily")  # the coordinator names a run's only API step
    assert lane == LANE_HELD and not any("released" in message for message in messages)
