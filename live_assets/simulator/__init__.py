"""A local simulator of the vendor's Live analytics API, faithful to ``docs/api-contract.md``.

It serves every endpoint over real HTTP from deterministic synthetic data, enforces the contract
(auth, X-Token, ranges, one request per token, the data lag) and offers knobs for tests and
benchmarks (latency, faults, counters). It imports nothing from the pipeline, only the contract::

    with SimulatorServer(SimulatorConfig(seed=7)) as sim:
        httpx.post(sim.base_url + "/user/login-simple", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
"""

from live_assets.simulator.config import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_X_TOKEN,
    FOREIGN_X_TOKEN,
    VIEWER_EMAIL,
    VIEWER_PASSWORD,
    BotProfile,
    SimulatorConfig,
    UserAccount,
)
from live_assets.simulator.faults import KINDS as FAULT_KINDS
from live_assets.simulator.server import SimulatorServer

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_X_TOKEN",
    "FAULT_KINDS",
    "FOREIGN_X_TOKEN",
    "VIEWER_EMAIL",
    "VIEWER_PASSWORD",
    "BotProfile",
    "SimulatorConfig",
    "SimulatorServer",
    "UserAccount",
]
