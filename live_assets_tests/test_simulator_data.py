"""The simulator's synthetic data, tested as pure functions (no HTTP): realism, types, determinism."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
from collections import Counter

import pytest

from live_assets import contract
from live_assets.simulator import SimulatorConfig
from live_assets.simulator.aggregate import max_concurrent
from live_assets.simulator.generate import Conversation, generate_day, messages_for
from live_assets.simulator.world import build_world

CONFIG = SimulatorConfig()
BOT = CONFIG.bot_profiles()[0]
WORLD = build_world(BOT.seed, CONFIG.agents_per_bot)
FIRST_DAY = dt.date(2025, 11, 3)  # a Monday
DAYS = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(28)]


def day(date: dt.date, volume: int = 300) -> tuple[Conversation, ...]:
    return generate_day(BOT.seed, BOT.bot_id, WORLD, date, volume)


@pytest.fixture(scope="module")
def four_weeks() -> list[Conversation]:
    return [conversation for date in DAYS for conversation in day(date)]


def parse(text: str | None) -> dt.datetime | None:
    return None if text is None else contract.parse_datetime(text)


def test_the_cast_is_realistic() -> None:
    assert len(WORLD.groups) == 4
    thresholds = [g.sla_threshold for g in WORLD.groups]
    assert len(set(thresholds)) == 4 and all(20 <= t <= 120 for t in thresholds)
    assert {p.name for p in WORLD.protocols} >= {"webchat", "whatsapp"} and len(WORLD.protocols) == 4
    assert len(WORLD.agents) == 12
    assert all(3 <= a.max_concurrent_chats <= 5 for a in WORLD.agents)
    assert all(any(g.id in a.group_ids for a in WORLD.agents) for g in WORLD.groups)


def test_shares_of_lost_feedback_and_transfers(four_weeks: list[Conversation]) -> None:
    total = len(four_weeks)
    lost = sum(c.status == "lost" for c in four_weeks) / total
    feedback = sum(c.feedback_value is not None for c in four_weeks) / total
    transferred = sum(c.transfers > 0 for c in four_weeks) / total
    assert 0.05 <= lost <= 0.10
    assert 0.25 <= feedback <= 0.40
    assert 0.03 <= transferred <= 0.25
    assert set(Counter(c.feedback_value for c in four_weeks if c.feedback_value)) == set(contract.FEEDBACK_VALUES)
    assert {c.protocol_id for c in four_weeks} == {p.id for p in WORLD.protocols}
    assert {c.group_id for c in four_weeks} == {g.id for g in WORLD.groups}


def test_weekly_and_daily_seasonality() -> None:
    volumes = {date: len(day(date)) for date in DAYS}
    weekdays = [v for date, v in volumes.items() if date.weekday() < 5]
    weekends = [v for date, v in volumes.items() if date.weekday() >= 5]
    assert abs(statistics.mean(weekdays) - 300) <= 15  # conversations_per_day is the weekday average
    assert max(weekends) < min(weekdays)
    hours = Counter(c.queued.hour for date in DAYS[:7] for c in day(date))
    assert min(hours[h] for h in range(10, 12)) > 5 * max(hours[h] for h in range(2, 5))


def test_field_rules_hold_for_every_conversation(four_weeks: list[Conversation]) -> None:
    agents = {a.id: a for a in WORLD.agents}
    for c in four_weeks:
        payload = json.loads(c.body)
        assert list(payload)[:3] == ["conversation_id", "bot_id", "queueddatetime"]
        assert payload["conversation_id"] == c.id and payload["bot_id"] == BOT.bot_id
        assert parse(payload["queueddatetime"]) == c.queued
        assert parse(payload["enddatetime"]) == c.end
        assert payload["status"] in contract.CONVERSATION_STATUSES
        for name in ("wait_time", "session_time", "transfers"):
            assert type(payload[name]) is int and payload[name] >= 0
        if c.status == "lost":
            assert payload["agent"] is None and payload["startdatetime"] is None
            assert payload["session_time"] == 0 and payload["first_response_time"] is None
            assert c.wait_time == (c.end - c.queued).total_seconds()
        else:
            start = parse(payload["startdatetime"])
            assert start is not None and start == c.start
            assert c.wait_time == (start - c.queued).total_seconds()
            assert c.session_time == (c.end - start).total_seconds() > 0
            assert payload["agent"]["id"] in agents
            assert c.group_id in agents[payload["agent"]["id"]].group_ids
            frt = payload["first_response_time"]
            assert frt is None or 0 <= frt <= c.session_time
        assert payload["closed_by"]["name"] in contract.CLOSED_BY_NAMES
        if payload["feedback"] is not None:
            assert payload["feedback"]["value"] in contract.FEEDBACK_VALUES
        assert set(payload["user"]) == {"id", "first_name", "last_name", "phone", "created_at", "extra_information"}
        assert isinstance(payload["user"]["extra_information"], dict)
        assert set(payload["location"]) == {"id", "city", "country", "ip"}
        assert c.end <= c.visible_at <= c.end + contract.DATA_LAG


def test_ids_are_unique_and_ordered(four_weeks: list[Conversation]) -> None:
    ids = [c.id for c in four_weeks]
    assert len(set(ids)) == len(ids)
    assert [(c.queued, c.id) for c in four_weeks] == sorted((c.queued, c.id) for c in four_weeks)


def test_agents_never_exceed_their_slots(four_weeks: list[Conversation]) -> None:
    by_agent: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for c in four_weeks:
        if c.agent_id is not None and c.start is not None:
            by_agent.setdefault(c.agent_id, []).append((c.start, c.end))
    caps = {a.id: a.max_concurrent_chats for a in WORLD.agents}
    peaks = {agent_id: max_concurrent(held) for agent_id, held in by_agent.items()}
    assert all(peaks[agent_id] <= caps[agent_id] for agent_id in peaks)
    assert max(peaks.values()) >= 2  # agents do hold chats concurrently


def test_comments_carry_the_tricky_characters(four_weeks: list[Conversation]) -> None:
    comments = {c.comment for c in four_weeks if c.comment}
    joined = "".join(comments)
    for mark in (",", '"', "\n", "\r\n", "ã", "ñ", "é", "ç", "😊"):
        assert mark in joined
    assert all(c.feedback_value is not None for c in four_weeks if c.comment)


def test_messages_agree_with_the_conversation(four_weeks: list[Conversation]) -> None:
    for c in four_weeks[:400]:
        messages = messages_for(BOT.seed, c)
        times = [parse(m["created_at"]) for m in messages]
        assert times == sorted(times)
        assert all(t is not None and t <= c.end for t in times)
        assert {m["sender"] for m in messages} <= set(contract.MESSAGE_SENDERS)
        agent_messages = [m for m in messages if m["sender"] == "agent"]
        if c.first_response_time is None:
            assert agent_messages == []
        else:
            assert c.start is not None
            first = parse(agent_messages[0]["created_at"])
            assert first == c.start + dt.timedelta(seconds=c.first_response_time)
            assert all(m["agent_id"] == c.agent_id for m in agent_messages)
        assert messages_for(BOT.seed, c) == messages


def test_generation_is_deterministic_and_seeded() -> None:
    first = [c.body for c in day(FIRST_DAY)]
    assert first == [c.body for c in day(FIRST_DAY)]
    other = SimulatorConfig(seed=8).bot_profiles()[0]
    assert first != [c.body for c in generate_day(other.seed, other.bot_id, WORLD, FIRST_DAY, 300)]
    second_bot = SimulatorConfig(bots=2).bot_profiles()[1]
    assert second_bot.seed != BOT.seed and second_bot.bot_id != BOT.bot_id


def test_generation_does_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import datetime as dt, hashlib\n"
        "from live_assets.simulator import SimulatorConfig\n"
        "from live_assets.simulator.generate import generate_day\n"
        "from live_assets.simulator.world import build_world\n"
        "bot = SimulatorConfig().bot_profiles()[0]\n"
        "world = build_world(bot.seed, 12)\n"
        "days = generate_day(bot.seed, bot.bot_id, world, dt.date(2025, 11, 3), 300)\n"
        "print(hashlib.sha256(b''.join(c.body for c in days)).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(b"".join(c.body for c in day(FIRST_DAY))).hexdigest()}
