"""Synthetic conversations of one bot and one day, as a pure function of (bot seed, day, volume).

The day is simulated as a multi-server queue: conversations arrive with daily and weekly seasonality,
wait for a free slot of an agent of their group (each agent has ``max_concurrent_chats`` slots), and
some leave the queue first (lost). Agents' shifts close at midnight: a chat still open at the end of
its day is closed by the system, so an agent never holds more than its slots, even across days.

The result is a tuple of :class:`Conversation` records, ordered by queue time then id, each carrying
the exact JSON bytes the list endpoint serves for it: aggregates read the typed fields, the list just
joins the bytes. Messages of the detail endpoint are generated on demand by :func:`messages_for`.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import heapq
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from live_assets import contract
from live_assets.simulator import world as w
from live_assets.simulator.config import Degradation
from live_assets.simulator.stablehash import rng_for

ID_EPOCH = dt.date(2000, 1, 1)
IDS_PER_DAY = 1_000_000  # conversation_id = days since ID_EPOCH * IDS_PER_DAY + sequence of the day
DAY_SECONDS = 86_400

# Share of a day's arrivals per hour of the day (daily seasonality): quiet nights, two peaks.
HOURLY_WEIGHTS: tuple[float, ...] = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6.5, 7.5, 7.8,
    7.0, 6.0, 6.5, 7.0, 7.2, 6.5, 5.5, 4.5, 3.8, 3.0, 2.2, 1.5,
)  # fmt: skip
_HOURLY_CUMULATIVE = tuple(itertools.accumulate(HOURLY_WEIGHTS))
_PEAK = max(HOURLY_WEIGHTS)
# Volume factor per weekday (Monday = 0): weekdays average exactly 1.0, weekends are lower.
WEEKDAY_FACTORS: tuple[float, ...] = (1.05, 1.0, 1.0, 1.0, 0.95, 0.5, 0.35)
LOG_MEDIAN_SESSION = math.log(330)  # sessions are log-normal around 5.5 minutes
DAILY_NOISE = 0.06  # +-6 % day-to-day variation
GROUP_WEIGHTS: tuple[float, ...] = (0.38, 0.27, 0.2, 0.15)
FEEDBACK_VALUE_WEIGHTS: tuple[float, ...] = (0.07, 0.08, 0.15, 0.3, 0.4)
FEEDBACK_VALUES: tuple[int, ...] = tuple(contract.FEEDBACK_VALUES)
CLOSED_BY_IDS: dict[str, int] = {name: index + 1 for index, name in enumerate(contract.CLOSED_BY_NAMES)}


class Conversation(NamedTuple):
    """One conversation: the typed fields the aggregates need, plus its served JSON bytes.

    A named tuple of atomic values rather than a dataclass: the garbage collector untracks such
    tuples, so hundreds of thousands of cached conversations cost nothing to later collections.
    """

    id: int
    queued: dt.datetime  # wall-clock, bot's zone (naive)
    start: dt.datetime | None
    end: dt.datetime
    wait_time: int
    session_time: int
    first_response_time: int | None
    status: str
    transfers: int
    group_id: int
    protocol_id: int
    agent_id: int | None
    closed_by: str | None
    reason: str | None
    feedback_value: int | None
    comment: str | None
    feedback_at: dt.datetime | None
    user_name: str
    city: str
    country: str
    visible_at: dt.datetime  # end + a per-conversation lag (the API is not real-time)
    body: bytes

    def payload(self) -> dict[str, Any]:
        """The conversation as the list endpoint serves it."""
        return json.loads(self.body)


def day_of_conversation(conversation_id: int) -> dt.date | None:
    """The day a conversation id was generated for (ids encode it), or None if it cannot be one of ours."""
    if conversation_id <= 0 or conversation_id % IDS_PER_DAY == 0:
        return None
    try:
        return ID_EPOCH + dt.timedelta(days=conversation_id // IDS_PER_DAY)
    except OverflowError:
        return None


def day_volume(conversations_per_day: int, day: dt.date, bot_seed: int) -> int:
    """How many conversations arrive on ``day``: the weekday average shaped by the weekday and some noise."""
    noise = 1.0 + DAILY_NOISE * (2.0 * rng_for(bot_seed, "volume", day.isoformat()).random() - 1.0)
    return max(0, round(conversations_per_day * WEEKDAY_FACTORS[day.weekday()] * noise))


def fmt(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.strftime(contract.DATETIME_FORMAT)


class _Bits:
    """Draws from one 256-bit stable digest: cheaper than seeding a ``random.Random`` per user."""

    def __init__(self, *parts: object) -> None:
        key = "\x1f".join(str(part) for part in parts).encode("utf-8")
        self._value = int.from_bytes(hashlib.blake2b(key, digest_size=32).digest(), "big")

    def below(self, bound: int) -> int:
        self._value, drawn = divmod(self._value, bound)
        return drawn

    def chance(self, probability: float) -> bool:
        return self.below(1000) < probability * 1000


def user_profile(bot_seed: int, user_id: int) -> dict[str, Any]:
    """An end user, the same every time they come back (users return across conversations)."""
    bits = _Bits(bot_seed, "user", user_id)
    first, last = w.FIRST_NAMES[bits.below(len(w.FIRST_NAMES))], w.LAST_NAMES[bits.below(len(w.LAST_NAMES))]
    brazilian = bits.chance(0.35)
    phone = (
        f"+55 11 9{1000 + bits.below(9000)}-{1000 + bits.below(9000)}"
        if brazilian
        else f"+34 6{10 + bits.below(90)} {100 + bits.below(900)} {100 + bits.below(900)}"
    )
    extra: dict[str, Any] = {}
    if bits.chance(0.8):
        extra["plan"] = w.PLAN_NAMES[bits.below(len(w.PLAN_NAMES))]
        extra["idioma"] = "pt" if brazilian else "es"
    if bits.chance(0.3):
        tags = ["vip", "recompra", "moroso", "nuevo, sin verificar"]
        extra["etiquetas"] = [tags.pop(bits.below(4)), tags[bits.below(3)]]
    if bits.chance(0.2):
        extra["pedido"] = {"id": 10_000 + bits.below(90_000), "total": (500 + bits.below(90_000)) / 100}
    created = dt.datetime(2020, 1, 1) + dt.timedelta(seconds=bits.below(5 * 365 * DAY_SECONDS))
    return {
        "id": user_id,
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "created_at": fmt(created),
        "extra_information": extra,
    }


@functools.lru_cache(maxsize=65_536)
def user_fragment(bot_seed: int, user_id: int) -> tuple[str, str]:
    """A user's JSON text and display name, cached: returning users cost nothing."""
    profile = user_profile(bot_seed, user_id)
    return _json(profile), f"{profile['first_name']} {profile['last_name']}"


def _arrivals(rng_random: Any, count: int) -> list[int]:
    """Queue-entry times, in seconds since the day's midnight, sorted; hour-of-day seasonality."""
    total = _HOURLY_CUMULATIVE[-1]
    times = []
    for _ in range(count):
        hour = bisect.bisect_right(_HOURLY_CUMULATIVE, rng_random() * total)
        times.append(min(hour, 23) * 3600 + int(rng_random() * 3600))
    times.sort()
    return times


def _json(value: Any) -> str:
    """Compact JSON, UTF-8 characters kept as they are: the served form of every value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _Fragments:
    """The JSON text of every fixed object of a bot, serialized once per day instead of once per chat."""

    groups: dict[int, str]
    protocols: dict[int, str]
    agents: dict[int, str]
    reasons: dict[int, str]
    feedback_names: dict[int, str]
    closed_by: dict[str, str]
    locations: list[str]  # JSON text up to the ip value, which varies per conversation
    platforms: list[str]
    browsers: list[str]
    app_browser: str


def _fragments(world: w.World) -> _Fragments:
    reasons = (*world.attended_reasons, *world.lost_reasons, world.end_of_day_reason)
    return _Fragments(
        groups={g.id: _json({"id": g.id, "name": g.name, "description": g.description}) for g in world.groups},
        protocols={p.id: _json({"id": p.id, "name": p.name}) for p in world.protocols},
        agents={
            a.id: _json({"id": a.id, "name": a.name, "nick_name": a.nick_name, "email": a.email, "picture": a.picture})
            for a in world.agents
        },
        reasons={r.id: _json({"id": r.id, "description": r.description}) for r in reasons},
        feedback_names={value: _json(label) for value, label in w.FEEDBACK_LABELS.items()},
        closed_by={name: _json({"id": CLOSED_BY_IDS[name], "name": name}) for name in CLOSED_BY_IDS},
        locations=[
            _json({"id": i, "city": city, "country": country, "ip": ""})[:-3] for i, city, country in w.LOCATIONS
        ],
        platforms=[_json({"id": i, "name": name, "version": version}) for i, name, version in w.PLATFORMS],
        browsers=[_json({"id": i, "name": name, "version": version}) for i, name, version in w.BROWSERS],
        app_browser=_json(dict(zip(("id", "name", "version"), w.APP_BROWSER, strict=True))),
    )


def _clock_text(prefix: str, midnight: dt.datetime, seconds: int) -> str:
    """``yyyy-MM-dd HH:mm:ss`` of ``seconds`` after midnight, without strftime for the common case."""
    if seconds < DAY_SECONDS:
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}"
    return fmt(midnight + dt.timedelta(seconds=seconds)) or ""


Routing = dict[int, list[tuple[int, int, int]]]


def _routing_heaps(world: w.World) -> tuple[Routing, dict[int, list[int]]]:
    """Per group, a heap of (agent's earliest free slot, agent's last assignment, agent id).

    Routing picks the agent whose slot frees first, then the one assigned longest ago (which spreads
    chats over idle agents), in O(log agents) even for hundreds of agents. A group without members
    is served by every agent. Also returns, per agent, the groups whose heap holds it.
    """
    routing: Routing = {}
    queues_of_agent: dict[int, list[int]] = {a.id: [] for a in world.agents}
    for group in world.groups:
        members = [a for a in world.agents if group.id in a.group_ids] or list(world.agents)
        routing[group.id] = [(0, -1, a.id) for a in members]  # sorted by agent id: already a heap
        for agent in members:
            queues_of_agent[agent.id].append(group.id)
    return routing, queues_of_agent


def _route(heap: list[tuple[int, int, int]], slots: dict[int, list[int]], last_assigned: dict[int, int]) -> int:
    """The agent at the top of a routing heap, after dropping entries that are no longer current."""
    while True:
        free_at, assigned, agent_id = heap[0]
        if free_at == slots[agent_id][0] and assigned == last_assigned[agent_id]:
            return agent_id
        heapq.heappop(heap)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a day is built (it allocates no cycles, only many objects)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate_day(
    bot_seed: int,
    bot_id: int,
    world: w.World,
    day: dt.date,
    conversations_per_day: int,
    degraded: Degradation | None = None,
) -> tuple[Conversation, ...]:
    """Every conversation queued on ``day`` (wall clock of the bot), ordered by queue time then id.

    With ``degraded``, its group's conversations of its stretch wait longer for an agent (the draws are
    the same, so the day stays a pure function of its inputs)."""
    with _collector_paused():
        return _generate_day(bot_seed, bot_id, world, day, conversations_per_day, degraded)


def _generate_day(
    bot_seed: int,
    bot_id: int,
    world: w.World,
    day: dt.date,
    conversations_per_day: int,
    degraded: Degradation | None,
) -> tuple[Conversation, ...]:
    rng = rng_for(bot_seed, "day", day.isoformat())
    rnd = rng.random
    count = day_volume(conversations_per_day, day, bot_seed)
    midnight = dt.datetime.combine(day, dt.time())
    last_second = DAY_SECONDS - 1
    id_base = (day - ID_EPOCH).days * IDS_PER_DAY
    groups = world.groups
    group_cumulative = list(itertools.accumulate(GROUP_WEIGHTS[: len(groups)]))
    protocol_cumulative = list(itertools.accumulate(p.weight for p in world.protocols))
    agents_by_id = {a.id: a for a in world.agents}
    # One heap of "slot free at" times per agent: a chat takes the agent's earliest free slot.
    slots = {a.id: [0] * a.max_concurrent_chats for a in world.agents}
    last_assigned = {a.id: -1 for a in world.agents}
    routing, queues_of_agent = _routing_heaps(world)
    fragments = _fragments(world)
    feedback_names = fragments.feedback_names
    feedback_cumulative = list(itertools.accumulate(FEEDBACK_VALUE_WEIGHTS))
    prefix = day.isoformat() + " "
    lag_span = int(contract.DATA_LAG.total_seconds())
    user_pool = max(50, conversations_per_day * 5)  # about one user in four comes back within days
    out: list[Conversation] = []
    arrivals = [(queued_s, False) for queued_s in _arrivals(rnd, count)]
    if degraded is not None and degraded.surge_per_hour:  # drawn apart: the days without it are unchanged
        surge = degraded.surge_arrivals(day, rng_for(bot_seed, "surge", day.isoformat()).random)
        arrivals = sorted(arrivals + [(queued_s, True) for queued_s in surge])
    surge_group = next((g for g in groups if degraded is not None and g.id == degraded.group_id), None)
    for seq, (queued_s, surged) in enumerate(arrivals, start=1):
        conversation_id = id_base + seq
        hour_load = HOURLY_WEIGHTS[queued_s // 3600] / _PEAK
        first_group = groups[bisect.bisect_right(group_cumulative, rnd() * group_cumulative[-1])]
        if surged and surge_group is not None:
            first_group = surge_group
        protocol = world.protocols[bisect.bisect_right(protocol_cumulative, rnd() * protocol_cumulative[-1])]
        patience = 60 + min(1800, int(rng.expovariate(1 / 240)))
        gives_up = rnd() < 0.035 + 0.035 * hour_load
        transfer_draw = rnd()
        transfers = 2 if transfer_draw < 0.03 else 1 if transfer_draw < 0.13 else 0
        group = first_group
        if transfers and rnd() < 0.6:
            group = rng.choice([g for g in groups if g.id != first_group.id])
        ready = queued_s + min(900, int(rng.expovariate(1 / 30)))
        if degraded is not None and degraded.applies(group.id, queued_s):
            ready += degraded.extra_wait_s
        agent = None
        start_s = None
        if not gives_up:
            best = _route(routing[group.id], slots, last_assigned)
            start_s = max(ready, slots[best][0])
            if start_s - queued_s <= patience and start_s < last_second:
                agent = agents_by_id[best]
            else:
                start_s = None
        session_s = int(min(5400, max(40, rng.lognormvariate(LOG_MEDIAN_SESSION, 0.7) * protocol.session_factor)))
        closed_by_draw = rnd()
        reason_draw = rnd()
        feedback_draw = rnd()
        value = FEEDBACK_VALUES[bisect.bisect_right(feedback_cumulative, rnd() * feedback_cumulative[-1])]
        comment_draw = rnd()
        comment = w.COMMENTS[int(rnd() * len(w.COMMENTS))]
        frt_draw = rnd()
        frt = 4 + int(rng.gammavariate(2.0, 12.0))
        feedback_delay = 5 + int(rnd() * 85)
        lag = int(rnd() * (lag_span + 1))  # the API is not real-time: seconds from the end to visibility
        if agent is None:
            status = "lost"
            wait = patience if not gives_up else min(patience, 10 + int(rnd() * 600))
            end_s = queued_s + wait
            session_s, first_response, transfers = 0, None, 0
            closed_by = "user" if closed_by_draw < 0.6 else "system"
            reason = None if reason_draw < 0.5 else world.lost_reasons[int(reason_draw * 4) % 2]
            feedback_value = None
        else:
            assert start_s is not None
            status = "closed"
            wait = start_s - queued_s
            end_s = start_s + session_s
            closed_by = "agent" if closed_by_draw < 0.65 else "user" if closed_by_draw < 0.9 else "system"
            reason = world.attended_reasons[int(reason_draw * len(world.attended_reasons))]
            if end_s > last_second:  # the shift ends at midnight: the system closes what is still open
                end_s, closed_by, reason = last_second, "system", world.end_of_day_reason
            session_s = end_s - start_s
            first_response = None if frt_draw < 0.03 else min(frt, session_s)
            if first_response is None and closed_by == "agent":
                closed_by = "user"
            heapq.heapreplace(slots[agent.id], end_s)
            last_assigned[agent.id] = start_s
            for group_id in queues_of_agent[agent.id]:
                heapq.heappush(routing[group_id], (slots[agent.id][0], start_s, agent.id))
            feedback_value = value if feedback_draw < 0.36 else None
        has_comment = feedback_value is not None and comment_draw < 0.55
        user_json, user_name = user_fragment(bot_seed, 1 + int(rnd() * user_pool))
        location_index = int(rnd() * len(w.LOCATIONS))
        _, city, country = w.LOCATIONS[location_index]
        platform_json = fragments.platforms[int(rnd() * len(w.PLATFORMS))]
        browser_draw = int(rnd() * len(w.BROWSERS))
        browser_json = fragments.browsers[browser_draw] if protocol.name == "webchat" else fragments.app_browser
        ip = f"{'203.0.113' if rnd() < 0.5 else '198.51.100'}.{1 + int(rnd() * 254)}"
        start_text = "null" if start_s is None else f'"{_clock_text(prefix, midnight, start_s)}"'
        feedback_json = (
            "null"
            if feedback_value is None
            else f'{{"id":{conversation_id},"name":{feedback_names[feedback_value]},"value":{feedback_value}}}'
        )
        body = (
            f'{{"conversation_id":{conversation_id},"bot_id":{bot_id},'
            f'"queueddatetime":"{_clock_text(prefix, midnight, queued_s)}","startdatetime":{start_text},'
            f'"enddatetime":"{_clock_text(prefix, midnight, end_s)}","wait_time":{wait},"session_time":{session_s},'
            f'"first_response_time":{"null" if first_response is None else first_response},'
            f'"status":"{status}","transfers":{transfers},"group":{fragments.groups[group.id]},'
            f'"protocol":{fragments.protocols[protocol.id]},"user":{user_json},'
            f'"agent":{"null" if agent is None else fragments.agents[agent.id]},'
            f'"reason":{"null" if reason is None else fragments.reasons[reason.id]},"feedback":{feedback_json},'
            f'"closed_by":{fragments.closed_by[closed_by]},'
            f'"location":{fragments.locations[location_index]}"{ip}"}},'
            f'"platform":{platform_json},"browser":{browser_json}}}'
        )
        end = midnight + dt.timedelta(seconds=end_s)
        out.append(
            Conversation(
                id=conversation_id,
                queued=midnight + dt.timedelta(seconds=queued_s),
                start=None if start_s is None else midnight + dt.timedelta(seconds=start_s),
                end=end,
                wait_time=wait,
                session_time=session_s,
                first_response_time=first_response,
                status=status,
                transfers=transfers,
                group_id=group.id,
                protocol_id=protocol.id,
                agent_id=None if agent is None else agent.id,
                closed_by=closed_by,
                reason=None if reason is None else reason.description,
                feedback_value=feedback_value,
                comment=comment if has_comment else None,
                feedback_at=None if feedback_value is None else end + dt.timedelta(seconds=feedback_delay),
                user_name=user_name,
                city=city,
                country=country,
                visible_at=end + dt.timedelta(seconds=lag),
                body=body.encode("utf-8"),
            )
        )
    return tuple(out)


def messages_for(bot_seed: int, conversation: Conversation) -> list[dict[str, Any]]:
    """The transcript of a conversation: bot greeting, the user's queries, the agent's answers.

    Consistent with the conversation: the first agent message is exactly ``first_response_time``
    after ``startdatetime``, and nothing is later than ``enddatetime``.
    """
    rng = rng_for(bot_seed, "messages", conversation.id)
    agent_id = conversation.agent_id
    items: list[tuple[dt.datetime, str, str]] = []
    queued = conversation.queued
    items.append((queued - dt.timedelta(seconds=40), "bot", rng.choice(w.BOT_GREETINGS)))
    items.append((queued - dt.timedelta(seconds=25), "user", rng.choice(w.USER_QUERIES)))
    items.append((queued, "bot", w.BOT_HANDOFF))
    if conversation.start is None:
        items.append((conversation.end, "system", "El usuario salió de la cola sin ser atendido"))
    else:
        items.append((conversation.start, "system", "Un agente se unió a la conversación"))
        if conversation.first_response_time is not None:
            first = conversation.start + dt.timedelta(seconds=conversation.first_response_time)
            items.append((first, "agent", rng.choice(w.AGENT_ANSWERS)))
            remaining = int((conversation.end - first).total_seconds())
            exchanges = min(rng.randint(0, 3), remaining // 4)
            for index in range(exchanges):
                at = first + dt.timedelta(seconds=remaining * (2 * index + 1) // (2 * exchanges + 1))
                items.append((at, "user", rng.choice(w.USER_QUERIES)))
                later = first + dt.timedelta(seconds=remaining * (2 * index + 2) // (2 * exchanges + 1))
                items.append((later, "agent", rng.choice(w.AGENT_ANSWERS)))
        else:
            items.append((conversation.end, "user", "¿Hay alguien ahí? 😶"))
        if conversation.closed_by == "system":
            items.append((conversation.end, "system", "Conversación cerrada por el sistema"))
    return [
        {
            "id": conversation.id * 100 + index,
            "sender": sender,
            "agent_id": agent_id if sender == "agent" else None,
            "text": text,
            "created_at": fmt(at),
        }
        for index, (at, sender, text) in enumerate(items, start=1)
    ]
