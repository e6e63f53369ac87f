"""Every aggregate endpoint agrees with the conversation list, to the unit (docs/api-contract.md §6).

The expected figures are recomputed here from the list's JSON, independently of the simulator's own
aggregation code, for a sample of days (a Saturday, a Monday, a month's last day) and for a week.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest

from live_assets import contract
from live_assets.contract import Path
from live_assets.simulator import DEMO_EMAIL, DEMO_PASSWORD, SimulatorServer

SAMPLE_DAYS = [dt.date(2025, 11, 29), dt.date(2025, 12, 1), dt.date(2025, 12, 31)]
WEEK = {"from": "2025-12-01 00:00:00", "to": "2025-12-07 23:59:59"}


def day_range(day: dt.date) -> dict[str, str]:
    return {"from": f"{day} 00:00:00", "to": f"{day} 23:59:59"}


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return round(sum(items) / len(items), contract.AVERAGE_DECIMALS) if items else None


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, contract.AVERAGE_DECIMALS) if whole else None


def expected_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    lost = sum(r["status"] == "lost" for r in rows)
    feedback = [r["feedback"]["value"] for r in rows if r["feedback"]]
    return {
        "total": len(rows),
        "attended": sum(r["agent"] is not None for r in rows),
        "closed": len(rows) - lost,
        "lost": lost,
        "transferred": sum(r["transfers"] > 0 for r in rows),
        "avg_wait_time": mean(r["wait_time"] for r in rows),
        "avg_first_response_time": mean(r["first_response_time"] for r in rows if r["first_response_time"] is not None),
        "avg_session_time": mean(r["session_time"] for r in rows if r["agent"] is not None),
        "feedback_avg": mean(feedback),
        "feedback_count": len(feedback),
    }


def at(text: str) -> dt.datetime:
    return contract.parse_datetime(text)


@pytest.fixture(scope="module")
def api(sim_session: SimulatorServer) -> Iterator[httpx.Client]:
    """One logged-in client for the whole module (the session simulator's data never changes)."""
    with httpx.Client(base_url=sim_session.base_url, timeout=30) as client:
        login = client.post(contract.LOGIN_PATH, json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        client.headers[contract.AUTH_HEADER] = login.json()[contract.AUTH_HEADER]
        client.headers[contract.X_TOKEN_HEADER] = sim_session.config.x_token
        yield client


@pytest.fixture(scope="module")
def groups(api: httpx.Client) -> dict[int, dict[str, Any]]:
    return {g["id"]: g for g in api.get(Path.GROUPS).json()}


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=str)
def test_every_endpoint_agrees_with_the_list(
    api: httpx.Client, groups: dict[int, dict[str, Any]], day: dt.date
) -> None:
    params = day_range(day)
    rows = api.get(Path.CONVERSATION_LIST, params=params).json()
    assert rows
    stats = api.get(Path.CONVERSATION_STATS, params=params).json()
    assert stats == expected_stats(rows)

    # SLA: one row per group, sums equal to the stats
    sla = api.get(Path.CONVERSATION_SLA, params=params).json()
    assert [r["group"]["id"] for r in sla] == sorted(groups)
    for row in sla:
        held = [r for r in rows if r["group"]["id"] == row["group"]["id"]]
        threshold = groups[row["group"]["id"]]["sla_threshold"]
        within = sum(r["agent"] is not None and r["wait_time"] <= threshold for r in held)
        assert row["sla_threshold"] == threshold
        assert (row["total"], row["lost"], row["within_sla"]) == (
            len(held),
            sum(r["status"] == "lost" for r in held),
            within,
        )
        assert row["out_of_sla"] == row["attended"] - row["within_sla"]
        assert row["sla_percentage"] == pct(within, len(held))
    for figure in ("total", "attended", "lost"):
        assert sum(r[figure] for r in sla) == stats[figure]

    # histogram by hour: every bucket, sums equal to the stats, active agents from the held intervals
    histogram = api.get(Path.HISTOGRAM, params={**params, "frequency": "HOUR"}).json()
    assert len(histogram) == 24
    for row in histogram:
        start = at(row["period"])
        end = start + dt.timedelta(hours=1)
        in_bucket = [r for r in rows if start <= at(r["queueddatetime"]) < end]
        assert row["total"] == len(in_bucket)
        assert row["lost"] == sum(r["status"] == "lost" for r in in_bucket)
        assert row["transfers"] == sum(r["transfers"] for r in in_bucket)
        active = {
            r["agent"]["id"]
            for r in rows
            if r["agent"] and at(r["startdatetime"]) < end and at(r["enddatetime"]) > start
        }
        assert row["active_agents"] == len(active)
    assert sum(r["total"] for r in histogram) == stats["total"]
    assert sum(r["closed"] for r in histogram) == stats["closed"]
    assert sum(r["transfers"] for r in histogram) == sum(r["transfers"] for r in rows)

    # summary by day: one row per (group, protocol), sums equal to the stats
    summary = api.get(Path.SUMMARY, params={**params, "frequency": "DAY"}).json()
    cells: defaultdict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        cells[(r["group"]["id"], r["protocol"]["id"])].append(r)
    assert [(s["group"]["id"], s["protocol"]["id"]) for s in summary] == sorted(cells)
    for row in summary:
        held = cells[(row["group"]["id"], row["protocol"]["id"])]
        expected = expected_stats(held)
        threshold = groups[row["group"]["id"]]["sla_threshold"]
        within = sum(r["agent"] is not None and r["wait_time"] <= threshold for r in held)
        assert row["period"] == f"{day} 00:00:00"
        for figure in ("total", "closed", "lost", "transferred", "avg_wait_time", "avg_first_response_time"):
            assert row[figure] == expected[figure]
        assert row["avg_session_time"] == expected["avg_session_time"]
        assert row["feedback_avg"] == expected["feedback_avg"]
        assert row["completion_rate"] == pct(expected["closed"], expected["total"])
        assert row["sla_percentage"] == pct(within, len(held))
    for figure in ("total", "closed", "lost", "transferred", "feedback_count"):
        assert sum(r[figure] for r in summary) == stats[figure]

    # agent performance: attributed to the final agent
    performance = api.get(Path.AGENT_PERFORMANCE, params=params).json()
    caps = {a["id"]: a["max_concurrent_chats"] for a in api.get(Path.AGENTS).json()}
    by_agent: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["agent"]:
            by_agent[r["agent"]["id"]].append(r)
    assert [p["agent"]["id"] for p in performance] == sorted(by_agent)
    for row in performance:
        held = by_agent[row["agent"]["id"]]
        assert row["conversations"] == len(held)
        assert row["closed"] == sum(r["closed_by"]["name"] == "agent" for r in held)
        assert row["transferred"] == sum(r["transfers"] > 0 for r in held)
        assert row["total_session_time"] == sum(r["session_time"] for r in held)
        assert row["avg_session_time"] == mean(r["session_time"] for r in held)
        assert row["feedback_count"] == sum(r["feedback"] is not None for r in held)
        assert 1 <= row["max_concurrent"] <= caps[row["agent"]["id"]]
    assert sum(p["conversations"] for p in performance) == stats["attended"]
    assert sum(p["feedback_count"] for p in performance) == stats["feedback_count"]

    # feedback: the surveys of the conversations queued in the range
    feedback = api.get(Path.FEEDBACK, params=params).json()
    answered = [r for r in rows if r["feedback"]]
    assert feedback["surveys"] == stats["feedback_count"] == len(feedback["items"])
    assert feedback["average"] == stats["feedback_avg"]
    assert [(i["conversation_id"], i["value"], i["agent_id"]) for i in feedback["items"]] == [
        (r["conversation_id"], r["feedback"]["value"], r["agent"]["id"]) for r in answered
    ]
    assert [d["count"] for d in feedback["distribution"]] == [
        sum(r["feedback"]["value"] == v for r in answered) for v in contract.FEEDBACK_VALUES
    ]
    assert feedback["comments_count"] == sum(bool(i["comment"]) for i in feedback["items"])
    for item, r in zip(feedback["items"], answered, strict=True):
        assert at(r["enddatetime"]) < at(item["created_at"]) <= at(r["enddatetime"]) + dt.timedelta(minutes=2)

    # export: one row per conversation, in list order, comments equal to the feedback's
    comments = {i["conversation_id"]: i["comment"] for i in feedback["items"]}
    for lang in contract.EXPORT_LANGUAGES:
        response = api.get(Path.EXPORT_SIMPLE, params={**params, "lang": lang})
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
        assert table[0] == contract.export_headers(lang)
        records = [dict(zip([n for n, _ in contract.EXPORT_COLUMNS], line, strict=True)) for line in table[1:]]
        assert [int(r["conversation_id"]) for r in records] == [r["conversation_id"] for r in rows]
        for record in records:
            comment = comments.get(int(record["conversation_id"]))
            assert record["comment"] == (comment or "")


def test_sums_over_days_equal_the_week(api: httpx.Client) -> None:
    week_rows = api.get(Path.CONVERSATION_LIST, params=WEEK).json()
    week_stats = api.get(Path.CONVERSATION_STATS, params=WEEK).json()
    days = [dt.date(2025, 12, 1) + dt.timedelta(days=i) for i in range(7)]
    per_day = [api.get(Path.CONVERSATION_STATS, params=day_range(d)).json() for d in days]
    for figure in ("total", "attended", "closed", "lost", "transferred", "feedback_count"):
        assert sum(s[figure] for s in per_day) == week_stats[figure]
    assert week_stats["total"] == len(week_rows)
    daily = api.get(Path.HISTOGRAM, params={**WEEK, "frequency": "DAY"}).json()
    assert [r["total"] for r in daily] == [s["total"] for s in per_day]
    weekly = api.get(Path.SUMMARY, params={**WEEK, "frequency": "WEEK"}).json()
    assert sum(r["total"] for r in weekly) == week_stats["total"]
    half_hours = api.get(Path.HISTOGRAM, params={**WEEK, "frequency": "HALF-HOUR"}).json()
    assert len(half_hours) == 7 * 48 and sum(r["total"] for r in half_hours) == week_stats["total"]
    export = api.get(Path.EXPORT_SIMPLE, params={**WEEK, "lang": "en"})
    assert len(list(csv.reader(io.StringIO(export.text, newline="")))) == len(week_rows) + 1
    details = api.get(Path.CONVERSATION_DETAIL, params={"conversation_id": week_rows[-1]["conversation_id"]}).json()
    assert {k: v for k, v in details.items() if k != "messages"} == week_rows[-1]


def test_filtered_aggregates_agree_with_the_filtered_list(api: httpx.Client) -> None:
    params = {**day_range(dt.date(2025, 12, 1)), "group_id": "2", "protocol_id": "1,2"}
    rows = api.get(Path.CONVERSATION_LIST, params=params).json()
    assert rows and all(r["group"]["id"] == 2 and r["protocol"]["id"] in (1, 2) for r in rows)
    assert api.get(Path.CONVERSATION_STATS, params=params).json() == expected_stats(rows)
    sla = api.get(Path.CONVERSATION_SLA, params=params).json()
    assert [r["group"]["id"] for r in sla] == [2] and sla[0]["total"] == len(rows)
    assert sum(r["total"] for r in api.get(Path.HISTOGRAM, params={**params, "frequency": "HOUR"}).json()) == len(rows)
    export = api.get(Path.EXPORT_SIMPLE, params=params)
    assert len(list(csv.reader(io.StringIO(export.text, newline="")))) == len(rows) + 1
