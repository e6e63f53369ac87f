"""The bot-lane run coordinator: which runs get which ``live/bot`` lane, on a real Dagster instance.

``bot_lane`` is pure and tested with a table. The coordinator itself is loaded from both shipped
instance files (the root ``dagster.yaml`` and ``deploy/dagster.yaml``, on SQLite) and submits runs created
for a real asset job: the lane must be in the run's stored tags by the time the run is queued, since
the queue daemon reads tags from storage. The runs through a real daemon are in test_backfill_cli.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

from live_assets.ops.backfill import BOT_TAG, DEFAULT_BOT
from live_assets.ops.coordinator import (
    ALL_BOTS_LANE,
    PRIORITY_TAG,
    BotLaneRunCoordinator,
    bot_lane,
    queue_priority,
    several_bots_lane,
)
from live_assets.ops.stack import PROJECT_DIR

RAW = dg.AssetKey(["raw", "conversations"])
WEEKLY_RAW = dg.AssetKey(["raw", "summary_weekly"])
KPI = dg.AssetKey(["kpi", "sla_daily"])
START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
ONE = {
    "dagster/partition": "bravo|2026-03-02",
    "dagster/partition/bot": "bravo",
    "dagster/partition/date": "2026-03-02",
}

LANE_CASES: list[tuple[str, Mapping[str, str], set[dg.AssetKey], str | None, str | None]] = [
    # (case, tags, assets, single bot, expected lane)
    ("one key of a bot", ONE, {RAW}, None, "bravo"),
    ("a range of one bot", {START: "alpha|2026-03-02", END: "alpha|2026-03-06"}, {RAW, WEEKLY_RAW}, None, "alpha"),
    ("a range over bots", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, {RAW}, None, "[alpha..charlie]"),
    ("raw and KPI in one run", ONE, {RAW, KPI}, None, "bravo"),
    ("KPI only", ONE, {KPI}, None, None),
    ("checks only (no asset)", ONE, set(), None, None),
    ("KPI range of one bot", {START: "alpha|2026-03-02", END: "alpha|2026-03-06"}, {KPI}, None, None),
    ("the tag is kept", {BOT_TAG: "mine", **ONE}, {RAW}, None, "mine"),
    ("the tag is kept, one bot", {BOT_TAG: "mine"}, {RAW}, "default", "mine"),
    ("one bot, date range", {START: "2026-03-02", END: "2026-03-06"}, {RAW}, "default", "default"),
    ("one bot, one day", {"dagster/partition": "2026-03-02"}, {RAW}, "default", "default"),
    ("one bot, unpartitioned lists", {}, {dg.AssetKey(["raw", "agents"])}, "default", "default"),
    ("bots file, unpartitioned lists", {}, {dg.AssetKey(["raw", "agents"])}, None, ALL_BOTS_LANE),
    ("a key merely containing raw", ONE, {dg.AssetKey(["kpi", "raw_share"])}, None, None),
]


@pytest.mark.parametrize(
    ("tags", "assets", "single_bot", "expected"), [c[1:] for c in LANE_CASES], ids=[c[0] for c in LANE_CASES]
)
def test_bot_lane(
    tags: Mapping[str, str], assets: set[dg.AssetKey], single_bot: str | None, expected: str | None
) -> None:
    assert bot_lane(tags, assets, single_bot) == expected


AGENTS = dg.AssetKey(["raw", "agents"])
PRIORITY_CASES: list[tuple[str, Mapping[str, str], set[dg.AssetKey], str | None]] = [
    # (case, tags, assets, expected priority)
    ("the lists", {}, {AGENTS}, "2"),
    ("the lists of every bot, in the bots lane", {BOT_TAG: ALL_BOTS_LANE}, {AGENTS}, "2"),
    ("a weekly range", {START: "2026-03-02", END: "2026-03-30"}, {WEEKLY_RAW}, "1"),
    ("a daily range", {START: "2026-03-02", END: "2026-03-06"}, {RAW}, None),
    ("one day", {"dagster/partition": "2026-03-02"}, {RAW}, None),
    ("one bot x date key", ONE, {RAW}, None),
    ("raw and KPI in one run", ONE, {RAW, KPI}, None),
    ("a priority set at launch is kept", {PRIORITY_TAG: "-3"}, {AGENTS}, None),
    ("no API call", {}, {KPI}, None),
]


@pytest.mark.parametrize(
    ("tags", "assets", "expected"), [c[1:] for c in PRIORITY_CASES], ids=[c[0] for c in PRIORITY_CASES]
)
def test_queue_priority(tags: Mapping[str, str], assets: set[dg.AssetKey], expected: str | None) -> None:
    assert queue_priority(tags, assets) == expected


def test_a_lane_of_several_bots_is_never_a_bot_name() -> None:
    from live_assets.bots import parse_bots

    name = several_bots_lane("alpha", "charlie")
    with pytest.raises(ValueError, match="name must be"):
        parse_bots({"bots": [{"name": name, "x_token_env": "X", "token_env": "T"}]})
    with pytest.raises(ValueError, match="name must be"):
        parse_bots({"bots": [{"name": ALL_BOTS_LANE, "x_token_env": "X", "token_env": "T"}]})


BOTS = dg.MultiPartitionsDefinition(
    {
        "bot": dg.StaticPartitionsDefinition(["alpha", "bravo", "charlie"]),
        "date": dg.DailyPartitionsDefinition("2026-03-01"),
    }
)


@dg.asset(key=RAW, partitions_def=BOTS)
def raw_conversations() -> None:
    """A stand-in with the real key: the coordinator looks only at keys and tags."""


@dg.asset(key=KPI, partitions_def=BOTS, deps=[RAW])
def sla_daily() -> None:
    """A stand-in KPI asset."""


@dg.asset(key=AGENTS)
def raw_agents() -> None:
    """A stand-in for an unpartitioned list."""


DEFS = dg.Definitions(
    assets=[raw_conversations, sla_daily, raw_agents],
    jobs=[
        dg.define_asset_job("raw_job", selection=[RAW], partitions_def=BOTS),
        dg.define_asset_job("lists_job", selection=[AGENTS]),
        dg.define_asset_job("kpi_job", selection=[KPI], partitions_def=BOTS),
    ],
)


def instance_file(name: str) -> dict[str, object]:
    """A shipped instance file; deploy/'s without its PostgreSQL storage (SQLite in DAGSTER_HOME)."""
    document = yaml.safe_load((PROJECT_DIR / name).read_text())
    document.pop("storage", None)
    return document


@pytest.fixture(params=["dagster.yaml", "deploy/dagster.yaml"])
def instance(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_file(request.param)))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("LIVE_BOTS_FILE", raising=False)
    with dg.DagsterInstance.from_config(str(home)) as loaded:
        yield loaded


def test_both_instance_files_load_the_coordinator_with_the_stock_settings(instance: dg.DagsterInstance) -> None:
    coordinator = instance.run_coordinator
    assert type(coordinator) is BotLaneRunCoordinator
    assert coordinator.dequeue_interval_seconds == 1
    # The daemon reads the queue's limits through the instance, which takes them only from a QueuedRunCoordinator.
    queue = instance.get_concurrency_config().run_queue_config
    assert queue is not None
    limits = queue.tag_concurrency_limits
    assert {"key": BOT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    # KPI runs of one partition carry dagster/partition/bot too: a limit on it would queue them behind the raw run.
    assert all(limit["key"] != "dagster/partition/bot" for limit in limits)
    assert coordinator.inst_data is not None and coordinator.inst_data.module_name == "live_assets.ops.coordinator"


def submit(
    instance: dg.DagsterInstance, job: str, tags: Mapping[str, str], assets: set[dg.AssetKey] | None
) -> dg.DagsterRun:
    # A queued run names its code location and job (the webserver and daemon set it; here, by hand).
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("live_assets"), "__repository__"), job)
    run = instance.create_run_for_job(
        DEFS.resolve_job_def(job), tags=tags, asset_selection=assets, remote_job_origin=origin
    )
    context = dg.SubmitRunContext(run, workspace=cast("object", None))  # type: ignore[arg-type]  # unused by queueing
    instance.run_coordinator.submit_run(context)
    stored = instance.get_run_by_id(run.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.QUEUED
    return stored


def test_runs_are_queued_in_their_bot_lane(
    instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bots_file = tmp_path / "bots.yaml"
    bots_file.write_text("bots: []\n")
    monkeypatch.setenv("LIVE_BOTS_FILE", str(bots_file))
    # A UI backfill's run of one bot: range tags only; the whole raw job (no asset selection: read from the plan).
    one_bot = submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "alpha|2026-03-06"}, None)
    assert one_bot.asset_selection is None and one_bot.tags[BOT_TAG] == "alpha"
    several = submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, {RAW})
    assert several.tags[BOT_TAG] == "[alpha..charlie]"
    assert BOT_TAG not in submit(instance, "kpi_job", ONE, None).tags
    assert submit(instance, "raw_job", {BOT_TAG: "by-hand", **ONE}, {RAW}).tags[BOT_TAG] == "by-hand"
    # The lists go ahead of the daily ranges queued in their lane, which keep the default priority.
    lists = submit(instance, "lists_job", {}, None)
    assert lists.tags[BOT_TAG] == ALL_BOTS_LANE and lists.tags[PRIORITY_TAG] == "2"
    assert all(PRIORITY_TAG not in run.tags for run in (one_bot, several))

    # No bots file: every API run is the one bot's, whatever its tags.
    monkeypatch.delenv("LIVE_BOTS_FILE")
    assert (
        submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, None).tags[BOT_TAG]
        == DEFAULT_BOT
    )
    assert BOT_TAG not in submit(instance, "kpi_job", {}, None).tags
