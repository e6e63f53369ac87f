"""Smoke tests of the simulator: login and the conversation list over real HTTP."""

from __future__ import annotations

import datetime as dt

import httpx

from live_assets import contract
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, DEMO_X_TOKEN, SimulatorServer

DAY = dt.date(2025, 12, 1)


def test_login_then_list_one_day(sim: SimulatorServer) -> None:
    with httpx.Client(base_url=sim.base_url) as client:
        login = client.post(contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert login.status_code == 200
        token = login.json()[contract.AUTH_HEADER]
        assert token.startswith("Bearer ")
        response = client.get(
            contract.Path.CONVERSATION_LIST,
            params={"from": "2025-12-01 00:00:00", "to": "2025-12-01 23:59:59"},
            headers={contract.AUTH_HEADER: token, contract.X_TOKEN_HEADER: DEMO_X_TOKEN},
        )
    assert response.status_code == 200
    assert response.json() == sim.conversations(DAY)
    assert len(response.json()) > 100
