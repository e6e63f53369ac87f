"""The simulator on a core of its own, the pipeline on the others: the API's CPU is then not ours.

A real API serves from its own machines; a simulator sharing the pipeline's cores is slowed by the very
work it is measured against, and a ratio to its serving time then flatters the pipeline.
:func:`split` keeps the last core this process may use for the simulator (``taskset -c``) and pins the
benchmark, and so every process it starts (webserver, daemon, runs, the plain client), to the rest.
The choice travels to the benchmark's child interpreters (``bench.steps``, ``bench.intraday``) in an
environment variable, so that their simulators go to the same core.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

API_CORES_VARIABLE = "LIVE_BENCH_API_CORES"


def _cores_text(cores: Sequence[int]) -> str:
    return ",".join(str(core) for core in sorted(cores))


@dataclass(frozen=True)
class CoreSplit:
    """Which cores serve the API (the simulator) and which run the pipeline; empty ``api`` = not pinned."""

    api: tuple[int, ...]
    pipeline: tuple[int, ...]

    def unpinned_prefix(self) -> list[str]:
        """``taskset -c`` over every core this process had: a command measured as a user runs it."""
        return ["taskset", "-c", _cores_text(self.api + self.pipeline)]

    def describe(self) -> str:
        if not self.api:
            return f"not pinned (one core, {_cores_text(self.pipeline)}: the simulator shares it)"
        return (
            f"the simulator on core {_cores_text(self.api)} (`taskset -c`), the pipeline and the plain client "
            f"on core(s) {_cores_text(self.pipeline)}"
        )


def split() -> CoreSplit:
    """Pin this process to all but the last of its cores and announce the last for the simulator.

    With a single core there is nothing to split: nothing is pinned and the report says so.
    """
    cores = tuple(sorted(os.sched_getaffinity(0)))
    if len(cores) < 2:
        os.environ.pop(API_CORES_VARIABLE, None)
        return CoreSplit((), cores)
    api, pipeline = cores[-1:], cores[:-1]
    os.sched_setaffinity(0, pipeline)
    os.environ[API_CORES_VARIABLE] = _cores_text(api)
    return CoreSplit(api, pipeline)


def api_command_prefix() -> list[str]:
    """``taskset -c N`` for the simulator's command line when :func:`split` chose its core, else nothing."""
    cores = os.environ.get(API_CORES_VARIABLE, "")
    return ["taskset", "-c", cores] if cores else []
