"""``python -m live_assets.backfill`` against a real webserver and daemon: the backfill is the daemon's.

The test starts what a deployment runs (``dagster-webserver`` and ``dagster-daemon run`` on a temporary
``DAGSTER_HOME`` holding the project's ``dagster.yaml``) and a simulator, runs the command line as a
user would, and checks the outcome in three places: the command's exit code and output, the runs in
the instance (tagged by the backfill, launched through the queue), and the rows in DuckDB.

Timing: one daemon iteration launches the runs, a later one sees them finished and marks the backfill
complete. The daemon is the project's (``live_assets.devtools.daemon``, iterations at most 1 s apart, as
``make dev`` runs it), started right after the command line submits, so that its first iteration picks
the backfill up at once.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from live_assets import contract
from live_assets.backfill.days import DayRange
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.submit import (
    BackfillError,
    backfill_progress,
    default_tags,
    fetch_assets,
    launch_backfill,
    plan_backfill,
    select_assets,
    wait_for_backfill,
)
from live_assets.devtools.stack import LocalDagster
from live_assets.simulator import SimulatorConfig, SimulatorServer
from live_assets.warehouse import Warehouse
from live_assets_tests.child import ChildProcess
from live_assets_tests.pipeline import simulator_env
from live_assets_tests.test_many_bots import bots_env, instance_config

pytestmark = pytest.mark.slow

FIRST, LAST = dt.date(2026, 3, 4), dt.date(2026, 3, 5)  # a Wednesday and a Thursday: no whole week
SELECTION = "raw/conversations,raw/conversation_stats,raw/agents,raw/summary_weekly"
CLI_DEADLINE_SECONDS = 300.0

RUNS_QUERY = """
query BackfillRuns($id: String!) {
  runsOrError(filter: { tags: [{ key: "dagster/backfill", value: $id }] }) {
    ... on Runs { results { runId status tags { key value } assetSelection { path } } }
  }
}
"""


@dataclass
class Stack:
    sim: SimulatorServer
    dagster: LocalDagster
    root: Path

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.root / "live.duckdb")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A simulator and a webserver; the daemon is started by the test that needs it (see the docstring)."""
    root = tmp_path_factory.mktemp("backfill_cli")
    with SimulatorServer(SimulatorConfig(seed=7, conversations_per_day=300, timezone="UTC")) as sim:
        dagster = LocalDagster(dagster_home=root / "dagster_home", env=simulator_env(sim.base_url, root), log_dir=root)
        try:
            dagster.start_webserver()
            yield Stack(sim, dagster, root)
        finally:
            dagster.stop()


class Cli(ChildProcess):
    """The command line as a child process, its output lines readable with a deadline."""

    def __init__(self, *args: str) -> None:
        super().__init__(
            [sys.executable, "-m", "live_assets.backfill", *args],
            env={k: v for k, v in os.environ.items() if not k.startswith("LIVE_")},
        )

    def wait_for_line(self, prefix: str, deadline: float) -> str:
        return self.wait_for(lambda line: line.startswith(prefix), f"starting {prefix!r}", deadline)


@pytest.fixture
def cli() -> Iterator[type[Cli]]:
    started: list[Cli] = []

    class Tracked(Cli):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for command in started:
        command.kill_everything()


def backfill_ids(stack: Stack) -> list[str]:
    with DagsterGraphQL(stack.dagster.url) as client:
        data = client.execute("{ partitionBackfillsOrError { ... on PartitionBackfills { results { id } } } }")
    return [b["id"] for b in data["partitionBackfillsOrError"]["results"]]


def test_a_dry_run_and_a_mistyped_selection_submit_nothing(stack: Stack, cli: type[Cli]) -> None:
    deadline = time.monotonic() + 120
    before = backfill_ids(stack)
    url, days = stack.dagster.url, ["--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    dry = cli("--url", url, *days, "--select", SELECTION, "--dry-run")
    assert dry.finish(deadline) == 0, dry.output
    assert "raw/conversations: 2 partition(s) 2026-03-04..2026-03-05" in dry.output
    assert "raw/agents: unpartitioned" in dry.output
    assert "raw/summary_weekly: skipped (no whole partition inside 2026-03-04..2026-03-05)" in dry.output

    typo = cli("--url", url, *days, "--select", "group:live_rwa")
    assert typo.finish(deadline) == 2
    assert "selection 'group:live_rwa' matches no materializable asset" in typo.output

    unreachable = cli("--url", "http://127.0.0.1:9", *days)
    assert unreachable.finish(deadline) == 3
    assert "no Dagster webserver at http://127.0.0.1:9" in unreachable.output
    assert backfill_ids(stack) == before


def test_waiting_on_a_backfill_without_a_daemon_fails_fast_and_names_the_fix(tmp_path: Path) -> None:
    """``dagster-webserver`` alone accepts a backfill that nothing will ever run: say so, do not hang."""
    with SimulatorServer(SimulatorConfig(seed=7, timezone="UTC")) as sim:
        env = simulator_env(sim.base_url, tmp_path)
        with LocalDagster(dagster_home=tmp_path / "dagster_home", env=env, log_dir=tmp_path) as webserver_only:
            webserver_only.start_webserver()
            with DagsterGraphQL(webserver_only.url) as client:
                plan = plan_backfill(select_assets(fetch_assets(client), "raw/agents"), DayRange(FIRST, LAST))
                backfill_id = launch_backfill(client, plan, tags=default_tags("test"))
                assert client.missing_daemons() == ["BACKFILL", "QUEUED_RUN_COORDINATOR"]
                with pytest.raises(BackfillError, match=r"daemons that are not running .*dagster-daemon run"):
                    wait_for_backfill(client, backfill_id, daemon_grace=0.0, poll=0.1, timeout=60)
                assert backfill_progress(client, backfill_id).status == "REQUESTED"


def test_a_command_line_backfill_is_run_by_the_daemon(stack: Stack, cli: type[Cli]) -> None:
    deadline = time.monotonic() + CLI_DEADLINE_SECONDS
    started = time.monotonic()
    command = cli(
        "--url", stack.dagster.url, "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--select", SELECTION,
        "--wait", "--timeout", str(CLI_DEADLINE_SECONDS - 30),
    )  # fmt: skip
    submitted = command.wait_for_line("Submitted backfill ", deadline)
    backfill_id = submitted.split()[2].rstrip(":")
    assert backfill_id in backfill_ids(stack)
    stack.dagster.start_daemon()
    assert command.finish(deadline) == 0, command.output + "\n" + stack.dagster.processes[-1].log_tail()
    elapsed = time.monotonic() - started
    ended = command.lines[-1]
    assert ended.startswith(f"Backfill {backfill_id} ended: COMPLETED_SUCCESS"), command.output
    assert "5/5 partitions materialized" in ended  # 2 days x 2 daily assets + the agent list
    print(f"\ncommand-line backfill: {elapsed:.1f} s wall; {ended}")
    # The project's daemon ran it (backfill iterations every second, live_assets/devtools/daemon.py), not the stock one.
    daemon_log = stack.dagster.processes[-1].log_path.read_text()
    assert "live-assets daemon: backfill iterations at most 1 s apart" in daemon_log

    # The runs are the daemon's: created by the backfill (tagged with it), queued, then launched.
    with DagsterGraphQL(stack.dagster.url) as client:
        runs = client.execute(RUNS_QUERY, {"id": backfill_id})["runsOrError"]["results"]
    assert runs and all(run["status"] == "SUCCESS" for run in runs), runs
    for run in runs:
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        assert tags["dagster/backfill"] == backfill_id
        # Dagster's own run queue: no tag of ours beyond where the backfill came from.
        assert tags["live/launched_by"] == "cli" and not [key for key in tags if key.startswith("live-lane")]
    materialized = sorted("/".join(key["path"]) for run in runs for key in run["assetSelection"])
    assert materialized == ["raw/agents", "raw/conversation_stats", "raw/conversations"]

    # And the rows are in DuckDB: every conversation of both days, one stats row a day, the agents.
    rows = dict(stack.warehouse.query("SELECT _partition_day, count(*) FROM raw.conversations GROUP BY ALL ORDER BY 1"))
    assert rows == {FIRST: len(stack.sim.conversations(FIRST)), LAST: len(stack.sim.conversations(LAST))}
    assert all(count > 100 for count in rows.values())
    stats_days = stack.warehouse.query("SELECT _partition_day FROM raw.conversation_stats ORDER BY 1")
    assert stats_days == [(FIRST,), (LAST,)]
    assert stack.warehouse.query("SELECT count(*) FROM raw.agents")[0][0] > 0
    assert stack.sim.counters()["responses"].get("429", 0) == 0


def test_exclude_leaves_assets_out_of_any_selection(stack: Stack, cli: type[Cli]) -> None:
    """The README's step 3: every raw asset but the per-conversation details, from the command line."""
    deadline = time.monotonic() + CLI_DEADLINE_SECONDS
    url, day = stack.dagster.url, ["--from", LAST.isoformat(), "--to", LAST.isoformat()]
    dry = cli("--url", url, *day, "--select", "group:live_raw", "--exclude", "raw/conversation_messages", "--dry-run")
    assert dry.finish(deadline) == 0, dry.output
    planned = {line.split(":")[0].strip() for line in dry.lines[1:]}
    with DagsterGraphQL(url) as client:
        raw = {asset.path for asset in fetch_assets(client) if asset.group == "live_raw" and asset.materializable}
    assert planned == raw - {"raw/conversation_messages"} and len(planned) >= 10, dry.output
    typo = cli("--url", url, *day, "--exclude", "raw/conversation_mesages", "--dry-run")
    assert typo.finish(deadline) == 2
    assert "--exclude 'raw/conversation_mesages' matches no materializable asset" in typo.output

    # A real backfill against the simulator: the conversations of the day, and not one detail request.
    if not any(process.name == "daemon" for process in stack.dagster.processes):
        stack.dagster.start_daemon()
    stack.sim.reset_counters()
    command = cli(
        "--url", url, *day, "--select", "raw/conversations,raw/conversation_messages",
        "--exclude", "key:*messages", "--wait", "--timeout", str(CLI_DEADLINE_SECONDS - 30),
    )  # fmt: skip
    assert command.finish(deadline) == 0, command.output
    assert "1/1 partitions materialized" in command.lines[-1], command.output
    requests = stack.sim.counters()["requests"]
    assert requests.get(str(contract.Path.CONVERSATION_LIST), 0) >= 1
    assert requests.get(str(contract.Path.CONVERSATION_DETAIL), 0) == 0


TWO_BOTS = ("alpha", "bravo")


@pytest.fixture(scope="module")
def bots_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Two bots of the simulator (no latency), a bots file, and deploy/dagster.yaml on SQLite."""
    root = tmp_path_factory.mktemp("backfill_cli_bots")
    config = SimulatorConfig(seed=7, conversations_per_day=60, timezone="UTC", bots=len(TWO_BOTS))
    with SimulatorServer(config) as sim:
        env = bots_env(root, sim.base_url, TWO_BOTS, sim.x_tokens())
        dagster = LocalDagster(dagster_home=root / "dagster_home", env=env, log_dir=root)
        (dagster.dagster_home / "dagster.yaml").write_text(instance_config("sqlite"))
        try:
            dagster.start_webserver()
            yield Stack(sim, dagster, root)
        finally:
            dagster.stop()


def test_with_a_bots_file_the_command_line_backfills_the_chosen_bots(bots_stack: Stack, cli: type[Cli]) -> None:
    stack = bots_stack
    deadline = time.monotonic() + CLI_DEADLINE_SECONDS
    url, days = stack.dagster.url, ["--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    one = cli("--url", url, *days, "--select", "raw/conversations,raw/agents", "--bot", "bravo", "--dry-run")
    assert one.finish(deadline) == 0, one.output
    assert "  bots: bravo" in one.lines
    assert "  raw/conversations: 2 partition(s) bravo|2026-03-04..bravo|2026-03-05" in one.lines
    assert "  raw/agents: 1 partition(s) bravo..bravo" in one.lines  # the lists: by bot
    unknown = cli("--url", url, *days, "--bot", "alpha", "--bot", "zulu", "--dry-run")
    assert unknown.finish(deadline) == 2
    assert "bot(s) 'zulu' not in the bots file (alpha, bravo)" in unknown.output

    # Every bot by default: 2 days x 2 bots of two daily assets. Dagster cuts the single-run backfill
    # by one dimension (here by day: one run per day over both bots); the token lock keeps each bot's
    # requests one at a time, whichever runs overlap.
    command = cli(
        "--url", url, *days, "--select", "raw/conversations,raw/conversation_stats",
        "--wait", "--timeout", str(CLI_DEADLINE_SECONDS - 30),
    )  # fmt: skip
    backfill_id = command.wait_for_line("Submitted backfill ", deadline).split()[2].rstrip(":")
    stack.dagster.start_daemon()
    assert command.finish(deadline) == 0, command.output + "\n" + stack.dagster.processes[-1].log_tail()
    assert "8/8 partitions materialized" in command.lines[-1], command.output

    with DagsterGraphQL(stack.dagster.url) as client:
        runs = client.execute(RUNS_QUERY, {"id": backfill_id})["runsOrError"]["results"]
    covered = set()
    for run in runs:
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        assert tags["live/launched_by"] == "cli"
        first, first_day = tags["dagster/asset_partition_range_start"].split("|")
        last, last_day = tags["dagster/asset_partition_range_end"].split("|")
        covered |= {(first, first_day), (last, last_day)}
    assert covered == {(bot, day.isoformat()) for bot in TWO_BOTS for day in (FIRST, LAST)}

    rows = stack.warehouse.query("SELECT _bot, _partition_day, count(*) FROM raw.conversation_stats GROUP BY ALL")
    assert sorted((bot, day) for bot, day, _ in rows) == [(bot, day) for bot in TWO_BOTS for day in (FIRST, LAST)]
    counters = stack.sim.counters()
    assert counters["responses"].get("429", 0) == 0 and counters["max_in_flight_per_bot"] <= 1
