"""Every aggregate of docs/api-contract.md §6, as pure functions of the selected conversations.

All endpoints read the same selection (``DataStore.select``), and every figure below follows the
contract's definitions literally, so that the endpoints agree with each other to the unit: summing
per-day stats gives the list's counts, SLA rows sum to the stats, histogram buckets sum to the total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from live_assets import contract
from live_assets.contract import Frequency
from live_assets.simulator.generate import Conversation, fmt
from live_assets.simulator.params import DateRange, Filters
from live_assets.simulator.world import Group, World

ONE_SECOND = dt.timedelta(seconds=1)


def matches(conversation: Conversation, filters: Filters) -> bool:
    """Whether a conversation passes the ``group_id``/``agent_id``/``protocol_id`` filters."""
    if filters.group_ids is not None and conversation.group_id not in filters.group_ids:
        return False
    if filters.agent_ids is not None and conversation.agent_id not in filters.agent_ids:
        return False
    return filters.protocol_ids is None or conversation.protocol_id in filters.protocol_ids


def rounded(value: float) -> float:
    return round(value, contract.AVERAGE_DECIMALS)


def mean(values: Iterable[int]) -> float | None:
    """Arithmetic mean rounded to the contract's decimals; None when there is nothing to average."""
    items = list(values)
    return rounded(sum(items) / len(items)) if items else None


def percentage(part: int, whole: int) -> float | None:
    return rounded(100 * part / whole) if whole else None


def within_sla(conversation: Conversation, threshold: int) -> bool:
    """Attended with a wait no longer than the group's threshold (lost ones count against the SLA)."""
    return conversation.agent_id is not None and conversation.wait_time <= threshold


def stats(conversations: Sequence[Conversation]) -> dict[str, Any]:
    total = len(conversations)
    lost = sum(1 for c in conversations if c.status == "lost")
    feedback_values = [c.feedback_value for c in conversations if c.feedback_value is not None]
    return {
        "total": total,
        "attended": sum(1 for c in conversations if c.agent_id is not None),
        "closed": total - lost,
        "lost": lost,
        "transferred": sum(1 for c in conversations if c.transfers > 0),
        "avg_wait_time": mean(c.wait_time for c in conversations),
        "avg_first_response_time": mean(
            c.first_response_time for c in conversations if c.first_response_time is not None
        ),
        "avg_session_time": mean(c.session_time for c in conversations if c.agent_id is not None),
        "feedback_avg": mean(feedback_values),
        "feedback_count": len(feedback_values),
    }


def sla(conversations: Sequence[Conversation], groups: Sequence[Group]) -> list[dict[str, Any]]:
    """One row per group (empty groups included, their percentage null), ordered by group id."""
    by_group: defaultdict[int, list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        by_group[conversation.group_id].append(conversation)
    rows = []
    for group in sorted(groups, key=lambda g: g.id):
        held = by_group.get(group.id, [])
        attended = sum(1 for c in held if c.agent_id is not None)
        within = sum(1 for c in held if within_sla(c, group.sla_threshold))
        rows.append(
            {
                "group": {"id": group.id, "name": group.name},
                "sla_threshold": group.sla_threshold,
                "total": len(held),
                "attended": attended,
                "lost": sum(1 for c in held if c.status == "lost"),
                "within_sla": within,
                "out_of_sla": attended - within,
                "sla_percentage": percentage(within, len(held)),
            }
        )
    return rows


def bucket_start(moment: dt.datetime, frequency: Frequency) -> dt.datetime:
    """The start of the bucket holding ``moment``: WEEK buckets start on Monday, MONTH on the 1st."""
    if frequency is Frequency.HALF_HOUR:
        return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)
    if frequency is Frequency.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency is Frequency.DAY:
        return midnight
    if frequency is Frequency.WEEK:
        return midnight - dt.timedelta(days=(midnight.weekday() - contract.WEEK_STARTS_ON) % 7)
    return midnight.replace(day=1)


def next_bucket(start: dt.datetime, frequency: Frequency) -> dt.datetime:
    steps = {
        Frequency.HALF_HOUR: dt.timedelta(minutes=30),
        Frequency.HOUR: dt.timedelta(hours=1),
        Frequency.DAY: dt.timedelta(days=1),
        Frequency.WEEK: dt.timedelta(days=7),
    }
    if frequency is Frequency.MONTH:
        return contract.add_months(start, 1)
    return start + steps[frequency]


def buckets(window: DateRange, frequency: Frequency) -> list[dt.datetime]:
    """Every bucket start touching the inclusive range, in order (empty buckets included)."""
    out = []
    current = bucket_start(window.start, frequency)
    while current <= window.end:
        out.append(current)
        current = next_bucket(current, frequency)
    return out


def histogram(conversations: Sequence[Conversation], window: DateRange, frequency: Frequency) -> list[dict[str, Any]]:
    """One row per bucket of the range; ``active_agents`` counts agents holding a chat during the bucket.

    A chat is held over ``[startdatetime, enddatetime)``; the bucket is clipped to the range.
    """
    starts = buckets(window, frequency)
    index = {start: position for position, start in enumerate(starts)}
    rows = [{"period": fmt(start), "total": 0, "closed": 0, "lost": 0, "transfers": 0} for start in starts]
    agents: list[set[int]] = [set() for _ in starts]
    range_end = window.end + ONE_SECOND
    for conversation in conversations:
        row = rows[index[bucket_start(conversation.queued, frequency)]]
        row["total"] += 1
        row["lost" if conversation.status == "lost" else "closed"] += 1
        row["transfers"] += conversation.transfers
        if conversation.agent_id is None or conversation.start is None:
            continue
        held_from = max(conversation.start, window.start)
        held_until = min(conversation.end, range_end)
        if held_from >= range_end:  # taken only after the range ends
            continue
        current = bucket_start(held_from, frequency)
        while current in index:  # the bucket where it is taken, then every bucket it is still held in
            agents[index[current]].add(conversation.agent_id)
            current = next_bucket(current, frequency)
            if current >= held_until:
                break
    for row, held in zip(rows, agents, strict=True):
        row["active_agents"] = len(held)
    return rows


def _figures(held: Sequence[Conversation]) -> dict[str, Any]:
    """The figures a summary row shares with the stats, over one (bucket, group, protocol) cell."""
    figures = stats(held)
    return {
        "total": figures["total"],
        "closed": figures["closed"],
        "lost": figures["lost"],
        "transferred": figures["transferred"],
        "avg_wait_time": figures["avg_wait_time"],
        "avg_first_response_time": figures["avg_first_response_time"],
        "avg_session_time": figures["avg_session_time"],
        "completion_rate": percentage(figures["closed"], figures["total"]),
        "feedback_avg": figures["feedback_avg"],
        "feedback_count": figures["feedback_count"],
    }


def summary(conversations: Sequence[Conversation], frequency: Frequency, world: World) -> list[dict[str, Any]]:
    """One row per non-empty (bucket, group, protocol), ordered by period, group id, protocol id."""
    cells: defaultdict[tuple[dt.datetime, int, int], list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        key = (bucket_start(conversation.queued, frequency), conversation.group_id, conversation.protocol_id)
        cells[key].append(conversation)
    groups = {g.id: g for g in world.groups}
    protocols = {p.id: p for p in world.protocols}
    rows = []
    for (period, group_id, protocol_id), held in sorted(cells.items(), key=lambda item: item[0]):
        group, protocol = groups[group_id], protocols[protocol_id]
        within = sum(1 for c in held if within_sla(c, group.sla_threshold))
        rows.append(
            {
                "period": fmt(period),
                "group": {"id": group.id, "name": group.name},
                "protocol": {"id": protocol.id, "name": protocol.name},
                **_figures(held),
                "sla_percentage": percentage(within, len(held)),
            }
        )
    return rows


def max_concurrent(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    """The most ``[start, end)`` intervals open at one instant (a chat of no length still counts as one)."""
    events: list[tuple[dt.datetime, int]] = []
    for start, end in intervals:
        events.append((start, 1))
        events.append((max(end, start), -1))
    if not events:
        return 0
    events.sort()  # at equal times, -1 sorts first: a chat ending as another starts is not concurrent
    best = current = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return max(best, 1)


def agent_performance(conversations: Sequence[Conversation], world: World) -> list[dict[str, Any]]:
    """One row per agent with at least one conversation attributed (to its final agent), by agent id."""
    by_agent: defaultdict[int, list[Conversation]] = defaultdict(list)
    for conversation in conversations:
        if conversation.agent_id is not None:
            by_agent[conversation.agent_id].append(conversation)
    agents = {a.id: a for a in world.agents}
    rows = []
    for agent_id in sorted(by_agent):
        held = by_agent[agent_id]
        agent = agents[agent_id]
        feedback_values = [c.feedback_value for c in held if c.feedback_value is not None]
        rows.append(
            {
                "agent": {"id": agent.id, "name": agent.name, "nick_name": agent.nick_name, "email": agent.email},
                "conversations": len(held),
                "closed": sum(1 for c in held if c.closed_by == "agent"),
                "transferred": sum(1 for c in held if c.transfers > 0),
                "avg_first_response_time": mean(
                    c.first_response_time for c in held if c.first_response_time is not None
                ),
                "avg_session_time": mean(c.session_time for c in held),
                "total_session_time": sum(c.session_time for c in held),
                "max_concurrent": max_concurrent((c.start, c.end) for c in held if c.start is not None),
                "feedback_avg": mean(feedback_values),
                "feedback_count": len(feedback_values),
            }
        )
    return rows


def feedback(conversations: Sequence[Conversation]) -> dict[str, Any]:
    """Survey answers of the conversations queued in the range, in list order."""
    answered = [c for c in conversations if c.feedback_value is not None]
    counts = {value: 0 for value in contract.FEEDBACK_VALUES}
    for conversation in answered:
        counts[conversation.feedback_value] += 1  # type: ignore[index]
    return {
        "surveys": len(answered),
        "comments_count": sum(1 for c in answered if c.comment),
        "average": mean(c.feedback_value for c in answered),  # type: ignore[misc]
        "distribution": [{"value": value, "count": count} for value, count in counts.items()],
        "items": [
            {
                "conversation_id": c.id,
                "agent_id": c.agent_id,
                "value": c.feedback_value,
                "comment": c.comment,
                "created_at": fmt(c.feedback_at),
            }
            for c in answered
        ],
    }


def agents_dimension(world: World, filters: Filters) -> list[dict[str, Any]]:
    """The bot's agents (``group_id`` keeps members of those groups, ``agent_id`` those agents)."""
    return [
        {
            "id": a.id,
            "name": a.name,
            "nick_name": a.nick_name,
            "email": a.email,
            "max_concurrent_chats": a.max_concurrent_chats,
        }
        for a in world.agents
        if (filters.agent_ids is None or a.id in filters.agent_ids)
        and (filters.group_ids is None or filters.group_ids.intersection(a.group_ids))
    ]


def groups_dimension(world: World, filters: Filters) -> list[dict[str, Any]]:
    return [
        {"id": g.id, "name": g.name, "description": g.description, "sla_threshold": g.sla_threshold}
        for g in world.groups
        if filters.group_ids is None or g.id in filters.group_ids
    ]
