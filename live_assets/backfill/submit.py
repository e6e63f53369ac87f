"""Launch an asset backfill through a running Dagster webserver and follow it to the end.

This is the path the UI takes when a user selects partitions and clicks "Launch backfill": the
``launchPartitionBackfill`` mutation with ``partitionsByAssets``, which stores the backfill; the
backfill daemon then submits runs to the run queue, layer by layer of the asset graph, and marks
the backfill complete. A backfill launched here shows in the UI's backfill list like any other, and
its runs carry the ``dagster/backfill`` tag.

Each asset is given the partitions of the requested day range that suit it: daily assets every day,
weekly assets the weeks that lie wholly inside the range, unpartitioned assets (the dimension lists)
themselves. A partitioned asset that has no partition inside the range is left out: sending it with
no partitions would ask Dagster for *all* of its partitions.

With a bots file the partitioned assets are ``bot`` x ``date`` (live_assets/partitions.py): each gets the
``<bot>|<date>`` keys of the chosen bots (default: every bot) and the days above, and the lists their
bots. Runs of one bot may overlap: the API client's token lock keeps one request in flight per bot.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from live_assets.backfill.days import DayRange, cadence_days, partitions_inside
from live_assets.backfill.graphql import DagsterGraphQL, DagsterGraphQLError
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION, MULTI_KEY_SEPARATOR

TERMINAL_STATUSES = frozenset({"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"})
FINISHED_RUN_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
FAILED_RUN_STATUSES = frozenset({"FAILURE", "CANCELED"})
BACKFILL_TAG = "dagster/backfill"
LAUNCHED_BY_TAG = "live/launched_by"
DEFAULT_POLL_SECONDS = 1.0


class BackfillError(RuntimeError):
    """The backfill could not be planned or launched (bad selection, nothing to do, rejected)."""


@dataclass(frozen=True)
class AssetInfo:
    """What the launcher needs to know of one asset, as the webserver reports it."""

    key: tuple[str, ...]
    group: str
    kinds: frozenset[str] = frozenset()
    partitioned: bool = False
    partition_description: str = ""
    partition_keys: tuple[str, ...] = ()
    materializable: bool = True
    check_names: tuple[str, ...] = ()
    # A multi-partitioned asset's dimensions, (name, description), in the order of a key's parts.
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        """The key as the UI writes it: ``raw/conversations``."""
        return "/".join(self.key)

    @property
    def by_bot(self) -> bool:
        """Partitioned by bot x date (a bots file), keys ``alpha|2026-03-02``."""
        names = [name for name, _ in self.dimensions]
        return sorted(names) == sorted((BOT_DIMENSION, DATE_DIMENSION))

    @property
    def date_description(self) -> str:
        """The description of the date partitions (``"Daily, starting ..."``), whichever the layout."""
        return dict(self.dimensions).get(DATE_DIMENSION, self.partition_description)

    def keys_by_bot(self) -> dict[str, dict[str, str]]:
        """For a bot x date asset: bot -> date key -> partition key, bots and dates in Dagster's order."""
        names = [name for name, _ in self.dimensions]
        bot_at, date_at = names.index(BOT_DIMENSION), names.index(DATE_DIMENSION)
        by_bot: dict[str, dict[str, str]] = {}
        for key in self.partition_keys:
            parts = key.split(MULTI_KEY_SEPARATOR)
            by_bot.setdefault(parts[bot_at], {})[parts[date_at]] = key
        return by_bot


@dataclass(frozen=True)
class AssetPartitions:
    """One asset of a backfill and its partition keys (None: an unpartitioned asset)."""

    asset: AssetInfo
    partition_keys: tuple[str, ...] | None

    def graphql_input(self) -> dict[str, Any]:
        selector: dict[str, Any] = {"assetKey": {"path": list(self.asset.key)}}
        if self.partition_keys is not None:
            selector["partitions"] = {"ranges": _key_ranges(self.asset.partition_keys, self.partition_keys)}
        return selector


@dataclass(frozen=True)
class BackfillPlan:
    """What a backfill will target, and what was left out and why (shown to the user)."""

    days: DayRange
    targets: tuple[AssetPartitions, ...]
    skipped: tuple[tuple[AssetInfo, str], ...] = ()
    # The bots of a bot x date backfill (a bots file), None with one bot.
    bots: tuple[str, ...] | None = None

    @property
    def num_partitions(self) -> int:
        return sum(len(t.partition_keys) if t.partition_keys is not None else 1 for t in self.targets)

    def describe(self) -> list[str]:
        lines = []
        for target in self.targets:
            keys = target.partition_keys
            if keys is None:
                lines.append(f"{target.asset.path}: unpartitioned" + (", every bot" if self.bots is not None else ""))
            else:
                lines.append(f"{target.asset.path}: {len(keys)} partition(s) {keys[0]}..{keys[-1]}")
        lines += [f"{asset.path}: skipped ({reason})" for asset, reason in self.skipped]
        return lines


ASSETS_QUERY = """
query LiveAssetNodes {
  assetNodes {
    assetKey { path }
    groupName
    kinds
    isMaterializable
    isPartitioned
    partitionDefinition { type description dimensionTypes { name description } }
    partitionKeys
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
  }
}
"""

LAUNCH_MUTATION = """
mutation LiveLaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""

STATUS_QUERY = """
query LiveBackfillStatus($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      id
      status
      timestamp
      endTimestamp
      error { message }
      runs { runId status creationTime startTime endTime assetSelection { path } }
      assetBackfillData {
        assetBackfillStatuses {
          __typename
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsInProgress
            numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus { assetKey { path } inProgress materialized failed }
        }
      }
    }
    ... on Error { message }
  }
}
"""


def parse_assets(nodes: Iterable[Mapping[str, Any]]) -> list[AssetInfo]:
    """The ``assetNodes`` answer as :class:`AssetInfo` objects, sorted by key."""
    assets = []
    for node in nodes:
        partition_definition = node.get("partitionDefinition") or {}
        checks = node.get("assetChecksOrError") or {}
        check_names = (
            tuple(c["name"] for c in checks.get("checks", [])) if checks.get("__typename") == "AssetChecks" else ()
        )
        assets.append(
            AssetInfo(
                key=tuple(node["assetKey"]["path"]),
                group=node["groupName"],
                kinds=frozenset(node.get("kinds") or ()),
                partitioned=bool(node["isPartitioned"]),
                partition_description=partition_definition.get("description", ""),
                partition_keys=tuple(node.get("partitionKeys") or ()),
                materializable=bool(node["isMaterializable"]),
                check_names=check_names,
                dimensions=tuple(
                    (dimension["name"], dimension["description"])
                    for dimension in partition_definition.get("dimensionTypes") or ()
                    if partition_definition.get("type") == "MULTIPARTITIONED"
                ),
            )
        )
    return sorted(assets, key=lambda a: a.key)


def fetch_assets(client: DagsterGraphQL) -> list[AssetInfo]:
    return parse_assets(client.execute(ASSETS_QUERY)["assetNodes"])


def parse_selection(selection: str | Sequence[str] | None) -> list[str]:
    """``"group:live_raw, raw/agents"`` or ``["group:live_raw", "raw/agents"]`` as a list of items."""
    if selection is None:
        return []
    parts = selection.split(",") if isinstance(selection, str) else [p for s in selection for p in s.split(",")]
    return [part.strip() for part in parts if part.strip()]


def _matches(asset: AssetInfo, item: str) -> bool:
    kind, _, value = item.partition(":") if ":" in item else ("key", "", item)
    if kind == "group":
        return fnmatch.fnmatchcase(asset.group, value)
    if kind == "key":
        return fnmatch.fnmatchcase(asset.path, value.strip('"'))
    if kind == "kind":
        return any(fnmatch.fnmatchcase(k, value) for k in asset.kinds)
    raise BackfillError(f"unknown selection {item!r}: use group:NAME, key:PATH, kind:NAME or a key such as raw/agents")


def select_assets(
    assets: Sequence[AssetInfo],
    selection: str | Sequence[str] | None,
    exclude: str | Sequence[str] | None = None,
) -> list[AssetInfo]:
    """The materializable assets matching any item of ``selection`` (all of them when it is empty), less
    those matching any item of ``exclude``.

    The items are a small subset of Dagster's selection syntax (``group:``, ``key:``, ``kind:``, with
    ``*`` wildcards), joined by commas as a union. An item that matches nothing is an error, in either
    list: a typo must not silently shrink a backfill, nor silently keep what was meant to be left out.
    """
    candidates = [a for a in assets if a.materializable]
    chosen = _union(candidates, parse_selection(selection), "selection") or {a.key: a for a in candidates}
    left_out = _union(candidates, parse_selection(exclude), "--exclude")
    remaining = [asset for key, asset in chosen.items() if key not in left_out]
    if not remaining:
        raise BackfillError("--exclude leaves no asset of the selection to backfill")
    return sorted(remaining, key=lambda a: a.key)


def _union(candidates: Sequence[AssetInfo], items: Sequence[str], what: str) -> dict[tuple[str, ...], AssetInfo]:
    chosen: dict[tuple[str, ...], AssetInfo] = {}
    for item in items:
        matched = [a for a in candidates if _matches(a, item)]
        if not matched:
            raise BackfillError(f"{what} {item!r} matches no materializable asset")
        chosen.update({a.key: a for a in matched})
    return chosen


def bots_of(assets: Sequence[AssetInfo]) -> tuple[str, ...] | None:
    """The bots of the bot x date assets among ``assets`` in Dagster's order, or None with one bot (no bots file)."""
    by_bot = [asset for asset in assets if asset.by_bot]
    if not by_bot:
        return None
    return tuple(dict.fromkeys(bot for asset in by_bot for bot in asset.keys_by_bot()))


def _keys_inside(asset: AssetInfo, days: DayRange, bots: Sequence[str] | None) -> list[str]:
    width = cadence_days(asset.date_description)
    if not asset.by_bot:
        return partitions_inside(asset.partition_keys, days, width_days=width)
    by_bot = asset.keys_by_bot()
    keys: list[str] = []
    for bot in [b for b in by_bot if bots is None or b in bots]:
        dates = by_bot[bot]
        keys += [dates[date] for date in partitions_inside(list(dates), days, width_days=width)]
    return keys


def plan_backfill(assets: Sequence[AssetInfo], days: DayRange, bots: Sequence[str] | None = None) -> BackfillPlan:
    """Each selected asset with the partitions of ``days`` that it has (see the module docstring).

    ``bots`` chooses the bots of bot x date assets (default: all of them); a bot that is not a partition
    of the selected assets is an error, as a mistyped selection is. The assets partitioned by bot alone
    (the agent and group lists) get the chosen bots; unpartitioned ones (one bot) are refreshed once.
    """
    known = bots_of(assets)
    if bots is not None:
        if known is None:
            raise BackfillError("--bot chooses bots of a bots file, and the selected assets have no bot dimension")
        unknown = [bot for bot in bots if bot not in known]
        if unknown:
            raise BackfillError(f"bot(s) {', '.join(map(repr, unknown))} not in the bots file ({', '.join(known)})")
    chosen = None if known is None else tuple(bot for bot in known if bots is None or bot in bots)
    targets: list[AssetPartitions] = []
    skipped: list[tuple[AssetInfo, str]] = []
    for asset in assets:
        if not asset.partitioned:
            targets.append(AssetPartitions(asset, None))
            continue
        if chosen is not None and set(asset.partition_keys) <= set(known or ()):  # by bot alone: the lists
            targets.append(AssetPartitions(asset, tuple(bot for bot in asset.partition_keys if bot in chosen)))
            continue
        try:
            keys = _keys_inside(asset, days, chosen)
        except ValueError as error:
            skipped.append((asset, str(error)))
            continue
        if keys:
            targets.append(AssetPartitions(asset, tuple(keys)))
        else:
            skipped.append((asset, f"no whole partition inside {days}"))
    if not targets:
        raise BackfillError(f"nothing to backfill for {days}: " + "; ".join(f"{a.path} {r}" for a, r in skipped))
    return BackfillPlan(days, tuple(targets), tuple(skipped), chosen)


def _key_ranges(all_keys: Sequence[str], chosen: Sequence[str]) -> list[dict[str, str]]:
    """``chosen`` as the fewest ranges of consecutive keys of ``all_keys`` (one, for a day range)."""
    position = {key: index for index, key in enumerate(all_keys)}
    ranges: list[dict[str, str]] = []
    previous = -2
    for key in sorted(chosen, key=position.__getitem__):
        index = position[key]
        if index == previous + 1 and ranges:
            ranges[-1]["end"] = key
        else:
            ranges.append({"start": key, "end": key})
        previous = index
    return ranges


def launch_backfill(
    client: DagsterGraphQL,
    plan: BackfillPlan,
    *,
    tags: Mapping[str, str] | None = None,
    title: str | None = None,
    description: str | None = None,
) -> str:
    """Submit ``plan`` as one asset backfill and return its id; the daemon does the rest."""
    params: dict[str, Any] = {
        "partitionsByAssets": [target.graphql_input() for target in plan.targets],
        "tags": [{"key": k, "value": v} for k, v in sorted((tags or {}).items())],
    }
    if title:
        params["title"] = title
    if description:
        params["description"] = description
    outcome = client.execute(LAUNCH_MUTATION, {"params": params})["launchPartitionBackfill"]
    if outcome["__typename"] != "LaunchBackfillSuccess":
        raise BackfillError(f"the webserver refused the backfill ({outcome['__typename']}): {outcome.get('message')}")
    return str(outcome["backfillId"])


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    status: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    assets: tuple[str, ...] = ()

    def describe(self) -> str:
        """``1a2b3c4d SUCCESS: queued 6.1 s, ran 50.2 s; raw/agents, raw/groups``, for a progress report."""
        parts = [f"{self.run_id[:8]} {self.status}"]
        timing = []
        if self.started_at is not None:
            timing.append(f"queued {self.started_at - self.created_at:.1f} s")
            if self.ended_at is not None:
                timing.append(f"ran {self.ended_at - self.started_at:.1f} s")
        text = parts[0] + (": " + ", ".join(timing) if timing else "")
        if self.assets:
            shown = ", ".join(self.assets[:4]) + (f" and {len(self.assets) - 4} more" if len(self.assets) > 4 else "")
            text += f"; {shown}"
        return text


def parse_run(node: Mapping[str, Any]) -> RunInfo:
    assets = tuple(sorted("/".join(key["path"]) for key in node.get("assetSelection") or []))
    return RunInfo(
        node["runId"], node["status"], float(node["creationTime"]), node.get("startTime"), node.get("endTime"), assets
    )


@dataclass(frozen=True)
class BackfillProgress:
    """One poll of a backfill: its status, its runs and its partitions, summed over the assets."""

    backfill_id: str
    status: str
    submitted_at: float
    ended_at: float | None
    runs: tuple[RunInfo, ...]
    partitions_targeted: int
    partitions_materialized: int
    partitions_failed: int
    partitions_in_progress: int
    error: str | None = None
    per_asset: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)  # targeted, materialized, failed

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status in ("COMPLETED_SUCCESS", "COMPLETED") and not self.failed_runs

    @property
    def runs_finished(self) -> int:
        return sum(run.status in FINISHED_RUN_STATUSES for run in self.runs)

    @property
    def failed_runs(self) -> list[RunInfo]:
        return [run for run in self.runs if run.status in FAILED_RUN_STATUSES]

    def summary(self) -> str:
        """One line for a terminal, e.g. ``COMPLETED_SUCCESS · 3 runs launched, 3 finished · 30/30 partitions ...``."""
        runs = f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''} launched, {self.runs_finished} finished"
        if self.failed_runs:
            runs += f" ({len(self.failed_runs)} failed)"
        parts = f"{self.partitions_materialized}/{self.partitions_targeted} partitions materialized"
        if self.partitions_in_progress:
            parts += f", {self.partitions_in_progress} in progress"
        if self.partitions_failed:
            parts += f", {self.partitions_failed} failed"
        return f"{self.status} · {runs} · {parts}"

    def timings(self) -> dict[str, float]:
        """Where the time went, from the instance's own timestamps (seconds).

        ``pickup`` is the wait from submission to the first run (the daemon's next iteration);
        ``runs`` the span from the first run's creation to the last run's end; ``completion`` the wait
        from the last run's end to the backfill being marked complete (another daemon iteration).
        """
        result: dict[str, float] = {}
        if self.runs:
            first_created = min(run.created_at for run in self.runs)
            result["pickup"] = first_created - self.submitted_at
            ends = [run.ended_at for run in self.runs if run.ended_at is not None]
            if len(ends) == len(self.runs):
                result["runs"] = max(ends) - first_created
                if self.ended_at is not None:
                    result["completion"] = self.ended_at - max(ends)
        if self.ended_at is not None:
            result["total"] = self.ended_at - self.submitted_at
        return result


def parse_progress(node: Mapping[str, Any]) -> BackfillProgress:
    """A ``PartitionBackfill`` GraphQL object as :class:`BackfillProgress`."""
    targeted = materialized = failed = in_progress = 0
    per_asset: dict[str, tuple[int, int, int]] = {}
    for status in (node.get("assetBackfillData") or {}).get("assetBackfillStatuses", []):
        key = "/".join(status["assetKey"]["path"])
        if status["__typename"] == "AssetPartitionsStatusCounts":
            counts = (
                status["numPartitionsTargeted"],
                status["numPartitionsMaterialized"],
                status["numPartitionsFailed"],
                status["numPartitionsInProgress"],
            )
        else:
            counts = (1, int(status["materialized"]), int(status["failed"]), int(status["inProgress"]))
        targeted += counts[0]
        materialized += counts[1]
        failed += counts[2]
        in_progress += counts[3]
        per_asset[key] = counts[:3]
    runs = tuple(parse_run(r) for r in node.get("runs") or [])
    return BackfillProgress(
        backfill_id=node["id"],
        status=node["status"],
        submitted_at=float(node["timestamp"]),
        ended_at=node.get("endTimestamp"),
        runs=tuple(sorted(runs, key=lambda r: r.created_at)),
        partitions_targeted=targeted,
        partitions_materialized=materialized,
        partitions_failed=failed,
        partitions_in_progress=in_progress,
        error=(node.get("error") or {}).get("message"),
        per_asset=per_asset,
    )


def backfill_progress(client: DagsterGraphQL, backfill_id: str) -> BackfillProgress:
    outcome = client.execute(STATUS_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
    if outcome["__typename"] != "PartitionBackfill":
        raise DagsterGraphQLError(f"backfill {backfill_id}: {outcome.get('message', outcome['__typename'])}")
    return parse_progress(outcome)


class BackfillTimeoutError(TimeoutError):
    def __init__(self, progress: BackfillProgress, timeout: float) -> None:
        super().__init__(f"backfill {progress.backfill_id} not finished after {timeout:.0f} s: {progress.summary()}")
        self.progress = progress


def wait_for_backfill(
    client: DagsterGraphQL,
    backfill_id: str,
    *,
    timeout: float = 3600.0,
    poll: float = DEFAULT_POLL_SECONDS,
    on_progress: Callable[[BackfillProgress], None] | None = None,
    daemon_grace: float = 90.0,
    alive: Callable[[], None] | None = None,
) -> BackfillProgress:
    """Poll the backfill until it reaches a terminal status; ``on_progress`` sees every change.

    A backfill only moves while a backfill daemon runs. If none has a healthy heartbeat after
    ``daemon_grace`` seconds and no run has started, waiting longer cannot help: that raises at once,
    naming the fix, instead of hanging until ``timeout``. ``alive`` (optional) raises when a process
    the caller started (the daemon) has died, for the same reason.
    """
    started = time.monotonic()
    deadline = started + timeout
    last: BackfillProgress | None = None
    daemons_checked = False
    while True:
        if alive is not None:
            alive()
        progress = backfill_progress(client, backfill_id)
        if on_progress is not None and (last is None or _changed(last, progress)):
            on_progress(progress)
        last = progress
        if progress.terminal:
            return progress
        now = time.monotonic()
        if not daemons_checked and not progress.runs and now - started > daemon_grace:
            daemons_checked = True
            missing = client.missing_daemons()
            if missing:
                raise BackfillError(
                    f"backfill {backfill_id} is waiting for daemons that are not running ({', '.join(missing)}): "
                    "start `dagster dev` or `dagster-daemon run` with the same DAGSTER_HOME"
                )
        if now >= deadline:
            raise BackfillTimeoutError(progress, timeout)
        time.sleep(min(poll, max(0.0, deadline - now)))


def _changed(before: BackfillProgress, after: BackfillProgress) -> bool:
    return (before.summary(), [r.status for r in before.runs]) != (after.summary(), [r.status for r in after.runs])


def default_tags(launched_by: str = "cli") -> dict[str, str]:
    """The tag every launcher adds: where the backfill came from.

    Nothing about the API's rule: a backfill's tags go to every run it makes, KPI and check runs
    included, and the rule is kept by the API client's token lock, not by the run queue.
    """
    return {LAUNCHED_BY_TAG: launched_by}


def launcher_tags(assets: Sequence[AssetInfo], bots: Sequence[str] | None, launched_by: str) -> dict[str, str]:
    """The backfill's tags, given every asset of the code location and the ``--bot`` values.

    ``--bot`` chooses partitions of a bots file, never tags; without a bots file there is one bot, and
    naming one is an error rather than silently ignored.
    """
    if bots and bots_of(assets) is None:
        raise BackfillError(f"--bot chooses bots of a bots file, and there is none (one bot); got {', '.join(bots)}")
    return default_tags(launched_by)


RUNS_QUERY = """
query LiveRunsSince($after: Float!) {
  runsOrError(filter: { createdAfter: $after }) {
    __typename
    ... on Runs { results { runId status creationTime startTime endTime assetSelection { path } } }
    ... on Error { message }
  }
}
"""


def runs_since(client: DagsterGraphQL, timestamp: float) -> list[RunInfo]:
    """Every run created after ``timestamp``, by any launcher (backfill, automation, schedule)."""
    outcome = client.execute(RUNS_QUERY, {"after": timestamp})["runsOrError"]
    if outcome["__typename"] != "Runs":
        raise DagsterGraphQLError(f"runs could not be listed: {outcome.get('message', outcome['__typename'])}")
    return [parse_run(r) for r in outcome["results"]]
