"""Is a ``200`` body visibly the answer asked for? A cheap look at its media type and its two ends.

Gateways and proxies answer ``200`` with an HTML page, or cut a body short, more often than an API
sends malformed JSON. Such a body is retried like a ``502`` rather than handed to the loader, and the
check must cost nothing on a 100 MB body: it reads the content type and the first and last
non-whitespace bytes, gathered chunk by chunk while the body streams past.
"""

from __future__ import annotations

from typing import Final

from live_assets import contract

JSON_MEDIA_TYPE: Final = contract.JSON_CONTENT_TYPE.split(";")[0].strip().lower()
CSV_MEDIA_TYPE: Final = contract.CSV_CONTENT_TYPE.split(";")[0].strip().lower()
_WHITESPACE: Final = frozenset(b" \t\r\n")
_CLOSING: Final = {ord("["): ord("]"), ord("{"): ord("}")}


def media_type(content_type: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return (content_type or "").split(";")[0].strip().lower()


def expected_media_type(path: str) -> str:
    """The export answers CSV; every other endpoint JSON (docs/api-contract.md §1)."""
    return CSV_MEDIA_TYPE if path == contract.Path.EXPORT_SIMPLE else JSON_MEDIA_TYPE


def _edge_bytes(body: bytes) -> tuple[int | None, int | None]:
    """First and last non-whitespace bytes, scanning only the ends: a 100 MB body costs nothing."""
    start, end = 0, len(body) - 1
    while start <= end and body[start] in _WHITESPACE:
        start += 1
    while end >= start and body[end] in _WHITESPACE:
        end -= 1
    if start > end:
        return None, None
    return body[start], body[end]


class BodyEdges:
    """What the cheap body check needs, gathered chunk by chunk so a streamed body is never held whole."""

    __slots__ = ("ends_with_newline", "first", "last", "size")

    def __init__(self) -> None:
        self.first: int | None = None
        self.last: int | None = None
        self.ends_with_newline = False
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        first, last = _edge_bytes(chunk)
        if first is not None:
            if self.first is None:
                self.first = first
            self.last = last
        self.ends_with_newline = chunk.endswith(b"\n")


def body_problem(path: str, content_type: str | None, body: bytes) -> str | None:
    """Why a ``200`` body is visibly not the answer asked for, or ``None`` if it looks right.

    A cheap check, not a parse: the content type, and for JSON that the body opens with ``[`` or ``{``
    and closes with the matching bracket (a body cut short by a gateway almost never does); for CSV
    that it is not an HTML page and ends with the line break every record ends with (RFC 4180, CRLF).
    """
    edges = BodyEdges()
    edges.feed(body)
    return shape_problem(path, content_type, edges)


def shape_problem(path: str, content_type: str | None, edges: BodyEdges) -> str | None:
    """:func:`body_problem` for a body already gathered into ``edges``."""
    expected = expected_media_type(path)
    actual = media_type(content_type)
    if actual != expected and not (expected == JSON_MEDIA_TYPE and actual.endswith("+json")):
        return f"content type {actual or 'missing'!r}, expected {expected!r}"
    first, last = edges.first, edges.last
    if expected == JSON_MEDIA_TYPE:
        if first is None:
            return "empty JSON body"
        if first not in _CLOSING:
            return f"JSON body starts with {chr(first)!r}, not '[' or '{{'"
        if last != _CLOSING[first]:
            return f"JSON body truncated: it opens with {chr(first)!r} but ends with {chr(last or 0)!r}"
        return None
    if first is None:
        return "empty CSV body (not even a header row)"
    if first == ord("<"):
        return "CSV body looks like HTML"
    if not edges.ends_with_newline:
        return "CSV body truncated: it does not end with a line break"
    return None
