"""Where a backfill's time went: every run and step of the instance, and each API step's share of the API.

Read after the backfill from the instance's run and step records and from the raw steps' materialization
metadata (``live_assets/raw/metadata.py``): each raw asset's result says how many requests its step sent
(``requests``, or ``run_requests`` when the run covers several partitions). One API path can feed two
steps (``/summary`` the daily and the weekly step), so a step's API serving time is its share of each of
its paths' serving time, in proportion to the requests it sent there.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_assets.raw.endpoints import endpoint_of_asset

REQUEST_FIGURES = ("requests", "run_requests")


class Kind(enum.StrEnum):
    RUN = "run"
    API = "API step"  # a raw step: it sent requests
    CHECK = "check"  # a step that evaluated asset checks and materialized nothing
    ASSET = "asset step"  # any other step that materialized something: the KPIs (and reports)


@dataclass(frozen=True)
class TimelineEntry:
    """A run or one of its steps, in seconds from the backfill's submission; ``serving`` is the API's share."""

    label: str
    start: float
    seconds: float
    serving: float | None = None
    requests: int | None = None
    kind: Kind = Kind.ASSET
    queued: float | None = None  # a run: when it was created


def step_kinds(logs: list[Any]) -> dict[str, Kind]:
    """step key -> check (it evaluated checks, materialized nothing) or asset step, from a run's events."""
    materialized: set[str] = set()
    checked: set[str] = set()
    for entry in logs:
        event = entry.dagster_event
        if entry.step_key is None or event is None:
            continue
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialized.add(entry.step_key)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            checked.add(entry.step_key)
    return {step: Kind.CHECK for step in checked - materialized} | {step: Kind.ASSET for step in materialized}


def time_by_kind(entries: list[TimelineEntry]) -> str:
    """Where the time went, summed (runs overlap, so the sums are not wall time): one sentence."""
    runs = [e for e in entries if e.kind is Kind.RUN]
    waited = sum(e.start - e.queued for e in runs if e.queued is not None)
    api = [e for e in entries if e.kind is Kind.API]
    beyond = sum(e.seconds - (e.serving or 0.0) for e in api)
    checks = sum(e.seconds for e in entries if e.kind is Kind.CHECK)
    assets = sum(e.seconds for e in entries if e.kind is Kind.ASSET)
    return (
        f"{len(runs)} runs waited {waited:.1f} s in all from their creation to their start; the API steps spent "
        f"{beyond:.1f} s beyond the API's serving time; check steps took {checks:.1f} s and the other asset "
        f"steps (KPIs) {assets:.1f} s (sums over runs that overlap, not wall time)"
    )


def _figure(metadata: Mapping[str, Any], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in metadata:
            value = metadata[name]
            return int(getattr(value, "value", value))
    return None


def requests_by_step(logs: list[Any]) -> dict[str, dict[str, int]]:
    """step key -> API path -> requests, from a run's raw materializations.

    A run over several partitions records one materialization per partition, each with the same run-wide
    figures: each (step, asset) is counted once, from its latest materialization.
    """
    latest: dict[tuple[str, str], tuple[str, int]] = {}
    for entry in logs:
        materialization = entry.asset_materialization
        if materialization is None or entry.step_key is None:
            continue
        spec = endpoint_of_asset(materialization.asset_key.path)
        requests = _figure(materialization.metadata, REQUEST_FIGURES)
        if spec is not None and requests is not None:
            latest[(entry.step_key, spec.table)] = (spec.path.value, requests)
    by_step: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (step_key, _table), (path, requests) in latest.items():
        by_step[step_key][path] += requests
    return by_step


def serving_share(
    paths: Mapping[str, int], serving_by_path: Mapping[str, float], requests_by_path: Mapping[str, int]
) -> float:
    """The API's serving time of a step's requests: each path's serving time, apportioned by requests."""
    return sum(
        serving_by_path.get(path, 0.0) * sent / requests_by_path[path]
        for path, sent in paths.items()
        if requests_by_path.get(path)
    )


def read_timeline(
    dagster_home: Path, submitted_at: float, counters: Mapping[str, Any], *, event_log: str
) -> list[TimelineEntry]:
    """Every run of the instance and its steps, from the run and step records the daemon and runs wrote.

    An API step's ``serving`` is the simulator's serving time for its requests: what the step would take
    if fetching cost nothing beyond the API and loading overlapped it entirely. ``event_log`` names the
    instance's storage in the labels (each event is one write to it).
    """
    from dagster import DagsterInstance

    serving_by_path = counters.get("serving_seconds_by_path", {})
    requests_by_path = counters.get("requests", {})
    entries: list[TimelineEntry] = []
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        # Runs that ended before the submission (a freshness check the automation sensor started while the
        # plain client ran) are not the backfill's.
        records = [r for r in instance.get_run_records() if r.start_time and r.end_time and r.end_time > submitted_at]
        for record in sorted(records, key=lambda r: r.start_time or 0.0):
            run = record.dagster_run
            created = record.create_timestamp.timestamp() - submitted_at
            assert record.start_time is not None and record.end_time is not None
            # One "materialization planned" and one materialization per asset partition, one evaluation per
            # check partition: each a write to the event log.
            logs = instance.all_logs(run.run_id)
            label = f"run {run.run_id[:8]} (queued at {created:.1f} s, {len(logs):,} {event_log} events)"
            entries.append(
                TimelineEntry(
                    label, record.start_time - submitted_at, record.end_time - record.start_time, kind=Kind.RUN,
                    queued=created,
                )
            )  # fmt: skip
            api_steps = requests_by_step(logs)
            kinds = step_kinds(logs)
            for step in sorted(instance.get_run_step_stats(run.run_id), key=lambda st: st.start_time or 0.0):
                if step.start_time is None or step.end_time is None:
                    continue
                paths = api_steps.get(step.step_key)
                serving = serving_share(paths, serving_by_path, requests_by_path) if paths else None
                entries.append(
                    TimelineEntry(
                        f"  {step.step_key}",
                        step.start_time - submitted_at,
                        step.end_time - step.start_time,
                        serving,
                        sum(paths.values()) if paths else None,
                        Kind.API if paths else kinds.get(step.step_key, Kind.ASSET),
                    )
                )
    return entries
