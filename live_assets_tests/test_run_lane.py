"""The run's request lane: one task at a time, in the steps' order, ahead only while a step is open.

Tasks here are plain callables: the lane's ordering and gating do not depend on what a task sends. The
raw steps' use of it, over HTTP against the simulator, is covered by the raw asset, fault and bench tests.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from live_assets.client.run_lane import RunLane, Task

WAIT = 10.0  # seconds before a test gives up on an event that should come at once


@pytest.fixture
def lane() -> Iterator[RunLane[str]]:
    opened: RunLane[str] = RunLane()
    yield opened
    opened.close()


class Recorder:
    """Tasks that record how often they ran and how many ran at once."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def task(self, key: str, body: Callable[[], None] = lambda: None) -> Task[str]:
        def run() -> str:
            with self._lock:
                self.calls[key] += 1
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
            try:
                body()
            finally:
                with self._lock:
                    self.running -= 1
            return key

        return Task(key, run)


def test_a_steps_outcomes_come_in_its_order_one_task_at_a_time(lane: RunLane[str]) -> None:
    recorder = Recorder()
    keys = [f"w{n}" for n in range(20)]
    with lane.step("conversations", [recorder.task(k) for k in keys]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == keys
    assert recorder.most_at_once == 1


def test_the_next_steps_windows_are_fetched_while_a_step_finishes_and_used_by_it(lane: RunLane[str]) -> None:
    recorder = Recorder()
    ahead_ran = threading.Event()
    with lane.step("a", [recorder.task("a1")], ahead=[recorder.task("b1", ahead_ran.set)]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == ["a1"]
        assert ahead_ran.wait(WAIT), "the next step's window was not fetched while this step was open"
    with lane.step("b", [recorder.task("b1"), recorder.task("b2")]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == ["b1", "b2"]
    assert recorder.calls == {"a1": 1, "b1": 1, "b2": 1}
    assert lane.started_steps == {"a", "b"}


def test_nothing_is_sent_between_steps(lane: RunLane[str]) -> None:
    """A step's end waits for the request in flight; the rest of the look-ahead waits for the next step."""
    recorder = Recorder()
    in_flight, finish = threading.Event(), threading.Event()

    def slow() -> None:
        in_flight.set()
        assert finish.wait(WAIT)

    def finish_once_the_step_is_closing() -> None:
        with lane._changed:  # the step's exit closes the gate before awaiting the request in flight
            lane._changed.wait_for(lambda: not lane._stepping, timeout=WAIT)
        finish.set()

    with lane.step("a", [recorder.task("a1")], ahead=[recorder.task("b1", slow), recorder.task("b2")]) as outcomes:
        list(outcomes)
        assert in_flight.wait(WAIT)
        threading.Thread(target=finish_once_the_step_is_closing).start()
    assert recorder.calls == {"a1": 1, "b1": 1}, "a request was sent after its step had ended"
    assert recorder.running == 0
    with lane.step("b", [recorder.task("b2"), recorder.task("b1")]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == ["b2", "b1"]
    assert recorder.calls == {"a1": 1, "b1": 1, "b2": 1}


def test_a_window_that_failed_ahead_is_fetched_again_by_its_own_step(lane: RunLane[str]) -> None:
    recorder = Recorder()
    failures = iter([RuntimeError("502 from the gateway")])

    def flaky() -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    with lane.step("a", [recorder.task("a1")], ahead=[recorder.task("b1", flaky)]) as outcomes:
        list(outcomes)
        with lane._changed:  # the failed look-ahead is recorded before this step ends
            assert lane._changed.wait_for(lambda: "b1" in lane._done, timeout=WAIT)
    with lane.step("b", [recorder.task("b1", flaky)]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == ["b1"]
    assert recorder.calls["b1"] == 2


def test_a_failed_step_drops_its_unconsumed_work_and_its_retry_starts_over(lane: RunLane[str]) -> None:
    recorder = Recorder()
    keys = ["w1", "w2", "w3"]
    with pytest.raises(ValueError, match="refused"), lane.step("a", [recorder.task(k) for k in keys]) as outcomes:
        next(outcomes).get()
        raise ValueError("the loader refused w1")
    assert recorder.running == 0
    with lane.step("a", [recorder.task(k) for k in keys]) as outcomes:
        assert [outcome.get() for outcome in outcomes] == keys
    assert recorder.calls["w1"] == 2


def test_a_tasks_error_reaches_its_step(lane: RunLane[str]) -> None:
    def refused() -> None:
        raise PermissionError("403 for /live/public/groups")

    with (
        lane.step("groups", [Recorder().task("g", refused)]) as outcomes,
        pytest.raises(PermissionError, match="403 for /live/public/groups"),
    ):
        next(outcomes).get()


def test_a_closed_lane_takes_no_step() -> None:
    closed: RunLane[str] = RunLane()
    closed.close()
    with pytest.raises(RuntimeError, match="closed"), closed.step("a", []):
        pass
