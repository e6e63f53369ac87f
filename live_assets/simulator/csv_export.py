"""The CSV export of docs/api-contract.md §7: RFC 4180, CRLF, UTF-8, headers and status labels per language.

Columns come from ``contract.EXPORT_COLUMNS``; :data:`CELLS` says how each is filled, and an import-time
check makes a column added to the contract without a filler fail loudly rather than shift the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from live_assets import contract
from live_assets.simulator.generate import Conversation, fmt
from live_assets.simulator.world import World

CRLF = b"\r\n"
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def cell(text: str) -> str:
    """One RFC 4180 field: quoted (quotes doubled) when it holds a comma, a quote or a line break."""
    if any(mark in text for mark in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def duration(seconds: int | None) -> str:
    """``HH:MM:SS`` (hours may exceed 23); empty for null."""
    if seconds is None:
        return ""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Names:
    """Id-to-name lookups of one bot, built once per export request."""

    groups: dict[int, str]
    protocols: dict[int, str]
    agents: dict[int, str]
    agent_emails: dict[int, str]

    @classmethod
    def of(cls, world: World) -> Names:
        return cls(
            groups={g.id: g.name for g in world.groups},
            protocols={p.id: p.name for p in world.protocols},
            agents={a.id: a.name for a in world.agents},
            agent_emails={a.id: a.email for a in world.agents},
        )


Cell = Callable[[Conversation, Names, str], str]
CELLS: dict[str, Cell] = {
    "conversation_id": lambda c, w, lang: str(c.id),
    "queued_at": lambda c, w, lang: _text(fmt(c.queued)),
    "started_at": lambda c, w, lang: _text(fmt(c.start)),
    "ended_at": lambda c, w, lang: _text(fmt(c.end)),
    "wait_time": lambda c, w, lang: duration(c.wait_time),
    "session_time": lambda c, w, lang: duration(c.session_time),
    "first_response_time": lambda c, w, lang: duration(c.first_response_time),
    "status": lambda c, w, lang: contract.EXPORT_STATUS_LABELS[lang][c.status],
    "transfers": lambda c, w, lang: str(c.transfers),
    "group": lambda c, w, lang: w.groups[c.group_id],
    "protocol": lambda c, w, lang: w.protocols[c.protocol_id],
    "agent": lambda c, w, lang: "" if c.agent_id is None else w.agents[c.agent_id],
    "agent_email": lambda c, w, lang: "" if c.agent_id is None else w.agent_emails[c.agent_id],
    "user_name": lambda c, w, lang: c.user_name,
    "closed_by": lambda c, w, lang: _text(c.closed_by),
    "close_reason": lambda c, w, lang: _text(c.reason),
    "feedback": lambda c, w, lang: _text(c.feedback_value),
    "comment": lambda c, w, lang: _text(c.comment),
    "city": lambda c, w, lang: c.city,
    "country": lambda c, w, lang: c.country,
}
_COLUMN_NAMES = [name for name, _ in contract.EXPORT_COLUMNS]
if set(CELLS) != set(_COLUMN_NAMES) or not set(contract.EXPORT_DURATION_COLUMNS) <= set(CELLS):
    raise RuntimeError("csv_export.CELLS does not cover contract.EXPORT_COLUMNS exactly")
_ORDERED_CELLS = [CELLS[name] for name in _COLUMN_NAMES]


def header_line(lang: str) -> bytes:
    return ",".join(cell(header) for header in contract.export_headers(lang)).encode("utf-8")


def row_line(conversation: Conversation, names: Names, lang: str) -> bytes:
    """One record, without its line end."""
    return ",".join(cell(fill(conversation, names, lang)) for fill in _ORDERED_CELLS).encode("utf-8")


def join_lines(lines: list[bytes]) -> bytes:
    """Records joined with CRLF, the last one terminated too."""
    return CRLF.join(lines) + CRLF
