"""A child process whose output lines a test reads with a deadline, and which it can always kill.

The command-line backfill and `make dev`'s runner are tested as real processes; both tests wait
for lines the program prints (the event), never for time.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

TAIL_LINES = 40


class ChildProcess:
    """``command`` in its own process group, stdout and stderr merged into :attr:`lines`."""

    def __init__(self, command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _next(self, deadline: float) -> str | None:
        return self._queue.get(timeout=max(0.1, deadline - time.monotonic()))

    def wait_for(self, matches: Callable[[str], bool], what: str, deadline: float) -> str:
        """The first line (from here on) that ``matches``; an AssertionError with the output's tail
        if the process ends or the deadline passes first."""
        while True:
            try:
                line = self._next(deadline)
            except queue.Empty:
                raise AssertionError(f"no line {what} in time:\n{self.tail}") from None
            if line is None:
                raise AssertionError(f"the process ended without a line {what}:\n{self.tail}")
            self.lines.append(line)
            if matches(line):
                return line

    def finish(self, deadline: float) -> int:
        """Read the rest of the output and return the exit code."""
        while (line := self._next(deadline)) is not None:
            self.lines.append(line)
        return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def tail(self) -> str:
        return "\n".join(self.lines[-TAIL_LINES:])

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def kill_everything(self) -> None:
        """SIGKILL the process, its group and every descendant (some start groups of their own)."""
        for child in self.descendants():
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
