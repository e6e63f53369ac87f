"""Late data: conversations a past day gains after it was first read, and surveys answered again.

The contract lets a conversation appear up to 15 minutes after its end, but a chat that starts at 23:50
and lasts 40 minutes ends the next day, and vendors correct data. With ``SimulatorConfig.late`` each day
serves, besides its generated conversations, a share of copies under new ids (in the id range
``LATE_ID_OFFSET`` and up, so they never collide with the day's own), and a share of its surveys with
another value and comment. The picks are stable hashes of the ids: the same every time.
"""

from __future__ import annotations

import json
from typing import Any, Final

from live_assets.simulator import world as w
from live_assets.simulator.config import LateData
from live_assets.simulator.generate import IDS_PER_DAY, Conversation
from live_assets.simulator.stablehash import stable_fraction

LATE_ID_OFFSET: Final = 900_000  # a day's own conversations stay far below (config.MAX_CONVERSATIONS_PER_DAY)
CHANGED_COMMENT: Final = "Lo pensé mejor: cambio mi valoración."


def _served(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _copy(conversation: Conversation, new_id: int) -> Conversation:
    payload = conversation.payload()
    payload["conversation_id"] = new_id
    if payload.get("feedback"):
        payload["feedback"]["id"] = new_id
    return conversation._replace(id=new_id, body=_served(payload))


def _resurveyed(conversation: Conversation) -> Conversation:
    assert conversation.feedback_value is not None
    value = conversation.feedback_value % 5 + 1
    payload = conversation.payload()
    payload["feedback"] = {"id": conversation.id, "name": w.FEEDBACK_LABELS[value], "value": value}
    return conversation._replace(feedback_value=value, comment=CHANGED_COMMENT, body=_served(payload))


def with_late_data(conversations: tuple[Conversation, ...], late: LateData, bot_seed: int) -> tuple[Conversation, ...]:
    """The day as served once its late data has come: the copies added, some surveys changed, in list order."""
    served = [
        _resurveyed(c)
        if c.feedback_value is not None and stable_fraction(bot_seed, "resurvey", c.id) < late.changed_survey_share
        else c
        for c in conversations
    ]
    late_ones = [c for c in conversations if stable_fraction(bot_seed, "late", c.id) < late.added_share]
    for rank, original in enumerate(late_ones, start=1):
        served.append(_copy(original, original.id - original.id % IDS_PER_DAY + LATE_ID_OFFSET + rank))
    return tuple(sorted(served, key=lambda c: (c.queued, c.id)))
