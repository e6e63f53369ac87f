"""Shared pytest fixtures. Each owner keeps a clearly delimited section."""

from __future__ import annotations

# ================================================================================================
# Simulator fixtures (owner: simulator). A real uvicorn server per config, on a free port.
#   sim_session     - session-scoped simulator, default config (seed 7, 300 conversations/day, UTC)
#   report_world    - session-scoped: two weeks loaded and computed (report_world.py); copy before use
#   sim             - the same server, counters reset and scheduled faults cleared for each test
#   make_simulator  - factory: make_simulator(**SimulatorConfig overrides) -> a started server,
#                     stopped at the end of the test
#   sim_client_for  - factory: sim_client_for(server, x_token=None, email=..., password=...) -> an
#                     httpx.Client logged in, with Authorization and X-Token set; closed at teardown
#   sim_client      - sim_client_for(sim)
# ================================================================================================
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_assets import contract
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, SimulatorConfig, SimulatorServer

DEFAULT_SIMULATOR_CONFIG = SimulatorConfig(seed=7, conversations_per_day=300, timezone="UTC")


@pytest.fixture(scope="session")
def sim_session() -> Iterator[SimulatorServer]:
    with SimulatorServer(DEFAULT_SIMULATOR_CONFIG) as server:
        yield server


@pytest.fixture(scope="session")
def report_world(sim_session: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The two weeks of ``report_world.build_world``, built once: the report modules (one xdist group, see
    scheduling.py) each take a copy (``copy_world``) and never write to this one."""
    # Imported here: report_world loads Dagster and the asset layout, which most test sessions never need.
    from live_assets_tests.report_world import build_world

    with build_world(sim_session, tmp_path_factory.mktemp("report-world")) as path:
        yield path


@pytest.fixture
def sim(sim_session: SimulatorServer) -> Iterator[SimulatorServer]:
    """The session's simulator, clean; its faults are cleared again after the test, since module fixtures
    on the same worker (the report's warehouse, ...) read ``sim_session`` directly."""
    sim_session.clear_faults()
    sim_session.reset_counters()
    yield sim_session
    sim_session.clear_faults()


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., SimulatorServer]]:
    started: list[SimulatorServer] = []

    def make(**overrides: Any) -> SimulatorServer:
        server = SimulatorServer(DEFAULT_SIMULATOR_CONFIG, **overrides).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sim_client_for() -> Iterator[Callable[..., httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(
        server: SimulatorServer,
        x_token: str | None = None,
        email: str = DEMO_EMAIL,
        password: str = DEMO_PASSWORD,
    ) -> httpx.Client:
        client = httpx.Client(base_url=server.base_url, timeout=30)
        clients.append(client)
        login = client.post(contract.LOGIN_PATH, json={"email": email, "password": password})
        login.raise_for_status()
        client.headers[contract.AUTH_HEADER] = login.json()[contract.AUTH_HEADER]
        client.headers[contract.X_TOKEN_HEADER] = x_token or server.config.x_token
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sim_client(sim: SimulatorServer, sim_client_for: Callable[..., httpx.Client]) -> httpx.Client:
    return sim_client_for(sim)


# ================================================================================================
# End of the simulator fixtures.
# ================================================================================================

# ================================================================================================
# Pipeline fixtures (owner: raw assets). `pipeline`: LIVE_* settings pointing at `sim`, with a
# DuckDB file, a landing folder and a token cache of the test's own (see pipeline.py).
# ================================================================================================
pytest_plugins = ["live_assets_tests.pipeline"]


# ================================================================================================
# Parallel runs (owner: test infrastructure). `make test` runs the suite on pytest-xdist workers
# (`-n`): tests go to any worker one at a time, longest first, except the modules grouped in
# live_assets_tests/scheduling.py (which says why each is), whatever --dist says.
# ================================================================================================
def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):  # registered only then: its hook is xdist's own
        from live_assets_tests.scheduling import GroupedScheduler

        config.pluginmanager.register(GroupedScheduler(), "live_assets_grouped_scheduler")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker, the longest tests first: each worker collects, and the controller hands out in this order."""
    if hasattr(config, "workerinput"):
        from live_assets_tests.scheduling import longest_first

        items[:] = longest_first(items)
