"""The run coordinator that puts every run calling the Live API into its bot's run-queue lane.

The vendor serves one request at a time per bot token (CONTRACT.md). Dagster's queued run coordinator
limits runs per value of a tag (``tag_concurrency_limits`` in ``dagster.yaml``: one run per value of
``live/bot``), but only for runs that carry the tag. Runs launched by ``python -m live_assets.backfill``
carry it; a backfill launched from the UI over a bot x date range does not: Dagster cuts it into runs
tagged only ``dagster/asset_partition_range_start``/``_end`` (``"alpha|2026-03-02"``), so two runs of
one bot (the daily and the weekly raw run of one backfill) could both take ``live_api`` pool slots and
put two requests in flight on one token.

:class:`BotLaneRunCoordinator` is Dagster's :class:`QueuedRunCoordinator` with two additions: before a
run is queued, it stores the run's ``live/bot`` tag, derived from the run's partition tags by
:func:`bot_lane`, and it puts the runs with the least API work first in their lane (:func:`queue_priority`). The
queue daemon then applies the tag limit and the priority like any other tags. No lock of ours is
involved: the lane is Dagster's own run queue. The configuration is the parent's (its ``config_type``
and ``from_config_value`` are inherited; ``from_config_value`` builds ``cls``), so every key of the
stock coordinator (``dequeue_interval_seconds``, ``dequeue_use_threads``, the limits...) works.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from dagster import AssetKey, DagsterRun, DagsterRunStatus, QueuedRunCoordinator, SubmitRunContext

from live_assets.bots import bots_file_path
from live_assets.ops.backfill import BOT_TAG, DEFAULT_BOT
from live_assets.raw.endpoints import Partitioning, endpoint_of_asset
from live_assets.settings import SettingsError

# Dagster's tags on a run of a partition range (a single-run backfill), e.g. "alpha|2026-03-02".
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
# Dagster's tag on a run of one multi-partition key: the key's value in the ``bot`` dimension.
PARTITION_BOT_TAG = "dagster/partition/bot"
# Dagster joins the dimensions of a multi-partition key with "|", in dimension-name order: bot, date.
MULTI_KEY_SEPARATOR = "|"
# The first segment of every asset key that calls the API (the raw assets); KPI assets are ``kpi/...``.
API_ASSET_PREFIX = "raw"
# Dagster's run-queue priority tag: among queued runs the daemon may start, higher values go first.
PRIORITY_TAG = "dagster/priority"
# Run-queue priorities in a bot's lane, by the partitioning of the run's raw assets (default 0: daily).
LANE_PRIORITY: dict[Partitioning, int] = {Partitioning.NONE: 2, Partitioning.WEEKLY: 1}
# The lane of an unpartitioned API run with a bots file (the agent and group lists of every bot).
# Brackets cannot start a bot name (live_assets/bots.py), so a lane of several bots never equals a bot's.
ALL_BOTS_LANE = "[all]"

_log = logging.getLogger(__name__)


def several_bots_lane(first: str, last: str) -> str:
    """The lane of a run over the bots ``first`` to ``last`` (a range of the bot dimension), e.g. ``[alpha..charlie]``.

    Deterministic, so that runs over the same bots share a lane (they would share every token), and
    never a bot's own name.
    """
    return f"[{first}..{last}]"


def calls_api(asset_keys: Iterable[AssetKey]) -> bool:
    """Whether any of ``asset_keys`` is a raw asset, the only assets that call the API."""
    return any(key.path[:1] == [API_ASSET_PREFIX] for key in asset_keys)


def _bot_of(partition_key: str | None) -> str | None:
    if not partition_key or MULTI_KEY_SEPARATOR not in partition_key:
        return None
    return partition_key.split(MULTI_KEY_SEPARATOR, 1)[0]


def bot_lane(tags: Mapping[str, str], asset_keys: Iterable[AssetKey], single_bot: str | None) -> str | None:
    """The ``live/bot`` value a run should carry, or None for a run that stays out of every bot's lane.

    - a run of no raw asset (KPIs, checks) calls no API: None, so it never waits behind a bot's run;
    - a run that already has the tag (the CLI, a user in the launch dialog) keeps its value;
    - ``single_bot`` (no bots file): that bot, whatever the partitions;
    - one multi-partition key: its ``bot`` (Dagster's ``dagster/partition/bot`` tag);
    - a range whose start and end share the bot: that bot; a range over several bots (a backfill of
      fewer days than bots is cut into one run per day): :func:`several_bots_lane` of its first and last;
    - an unpartitioned raw run with a bots file (the lists, fetched for every bot): :data:`ALL_BOTS_LANE`.
    """
    if not calls_api(asset_keys):
        return None
    if tags.get(BOT_TAG):
        return tags[BOT_TAG]
    if single_bot is not None:
        return single_bot
    if tags.get(PARTITION_BOT_TAG):
        return tags[PARTITION_BOT_TAG]
    first = _bot_of(tags.get(ASSET_PARTITION_RANGE_START_TAG))
    last = _bot_of(tags.get(ASSET_PARTITION_RANGE_END_TAG))
    if first is not None and last is not None:
        return first if first == last else several_bots_lane(first, last)
    return ALL_BOTS_LANE


def queue_priority(tags: Mapping[str, str], asset_keys: Iterable[AssetKey]) -> str | None:
    """The ``dagster/priority`` an API run should get in the run queue, or None to leave it as it is.

    In a bot's lane the runs with the least API work go first: the lists (a couple of requests), then
    weekly runs (a few long windows), then daily ones. A backfill of every raw asset makes one run of
    each; every KPI run waits for ``raw/groups`` (the fallback SLA thresholds), and the backfill ends
    with the last run of the lane. Queued behind the 90-day daily run, the lists held the KPI layer back
    and the weekly run added its start and its requests to the end of the backfill (~3.5 s each in the
    benchmark); ahead of it, they cost the daily run the same time, which the KPIs overlap. A priority
    set at launch (the launch dialog, a schedule) is kept.
    """
    if PRIORITY_TAG in tags:
        return None
    cadences = [spec.partitioning for spec in map(endpoint_of_asset, (key.path for key in asset_keys)) if spec]
    if not cadences:
        return None  # no API call
    priority = min(LANE_PRIORITY.get(cadence, 0) for cadence in cadences)
    return str(priority) if priority else None


def single_bot_name() -> str | None:
    """The one bot's name when no bots file exists (read at each submission: a file may appear later).

    A ``LIVE_BOTS_FILE`` pointing at no file makes the code location fail to load; here it only means
    "not one bot", so that a submission is never refused by the coordinator itself.
    """
    try:
        return DEFAULT_BOT if bots_file_path() is None else None
    except SettingsError as error:
        _log.warning("bots file: %s; deriving bot lanes from partition tags only", error)
        return None


class BotLaneRunCoordinator(QueuedRunCoordinator):
    """Dagster's queued run coordinator, storing each API run's ``live/bot`` lane before queueing it."""

    def run_asset_keys(self, run: DagsterRun) -> frozenset[AssetKey]:
        """The assets the run materializes: its selection, else its execution plan's (a whole asset job)."""
        if run.asset_selection is not None:
            return frozenset(run.asset_selection)
        if run.execution_plan_snapshot_id is None:
            return frozenset()
        return frozenset(self._instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id).asset_selection)

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        if run.status == DagsterRunStatus.NOT_STARTED:
            added: dict[str, str] = {}
            asset_keys = self.run_asset_keys(run)
            lane = None if BOT_TAG in run.tags else bot_lane(run.tags, asset_keys, single_bot_name())
            if lane is not None:
                added[BOT_TAG] = lane
            priority = queue_priority(run.tags, asset_keys)
            if priority is not None:
                added[PRIORITY_TAG] = priority
            if added:
                # Stored before the run is queued: the queue daemon reads the tags from storage.
                self._instance.add_run_tags(run.run_id, added)
                run = run.with_tags({**run.tags, **added})
        return super().submit_run(context._replace(dagster_run=run))
