"""One handler per data endpoint: validate the query, select the conversations, render the answer.

Handlers are plain functions of (store, bot, query) returning a :class:`Reply`; HTTP concerns
(auth, concurrency, latency, faults, counters) stay in ``app``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from live_assets import contract
from live_assets.contract import ErrorCode, Path
from live_assets.simulator import aggregate, csv_export, params
from live_assets.simulator.config import BotProfile
from live_assets.simulator.errors import ApiError
from live_assets.simulator.generate import messages_for
from live_assets.simulator.store import DataStore


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str | None = contract.JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    rows: int = 0  # rows returned, for the per-row latency
    csv_lines: list[bytes] | None = None  # the export's records, for the CSV faults


Handler = Callable[[DataStore, BotProfile, Mapping[str, str]], Reply]


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(value: Any, rows: int) -> Reply:
    return Reply(200, dumps(value), rows=rows)


def conversation_list(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    filters = params.parse_filters(query)
    selected = store.select(bot, window, filters)
    return Reply(200, b"[" + b",".join(c.body for c in selected) + b"]", rows=len(selected))


def conversation_detail(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    conversation_id = params.parse_conversation_id(query)
    filters = params.parse_filters(query)
    conversation = store.find(bot, conversation_id)
    if conversation is None or not aggregate.matches(conversation, filters):
        raise ApiError(
            ErrorCode.NOT_FOUND, f"Conversation {conversation_id} not found", {"conversation_id": conversation_id}
        )
    messages = messages_for(bot.seed, conversation)
    body = conversation.body[:-1] + b',"messages":' + dumps(messages) + b"}"
    return Reply(200, body, rows=1 + len(messages))


def conversation_stats(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    selected = store.select(bot, window, params.parse_filters(query))
    return json_reply(aggregate.stats(selected), 1)


def conversation_sla(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    filters = params.parse_filters(query)
    groups = [g for g in store.world(bot).groups if filters.group_ids is None or g.id in filters.group_ids]
    rows = aggregate.sla(store.select(bot, window, filters), groups)
    return json_reply(rows, len(rows))


def histogram(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    frequency = params.parse_frequency(query)
    window = params.parse_range(query, frequency)
    rows = aggregate.histogram(store.select(bot, window, params.parse_filters(query)), window, frequency)
    return json_reply(rows, len(rows))


def summary(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    frequency = params.parse_frequency(query)
    window = params.parse_range(query, frequency)
    rows = aggregate.summary(store.select(bot, window, params.parse_filters(query)), frequency, store.world(bot))
    return json_reply(rows, len(rows))


def agent_performance(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    rows = aggregate.agent_performance(store.select(bot, window, params.parse_filters(query)), store.world(bot))
    return json_reply(rows, len(rows))


def feedback(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    report = aggregate.feedback(store.select(bot, window, params.parse_filters(query)))
    return json_reply(report, max(1, len(report["items"])))


def export_simple(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    window = params.parse_range(query)
    filters = params.parse_filters(query)
    lang = params.parse_lang(query)
    names = csv_export.Names.of(store.world(bot))
    lines = [csv_export.header_line(lang)]
    for day, index, conversation in store.select_indexed(bot, window, filters):
        rows = day.csv_rows.get(lang)
        if rows is None:
            rows = day.csv_rows.setdefault(lang, [b""] * len(day.conversations))
        if not rows[index]:
            rows[index] = csv_export.row_line(conversation, names, lang)
        lines.append(rows[index])
    return Reply(
        200, csv_export.join_lines(lines), content_type=contract.CSV_CONTENT_TYPE, rows=len(lines) - 1, csv_lines=lines
    )


def agents(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    filters = params.parse_filters(query)
    rows = aggregate.agents_dimension(store.world(bot), filters)
    return json_reply(rows, len(rows))


def groups(store: DataStore, bot: BotProfile, query: Mapping[str, str]) -> Reply:
    filters = params.parse_filters(query)
    rows = aggregate.groups_dimension(store.world(bot), filters)
    return json_reply(rows, len(rows))


HANDLERS: dict[str, Handler] = {
    Path.CONVERSATION_LIST: conversation_list,
    Path.CONVERSATION_DETAIL: conversation_detail,
    Path.CONVERSATION_STATS: conversation_stats,
    Path.CONVERSATION_SLA: conversation_sla,
    Path.HISTOGRAM: histogram,
    Path.SUMMARY: summary,
    Path.AGENT_PERFORMANCE: agent_performance,
    Path.FEEDBACK: feedback,
    Path.EXPORT_SIMPLE: export_simple,
    Path.AGENTS: agents,
    Path.GROUPS: groups,
}
