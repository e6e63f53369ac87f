"""``python -m live_assets.ops.daemon run -w workspace.yaml``: ``dagster-daemon run``, backfills tick faster.

Dagster's backfill daemon sleeps ``DEFAULT_DAEMON_INTERVAL_SECONDS`` (30 s, not configurable in
``dagster.yaml``) between iterations, and an asset backfill needs one iteration to launch each layer
of the asset graph (raw assets, then the KPIs that read them) and one more to be marked complete. On a
90-day backfill whose API work takes about a minute, those waits were most of the wall time. This
entry point runs the very same daemon (same CLI, same instance, same queue and pools) with the backfill
loop's sleep capped at ``LIVE_BACKFILL_DAEMON_INTERVAL`` seconds (default 2). Only the backfill loop is
affected: schedules, sensors, the automation daemon and the run queue keep their own intervals.

An iteration with nothing to do costs a few queries of the run storage, so 2 s is cheap; an
iteration that launches runs takes as long as it takes (the cap only shortens the sleep after it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

INTERVAL_ENV = "LIVE_BACKFILL_DAEMON_INTERVAL"
DEFAULT_INTERVAL_SECONDS = 2.0


class CappedWaitEvent:
    """A shutdown event whose ``wait`` never sleeps longer than ``cap`` seconds; everything else delegates."""

    def __init__(self, event: threading.Event, cap: float) -> None:
        self._event = event
        self._cap = cap

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(self._cap if timeout is None else min(timeout, self._cap))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


def backfill_interval(env: dict[str, str] | os._Environ[str] = os.environ) -> float:
    """The cap from ``LIVE_BACKFILL_DAEMON_INTERVAL``; a bad value is an error, not a silent default."""
    text = env.get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_INTERVAL_SECONDS
    value = float(text)
    if not value > 0:
        raise ValueError(f"{INTERVAL_ENV} must be a positive number of seconds, got {text!r}")
    return value


def capped_backfill_loop(original: Callable[..., Iterator[Any]], cap: float) -> Callable[..., Iterator[Any]]:
    """Dagster's backfill iteration loop, given a shutdown event whose waits are capped at ``cap``."""

    def loop(workspace_process_context: Any, logger: Any, shutdown_event: threading.Event, *args: Any, **kwargs: Any):
        return original(workspace_process_context, logger, CappedWaitEvent(shutdown_event, cap), *args, **kwargs)

    return loop


def install(cap: float) -> None:
    """Make ``BackfillDaemon`` use the capped loop (it calls the name imported into ``dagster._daemon.daemon``)."""
    from dagster._daemon import daemon

    daemon.execute_backfill_iteration_loop = capped_backfill_loop(  # type: ignore[assignment]
        daemon.execute_backfill_iteration_loop, cap
    )


def main() -> None:
    install(backfill_interval())
    from dagster._daemon.cli import main as dagster_daemon_main

    dagster_daemon_main()


if __name__ == "__main__":
    main()
