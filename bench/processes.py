"""The simulator in a process of its own, and psutil sampling of Dagster's process trees.

The simulator runs apart from the benchmark and from Dagster so that its event loop, which does the
API's work, never competes for the GIL with the code being measured; when the benchmark split the
machine's cores (``bench/cores.py``) it runs on a core of its own.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.cores import api_command_prefix
from live_assets.devtools.stack import free_port, simulator_settings_env
from live_assets.settings import LiveSettings


# Run workers and step processes: ``dagster api execute_run`` / ``execute_step``, or the multiprocessing child
# a code server spawns for a run (how the default run launcher starts them), and their children.
def peak_rss_mb() -> float:
    """This process's peak resident size so far, in MiB: the kernel's ``VmHWM``.

    Not ``getrusage().ru_maxrss``: Linux keeps that across ``execve``, so a probe started from a big
    process (the benchmark, pytest) would report its parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (the probe needs Linux)")


RUN_PROCESS_MARKERS = ("execute_run", "execute_step", "resume_run", "multiprocessing.spawn import spawn_main")


@dataclass(frozen=True)
class SimulatorOptions:
    """The simulated API's volume and latency (see ``python -m live_assets.simulator --help``)."""

    conversations_per_day: int
    latency_ms: float
    latency_per_row_us: float
    seed: int = 7
    timezone: str = "UTC"
    degrade: str = ""  # GROUP_ID@HH:MM-HH:MM: one group served badly for a stretch of every day


class SimulatorProcess:
    """``python -m live_assets.simulator`` on a free port of 127.0.0.1, with its counters over HTTP."""

    def __init__(self, options: SimulatorOptions, log_path: Path) -> None:
        self.options = options
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self.cores: tuple[int, ...] = ()  # the cores the running simulator may use, read from the kernel
        self._http = httpx.Client(timeout=30.0)

    def start(self, timeout: float = 60.0) -> None:
        o = self.options
        command = [
            *api_command_prefix(), sys.executable, "-m", "live_assets.simulator",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--seed", str(o.seed), "--timezone", o.timezone, "--conversations-per-day", str(o.conversations_per_day),
            "--latency-ms", str(o.latency_ms), "--latency-per-row-us", str(o.latency_per_row_us),
            "--token-ttl", "86400", *(("--degrade", o.degrade) if o.degrade else ()),
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the simulator exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if self._http.get(f"{self.base_url}/_sim/counters").status_code == 200:
                    self.cores = tuple(sorted(os.sched_getaffinity(self._process.pid)))
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the simulator did not answer on {self.base_url} within {timeout:.0f} s")
            time.sleep(0.1)

    def counters(self) -> dict[str, Any]:
        response = self._http.get(f"{self.base_url}/_sim/counters")
        response.raise_for_status()
        return dict(response.json())

    def settings_env(self, root: Path, settings: LiveSettings) -> dict[str, str]:
        """The LIVE_* variables that point Dagster's processes at this simulator and at files under ``root``."""
        return simulator_settings_env(
            self.base_url,
            duckdb_path=root / "live.duckdb",
            landing_dir=root / "landing",
            token_cache_dir=root / "token-cache",
            settings=settings,
        )

    def reset_counters(self) -> None:
        self._http.post(f"{self.base_url}/_sim/counters/reset").raise_for_status()

    def stop(self) -> None:
        self._http.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(15)

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@dataclass
class MemoryPeaks:
    """The largest resident sizes seen: one run/step process, and all of them together (bytes)."""

    max_process_rss: int = 0
    max_total_rss: int = 0
    max_process_command: str = ""
    samples: int = 0
    processes_seen: set[int] = field(default_factory=set)


def _is_run_process(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        command = " ".join(process.cmdline())
        return any(marker in command for marker in RUN_PROCESS_MARKERS)
    return False


class TreeSampler:
    """Samples, every ``interval`` seconds, the RSS of the run processes below the given root pids.

    A run process is a Dagster run worker or step process (and anything it started); the webserver,
    the daemon and the code servers are not counted: they are the same whatever the workload.
    """

    def __init__(self, roots: Callable[[], Sequence[int]], interval: float = 0.1) -> None:
        self._roots = roots
        self._interval = interval
        self.peaks = MemoryPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def _sample(self) -> None:
        run_processes: dict[int, psutil.Process] = {}
        for pid in self._roots():
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(pid).children(recursive=True):
                    if child.pid not in run_processes and _is_run_process(child):
                        run_processes[child.pid] = child
                        with contextlib.suppress(psutil.Error):
                            for grandchild in child.children(recursive=True):
                                run_processes[grandchild.pid] = grandchild
        total = 0
        for pid, process in run_processes.items():
            with contextlib.suppress(psutil.Error):
                rss = process.memory_info().rss
                total += rss
                self.peaks.processes_seen.add(pid)
                if rss > self.peaks.max_process_rss:
                    self.peaks.max_process_rss = rss
                    self.peaks.max_process_command = " ".join(process.cmdline()[-4:])[:160]
        self.peaks.max_total_rss = max(self.peaks.max_total_rss, total)
        self.peaks.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def sampling(roots: Callable[[], Sequence[int]]) -> Iterator[MemoryPeaks]:
    with TreeSampler(roots) as sampler:
        yield sampler.peaks
