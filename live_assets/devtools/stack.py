"""Start and stop a local Dagster (webserver, daemon, or ``dagster dev``) on the project's workspace.

Used by the demo, by ``make dev`` and by the tests that go through the real daemon. Every process
is started in a session (process group) of its own and stopped by signalling that group, so the
code servers and run workers it spawned go with it: a test's teardown never leaves a daemon behind.
Output goes to a log file per process, never to a pipe nobody reads (a full pipe blocks the child).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.report.settings import DEFAULT_REPORT_DIR, REPORT_DIR_ENV
from live_assets.settings import LiveSettings

PROJECT_DIR = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_SECONDS = 30.0
# The project's daemon (backfill iterations every second, live_assets/devtools/daemon.py) and Dagster's own.
PROJECT_DAEMON: tuple[str, ...] = (sys.executable, "-m", "live_assets.devtools.daemon")
STOCK_DAEMON: tuple[str, ...] = (str(Path(sys.executable).parent / "dagster-daemon"),)
LOG_TAIL_CHARS = 4000


def restore_interrupts() -> None:
    """Give SIGINT back its default handler when this process was started with it ignored.

    A shell starts background jobs (``make demo &``, CI steps) with SIGINT ignored, children inherit
    that, and Dagster maps SIGTERM onto the SIGINT handler: its webserver and daemon would then
    ignore the SIGTERM that stops them. Entry points call this before starting any process.
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


DEFAULT_DAGSTER_HOME = Path(".dagster_home")


@dataclass(frozen=True)
class ChosenHome:
    """The instance's folder of ``make dev`` and ``make demo``, and where the choice came from."""

    path: Path
    source: str  # "--dagster-home", "DAGSTER_HOME" or "default"

    @property
    def keeps_config(self) -> bool:
        """A DAGSTER_HOME of the user's that has a dagster.yaml keeps it; any other gets the project's."""
        return self.source == "DAGSTER_HOME" and (self.path / "dagster.yaml").is_file()


def choose_dagster_home(explicit: Path | None) -> ChosenHome:
    """``--dagster-home`` if given, else ``$DAGSTER_HOME`` (after ``.env``), else ``.dagster_home``."""
    if explicit is not None:
        return ChosenHome(explicit, "--dagster-home")
    from_env = os.environ.get("DAGSTER_HOME", "").strip()
    return ChosenHome(Path(from_env), "DAGSTER_HOME") if from_env else ChosenHome(DEFAULT_DAGSTER_HOME, "default")


def prepare_dagster_home(dagster_home: Path, project_dir: Path = PROJECT_DIR) -> Path:
    """Create ``dagster_home`` and refresh its ``dagster.yaml`` from the project's, which is the source of truth.

    Copying on every start (rather than once) means an edited pool limit or retention in the shipped
    file takes effect at the next ``make dev``; the run history next to it is left alone.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project_dir / "dagster.yaml", dagster_home / "dagster.yaml")
    return dagster_home.resolve()


def dagster_executable(name: str) -> str:
    """A console script of the running interpreter's environment (``.venv/bin/dagster``), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in {sys.prefix}: run `make venv`")
    return found


def simulator_settings_env(
    base_url: str,
    *,
    duckdb_path: Path,
    landing_dir: Path,
    token_cache_dir: Path,
    settings: LiveSettings,
    report_dir: Path = DEFAULT_REPORT_DIR,
) -> dict[str, str]:
    """The LIVE_* settings that point Dagster's processes at a simulator and at these (absolute) files.

    Every API variable is set explicitly (``LIVE_API_TOKEN`` to empty) so that nothing from the
    caller's environment or a ``.env`` can point a simulator stack at the vendor's real API. Paths
    must be absolute: the processes run in DAGSTER_HOME, where a relative path means another file.
    """
    from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, DEMO_X_TOKEN

    return {
        "LIVE_API_BASE_URL": base_url,
        "LIVE_API_EMAIL": DEMO_EMAIL,
        "LIVE_API_PASSWORD": DEMO_PASSWORD,
        "LIVE_API_TOKEN": "",
        "LIVE_API_X_TOKEN": DEMO_X_TOKEN,
        "LIVE_TIMEZONE": settings.timezone,
        "LIVE_START_DATE": settings.start_date.isoformat(),
        "LIVE_DUCKDB_PATH": str(duckdb_path.resolve()),
        "LIVE_LANDING_DIR": str(landing_dir.resolve()),
        "LIVE_TOKEN_CACHE_DIR": str(token_cache_dir.resolve()),
        REPORT_DIR_ENV: str(report_dir.resolve()),
        "LIVE_EXPORT_LANG": settings.export_lang,
        "LIVE_API_MAX_ATTEMPTS": str(settings.max_attempts),
        "LIVE_API_TIMEOUT": str(settings.timeout_seconds),
    }


class ProcessDiedError(RuntimeError):
    """A managed process exited while it was expected to keep running; the message holds its log tail."""


@dataclass
class ManagedProcess:
    """One child process in its own process group, with its output in ``log_path``."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-chars:]

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ProcessDiedError(f"{self.name} exited with code {code}; end of {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGTERM to the whole group, then SIGKILL after ``timeout``; returns the exit code."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        # Children that outlived their parent (a run worker mid-step) still belong to the group.
        _signal_group(self.process.pid, signal.SIGKILL)
        return self.process.returncode


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def start_process(
    name: str, command: Sequence[str], *, env: Mapping[str, str], cwd: Path, log_path: Path
) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # one log per start: the latest run is the one being read
        process = subprocess.Popen(  # noqa: S603 - our own interpreter's scripts, arguments built here
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ManagedProcess(name, process, log_path)


@dataclass
class LocalDagster:
    """A webserver and a daemon on one ``DAGSTER_HOME`` and the project's ``workspace.yaml``.

    They are started separately (``dagster-webserver``, then the project's daemon) rather than as
    ``dagster dev``, whose daemon is Dagster's stock one: the project's (``live_assets/devtools/daemon.py``)
    iterates over backfills every second instead of every 30 s. Everything else (the instance, the run
    queue, the pools, the run workers) is what ``dagster dev`` runs.
    """

    dagster_home: Path
    env: Mapping[str, str]
    log_dir: Path
    project_dir: Path = PROJECT_DIR
    host: str = "127.0.0.1"
    port: int = 0
    # The command that starts the daemon; ``run -w <workspace>`` is appended (see ``start_daemon``).
    daemon_command: Sequence[str] = field(default_factory=lambda: list(PROJECT_DAEMON))
    processes: list[ManagedProcess] = field(default_factory=list)
    # False: keep the home's own dagster.yaml (a user's DAGSTER_HOME) instead of the project's.
    refresh_config: bool = True

    def __post_init__(self) -> None:
        if self.port == 0:
            self.port = free_port(self.host)
        if self.refresh_config:
            self.dagster_home = prepare_dagster_home(self.dagster_home, self.project_dir)
        else:
            self.dagster_home = self.dagster_home.resolve()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def process_env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "DAGSTER_HOME": str(self.dagster_home), "PYTHONUNBUFFERED": "1"}

    def _start(self, name: str, command: Sequence[str]) -> ManagedProcess:
        # The working directory is DAGSTER_HOME, not the project: Dagster's commands load a ``.env`` from
        # their working directory *over* the environment, and a developer's ``.env`` with the vendor's
        # credentials must not redirect a simulator stack to the real API.
        managed = start_process(
            name, command, env=self.process_env(), cwd=self.dagster_home, log_path=self.log_dir / f"{name}.log"
        )
        self.processes.append(managed)
        return managed

    def start_webserver(self, *, timeout: float = 180.0) -> None:
        """Start the webserver and wait until it serves the code location (or raise with its log)."""
        webserver = self._start(
            "webserver",
            [
                dagster_executable("dagster-webserver"),
                "-w",
                str(self.project_dir / "workspace.yaml"),
                "-h",
                self.host,
                "-p",
                str(self.port),
            ],
        )
        with DagsterGraphQL(self.url) as client:
            client.wait_until_loaded(timeout=timeout, alive=webserver.check_alive)

    def start_daemon(self) -> None:
        """Start the daemon: backfills, the run queue, schedules, sensors, automation.

        By default the project's daemon, as ``make dev`` and docs/deploy.md run it; ``STOCK_DAEMON`` (the
        benchmark's ``--stock-daemon``) is Dagster's own ``dagster-daemon``.
        """
        workspace = str(self.project_dir / "workspace.yaml")
        self._start("daemon", [*self.daemon_command, "run", "-w", workspace])

    def check_alive(self) -> None:
        for managed in self.processes:
            managed.check_alive()

    def stop(self) -> None:
        """Stop the daemon first (no new runs), then the webserver; each with its whole process group."""
        for managed in reversed(self.processes):
            managed.stop()
        self.processes.clear()

    def __enter__(self) -> LocalDagster:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextlib.contextmanager
def local_dagster(
    dagster_home: Path, env: Mapping[str, str], log_dir: Path, *, port: int = 0, start_daemon: bool = True
) -> Iterator[LocalDagster]:
    """A started webserver (and daemon, unless deferred), stopped on exit whatever happens."""
    stack = LocalDagster(dagster_home=dagster_home, env=env, log_dir=log_dir, port=port)
    try:
        stack.start_webserver()
        if start_daemon:
            stack.start_daemon()
        yield stack
    finally:
        stack.stop()
