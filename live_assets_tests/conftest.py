"""Shared pytest fixtures. Each owner keeps a clearly delimited section."""

from __future__ import annotations

# ================================================================================================
# Simulator fixtures (owner: simulator). A real uvicorn server per config, on a free port.
#   sim_session     - session-scoped simulator, default config (seed 7, 300 conversations/day, UTC)
#   sim             - the same server, counters reset and scheduled faults cleared for each test
#   make_simulator  - factory: make_simulator(**SimulatorConfig overrides) -> a started server,
#                     stopped at the end of the test
# ================================================================================================
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from live_assets.simulator import SimulatorConfig, SimulatorServer

DEFAULT_SIMULATOR_CONFIG = SimulatorConfig(seed=7, conversations_per_day=300, timezone="UTC")


@pytest.fixture(scope="session")
def sim_session() -> Iterator[SimulatorServer]:
    with SimulatorServer(DEFAULT_SIMULATOR_CONFIG) as server:
        yield server


@pytest.fixture
def sim(sim_session: SimulatorServer) -> SimulatorServer:
    sim_session.clear_faults()
    sim_session.reset_counters()
    return sim_session


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


# ================================================================================================
# End of the simulator fixtures.
# ================================================================================================
