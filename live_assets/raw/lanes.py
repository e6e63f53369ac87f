"""An API step gives its run's bot lanes back as soon as its last request is answered.

The run queue lets one run per bot lane be in progress (``live_assets/instance/coordinator.py``); a
run's lane tags count while their value is ``api``. When the run's only API step has sent every request
it will ever send, nothing of the run talks to the API any more: the step sets the tags to ``released``
(Dagster's public ``add_run_tags``) and the bot's next API run is dequeued while this one still loads its
last windows, writes its materialization events and runs its checks, instead of after the run has ended.

A step may release only when a retry of it would send no request: every window it planned was fetched
and landed in this run (a retry loads those files, ``reuse_since``). Steps whose requests depend on the
warehouse (the conversation details) or on the clock (today's window) keep the lanes to the run's end.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from live_assets.names import LANE_HELD, LANE_HOLDER_TAG, LANE_RELEASED, LANE_TAG_PREFIX
from live_assets.raw.endpoints import EndpointSpec, Partitioning


def may_release(specs: Sequence[EndpointSpec]) -> bool:
    """Whether a retry of a step over ``specs`` would reuse every landed window instead of asking again."""
    return all(spec.children_of is None and spec.partitioning is not Partitioning.TODAY for spec in specs)


def release_lanes(instance: dg.DagsterInstance, run: dg.DagsterRun, step_name: str) -> list[str]:
    """Set the run's held lane tags to ``released`` if ``step_name`` is the run's only API step; the lanes
    released (none for a run with several API steps or no lane)."""
    if run.tags.get(LANE_HOLDER_TAG) != step_name:
        return []
    held = sorted(key for key, value in run.tags.items() if key.startswith(LANE_TAG_PREFIX) and value == LANE_HELD)
    if held:
        instance.add_run_tags(run.run_id, dict.fromkeys(held, LANE_RELEASED))
    return held
