"""The project's daemon (``live_assets/devtools/daemon.py``): Dagster's own backfill loop, sleeping at most the cap.

The loop under test is Dagster's real ``execute_backfill_iteration_loop`` on a real (ephemeral) instance
with no backfills: each iteration queries the instance and then sleeps by waiting on the event it was
given. A recording event shows what that sleep asked for; nothing here waits for a clock.
"""

from __future__ import annotations

import logging
import threading
import types

import pytest
from dagster import DagsterInstance
from dagster._daemon import daemon as dagster_daemon

from live_assets.devtools import daemon
from live_assets.devtools.daemon import CappedWaitEvent, DaemonPatchError, backfill_interval, check_loop, install


class RecordingEvent(threading.Event):
    """A shutdown event that records each wait's timeout and returns at once (nothing is slept)."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        return self.is_set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1.0), ("", 1.0), ("0.5", 0.5), (" 30 ", 30.0)],
)
def test_interval_from_environment(value: str | None, expected: float) -> None:
    env = {} if value is None else {daemon.INTERVAL_ENV: value}
    assert backfill_interval(env) == expected


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_bad_interval_names_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match=daemon.INTERVAL_ENV):
        backfill_interval({daemon.INTERVAL_ENV: value})


def test_capped_event_shortens_long_waits_only() -> None:
    inner = RecordingEvent()
    capped = CappedWaitEvent(inner, cap=2.0)
    capped.wait(28.5)
    capped.wait(0.25)
    capped.wait()
    assert inner.timeouts == [2.0, 0.25, 2.0]
    capped.set()  # everything but wait goes to the real event: a shutdown still reaches the loop
    assert inner.is_set() and capped.is_set()


def test_dagster_backfill_loop_sleeps_on_the_capped_event() -> None:
    """Three iterations of Dagster's loop: it asks for ~30 s each time and gets the cap instead."""
    original = dagster_daemon.execute_backfill_iteration_loop
    check_loop(original)
    loop = daemon.capped_backfill_loop(original, cap=1.5)
    event = RecordingEvent()
    with DagsterInstance.ephemeral() as instance:
        context = types.SimpleNamespace(instance=instance)
        iterations = loop(context, logging.getLogger("backfill-test"), event)
        ends = 0
        for marker in iterations:
            if marker is dagster_daemon.SpanMarker.END_SPAN:
                ends += 1
            if ends == 3 and len(event.timeouts) == 3:
                break
    assert event.timeouts == [1.5, 1.5, 1.5]


def test_stock_loop_would_sleep_thirty_seconds() -> None:
    """The premise of the module: without the cap, Dagster's loop waits its fixed interval."""
    event = RecordingEvent()
    with DagsterInstance.ephemeral() as instance:
        iterations = dagster_daemon.execute_backfill_iteration_loop(
            types.SimpleNamespace(instance=instance), logging.getLogger("backfill-test"), event
        )
        while not event.timeouts:
            next(iterations)
    (timeout,) = event.timeouts
    assert timeout is not None and 25 < timeout <= 30


def test_install_patches_the_name_the_backfill_daemon_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dagster_daemon, daemon.LOOP_NAME, dagster_daemon.execute_backfill_iteration_loop)
    install(0.75)
    patched = dagster_daemon.execute_backfill_iteration_loop
    assert patched.capped_at == 0.75
    install(5.0)  # idempotent: never wraps twice
    assert dagster_daemon.execute_backfill_iteration_loop is patched


def test_a_changed_dagster_loop_is_refused() -> None:
    def renamed(context: object, logger: object, stop: object) -> None: ...

    with pytest.raises(DaemonPatchError, match="shutdown_event"):
        check_loop(renamed)
    with pytest.raises(DaemonPatchError, match="missing"):
        check_loop(None)
