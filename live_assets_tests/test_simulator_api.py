"""The simulator over real HTTP: every endpoint's shape, every error code, auth, concurrency, the lag rule."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from live_assets import contract
from live_assets.contract import ErrorCode, Path
from live_assets.simulator import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_X_TOKEN,
    FOREIGN_X_TOKEN,
    VIEWER_EMAIL,
    VIEWER_PASSWORD,
    SimulatorServer,
)
from live_assets.simulator.generate import generate_day
from live_assets.simulator.world import build_world

WEEK = {"from": "2025-12-01 00:00:00", "to": "2025-12-07 23:59:59"}
ONE_DAY = {"from": "2025-12-02 00:00:00", "to": "2025-12-02 23:59:59"}
ClientFor = Callable[..., httpx.Client]

CONVERSATION_FIELDS = {
    "conversation_id", "bot_id", "queueddatetime", "startdatetime", "enddatetime", "wait_time", "session_time",
    "first_response_time", "status", "transfers", "group", "protocol", "user", "agent", "reason", "feedback",
    "closed_by", "location", "platform", "browser",
}  # fmt: skip
STATS_FIELDS = {
    "total", "attended", "closed", "lost", "transferred", "avg_wait_time", "avg_first_response_time",
    "avg_session_time", "feedback_avg", "feedback_count",
}  # fmt: skip
SLA_FIELDS = {"group", "sla_threshold", "total", "attended", "lost", "within_sla", "out_of_sla", "sla_percentage"}
HISTOGRAM_FIELDS = {"period", "total", "closed", "lost", "transfers", "active_agents"}
SUMMARY_FIELDS = {
    "period", "group", "protocol", "total", "closed", "lost", "transferred", "avg_wait_time",
    "avg_first_response_time", "avg_session_time", "completion_rate", "feedback_avg", "feedback_count",
    "sla_percentage",
}  # fmt: skip
AGENT_FIELDS = {
    "agent", "conversations", "closed", "transferred", "avg_first_response_time", "avg_session_time",
    "total_session_time", "max_concurrent", "feedback_avg", "feedback_count",
}  # fmt: skip


def assert_error(response: httpx.Response, code: ErrorCode) -> dict[str, Any]:
    """The vendor's envelope with ``code`` and the contract's status; returns ``details``."""
    assert response.status_code == contract.ERROR_STATUS[code], response.text
    assert response.headers["content-type"].startswith(contract.JSON_CONTENT_TYPE)
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code.value and error["message"]
    assert isinstance(error["details"], dict)
    return error["details"]


def is_moment(value: object) -> bool:
    return isinstance(value, str) and contract.format_datetime(contract.parse_datetime(value)) == value


# --- shapes -------------------------------------------------------------------------------------
def test_login_answers_a_bearer_token_and_its_lifetime(sim: SimulatorServer) -> None:
    response = httpx.post(sim.base_url + contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body[contract.AUTH_HEADER].startswith("Bearer ")
    assert body[contract.LOGIN_EXPIRES_IN_FIELD] == contract.TOKEN_TTL_SECONDS
    assert sim.counters()["logins"] == 1


def test_conversation_list_shape(sim_client: httpx.Client) -> None:
    response = sim_client.get(Path.CONVERSATION_LIST, params=WEEK)
    assert response.status_code == 200
    assert response.headers["content-type"] == contract.JSON_CONTENT_TYPE
    rows = response.json()
    assert len(rows) > 1000
    assert all(set(row) == CONVERSATION_FIELDS for row in rows)
    assert [(r["queueddatetime"], r["conversation_id"]) for r in rows] == sorted(
        (r["queueddatetime"], r["conversation_id"]) for r in rows
    )
    for row in rows[:300]:
        assert is_moment(row["queueddatetime"]) and is_moment(row["enddatetime"])
        assert row["startdatetime"] is None or is_moment(row["startdatetime"])
        assert set(row["group"]) == {"id", "name", "description"}
        assert set(row["protocol"]) == {"id", "name"}
        assert row["agent"] is None or set(row["agent"]) == {"id", "name", "nick_name", "email", "picture"}
        assert row["reason"] is None or set(row["reason"]) == {"id", "description"}
        assert row["feedback"] is None or set(row["feedback"]) == {"id", "name", "value"}
        assert set(row["closed_by"]) == {"id", "name"}
        assert set(row["platform"]) == set(row["browser"]) == {"id", "name", "version"}


def test_conversation_detail_shape(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    conversation = next(c for c in sim.conversations(dt.date(2025, 12, 2)) if c["first_response_time"])
    response = sim_client.get(Path.CONVERSATION_DETAIL, params={"conversation_id": conversation["conversation_id"]})
    assert response.status_code == 200
    body = response.json()
    messages = body.pop("messages")
    assert body == conversation
    assert all(set(m) == {"id", "sender", "agent_id", "text", "created_at"} for m in messages)
    first_agent = next(m for m in messages if m["sender"] == "agent")
    start = contract.parse_datetime(conversation["startdatetime"])
    assert contract.parse_datetime(first_agent["created_at"]) == start + dt.timedelta(
        seconds=conversation["first_response_time"]
    )


def test_aggregate_shapes(sim_client: httpx.Client) -> None:
    stats = sim_client.get(Path.CONVERSATION_STATS, params=WEEK).json()
    assert set(stats) == STATS_FIELDS and stats["total"] > 0
    sla = sim_client.get(Path.CONVERSATION_SLA, params=WEEK).json()
    assert len(sla) == 4 and all(set(row) == SLA_FIELDS for row in sla)
    histogram = sim_client.get(Path.HISTOGRAM, params={**WEEK, "frequency": "HOUR"}).json()
    assert len(histogram) == 7 * 24 and all(set(row) == HISTOGRAM_FIELDS for row in histogram)
    summary = sim_client.get(Path.SUMMARY, params={**WEEK, "frequency": "DAY"}).json()
    assert summary and all(set(row) == SUMMARY_FIELDS for row in summary)
    agents = sim_client.get(Path.AGENT_PERFORMANCE, params=WEEK).json()
    assert len(agents) == 12 and all(set(row) == AGENT_FIELDS for row in agents)
    assert all(set(row["agent"]) == {"id", "name", "nick_name", "email"} for row in agents)
    feedback = sim_client.get(Path.FEEDBACK, params=WEEK).json()
    assert set(feedback) == {"surveys", "comments_count", "average", "distribution", "items"}
    assert [d["value"] for d in feedback["distribution"]] == list(contract.FEEDBACK_VALUES)
    assert all(set(i) == {"conversation_id", "agent_id", "value", "comment", "created_at"} for i in feedback["items"])


def test_dimension_lists(sim_client: httpx.Client) -> None:
    agents = sim_client.get(Path.AGENTS).json()
    assert len(agents) == 12
    assert all(set(a) == {"id", "name", "nick_name", "email", "max_concurrent_chats"} for a in agents)
    groups = sim_client.get(Path.GROUPS).json()
    assert len(groups) == 4 and all(set(g) == {"id", "name", "description", "sla_threshold"} for g in groups)
    assert sim_client.get(Path.GROUPS, params={"group_id": "1,3"}).json() == [groups[0], groups[2]]


def test_histogram_buckets_cover_the_range_empty_ones_included(sim_client: httpx.Client) -> None:
    night = {"from": "2025-12-06 02:00:00", "to": "2025-12-06 05:59:59", "frequency": "HALF-HOUR"}
    rows = sim_client.get(Path.HISTOGRAM, params=night).json()
    assert [r["period"][11:] for r in rows] == [f"{h:02d}:{m:02d}:00" for h in range(2, 6) for m in (0, 30)]
    week = sim_client.get(Path.HISTOGRAM, params={**WEEK, "frequency": "WEEK"}).json()
    assert [r["period"] for r in week] == ["2025-12-01 00:00:00"]  # a Monday
    midweek = {"from": "2025-12-03 00:00:00", "to": "2025-12-16 23:59:59", "frequency": "WEEK"}
    assert [r["period"] for r in sim_client.get(Path.HISTOGRAM, params=midweek).json()] == [
        "2025-12-01 00:00:00",
        "2025-12-08 00:00:00",
        "2025-12-15 00:00:00",
    ]
    month = {"from": "2025-11-15 00:00:00", "to": "2025-12-14 23:59:59", "frequency": "MONTH"}
    assert [r["period"] for r in sim_client.get(Path.HISTOGRAM, params=month).json()] == [
        "2025-11-01 00:00:00",
        "2025-12-01 00:00:00",
    ]


def test_filters_select_by_group_agent_and_protocol(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    everything = sim.conversations(dt.date(2025, 12, 2))
    for name, pick in (
        ("group_id", lambda c: c["group"]["id"]),
        ("protocol_id", lambda c: c["protocol"]["id"]),
        ("agent_id", lambda c: c["agent"] and c["agent"]["id"]),
    ):
        ids = {1, 2} if name != "agent_id" else {1001, 1005}
        params = {**ONE_DAY, name: ",".join(map(str, sorted(ids)))}
        rows = sim_client.get(Path.CONVERSATION_LIST, params=params).json()
        assert rows == [c for c in everything if pick(c) in ids]
        assert 0 < len(rows) < len(everything)
        assert sim_client.get(Path.CONVERSATION_STATS, params=params).json()["total"] == len(rows)
    assert sim_client.get(Path.CONVERSATION_LIST, params={**ONE_DAY, "group_id": "999"}).json() == []


def test_partial_day_ranges_are_inclusive_to_the_second(sim: SimulatorServer, sim_client: httpx.Client) -> None:
    everything = sim.conversations(dt.date(2025, 12, 2))
    first, second = everything[10]["queueddatetime"], everything[20]["queueddatetime"]
    rows = sim_client.get(Path.CONVERSATION_LIST, params={"from": first, "to": second}).json()
    assert rows == [c for c in everything if first <= c["queueddatetime"] <= second]
    assert rows[0]["queueddatetime"] == first and rows[-1]["queueddatetime"] == second


# --- errors -------------------------------------------------------------------------------------
# fmt: off
BAD_REQUESTS = [
    (Path.CONVERSATION_LIST, {"to": "2025-12-01 23:59:59"}, ErrorCode.MISSING_PARAMETER),
    (Path.CONVERSATION_STATS, {"from": "2025-12-01 00:00:00"}, ErrorCode.MISSING_PARAMETER),
    (Path.HISTOGRAM, ONE_DAY, ErrorCode.MISSING_PARAMETER),
    (Path.SUMMARY, ONE_DAY, ErrorCode.MISSING_PARAMETER),
    (Path.CONVERSATION_DETAIL, {}, ErrorCode.MISSING_PARAMETER),
    (Path.CONVERSATION_LIST, {**ONE_DAY, "from": "2025-12-01"}, ErrorCode.INVALID_DATE_FORMAT),
    (Path.CONVERSATION_LIST, {**ONE_DAY, "to": "2025-1-01 00:00:00"}, ErrorCode.INVALID_DATE_FORMAT),
    (Path.FEEDBACK, {**ONE_DAY, "to": "2025-12-02T23:59:59"}, ErrorCode.INVALID_DATE_FORMAT),
    (Path.EXPORT_SIMPLE, {**ONE_DAY, "from": "2025-02-30 00:00:00"}, ErrorCode.INVALID_DATE_FORMAT),
    (Path.CONVERSATION_SLA, {**ONE_DAY, "from": "2025-12-03 00:00:00"}, ErrorCode.INVALID_DATE_RANGE),
    (Path.HISTOGRAM, {**ONE_DAY, "frequency": "YEAR"}, ErrorCode.INVALID_FREQUENCY),
    (Path.SUMMARY, {**ONE_DAY, "frequency": "hour"}, ErrorCode.INVALID_FREQUENCY),
    (Path.EXPORT_SIMPLE, {**ONE_DAY, "lang": "fr"}, ErrorCode.INVALID_LANG),
    (Path.CONVERSATION_LIST, {**ONE_DAY, "group_id": "abc"}, ErrorCode.INVALID_PARAMETER),
    (Path.AGENT_PERFORMANCE, {**ONE_DAY, "agent_id": "1,,2"}, ErrorCode.INVALID_PARAMETER),
    (Path.CONVERSATION_STATS, {**ONE_DAY, "protocol_id": ""}, ErrorCode.INVALID_PARAMETER),
    (Path.CONVERSATION_DETAIL, {"conversation_id": "12a"}, ErrorCode.INVALID_PARAMETER),
    (Path.CONVERSATION_DETAIL, {"conversation_id": "0"}, ErrorCode.NOT_FOUND),
    (Path.CONVERSATION_DETAIL, {"conversation_id": "9466999999"}, ErrorCode.NOT_FOUND),
]
# fmt: on


@pytest.mark.parametrize(("path", "params", "code"), BAD_REQUESTS)
def test_bad_requests_get_the_contract_codes(
    sim_client: httpx.Client, path: str, params: dict[str, str], code: ErrorCode
) -> None:
    assert_error(sim_client.get(path, params=params), code)


@pytest.mark.parametrize(
    ("frequency", "to", "allowed", "provided"),
    [
        ("HOUR", "2025-12-07 23:59:59", True, ""),
        ("HOUR", "2025-12-08 00:00:00", False, "8 days"),
        ("HALF-HOUR", "2025-12-15 23:59:59", False, "15 days"),
        ("DAY", "2025-12-31 23:59:59", True, ""),
        ("DAY", "2026-01-01 00:00:00", False, "32 days"),
        ("WEEK", "2026-01-01 00:00:00", False, "32 days"),
        ("MONTH", "2025-12-31 23:59:59", True, ""),
    ],
)
def test_range_limits_per_frequency(
    sim_client: httpx.Client, frequency: str, to: str, allowed: bool, provided: str
) -> None:
    params = {"from": "2025-12-01 00:00:00", "to": to, "frequency": frequency}
    for path in (Path.HISTOGRAM, Path.SUMMARY):
        response = sim_client.get(path, params=params)
        if allowed:
            assert response.status_code == 200
        else:
            details = assert_error(response, ErrorCode.INVALID_DATE_RANGE)
            label = contract.MAX_RANGE_BY_FREQUENCY[contract.Frequency(frequency)].label
            assert details == {"max_range": label, "provided_range": provided, "frequency": frequency}


def test_the_vendor_example_error_verbatim(sim_client: httpx.Client) -> None:
    params = {"from": "2025-12-01 00:00:00", "to": "2025-12-15 23:59:59", "frequency": "HOUR"}
    assert sim_client.get(Path.HISTOGRAM, params=params).json() == {
        "error": {
            "code": "INVALID_DATE_RANGE",
            "message": "The date range exceeds the maximum limit allowed for the selected frequency",
            "details": {"max_range": "7 days", "provided_range": "15 days", "frequency": "HOUR"},
        }
    }


def test_endpoints_without_frequency_accept_any_range(sim_client: httpx.Client) -> None:
    params = {"from": "2025-10-01 00:00:00", "to": "2025-12-31 23:59:59"}
    assert sim_client.get(Path.CONVERSATION_STATS, params=params).status_code == 200


def test_login_errors(sim: SimulatorServer) -> None:
    url = sim.base_url + contract.LOGIN_PATH
    assert_error(httpx.post(url, json={"email": DEMO_EMAIL, "password": "wrong"}), ErrorCode.INVALID_CREDENTIALS)
    assert_error(
        httpx.post(url, json={"email": "nobody@example.com", "password": DEMO_PASSWORD}), ErrorCode.INVALID_CREDENTIALS
    )
    assert_error(httpx.post(url, json={"email": DEMO_EMAIL}), ErrorCode.MISSING_PARAMETER)
    assert_error(httpx.post(url, content=b"not json"), ErrorCode.INVALID_PARAMETER)
    assert sim.counters()["logins"] == 4


def test_missing_unknown_and_expired_tokens(sim: SimulatorServer) -> None:
    url = sim.base_url + Path.CONVERSATION_STATS
    x_token = {contract.X_TOKEN_HEADER: DEMO_X_TOKEN}
    assert_error(httpx.get(url, params=ONE_DAY, headers=x_token), ErrorCode.UNAUTHORIZED)
    unknown = {**x_token, contract.AUTH_HEADER: "Bearer not-a-token"}
    assert assert_error(httpx.get(url, params=ONE_DAY, headers=unknown), ErrorCode.UNAUTHORIZED).get("reason") != (
        contract.EXPIRED_TOKEN_REASON
    )
    issued = {**x_token, contract.AUTH_HEADER: sim.issue_token(DEMO_EMAIL, ttl=0)}
    details = assert_error(httpx.get(url, params=ONE_DAY, headers=issued), ErrorCode.UNAUTHORIZED)
    assert details["reason"] == contract.EXPIRED_TOKEN_REASON


def test_issued_tokens_work_until_expired(sim: SimulatorServer) -> None:
    answer = httpx.post(sim.base_url + "/_sim/tokens", json={"email": DEMO_EMAIL, "ttl": 3600}).json()
    headers = {contract.AUTH_HEADER: answer[contract.AUTH_HEADER], contract.X_TOKEN_HEADER: DEMO_X_TOKEN}
    url = sim.base_url + Path.CONVERSATION_STATS
    assert httpx.get(url, params=ONE_DAY, headers=headers).status_code == 200
    assert httpx.post(sim.base_url + "/_sim/tokens/expire").status_code == 200
    details = assert_error(httpx.get(url, params=ONE_DAY, headers=headers), ErrorCode.UNAUTHORIZED)
    assert details["reason"] == contract.EXPIRED_TOKEN_REASON


def test_a_token_expires_after_the_configured_ttl(make_simulator: Callable[..., SimulatorServer]) -> None:
    server = make_simulator(token_ttl=1e-6)  # over before the first data call: no waiting needed
    login = httpx.post(server.base_url + contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    token = login.json()[contract.AUTH_HEADER]
    headers = {contract.AUTH_HEADER: token, contract.X_TOKEN_HEADER: DEMO_X_TOKEN}
    details = assert_error(httpx.get(server.base_url + Path.GROUPS, headers=headers), ErrorCode.UNAUTHORIZED)
    assert details["reason"] == contract.EXPIRED_TOKEN_REASON


@pytest.mark.parametrize(
    ("email", "password", "x_token", "reason"),
    [
        (DEMO_EMAIL, DEMO_PASSWORD, "no-such-x-token", "unknown_x_token"),
        (DEMO_EMAIL, DEMO_PASSWORD, FOREIGN_X_TOKEN, "not_linked"),
        (VIEWER_EMAIL, VIEWER_PASSWORD, DEMO_X_TOKEN, "no_reports_permission"),
    ],
)
def test_forbidden_x_tokens(
    sim: SimulatorServer, sim_client_for: ClientFor, email: str, password: str, x_token: str, reason: str
) -> None:
    client = sim_client_for(sim, x_token=x_token, email=email, password=password)
    assert assert_error(client.get(Path.CONVERSATION_LIST, params=ONE_DAY), ErrorCode.FORBIDDEN)["reason"] == reason
    client.headers.pop(contract.X_TOKEN_HEADER)
    assert_error(client.get(Path.CONVERSATION_LIST, params=ONE_DAY), ErrorCode.FORBIDDEN)


def test_unknown_paths_are_not_found(sim_client: httpx.Client) -> None:
    assert_error(sim_client.get("/live/public/nothing"), ErrorCode.NOT_FOUND)
    assert_error(sim_client.post(Path.CONVERSATION_LIST, params=ONE_DAY), ErrorCode.NOT_FOUND)


# --- one request in flight per token ------------------------------------------------------------
def test_a_second_concurrent_request_on_a_token_gets_429(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    server = make_simulator(latency_ms=600)
    slow_client, other_client = sim_client_for(server), sim_client_for(server)
    first: dict[str, httpx.Response] = {}
    slow = threading.Thread(target=lambda: first.update(r=slow_client.get(Path.CONVERSATION_STATS, params=ONE_DAY)))
    slow.start()
    assert server.wait_until_in_flight(1)
    with httpx.Client(base_url=server.base_url, headers=slow_client.headers) as same_token:
        second = same_token.get(Path.CONVERSATION_STATS, params=ONE_DAY)
        assert_error(second, ErrorCode.TOO_MANY_REQUESTS)
        assert second.headers[contract.RETRY_AFTER_HEADER].isdigit()
        # another token is another lane: served while the first request is still in flight
        assert server.counters()["max_in_flight"] == 2
        assert other_client.get(Path.GROUPS).status_code == 200
    slow.join()
    assert first["r"].status_code == 200
    counters = server.counters()
    assert counters["responses"]["429"] == 1
    assert counters["max_in_flight_per_token"] == 2 and counters["max_in_flight"] >= 2


def test_latency_knobs_delay_without_blocking(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    server = make_simulator(latency_ms=100, latency_per_row_us=50)
    client = sim_client_for(server)
    server.reset_counters()
    rows = client.get(Path.CONVERSATION_LIST, params=ONE_DAY).json()
    floor = 0.100 + len(rows) * 50e-6
    assert server.counters()["serving_seconds"] >= floor


# --- the lag rule -------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_conversations_appear_only_after_their_end_plus_the_lag(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor, zone: str
) -> None:
    wall_now = dt.datetime(2025, 12, 2, 12, 0, 0)
    server = make_simulator(timezone=zone, now=wall_now.replace(tzinfo=dt.UTC) - _offset(wall_now, zone))
    bot = server.config.bot_profiles()[0]
    generated = generate_day(bot.seed, bot.bot_id, build_world(bot.seed, 12), wall_now.date(), 300)
    client = sim_client_for(server)
    served = client.get(Path.CONVERSATION_LIST, params=ONE_DAY).json()
    assert [c["conversation_id"] for c in served] == [c.id for c in generated if c.visible_at <= wall_now]
    ended_not_visible = [c for c in generated if c.end <= wall_now < c.visible_at]
    assert ended_not_visible  # the lag hides conversations that have already ended
    assert all(c.visible_at <= wall_now for c in generated if c.end + contract.DATA_LAG <= wall_now)
    assert server.conversations(wall_now.date()) == served
    hidden = ended_not_visible[0].id
    assert_error(client.get(Path.CONVERSATION_DETAIL, params={"conversation_id": hidden}), ErrorCode.NOT_FOUND)
    tomorrow = {"from": "2025-12-03 00:00:00", "to": "2025-12-03 23:59:59"}
    assert client.get(Path.CONVERSATION_LIST, params=tomorrow).json() == []
    assert client.get(Path.CONVERSATION_STATS, params=ONE_DAY).json()["total"] == len(served)


def _offset(wall: dt.datetime, zone: str) -> dt.timedelta:
    from zoneinfo import ZoneInfo

    return wall.replace(tzinfo=ZoneInfo(zone)).utcoffset() or dt.timedelta()


# --- many bots ----------------------------------------------------------------------------------
def test_each_bot_has_its_own_x_token_and_data(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    server = make_simulator(bots=3, bot_timezones=("UTC", "Europe/Madrid"))
    assert server.x_tokens() == [DEMO_X_TOKEN, f"{DEMO_X_TOKEN}-2", f"{DEMO_X_TOKEN}-3"]
    lists = []
    for x_token in server.x_tokens():
        rows = sim_client_for(server, x_token=x_token).get(Path.CONVERSATION_LIST, params=ONE_DAY).json()
        assert rows == server.conversations(dt.date(2025, 12, 2), bot_x_token=x_token)
        lists.append(rows)
    assert len({rows[0]["bot_id"] for rows in lists}) == 3
    assert lists[0] != lists[1] != lists[2]
    assert [b.timezone for b in server.config.bot_profiles()] == ["UTC", "Europe/Madrid", "UTC"]


# --- the command line ---------------------------------------------------------------------------
def test_the_command_line_serves_and_prints_its_url() -> None:
    command = [sys.executable, "-m", "live_assets.simulator", "--port", "0", "--seed", "7"]
    command += ["--conversations-per-day", "50", "--timezone", "UTC", "--token-ttl", "36000", "--bots", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.split(" on ")[1].split()[0]
        assert base_url.startswith("http://127.0.0.1:")
        login = httpx.post(base_url + contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        headers = {
            contract.AUTH_HEADER: login.json()[contract.AUTH_HEADER],
            contract.X_TOKEN_HEADER: f"{DEMO_X_TOKEN}-2",
        }
        assert httpx.get(base_url + Path.CONVERSATION_LIST, params=ONE_DAY, headers=headers).status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert DEMO_PASSWORD not in stderr and "Bearer" not in stderr


# --- cost and logs ------------------------------------------------------------------------------
def test_a_week_at_3000_a_day_is_cheap_to_serve(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    server = make_simulator(conversations_per_day=3000)
    client = sim_client_for(server)
    week = {"from": "2025-12-01 00:00:00", "to": "2025-12-07 23:59:59"}
    costs = []
    for _ in range(3):  # the first fetch generates the days, the next ones come from the cache
        server.reset_counters()
        assert len(client.get(Path.CONVERSATION_LIST, params=week).json()) > 15_000
        costs.append(server.counters()["serving_seconds"])
    assert costs[0] < 3.0  # about 0.5 s on a 2-core machine; generous for shared CI runners
    assert min(costs[1:]) < 0.5  # about 0.02 s


def test_no_secret_and_no_error_reaches_the_logs(
    sim: SimulatorServer, sim_client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx.post(sim.base_url + contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": "wrong-secret-123"})
    client = sim_client_for(sim)
    token = client.headers[contract.AUTH_HEADER]
    for kind in ("drop", "truncate", "502"):
        sim.schedule_fault(Path.CONVERSATION_LIST, kind)
        with contextlib.suppress(httpx.TransportError):
            client.get(Path.CONVERSATION_LIST, params=ONE_DAY)
    client.get(Path.CONVERSATION_LIST, params=ONE_DAY)
    text = caplog.text
    for secret in ("wrong-secret-123", DEMO_PASSWORD + '"', token, token.removeprefix("Bearer ")):
        assert secret not in text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("uvicorn")]


# --- the CSV export and determinism -------------------------------------------------------------
def _hms(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@pytest.mark.parametrize("lang", contract.EXPORT_LANGUAGES)
def test_the_export_in_each_language(sim: SimulatorServer, sim_client: httpx.Client, lang: str) -> None:
    response = sim_client.get(Path.EXPORT_SIMPLE, params={**ONE_DAY, "lang": lang})
    assert response.status_code == 200 and response.headers["content-type"] == contract.CSV_CONTENT_TYPE
    assert response.content.startswith(",".join(contract.export_headers(lang)).encode("utf-8") + b"\r\n")
    assert response.content.endswith(b"\r\n")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    names = [name for name, _ in contract.EXPORT_COLUMNS]
    records = [dict(zip(names, line, strict=True)) for line in table[1:]]
    conversations = sim.conversations(dt.date(2025, 12, 2))
    assert len(records) == len(conversations)
    labels = contract.EXPORT_STATUS_LABELS[lang]
    for record, c in zip(records, conversations, strict=True):
        expected = {
            "conversation_id": str(c["conversation_id"]),
            "queued_at": c["queueddatetime"],
            "started_at": c["startdatetime"] or "",
            "ended_at": c["enddatetime"],
            "wait_time": _hms(c["wait_time"]),
            "session_time": _hms(c["session_time"]),
            "first_response_time": _hms(c["first_response_time"]),
            "status": labels[c["status"]],
            "transfers": str(c["transfers"]),
            "group": c["group"]["name"],
            "protocol": c["protocol"]["name"],
            "agent": c["agent"]["name"] if c["agent"] else "",
            "agent_email": c["agent"]["email"] if c["agent"] else "",
            "user_name": f"{c['user']['first_name']} {c['user']['last_name']}",
            "closed_by": c["closed_by"]["name"],
            "close_reason": c["reason"]["description"] if c["reason"] else "",
            "feedback": str(c["feedback"]["value"]) if c["feedback"] else "",
            "city": c["location"]["city"],
            "country": c["location"]["country"],
        }
        assert {k: v for k, v in record.items() if k != "comment"} == expected
    comments = [r["comment"] for r in records if r["comment"]]
    assert any("\n" in text for text in comments) and any('"' in text for text in comments)
    assert any("\r\n" in text for text in comments)  # a CRLF inside a quoted cell survives


def test_same_seed_same_bytes_over_http(
    make_simulator: Callable[..., SimulatorServer], sim_client_for: ClientFor
) -> None:
    def fetch(server: SimulatorServer) -> tuple[bytes, ...]:
        client = sim_client_for(server)
        return tuple(
            client.get(path, params=params).content
            for path, params in (
                (Path.CONVERSATION_LIST, WEEK),
                (Path.EXPORT_SIMPLE, {**WEEK, "lang": "pt"}),
                (Path.SUMMARY, {**WEEK, "frequency": "HOUR"}),
                (Path.AGENTS, {}),
            )
        )

    first, again, other = fetch(make_simulator()), fetch(make_simulator()), fetch(make_simulator(seed=8))
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
