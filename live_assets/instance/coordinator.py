"""The run coordinator that gives every run calling the Live API the lane of each bot it covers.

The vendor serves one request at a time per bot token (docs/api-contract.md §1). Every API step of a
run sends its requests one at a time and a run's steps go one after the other, so "one request in
flight per token" holds as soon as at most one API run per bot may still send requests. Dagster's run queue
can say that with tag limits, but two things are missing, so a coordinator of ours remains:

- Dagster tags a run of one multi-partition key with its bot (``dagster/partition/bot``) but a run of
  a partition range, which is what a backfill makes, only with the range's first and last keys
  (``dagster/asset_partition_range_start``/``_end``, e.g. ``alpha|2026-03-02``): no tag names the bot.
- A backfill of fewer days than bots is cut by Dagster into runs of one day over several bots
  (``DefaultPartitionsSubset.get_partition_key_ranges``); such a run must hold every one of those bots'
  lanes, and a tag limit holds one value per key.

So :class:`BotLaneRunCoordinator` is Dagster's :class:`QueuedRunCoordinator` that, before queueing a
run that calls the API, stores one tag per bot the run covers (``live-lane/<bot>``, :func:`lane_tags`),
and whose run-queue configuration holds a limit of one run per such tag while its value is ``api``, for
every bot of the bots file (:meth:`get_run_queue_config`). The queue daemon applies them like any other
tag limit: a run over ``alpha`` and ``bravo`` waits for, and holds back, every run of either. Runs that
call no API (KPIs, checks) get no lane. The configuration keys are the stock coordinator's.

A run whose API work is one step (every run a backfill or a schedule makes) names it in
``live-lane-holder``; that step releases the run's lanes (``live-lane/<bot>: released``, no longer
counted by the limit) as soon as it has sent its last request, so the bot's next API run starts while
this one still loads, writes its events and runs its checks (``live_assets/raw/lanes.py``). A run with
several API steps holds its lanes until it ends.

Among one bot's queued runs, the lists go first (every KPI waits for them), then the daily endpoints
(the long part, whose KPIs follow them while the rest of the step fetches), then the weekly ones and the
conversation details, which no KPI of a backfill waits for (:func:`queue_priority`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dagster import AssetKey, DagsterRun, DagsterRunStatus, QueuedRunCoordinator, SubmitRunContext

from live_assets.bots import bots_file_path, load_bots_file
from live_assets.names import (
    API_ASSET_PREFIX,
    API_STEP_PREFIX,
    BOT_DIMENSION,
    DEFAULT_BOT,
    LANE_HELD,
    LANE_HOLDER_TAG,
    LANE_TAG_PREFIX,
    MULTI_KEY_SEPARATOR,
    PRIORITY_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from live_assets.settings import SettingsError

# Dagster's tag on a run of one partition key of a multi-partitioned asset: the key's value in ``bot``.
PARTITION_BOT_TAG = f"dagster/partition/{BOT_DIMENSION}"
PARTITION_TAG = "dagster/partition"
# Run-queue priorities in a bot's lane by the run's API step (default 0: the weekly endpoints, the details).
LANE_PRIORITY: Mapping[str, int] = {f"{API_STEP_PREFIX}lists": 2, f"{API_STEP_PREFIX}daily": 1}

_log = logging.getLogger(__name__)


def lane_tag(bot: str) -> str:
    return f"{LANE_TAG_PREFIX}{bot}"


def calls_api(asset_keys: Iterable[AssetKey]) -> bool:
    """Whether any of ``asset_keys`` is a raw asset, the only assets that call the API."""
    return any(key.path[:1] == [API_ASSET_PREFIX] for key in asset_keys)


def _bot_of(partition_key: str, bots: Sequence[str]) -> str | None:
    """The bot of a ``bot|date`` key, or of a key that is a bot's name (the lists)."""
    bot = partition_key.split(MULTI_KEY_SEPARATOR, 1)[0]
    return bot if bot in bots else None


def bots_of_run(tags: Mapping[str, str], bots: Sequence[str]) -> list[str]:
    """The bots a run covers, from its partition tags; every bot when it names none (the lists of an
    unpartitioned run, a run whose keys this file does not know)."""
    if len(bots) == 1:
        return list(bots)
    if tags.get(PARTITION_BOT_TAG) in bots:
        return [tags[PARTITION_BOT_TAG]]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start is not None and end is not None:
        first, last = _bot_of(start, bots), _bot_of(end, bots)
        if first is not None and last is not None:
            low, high = sorted((bots.index(first), bots.index(last)))
            return list(bots[low : high + 1])
    single = tags.get(PARTITION_TAG)
    if single is not None and _bot_of(single, bots) is not None:
        return [_bot_of(single, bots)]  # type: ignore[list-item]
    return list(bots)


def lane_tags(tags: Mapping[str, str], asset_keys: Iterable[AssetKey], bots: Sequence[str]) -> dict[str, str]:
    """One ``live-lane/<bot>`` tag per bot the run covers; none for a run that calls no API."""
    if not calls_api(asset_keys):
        return {}
    return {lane_tag(bot): LANE_HELD for bot in bots_of_run(tags, bots)}


def queue_priority(tags: Mapping[str, str], step_names: Iterable[str]) -> str | None:
    """The ``dagster/priority`` an API run gets in the queue, or None to leave it as it is.

    The lists go first (a couple of requests, which every KPI run waits for), then the daily endpoints
    (their KPIs follow them), then the rest (weekly windows, conversation details), which no KPI of the
    backfill waits for. A priority set at launch (the launch dialog, a schedule: today's refresh) is kept.
    """
    if PRIORITY_TAG in tags:
        return None
    priorities = [LANE_PRIORITY.get(name, 0) for name in step_names if name.startswith(API_STEP_PREFIX)]
    if not priorities:
        return None
    priority = min(priorities)
    return str(priority) if priority else None


def deployment_bots() -> list[str]:
    """The bots of the bots file (read at each call: a file may change), or the one default bot.

    A bots file that cannot be read makes the code location fail to load; here it only means "the
    default bot", so that a submission is never refused by the coordinator itself.
    """
    try:
        path = bots_file_path()
        return [DEFAULT_BOT] if path is None else [bot.name for bot in load_bots_file(path)]
    except SettingsError as error:
        _log.warning("bots file: %s; API runs get the default bot's lane only", error)
        return [DEFAULT_BOT]


class BotLaneRunCoordinator(QueuedRunCoordinator):
    """Dagster's queued run coordinator, storing each API run's bot lanes before queueing it."""

    def get_run_queue_config(self) -> Any:
        """The stock configuration plus one run per bot lane. Limits set under ``concurrency.runs`` in
        ``dagster.yaml`` replace the coordinator's (Dagster's precedence), lanes included: keep extra
        tag limits in this coordinator's ``tag_concurrency_limits`` instead."""
        config = super().get_run_queue_config()
        lanes = [{"key": lane_tag(bot), "value": LANE_HELD, "limit": 1} for bot in deployment_bots()]
        return config._replace(tag_concurrency_limits=[*config.tag_concurrency_limits, *lanes])

    def _plan(self, run: DagsterRun) -> tuple[frozenset[AssetKey], list[str]]:
        """The run's assets (its selection, else its plan's) and the names of the ops it executes."""
        if run.execution_plan_snapshot_id is None:
            return frozenset(run.asset_selection or ()), []
        snapshot = self._instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        assets = (
            frozenset(run.asset_selection) if run.asset_selection is not None else frozenset(snapshot.asset_selection)
        )
        names = sorted({step.key.split("[", 1)[0] for step in snapshot.steps})
        return assets, names

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        if run.status == DagsterRunStatus.NOT_STARTED:
            asset_keys, step_names = self._plan(run)
            added = lane_tags(run.tags, asset_keys, deployment_bots())
            priority = queue_priority(run.tags, step_names) if added else None
            if priority is not None:
                added[PRIORITY_TAG] = priority
            api_steps = [name for name in step_names if name.startswith(API_STEP_PREFIX)]
            if added and len(api_steps) == 1:
                added[LANE_HOLDER_TAG] = api_steps[0]
            if added:
                # Stored before the run is queued: the queue daemon reads the tags from storage.
                self._instance.add_run_tags(run.run_id, added)
                run = run.with_tags({**run.tags, **added})
        return super().submit_run(context._replace(dagster_run=run))
