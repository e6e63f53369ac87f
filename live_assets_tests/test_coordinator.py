"""The bot-lane run coordinator: which runs hold which bots' lanes, on a real Dagster instance.

``lane_tags`` and ``queue_priority`` are pure and tested with tables. The coordinator itself is loaded
from both shipped instance files (the root ``dagster.yaml`` and ``deploy/dagster.yaml``, on SQLite) and
submits runs created for a real asset job: the lanes must be in the run's stored tags by the time the
run is queued, since the queue daemon reads tags from storage, and the queue's configuration must hold
one limit per bot. Overlapping backfills through a real daemon: test_many_bots.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

from live_assets.devtools.stack import PROJECT_DIR
from live_assets.instance.coordinator import BotLaneRunCoordinator, lane_tag, lane_tags, queue_priority
from live_assets.names import DEFAULT_BOT, LANE_HOLDER_TAG, PRIORITY_TAG

RAW = dg.AssetKey(["raw", "conversations"])
KPI = dg.AssetKey(["kpi", "sla_daily"])
AGENTS = dg.AssetKey(["raw", "agents"])
START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
ONE = {
    "dagster/partition": "bravo|2026-03-02",
    "dagster/partition/bot": "bravo",
    "dagster/partition/date": "2026-03-02",
}
THREE = ["alpha", "bravo", "charlie"]

LANE_CASES: list[tuple[str, Mapping[str, str], set[dg.AssetKey], list[str], list[str]]] = [
    # (case, tags, assets, the deployment's bots, expected lanes)
    ("one key of a bot", ONE, {RAW}, THREE, ["bravo"]),
    ("a range of one bot", {START: "alpha|2026-03-02", END: "alpha|2026-03-06"}, {RAW}, THREE, ["alpha"]),
    ("a range over bots holds each", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, {RAW}, THREE, THREE),
    ("a range of two bots", {START: "bravo|2026-03-02", END: "charlie|2026-03-02"}, {RAW}, THREE, THREE[1:]),
    ("raw and KPI in one run", ONE, {RAW, KPI}, THREE, ["bravo"]),
    ("KPI only", ONE, {KPI}, THREE, []),
    ("checks only (no asset)", ONE, set(), THREE, []),
    ("one bot's list", {"dagster/partition": "charlie"}, {AGENTS}, THREE, ["charlie"]),
    ("the lists of two bots", {START: "alpha", END: "bravo"}, {AGENTS}, THREE, THREE[:2]),
    ("one bot, date range", {START: "2026-03-02", END: "2026-03-06"}, {RAW}, [DEFAULT_BOT], [DEFAULT_BOT]),
    ("one bot, unpartitioned lists", {}, {AGENTS}, [DEFAULT_BOT], [DEFAULT_BOT]),
    ("no bot named: every lane", {}, {AGENTS}, THREE, THREE),
    ("a key merely containing raw", ONE, {dg.AssetKey(["kpi", "raw_share"])}, THREE, []),
]


@pytest.mark.parametrize(
    ("tags", "assets", "bots", "expected"), [c[1:] for c in LANE_CASES], ids=[c[0] for c in LANE_CASES]
)
def test_lane_tags(tags: Mapping[str, str], assets: set[dg.AssetKey], bots: list[str], expected: list[str]) -> None:
    assert lane_tags(tags, assets, bots) == {lane_tag(bot): "api" for bot in expected}


PRIORITY_CASES: list[tuple[str, Mapping[str, str], list[str], str | None]] = [
    # (case, tags, the run's ops, expected priority)
    ("the lists", {}, ["live_raw_lists"], "2"),
    ("a daily range", {START: "2026-03-02", END: "2026-03-06"}, ["live_raw_daily"], "1"),
    ("a weekly range", {START: "2026-03-02", END: "2026-03-30"}, ["live_raw_weekly"], None),
    ("daily and details", {}, ["live_raw_daily", "live_raw_details"], None),
    ("raw and KPI in one run", ONE, ["live_raw_daily", "kpi__sla_daily"], "1"),
    ("a priority set at launch is kept", {PRIORITY_TAG: "10"}, ["live_raw_today"], None),
    ("no API call", {}, ["kpi__sla_daily"], None),
]


@pytest.mark.parametrize(
    ("tags", "steps", "expected"), [c[1:] for c in PRIORITY_CASES], ids=[c[0] for c in PRIORITY_CASES]
)
def test_queue_priority(tags: Mapping[str, str], steps: list[str], expected: str | None) -> None:
    assert queue_priority(tags, steps) == expected


def test_a_bot_name_fits_a_lane_tag_key() -> None:
    from dagster._utils.tags import VALID_TAG_KEY_REGEX  # the check Dagster applies to tag keys

    from live_assets.bots import parse_bots

    longest = "b" * 63
    assert VALID_TAG_KEY_REGEX.match(lane_tag(longest))
    parse_bots({"bots": [{"name": longest, "x_token_env": "X", "token_env": "T", "start_date": "2026-01-01"}]})
    with pytest.raises(ValueError, match="name must be"):
        parse_bots(
            {"bots": [{"name": longest + "b", "x_token_env": "X", "token_env": "T", "start_date": "2026-01-01"}]}
        )


BOTS = dg.MultiPartitionsDefinition(
    {"bot": dg.StaticPartitionsDefinition(THREE), "date": dg.DailyPartitionsDefinition("2026-03-01")}
)
PER_BOT = dg.StaticPartitionsDefinition(THREE)


@dg.multi_asset(name="live_raw_daily", specs=[dg.AssetSpec(RAW, partitions_def=BOTS)])
def raw_conversations() -> None:
    """A stand-in with the real key and op name: the coordinator looks only at keys, ops and tags."""


@dg.asset(key=KPI, partitions_def=BOTS, deps=[RAW])
def sla_daily() -> None:
    """A stand-in KPI asset."""


@dg.multi_asset(name="live_raw_lists", specs=[dg.AssetSpec(AGENTS, partitions_def=PER_BOT)])
def raw_agents() -> None:
    """A stand-in for a list, partitioned by bot."""


DEFS = dg.Definitions(
    assets=[raw_conversations, sla_daily, raw_agents],
    jobs=[
        dg.define_asset_job("raw_job", selection=[RAW], partitions_def=BOTS),
        dg.define_asset_job("lists_job", selection=[AGENTS], partitions_def=PER_BOT),
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


def bots_file(tmp_path: Path) -> Path:
    path = tmp_path / "bots.yaml"
    entries = "".join(
        f"  - {{name: {bot}, x_token_env: X_{bot.upper()}, token_env: T_{bot.upper()}, start_date: 2026-01-01}}\n"
        for bot in THREE
    )
    path.write_text("bots:\n" + entries)
    return path


def test_both_instance_files_load_the_coordinator_with_a_lane_per_bot(
    instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator = instance.run_coordinator
    assert type(coordinator) is BotLaneRunCoordinator
    assert coordinator.dequeue_interval_seconds == 1
    assert coordinator.inst_data is not None and coordinator.inst_data.module_name == "live_assets.instance.coordinator"

    def limits() -> list[object]:
        # The daemon reads the queue's limits through the instance, at every iteration.
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        return list(queue.tag_concurrency_limits)

    assert limits() == [{"key": lane_tag(DEFAULT_BOT), "value": "api", "limit": 1}]
    monkeypatch.setenv("LIVE_BOTS_FILE", str(bots_file(tmp_path)))
    assert limits() == [{"key": lane_tag(bot), "value": "api", "limit": 1} for bot in THREE]


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


def lanes(run: dg.DagsterRun) -> list[str]:
    return sorted(key.split("/", 1)[1] for key in run.tags if key.startswith("live-lane/"))


def test_runs_are_queued_in_the_lanes_of_their_bots(
    instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVE_BOTS_FILE", str(bots_file(tmp_path)))
    # A UI backfill's run of one bot: range tags only; the whole raw job (no asset selection: read from the plan).
    one_bot = submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "alpha|2026-03-06"}, None)
    assert one_bot.asset_selection is None and lanes(one_bot) == ["alpha"]
    several = submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, {RAW})
    assert lanes(several) == THREE
    assert lanes(submit(instance, "kpi_job", ONE, None)) == []
    # The lists go ahead of the daily ranges queued in their lane, which keep the default priority.
    lists = submit(instance, "lists_job", {"dagster/partition": "bravo"}, None)
    assert lanes(lists) == ["bravo"] and lists.tags[PRIORITY_TAG] == "2"
    assert all(run.tags[PRIORITY_TAG] == "1" for run in (one_bot, several))
    # Each run's only API step may release its lanes once its requests are sent; a KPI run holds none.
    assert {run.tags[LANE_HOLDER_TAG] for run in (one_bot, several, lists)} == {"live_raw_daily", "live_raw_lists"}

    # No bots file: every API run is the one bot's, whatever its tags.
    monkeypatch.delenv("LIVE_BOTS_FILE")
    assert lanes(submit(instance, "raw_job", {START: "alpha|2026-03-02", END: "charlie|2026-03-02"}, None)) == [
        DEFAULT_BOT
    ]
    assert lanes(submit(instance, "kpi_job", {}, None)) == []
