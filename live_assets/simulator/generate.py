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
import datetime as dt
import functools
import heapq
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

from live_assets import contract
from live_assets.simulator import world as w
from live_assets.simulator.stablehash import rng_for, stable_int

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
DAILY_NOISE = 0.06  # +-6 % day-to-day variation
GROUP_WEIGHTS: tuple[float, ...] = (0.38, 0.27, 0.2, 0.15)
FEEDBACK_VALUE_WEIGHTS: tuple[float, ...] = (0.07, 0.08, 0.15, 0.3, 0.4)
FEEDBACK_VALUES: tuple[int, ...] = tuple(contract.FEEDBACK_VALUES)
CLOSED_BY_IDS: dict[str, int] = {name: index + 1 for index, name in enumerate(contract.CLOSED_BY_NAMES)}


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation: the typed fields the aggregates need, plus its served JSON bytes."""

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


def lag_seconds(bot_seed: int, conversation_id: int) -> int:
    """The deterministic delay between a conversation's end and its appearance (0 .. DATA_LAG)."""
    span = int(contract.DATA_LAG.total_seconds())
    return stable_int(bot_seed, "lag", conversation_id) % (span + 1)


def fmt(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.strftime(contract.DATETIME_FORMAT)


@functools.lru_cache(maxsize=65_536)
def user_profile(bot_seed: int, user_id: int) -> dict[str, Any]:
    """An end user, the same every time they come back (users return across conversations)."""
    rng = rng_for(bot_seed, "user", user_id)
    first, last = rng.choice(w.FIRST_NAMES), rng.choice(w.LAST_NAMES)
    brazilian = rng.random() < 0.35
    phone = (
        f"+55 11 9{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}"
        if brazilian
        else f"+34 6{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
    )
    extra: dict[str, Any] = {}
    if rng.random() < 0.8:
        extra["plan"] = rng.choice(w.PLAN_NAMES)
        extra["idioma"] = "pt" if brazilian else "es"
    if rng.random() < 0.3:
        extra["etiquetas"] = rng.sample(["vip", "recompra", "moroso", "nuevo, sin verificar"], 2)
    if rng.random() < 0.2:
        extra["pedido"] = {"id": rng.randrange(10_000, 99_999), "total": round(rng.uniform(5, 900), 2)}
    created = dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randrange(5 * 365 * DAY_SECONDS))
    return {
        "id": user_id,
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "created_at": fmt(created),
        "extra_information": extra,
    }


def _arrivals(rng_random: Any, count: int) -> list[int]:
    """Queue-entry times, in seconds since the day's midnight, sorted; hour-of-day seasonality."""
    total = _HOURLY_CUMULATIVE[-1]
    times = []
    for _ in range(count):
        hour = bisect.bisect_right(_HOURLY_CUMULATIVE, rng_random() * total)
        times.append(min(hour, 23) * 3600 + int(rng_random() * 3600))
    times.sort()
    return times


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def generate_day(
    bot_seed: int, bot_id: int, world: w.World, day: dt.date, conversations_per_day: int
) -> tuple[Conversation, ...]:
    """Every conversation queued on ``day`` (wall clock of the bot), ordered by queue time then id."""
    rng = rng_for(bot_seed, "day", day.isoformat())
    rnd = rng.random
    count = day_volume(conversations_per_day, day, bot_seed)
    midnight = dt.datetime.combine(day, dt.time())
    last_second = DAY_SECONDS - 1
    id_base = (day - ID_EPOCH).days * IDS_PER_DAY
    groups = world.groups
    group_cumulative = list(itertools.accumulate(GROUP_WEIGHTS[: len(groups)]))
    protocol_cumulative = list(itertools.accumulate(p.weight for p in world.protocols))
    members = {g.id: [a for a in world.agents if g.id in a.group_ids] for g in groups}
    # One heap of "slot free at" times per agent: a chat takes the earliest free slot.
    slots = {a.id: [0] * a.max_concurrent_chats for a in world.agents}
    agent_objects = {
        a.id: {"id": a.id, "name": a.name, "nick_name": a.nick_name, "email": a.email, "picture": a.picture}
        for a in world.agents
    }
    user_pool = max(50, conversations_per_day * 20)
    out: list[Conversation] = []
    for seq, queued_s in enumerate(_arrivals(rnd, count), start=1):
        conversation_id = id_base + seq
        hour_load = HOURLY_WEIGHTS[queued_s // 3600] / _PEAK
        first_group = groups[bisect.bisect_right(group_cumulative, rnd() * group_cumulative[-1])]
        protocol = world.protocols[bisect.bisect_right(protocol_cumulative, rnd() * protocol_cumulative[-1])]
        patience = 60 + min(1800, int(rng.expovariate(1 / 240)))
        gives_up = rnd() < 0.035 + 0.035 * hour_load
        transfer_draw = rnd()
        transfers = 2 if transfer_draw < 0.03 else 1 if transfer_draw < 0.13 else 0
        group = first_group
        if transfers and rnd() < 0.6:
            group = rng.choice([g for g in groups if g.id != first_group.id])
        ready = queued_s + min(900, int(rng.expovariate(1 / 30)))
        agent = None
        start_s = None
        if not gives_up:
            candidates = members[group.id] or list(world.agents)
            best = min(candidates, key=lambda a: (max(ready, slots[a.id][0]), rnd()))
            start_s = max(ready, slots[best.id][0])
            if start_s - queued_s <= patience and start_s < last_second:
                agent = best
            else:
                start_s = None
        session_s = int(min(5400, max(40, rng.lognormvariate(math.log(330), 0.7) * protocol.session_factor)))
        closed_by_draw = rnd()
        reason_draw = rnd()
        feedback_draw = rnd()
        value = rng.choices(FEEDBACK_VALUES, weights=FEEDBACK_VALUE_WEIGHTS)[0]
        comment_draw = rnd()
        comment = rng.choice(w.COMMENTS)
        frt_draw = rnd()
        frt = 4 + int(rng.gammavariate(2.0, 12.0))
        feedback_delay = 5 + int(rnd() * 85)
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
            feedback_value = value if feedback_draw < 0.36 else None
        has_comment = feedback_value is not None and comment_draw < 0.55
        user_id = 1 + int(rnd() * user_pool)
        user = user_profile(bot_seed, user_id)
        city_id, city, country = w.LOCATIONS[int(rnd() * len(w.LOCATIONS))]
        platform = w.PLATFORMS[int(rnd() * len(w.PLATFORMS))]
        browser = w.BROWSERS[int(rnd() * len(w.BROWSERS))] if protocol.name == "webchat" else w.APP_BROWSER
        ip = f"{'203.0.113' if rnd() < 0.5 else '198.51.100'}.{1 + int(rnd() * 254)}"
        queued = midnight + dt.timedelta(seconds=queued_s)
        start = None if start_s is None else midnight + dt.timedelta(seconds=start_s)
        end = midnight + dt.timedelta(seconds=end_s)
        payload = {
            "conversation_id": conversation_id,
            "bot_id": bot_id,
            "queueddatetime": fmt(queued),
            "startdatetime": fmt(start),
            "enddatetime": fmt(end),
            "wait_time": wait,
            "session_time": session_s,
            "first_response_time": first_response,
            "status": status,
            "transfers": transfers,
            "group": {"id": group.id, "name": group.name, "description": group.description},
            "protocol": {"id": protocol.id, "name": protocol.name},
            "user": user,
            "agent": None if agent is None else agent_objects[agent.id],
            "reason": None if reason is None else {"id": reason.id, "description": reason.description},
            "feedback": None
            if feedback_value is None
            else {"id": conversation_id, "name": w.FEEDBACK_LABELS[feedback_value], "value": feedback_value},
            "closed_by": {"id": CLOSED_BY_IDS[closed_by], "name": closed_by},
            "location": {"id": city_id, "city": city, "country": country, "ip": ip},
            "platform": {"id": platform[0], "name": platform[1], "version": platform[2]},
            "browser": {"id": browser[0], "name": browser[1], "version": browser[2]},
        }
        out.append(
            Conversation(
                id=conversation_id,
                queued=queued,
                start=start,
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
                user_name=f"{user['first_name']} {user['last_name']}",
                city=city,
                country=country,
                visible_at=end + dt.timedelta(seconds=lag_seconds(bot_seed, conversation_id)),
                body=_dumps(payload),
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
