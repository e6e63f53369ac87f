"""The PostgreSQL token lock (``LIVE_TOKEN_LOCK=postgres``) on the suite's local PostgreSQL (``make postgres``).

Each process gets a token-cache folder of its own, as runs on separate machines would: no file lock is
shared, so only the advisory lock can keep the bot's requests one at a time. PostgreSQL missing is a
failure that names the fix, never a skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from live_assets import contract
from live_assets.client.token_lock import PostgresTokenLock, TokenLockUnavailableError, token_identity
from live_assets.secret import Secret
from live_assets.settings import load_settings
from live_assets.simulator import DEMO_X_TOKEN, SimulatorServer
from live_assets_tests.lake import LakeDatabase, created_lake_database
from live_assets_tests.test_token_lock import (
    REQUESTS_PER_PROCESS,
    assert_released_at_once_when_killed,
    child_env,
    killed_at_exit,  # noqa: F401 - a fixture
    send_together,
    spawn,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lock_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeDatabase]:
    """A database and role of its own (advisory locks are per database): the Dagster database of
    test_many_bots, which may run on another worker meanwhile, is neither dropped nor locked out."""
    with created_lake_database(tmp_path_factory.mktemp("unused-lake-data")) as database:
        yield database


def lock_env(base_url: str, root: Path, database: LakeDatabase, name: str) -> dict[str, str]:
    return child_env(
        base_url,
        root,
        LIVE_TOKEN_LOCK="postgres",
        LIVE_TOKEN_LOCK_POSTGRES=database.catalog,
        LIVE_TOKEN_LOCK_PASSWORD=database.password,
        LIVE_TOKEN_CACHE_DIR=str(root / f"tokens-{name}"),  # a machine of its own
    )


def test_processes_with_the_postgres_lock_send_one_request_at_a_time(
    make_simulator: Callable[..., SimulatorServer],
    tmp_path: Path,
    lock_database: LakeDatabase,
    killed_at_exit: list[subprocess.Popen[str]],  # noqa: F811
) -> None:
    sim = make_simulator(latency_ms=20)
    envs = [lock_env(sim.base_url, tmp_path, lock_database, str(n)) for n in range(3)]
    send_together(envs, killed_at_exit)
    counters = sim.counters()
    assert counters["requests"][str(contract.Path.GROUPS)] == 3 * REQUESTS_PER_PROCESS
    assert counters["logins"] == 3  # three token caches: three "machines"
    assert counters["max_in_flight_per_bot"] == 1 and counters["responses"].get("429", 0) == 0


def test_a_postgres_lock_holder_killed_with_sigkill_releases_at_once(
    tmp_path: Path,
    lock_database: LakeDatabase,
    killed_at_exit: list[subprocess.Popen[str]],  # noqa: F811
) -> None:
    env = lock_env("http://127.0.0.1:9", tmp_path, lock_database, "holder")
    settings = load_settings(env, dotenv=False)
    assert settings.x_token is not None
    lock = PostgresTokenLock(
        lock_database.catalog, Secret(lock_database.password), token_identity(settings.base_url, settings.x_token)
    )
    holder = spawn(env, "hold")
    killed_at_exit.append(holder)
    probe = PostgresTokenLock(
        lock_database.catalog, Secret(lock_database.password), token_identity(settings.base_url, settings.x_token)
    )

    def is_free() -> bool:
        cursor = probe._cursor()
        cursor.execute("SELECT pg_try_advisory_lock(%s)", (probe.lock_key,))
        (free,) = cursor.fetchone()
        if free:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (probe.lock_key,))
        return bool(free)

    def take() -> None:
        with lock.hold():
            pass

    try:
        assert_released_at_once_when_killed(holder, take, is_free)
    finally:
        lock.close()
        probe.close()
    assert DEMO_X_TOKEN not in str(lock.lock_key)


def test_an_unreachable_postgres_is_a_clear_retryable_error_without_the_password(tmp_path: Path) -> None:
    lock = PostgresTokenLock(
        "host=127.0.0.1 port=9 dbname=x user=y connect_timeout=2", Secret("Hunter2-secret"), "identity"
    )
    with pytest.raises(TokenLockUnavailableError) as failed, lock.hold():
        pass
    assert "LIVE_TOKEN_LOCK_POSTGRES" in str(failed.value) and "Hunter2-secret" not in str(failed.value)
    assert failed.value.is_retryable


def test_a_lock_whose_connection_was_lost_reconnects_at_its_next_request(lock_database: LakeDatabase) -> None:
    lock = PostgresTokenLock(
        lock_database.catalog, Secret(lock_database.password), token_identity("https://live.example", Secret("x"))
    )
    other = PostgresTokenLock(lock_database.catalog, Secret(lock_database.password), "another identity")
    try:
        with lock.hold():
            pid = lock._connection.get_backend_pid()
        cursor = other._cursor()
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))  # a restart, a proxy's idle timeout
        assert cursor.fetchone() == (True,)
        with lock.hold(first_in_line=True):
            assert lock._connection.get_backend_pid() != pid
    finally:
        lock.close()
        other.close()
