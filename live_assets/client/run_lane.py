"""One run's request lane: every API request of a run's raw steps, made one at a time by one thread.

The API serves one request at a time per token, so the fastest a run can go is the sum of the API's
service times, with the API never idle. Within a step, the lane fetches the next window while the step
loads the previous one. Across steps, it goes on with the first windows of the run's next raw step while
the current step finishes: its last load, then Dagster writing one materialization event per partition
of the range (~0.7 s for 90 days on the SQLite event log), time in which the API used to sit idle.

The lane only sends requests while a raw step of the run is executing (:meth:`RunLane.step`). That step
holds the ``live_api`` pool slot, so the pool's promise (one request in flight across runs) still holds:
when the step ends, the request in flight completes before the step does, and no request is sent until
the run's next raw step starts. Looking ahead covers the next step only, so a run that fails has sent at
most one step's requests it will not load.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from live_assets.client.http import ClientStats, LiveClient
from live_assets.settings import LiveSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Task(Generic[T]):
    """One request (or one batch of them, e.g. a day of conversation details), named by ``key``."""

    key: Hashable
    run: Callable[[], T]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A task's result or the error it raised, the clients' counters for that task alone, and whether
    it was sent ahead of its step (while the previous one finished)."""

    value: T | None
    error: BaseException | None
    stats: ClientStats
    ahead: bool = False

    def get(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class RunLane(Generic[T]):
    """The thread that makes a run's requests, in the order its steps need them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: list[Task[T]] = []
        self._ahead: set[Hashable] = set()
        self._done: dict[Hashable, Outcome[T]] = {}
        self._in_flight = False
        self._stepping = False
        self._closed = False
        self._clients: dict[str, LiveClient] = {}
        self.started_steps: set[str] = set()
        self._thread = threading.Thread(target=self._work, name="live-run-lane", daemon=True)
        self._thread.start()

    def client(self, bot: str, settings: LiveSettings) -> LiveClient:
        """The run's client for ``bot``, opened on first use; tasks call it, on the lane's thread."""
        if bot not in self._clients:
            self._clients[bot] = LiveClient.from_settings(settings)
        return self._clients[bot]

    @contextlib.contextmanager
    def step(
        self, name: str, tasks: Sequence[Task[T]], ahead: Sequence[Task[T]] = ()
    ) -> Iterator[Iterator[Outcome[T]]]:
        """Run ``tasks`` first and in order, then ``ahead`` (the next step's); yield this step's outcomes in order.

        What an earlier step fetched ahead is used as it is, unless it failed: then it is fetched again,
        so the error a step reports is always one of its own attempts. On exit, whatever the step did
        not consume is dropped (an error stopped it, or Dagster will retry it), and the request in
        flight is awaited, so that no request outlives the step.
        """
        keys = [task.key for task in tasks]
        own = set(keys)
        with self._changed:
            if self._closed:
                raise RuntimeError("this run's request lane is closed")
            self.started_steps.add(name)
            for key in keys:
                outcome = self._done.get(key)
                if outcome is not None and outcome.error is not None and key in self._ahead:
                    del self._done[key]
            queued = {task.key for task in self._pending}
            mine = [task for task in self._pending if task.key in own]
            new = [task for task in tasks if task.key not in self._done and task.key not in queued]
            others = [task for task in self._pending if task.key not in own]
            later = [task for task in ahead if task.key not in self._done and task.key not in queued | own]
            self._ahead.update(task.key for task in later)
            self._pending = [*mine, *new, *others, *later]
            self._stepping = True
            self._changed.notify_all()
        try:
            yield self._outcomes(keys)
        finally:
            with self._changed:
                self._stepping = False
                self._pending = [task for task in self._pending if task.key not in own]
                self._changed.notify_all()
                while self._in_flight:
                    self._changed.wait()
                for key in keys:
                    self._done.pop(key, None)
                    self._ahead.discard(key)

    def _outcomes(self, keys: Sequence[Hashable]) -> Iterator[Outcome[T]]:
        for key in keys:
            with self._changed:
                while key not in self._done:
                    self._changed.wait()
                outcome = self._done.pop(key)
                self._ahead.discard(key)
            yield outcome

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._closed and not (self._stepping and self._pending):
                    self._changed.wait()
                if self._closed:
                    return
                task = self._pending.pop(0)
                self._in_flight = True
                ahead = task.key in self._ahead
            before = self._stats()
            value: T | None = None
            error: BaseException | None = None
            try:
                value = task.run()
            except BaseException as raised:  # handed to the step that owns the task
                error = raised
            with self._changed:
                self._done[task.key] = Outcome(value, error, self._stats() - before, ahead)
                self._in_flight = False
                self._changed.notify_all()

    def _stats(self) -> ClientStats:
        total = ClientStats()
        for client in list(self._clients.values()):
            total = total + client.stats
        return total

    def close(self) -> None:
        """Stop the thread once its request in flight is done, and close the run's clients."""
        with self._changed:
            self._closed = True
            self._pending.clear()
            self._changed.notify_all()
        self._thread.join()
        for client in self._clients.values():
            client.close()
        self._clients.clear()
