"""The token lock keeps the vendor's one-request rule for every process on the machine (the file lock).

Real processes against the simulator over HTTP. The simulator counts requests in flight per bot
(X-token), whichever bearer token carries them: the connection check logs in on its own and gets a
token of its own, and still shares the bot. Nothing here goes through a run queue.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from live_assets import contract
from live_assets.client import LiveClient
from live_assets.client.token_lock import FileTokenLock, TokenLockError, token_identity
from live_assets.raw.assets import RawStep, step_of
from live_assets.raw.endpoints import ENDPOINTS
from live_assets.secret import Secret
from live_assets.settings import SettingsError, load_settings
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, DEMO_X_TOKEN, SimulatorServer
from live_assets_tests.pipeline import simulator_env

PROJECT = Path(__file__).resolve().parents[1]
REQUESTS_PER_PROCESS = 12
LATENCY_MS = 60.0
RELEASE_BOUND_SECONDS = 1.0  # "at once": the kernel (or the server) drops a dead holder's lock


def child_env(base_url: str, root: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LIVE_", "DAGSTER_"))}
    return env | simulator_env(base_url, root, **overrides) | {"PYTHONPATH": str(PROJECT)}


def spawn(env: Mapping[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "live_assets_tests.lock_child", *args],
        env=dict(env), cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def expect_line(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdout is not None
    got = process.stdout.readline().strip()
    if got != line:
        process.kill()
        _, errors = process.communicate(timeout=30)
        raise AssertionError(f"expected {line!r} from the child, got {got!r}:\n{errors[-3000:]}")


@pytest.fixture
def killed_at_exit() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def send_together(envs: list[dict[str, str]], processes: list[subprocess.Popen[str]]) -> None:
    """Start one ``send`` child per environment, release them at once, and wait until each is done."""
    for env in envs:
        processes.append(spawn(env, "send", str(REQUESTS_PER_PROCESS)))
    for process in processes:
        expect_line(process, "ready")
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        expect_line(process, "done")
        assert process.wait(timeout=60) == 0


def assert_released_at_once_when_killed(
    holder: subprocess.Popen[str], take: Callable[[], None], is_free: Callable[[], bool]
) -> float:
    """``holder`` holds the lock; a thread of this process waits in ``take``; SIGKILL the holder: the thread
    gets the lock within RELEASE_BOUND_SECONDS. Returns that delay."""
    expect_line(holder, "held")
    assert not is_free()
    acquired = threading.Event()
    acquired_at: list[float] = []

    def wait_for_it() -> None:
        take()
        acquired_at.append(time.perf_counter())
        acquired.set()

    waiter = threading.Thread(target=wait_for_it, daemon=True)
    waiter.start()
    assert not acquired.wait(0.2), "the lock was free while the holder lived"
    killed_at = time.perf_counter()
    os.kill(holder.pid, signal.SIGKILL)
    assert acquired.wait(RELEASE_BOUND_SECONDS * 5), "the lock was never released after the holder was killed"
    delay = acquired_at[0] - killed_at
    print(f"\nlock taken {delay * 1000:.1f} ms after SIGKILL of its holder")
    assert delay < RELEASE_BOUND_SECONDS
    return delay


# --- one machine, the file lock ------------------------------------------------------------------


def test_processes_on_one_bot_send_one_request_at_a_time(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path, killed_at_exit: list[subprocess.Popen[str]]
) -> None:
    sim = make_simulator(latency_ms=20)
    env = child_env(sim.base_url, tmp_path)
    send_together([env, env, env], killed_at_exit)
    counters = sim.counters()
    assert counters["requests"][str(contract.Path.GROUPS)] == 3 * REQUESTS_PER_PROCESS
    assert counters["max_in_flight_per_bot"] == 1 and counters["responses"].get("429", 0) == 0


def test_two_bots_send_side_by_side(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path, killed_at_exit: list[subprocess.Popen[str]]
) -> None:
    """The lock is per bot: two bots' processes overlap their requests, each bot one at a time."""
    sim = make_simulator(latency_ms=20, bots=2)
    envs = [child_env(sim.base_url, tmp_path, LIVE_API_X_TOKEN=token) for token in (DEMO_X_TOKEN, f"{DEMO_X_TOKEN}-2")]
    send_together([envs[0], envs[1], envs[0], envs[1]], killed_at_exit)
    counters = sim.counters()
    assert counters["max_in_flight_per_bot"] == 1 and counters["responses"].get("429", 0) == 0
    assert counters["max_in_flight"] >= 2, "the two bots never overlapped: the lock is not per bot"


def test_a_file_lock_holder_killed_with_sigkill_releases_at_once(
    tmp_path: Path, killed_at_exit: list[subprocess.Popen[str]]
) -> None:
    env = child_env("http://127.0.0.1:9", tmp_path)  # no request is sent: the child only holds the lock
    settings = load_settings(env, dotenv=False)
    assert settings.x_token is not None and settings.token_cache_dir is not None
    lock = FileTokenLock(settings.token_cache_dir, token_identity(settings.base_url, settings.x_token))
    holder = spawn(env, "hold")
    killed_at_exit.append(holder)

    def is_free() -> bool:
        import fcntl

        with lock.path.open("a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(probe, fcntl.LOCK_UN)
            return True

    def take() -> None:
        with lock.hold():
            pass

    assert_released_at_once_when_killed(holder, take, is_free)
    assert DEMO_X_TOKEN not in lock.path.name and lock.path.parent == settings.token_cache_dir


def test_a_token_cache_folder_others_can_read_is_refused(sim: SimulatorServer, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    sim.reset_counters()
    client = LiveClient(
        sim.base_url, Secret(DEMO_X_TOKEN), credentials=(DEMO_EMAIL, Secret(DEMO_PASSWORD)), token_cache_dir=shared
    )
    with client, pytest.raises(TokenLockError) as refused:
        client.get("groups", contract.Path.GROUPS)
    message = str(refused.value)
    assert str(shared) in message and "chmod 700" in message and "LIVE_TOKEN_CACHE_DIR" in message
    assert DEMO_X_TOKEN not in message and DEMO_PASSWORD not in message
    assert sim.counters()["requests_total"] == 0  # not even a login
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # refused, not silently changed
    assert not list(shared.iterdir())


def test_a_new_token_cache_folder_is_made_private(tmp_path: Path) -> None:
    """The lock file appears on first use, in a folder made 0700, named by a hash of the bot."""
    folder = tmp_path / "made" / "tokens"
    lock = FileTokenLock(folder, token_identity("https://live.example", Secret(DEMO_X_TOKEN)))
    with lock.hold():
        pass
    lock.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
    assert DEMO_X_TOKEN not in lock.path.name


def _churn(directory: str, identity: str, holds: Any, holding: Any, stop: Any) -> None:
    """A backfill's fetching loop: hold the lock for a request, let go, ask again at once."""
    lock = FileTokenLock(Path(directory), identity)
    while not stop.is_set():
        with lock.hold():
            holding.set()
            time.sleep(0.02)  # a request in flight
            with holds.get_lock():
                holds.value += 1


def holds_let_through(tmp_path: Path, *, first_in_line: bool, asks: int = 10) -> list[int]:
    """How many of another process's holds end between each ask of ours (made while it holds the lock)
    and our getting the lock: 1 is the request in flight."""
    identity = token_identity("https://live.example", Secret(DEMO_X_TOKEN))
    context = multiprocessing.get_context("fork")
    holds, holding, stop = context.Value("i", 0), context.Event(), context.Event()
    backfill = context.Process(target=_churn, args=(str(tmp_path), identity, holds, holding, stop), daemon=True)
    backfill.start()
    lock = FileTokenLock(tmp_path, identity)
    passed = []
    try:
        for _ in range(asks):
            holding.clear()
            assert holding.wait(10), "the backfill process never took the lock"  # a request is in flight
            before = holds.value
            with lock.hold(first_in_line=first_in_line):
                passed.append(holds.value - before)
    finally:
        stop.set()
        backfill.join(timeout=10)
        lock.close()
    return passed


def test_first_in_line_goes_before_a_process_that_takes_the_lock_again_at_once(tmp_path: Path) -> None:
    """A backfill process that lets the lock go and asks again at once lets today's refresh
    (first_in_line) in after the request in flight; a plain caller is let in later (measured, printed)."""
    first = holds_let_through(tmp_path, first_in_line=True)
    plain = holds_let_through(tmp_path, first_in_line=False)
    print(f"\nbackfill requests ended before the lock was ours: first_in_line {first}, plain {plain}")
    assert max(first) <= 1, first  # the request in flight when it asked, never a queue of them


# --- the settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LIVE_TOKEN_LOCK": "redis"}, "LIVE_TOKEN_LOCK must be one of file, postgres"),
        ({"LIVE_TOKEN_LOCK": "postgres"}, "LIVE_TOKEN_LOCK_POSTGRES is not set"),
        ({"LIVE_TOKEN_LOCK_POSTGRES": "host=pg user=live password=Hunter2-secret"}, "LIVE_TOKEN_LOCK_POSTGRES"),
        ({"LIVE_TOKEN_LOCK_POSTGRES": "postgresql://live:Hunter2-secret@pg/db"}, "LIVE_TOKEN_LOCK_POSTGRES"),
    ],
)
def test_bad_token_lock_settings_name_the_variable_and_never_echo_a_password(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(env, dotenv=False)
    assert named in str(refused.value) and "Hunter2-secret" not in str(refused.value)


def test_token_lock_settings_are_read() -> None:
    settings = load_settings(
        {
            "LIVE_TOKEN_LOCK": "postgres",
            "LIVE_TOKEN_LOCK_POSTGRES": "host=pg dbname=dagster user=live",
            "LIVE_TOKEN_LOCK_PASSWORD": "Hunter2-secret",
        },
        dotenv=False,
    )
    assert settings.token_lock == "postgres" and settings.token_lock_postgres == "host=pg dbname=dagster user=live"
    assert settings.token_lock_password is not None and settings.token_lock_password.reveal() == "Hunter2-secret"
    assert "Hunter2-secret" not in repr(settings)
    assert load_settings({}, dotenv=False).token_lock == "file"


# --- three processes of the pipeline on one bot, none through a run queue -------------------------


def locked_out(home: Path, keys: list[str]) -> float:
    """Seconds the run of the instance at ``home`` waited for the token lock (its raw assets' metadata)."""
    total = 0.0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in keys:
            records = instance.fetch_materializations(dg.AssetKey(key.split("/")), limit=1).records
            if records and records[0].asset_materialization is not None:
                metadata = records[0].asset_materialization.metadata
                total += float(metadata["run_seconds_locked_out"].value)  # type: ignore[arg-type]
    return total


def test_a_ranged_materialize_a_list_and_the_connection_check_share_one_bot(
    make_simulator: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    sim = make_simulator(latency_ms=LATENCY_MS, conversations_per_day=20, timezone="UTC")
    env = child_env(sim.base_url, tmp_path, LIVE_TIMEZONE="UTC")
    dagster = str(Path(sys.executable).with_name("dagster"))
    daily = ",".join(f"raw/{spec.table}" for spec in ENDPOINTS if step_of(spec) is RawStep.DAILY)
    last = dt.date(2026, 2, 28)
    first = last - dt.timedelta(days=29)
    commands = {
        "range": [dagster, "asset", "materialize", "-m", "live_assets.definitions", "--select", daily,
                  "--partition-range", f"{first}...{last}"],
        "list": [dagster, "asset", "materialize", "-m", "live_assets.definitions", "--select", "raw/groups"],
        "check": [sys.executable, "-m", "live_assets.check", "--days", "3"],
    }  # fmt: skip
    homes = {name: tmp_path / f"home-{name}" for name in commands}  # three shells, three Dagster instances
    for home in homes.values():
        home.mkdir()
        (home / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    processes: dict[str, subprocess.Popen[str]] = {}
    processes["range"] = subprocess.Popen(
        commands["range"], env=env | {"DAGSTER_HOME": str(homes["range"])}, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert sim.wait_until_in_flight(1, timeout=120), "the ranged run never sent a request"
    for name in ("list", "check"):  # the others join while the range is sending
        processes[name] = subprocess.Popen(
            commands[name], env=env | {"DAGSTER_HOME": str(homes[name])}, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    outputs = {}
    for name, process in processes.items():
        outputs[name], _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}:\n{outputs[name][-4000:]}"
    counters = sim.counters()
    waited = locked_out(homes["range"], daily.split(","))
    print(
        f"\nthree processes on one bot: {counters['requests_total']} requests, {counters['logins']} logins, "
        f"max in flight for the bot {counters['max_in_flight_per_bot']}, responses {counters['responses']}; "
        f"the ranged run waited {waited:.2f} s for the token lock"
    )
    assert counters["max_in_flight_per_bot"] == 1 and counters["responses"].get("429", 0) == 0
    assert counters["requests"][str(contract.Path.CONVERSATION_STATS)] >= 30  # the range ran, and the check
    assert counters["requests"][str(contract.Path.GROUPS)] >= 3  # the list, and the check's
    assert "Result: OK (exit 0)" in outputs["check"]
    assert waited >= LATENCY_MS / 1000, "the ranged run never waited for another process's request: no overlap"
