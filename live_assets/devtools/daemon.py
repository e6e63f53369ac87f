"""``python -m live_assets.devtools.daemon run -w workspace.yaml``: a quicker Dagster daemon for development.

A convenience of ``make dev``, the demo and the tests, never needed for correctness: a deployment runs
``dagster-daemon run`` (docs/deploy.md), and the vendor's rule lives in the API client's token lock.

It is ``dagster-daemon run`` (same CLI, same daemons, instance, run queue and pools) with one change:
the backfill daemon's sleep between iterations is capped at ``LIVE_BACKFILL_DAEMON_INTERVAL`` seconds
(default 1) instead of Dagster's fixed 30 s (``DEFAULT_DAEMON_INTERVAL_SECONDS``, not settable in
``dagster.yaml``).

Why: an asset backfill needs one daemon iteration to start, one more for each layer of the asset graph
whose parents must be materialized first (the KPIs after the raw assets), and a last one to be marked
complete. A 90-day backfill whose API work takes about a minute spent up to 90 s more waiting for
those iterations (BENCHMARKS.md). An iteration with nothing to do costs a few queries of the run
storage, so iterating every second is cheap; an iteration that launches runs takes as long as it takes
(the cap only shortens the sleep after it). Schedules, sensors, the automation daemon and the run
queue keep their own intervals.

How: Dagster's ``BackfillDaemon.core_loop`` calls ``execute_backfill_iteration_loop`` (imported into
``dagster._daemon.daemon``), which sleeps by waiting on the shutdown event. We hand that loop a
shutdown event whose waits are capped. It is a private name of Dagster: ``install`` checks its
signature and refuses to start (naming the Dagster version) rather than silently running the stock
30 s loop after an upgrade; ``live_assets_tests/test_daemon.py`` checks the same on every ``make test``.
Set ``LIVE_BACKFILL_DAEMON_INTERVAL=30`` for Dagster's own pace.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

INTERVAL_ENV = "LIVE_BACKFILL_DAEMON_INTERVAL"
DEFAULT_INTERVAL_SECONDS = 1.0
# Dagster's backfill loop, as ``dagster._daemon.daemon`` imports it; its third parameter is the event.
LOOP_NAME = "execute_backfill_iteration_loop"
LOOP_PARAMETERS = ("workspace_process_context", "logger", "shutdown_event")


class DaemonPatchError(RuntimeError):
    """The installed Dagster no longer has the backfill loop this module caps."""


class CappedWaitEvent:
    """A shutdown event whose ``wait`` never sleeps longer than ``cap`` seconds; everything else delegates.

    A shutdown (``set``) still ends a wait at once: the wait is the real event's, only shorter.
    """

    def __init__(self, event: threading.Event, cap: float) -> None:
        self._event = event
        self._cap = cap

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(self._cap if timeout is None else min(timeout, self._cap))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


def backfill_interval(env: Mapping[str, str] = os.environ) -> float:
    """The cap from ``LIVE_BACKFILL_DAEMON_INTERVAL``; a bad value is an error, not a silent default."""
    text = env.get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_INTERVAL_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{INTERVAL_ENV} must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise ValueError(f"{INTERVAL_ENV} must be a positive number of seconds, got {text!r}")
    return value


def capped_backfill_loop(original: Callable[..., Iterator[Any]], cap: float) -> Callable[..., Iterator[Any]]:
    """Dagster's backfill iteration loop, given a shutdown event whose waits are capped at ``cap``."""

    def loop(workspace_process_context: Any, logger: Any, shutdown_event: threading.Event, *args: Any, **kwargs: Any):
        return original(workspace_process_context, logger, CappedWaitEvent(shutdown_event, cap), *args, **kwargs)

    loop.capped_at = cap  # type: ignore[attr-defined]
    return loop


def check_loop(loop: object) -> None:
    """Raise ``DaemonPatchError`` unless ``loop`` takes (workspace_process_context, logger, shutdown_event, ...)."""
    from dagster.version import __version__

    if not callable(loop):
        raise DaemonPatchError(f"dagster {__version__}: dagster._daemon.daemon.{LOOP_NAME} is missing")
    names = tuple(inspect.signature(loop).parameters)[: len(LOOP_PARAMETERS)]
    if names != LOOP_PARAMETERS:
        raise DaemonPatchError(
            f"dagster {__version__}: dagster._daemon.daemon.{LOOP_NAME} takes {names}, expected {LOOP_PARAMETERS}; "
            "live_assets/devtools/daemon.py needs updating for this Dagster (or run the stock `dagster-daemon run`)"
        )


def install(cap: float) -> None:
    """Make ``BackfillDaemon`` use the capped loop (idempotent)."""
    from dagster._daemon import daemon

    current = getattr(daemon, LOOP_NAME, None)
    if getattr(current, "capped_at", None) is not None:
        return
    check_loop(current)
    setattr(daemon, LOOP_NAME, capped_backfill_loop(current, cap))  # type: ignore[arg-type]


def main() -> None:
    try:
        cap = backfill_interval()
        install(cap)
    except (ValueError, DaemonPatchError) as error:
        print(f"live-assets daemon: {error}", file=sys.stderr)
        sys.exit(2)
    print(f"live-assets daemon: backfill iterations at most {cap:g} s apart ({INTERVAL_ENV})", flush=True)
    from dagster._daemon.cli import main as dagster_daemon_main

    dagster_daemon_main()


if __name__ == "__main__":
    main()
