"""The classes of personal data a column of the endpoint registry may hold (``Column.personal``)."""

from __future__ import annotations

import enum
from typing import Final


class PersonalData(enum.StrEnum):
    """What kind of personal data a column holds; the values are the names ``LIVE_PII`` refines by."""

    USER_NAME = "user_name"
    PHONE = "phone"
    EMAIL = "email"
    IP = "ip"
    LOCATION = "location"
    MESSAGE_TEXT = "message_text"
    SURVEY_COMMENT = "survey_comment"
    # Staff data: treated by ``LIVE_PII_AGENTS``, not ``LIVE_PII``.
    AGENT_NAME = "agent_name"
    AGENT_EMAIL = "agent_email"


AGENT_CLASSES: Final = frozenset({PersonalData.AGENT_NAME, PersonalData.AGENT_EMAIL})
CUSTOMER_CLASSES: Final = frozenset(PersonalData) - AGENT_CLASSES


class Treatment(enum.StrEnum):
    KEEP = "keep"  # as the API sent it
    HASH = "hash"  # a keyed hash (HMAC-SHA256 with LIVE_PII_KEY): the same value gives the same hash
    DROP = "drop"  # NULL
