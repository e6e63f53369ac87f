"""Fault injection and counters, over real HTTP: what each fault kind looks like to a client."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from live_assets import contract
from live_assets.contract import Path
from live_assets.simulator import FAULT_KINDS, SimulatorServer
from live_assets.simulator.faults import EXTRA_FIELD, EXTRA_OBJECT_FIELD, RANDOM_KINDS, UNKNOWN_CSV_HEADER

DAY = {"from": "2025-12-02 00:00:00", "to": "2025-12-02 23:59:59"}
MORNING = {"from": "2025-12-02 09:00:00", "to": "2025-12-02 09:59:59"}
ClientFor = Callable[..., httpx.Client]


def outcome(client: httpx.Client, path: str, params: dict[str, str]) -> str:
    """A request's result as a label: the status code, or the transport error's class."""
    try:
        return str(client.get(path, params=params).status_code)
    except httpx.TransportError as error:
        return type(error).__name__


@pytest.mark.parametrize("kind", ["429", "502", "503", "504"])
def test_status_faults(sim: SimulatorServer, sim_client: httpx.Client, kind: str) -> None:
    sim.schedule_fault(Path.CONVERSATION_LIST, kind, times=2)
    for _ in range(2):
        response = sim_client.get(Path.CONVERSATION_LIST, params=MORNING)
        assert response.status_code == int(kind)
        if kind == "429":
            assert response.json()["error"]["code"] == "TOO_MANY_REQUESTS"
            assert response.headers[contract.RETRY_AFTER_HEADER] in ("0", "1")
        else:
            assert not response.content or response.headers["content-type"].startswith("text/html")
    assert sim_client.get(Path.CONVERSATION_LIST, params=MORNING).status_code == 200
    assert sim.counters()["faults_injected"] == {kind: 2}


def test_a_dropped_connection(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    sim.schedule_fault(Path.CONVERSATION_STATS, "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        sim_client.get(Path.CONVERSATION_STATS, params=DAY)
    assert sim_client.get(Path.CONVERSATION_STATS, params=DAY).status_code == 200
    assert sim.counters()["responses_by_path"][Path.CONVERSATION_STATS] == {"dropped": 1, "200": 1}


def test_a_truncated_body_announces_the_full_length(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    full = sim_client.get(Path.CONVERSATION_LIST, params=MORNING).content
    sim.schedule_fault(Path.CONVERSATION_LIST, "truncate")
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        sim_client.stream("GET", Path.CONVERSATION_LIST, params=MORNING) as r,
    ):
        assert r.status_code == 200 and int(r.headers["content-length"]) == len(full)
        for chunk in r.iter_bytes():
            received.extend(chunk)
    assert 0 < len(received) < len(full) and full.startswith(bytes(received))


def test_a_200_with_half_a_json_body(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    sim.schedule_fault(Path.CONVERSATION_SLA, "truncated_json_200")
    response = sim_client.get(Path.CONVERSATION_SLA, params=DAY)
    assert response.status_code == 200 and int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_200_html_page(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    sim.schedule_fault(Path.EXPORT_SIMPLE, "html_200")
    response = sim_client.get(Path.EXPORT_SIMPLE, params=DAY)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def _table(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


def test_csv_faults(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    clean = _table(sim_client.get(Path.EXPORT_SIMPLE, params=MORNING))
    sim.schedule_fault(Path.EXPORT_SIMPLE, "csv_unknown_header")
    unknown = _table(sim_client.get(Path.EXPORT_SIMPLE, params=MORNING))
    assert unknown[0][-1] == UNKNOWN_CSV_HEADER and unknown[0][:-1] == clean[0][:-1] and unknown[1:] == clean[1:]
    sim.schedule_fault(Path.EXPORT_SIMPLE, "csv_ragged_row")
    ragged = _table(sim_client.get(Path.EXPORT_SIMPLE, params=MORNING))
    assert len(ragged[1]) == len(clean[1]) + 1 and ragged[2:] == clean[2:]


def _walk(value: Any) -> list[dict[str, Any]]:
    """Every object of a body, the injected extra objects' insides excepted."""
    if isinstance(value, list):
        return [d for item in value for d in _walk(item)]
    if isinstance(value, dict):
        return [value, *(d for key, item in value.items() if key != EXTRA_OBJECT_FIELD for d in _walk(item))]
    return []


def _strip_extras(value: Any) -> Any:
    if isinstance(value, list):
        return [_strip_extras(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_extras(v) for k, v in value.items() if k not in (EXTRA_FIELD, EXTRA_OBJECT_FIELD)}
    return value


@pytest.mark.parametrize(
    "path", [Path.CONVERSATION_LIST, Path.CONVERSATION_STATS, Path.AGENT_PERFORMANCE, Path.FEEDBACK]
)
def test_extra_fields_everywhere(sim: SimulatorServer, sim_client: httpx.Client, path: str) -> None:
    clean = sim_client.get(path, params=MORNING).json()
    sim.schedule_fault(path, "extra_fields")
    extra = sim_client.get(path, params=MORNING).json()
    assert _strip_extras(extra) == clean
    objects = _walk(extra)
    assert objects and all(EXTRA_FIELD in d for d in objects)
    records = extra if isinstance(extra, list) else [extra]
    assert all(EXTRA_OBJECT_FIELD in record for record in records)


def test_missing_optional_and_null_objects(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    clean = sim_client.get(Path.CONVERSATION_LIST, params=MORNING).json()
    sim.schedule_fault(Path.CONVERSATION_LIST, "missing_optional")
    missing = sim_client.get(Path.CONVERSATION_LIST, params=MORNING).json()
    for before, after in zip(clean, missing, strict=True):
        assert after == {k: v for k, v in before.items() if k not in contract.NULLABLE_CONVERSATION_FIELDS}
    sim.schedule_fault(Path.CONVERSATION_LIST, "null_objects")
    nulled = sim_client.get(Path.CONVERSATION_LIST, params=MORNING).json()
    for before, after in zip(clean, nulled, strict=True):
        assert after["agent"] is after["reason"] is after["feedback"] is after["closed_by"] is None
        assert after["conversation_id"] == before["conversation_id"] and after["group"] == before["group"]
    sim.schedule_fault(Path.CONVERSATION_STATS, "missing_optional")
    stats = sim_client.get(Path.CONVERSATION_STATS, params=MORNING).json()
    assert "avg_wait_time" not in stats and stats["total"] == len(clean)


def test_faults_through_the_http_helpers(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    base = sim.base_url
    scheduled = httpx.post(base + "/_sim/faults", json={"path": Path.GROUPS, "kind": "503", "times": 3})
    assert scheduled.status_code == 200
    assert httpx.get(base + "/_sim/faults").json() == [{"path": Path.GROUPS, "kind": "503", "times": 3}]
    assert sim_client.get(Path.GROUPS).status_code == 503
    assert sim_client.get(Path.AGENTS).status_code == 200  # other paths are untouched
    assert httpx.delete(base + "/_sim/faults").status_code == 200
    assert sim_client.get(Path.GROUPS).status_code == 200
    for bad in (
        {"path": Path.GROUPS, "kind": "teapot"},
        {"path": Path.GROUPS, "kind": "csv_ragged_row"},
        {"path": Path.EXPORT_SIMPLE, "kind": "extra_fields"},
        {"path": contract.LOGIN_PATH, "kind": "503"},
        {"path": Path.GROUPS, "kind": "503", "times": 0},
    ):
        assert httpx.post(base + "/_sim/faults", json=bad).status_code == 400
    assert set(FAULT_KINDS) >= {"429", "502", "503", "504", "drop", "truncate", "html_200", "null_objects"}


def test_counters(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    sim_client.get(Path.CONVERSATION_LIST, params=DAY)
    sim_client.get(Path.CONVERSATION_LIST, params={"from": "bad", "to": "bad"})
    sim.schedule_fault(Path.GROUPS, "502")
    sim_client.get(Path.GROUPS)
    counters = httpx.get(sim.base_url + "/_sim/counters").json()
    assert counters == sim.counters()
    assert counters["requests"] == {contract.LOGIN_PATH: 1, Path.CONVERSATION_LIST: 2, Path.GROUPS: 1}
    assert counters["requests_total"] == 4 and counters["logins"] == 1
    assert counters["responses"] == {"200": 2, "400": 1, "502": 1}
    assert counters["responses_by_path"][Path.CONVERSATION_LIST] == {"200": 1, "400": 1}
    assert counters["max_in_flight"] == counters["max_in_flight_per_token"] == 1
    assert counters["serving_seconds"] > 0 and counters["faults_injected"] == {"502": 1}
    assert httpx.post(sim.base_url + "/_sim/counters/reset").status_code == 200
    reset = sim.counters()
    assert reset["requests_total"] == 0 and reset["responses"] == {} and reset["serving_seconds"] == 0


def _random_run(server: SimulatorServer, client_for: ClientFor, requests: int) -> list[str]:
    client = client_for(server)
    return [outcome(client, Path.CONVERSATION_STATS, MORNING) for _ in range(requests)]


def test_random_faults_are_reproducible_from_the_seed(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    first = _random_run(make_simulator(fault_rate=0.4), sim_client_for, 60)
    second = _random_run(make_simulator(fault_rate=0.4), sim_client_for, 60)
    other_seed = _random_run(make_simulator(fault_rate=0.4, seed=8), sim_client_for, 60)
    assert first == second != other_seed
    faulted = sum(label != "200" for label in first)
    assert 12 <= faulted <= 36
    assert set(first) - {"200"} <= {"429", "502", "503", "504", "RemoteProtocolError"}


def test_every_data_request_faulted_at_rate_one_but_never_login(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    server = make_simulator(fault_rate=1.0)
    client = sim_client_for(server)  # the login itself is never faulted
    labels = Counter(outcome(client, Path.GROUPS, {}) for _ in range(60))
    assert "200" not in labels
    counters = server.counters()
    assert set(counters["faults_injected"]) == set(RANDOM_KINDS)
    assert sum(counters["faults_injected"].values()) == 60
    assert counters["responses_by_path"][contract.LOGIN_PATH] == {"200": 1}
