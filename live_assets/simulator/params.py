"""Parsing and validation of query parameters, exactly as docs/api-contract.md §3 and §6 state.

Pure functions from the query's key/value pairs to typed values, raising :class:`ApiError` with the
contract's codes. Validation order: dates (presence, format), frequency, ``from`` <= ``to``, the
range limit of the frequency, the filters, then endpoint-specific parameters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from live_assets import contract
from live_assets.contract import ErrorCode, Frequency
from live_assets.simulator.errors import RANGE_TOO_LONG_MESSAGE, ApiError

_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_IDS_SHAPE = re.compile(r"\d{1,18}(,\d{1,18})*")
DATE_FORMAT_LABEL = "yyyy-MM-dd HH:mm:ss"


@dataclass(frozen=True)
class Filters:
    """The optional ``group_id``/``agent_id``/``protocol_id`` filters; None means "no filter"."""

    group_ids: frozenset[int] | None = None
    agent_ids: frozenset[int] | None = None
    protocol_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class DateRange:
    """Inclusive wall-clock bounds in the bot's zone."""

    start: dt.datetime
    end: dt.datetime

    def days(self) -> list[dt.date]:
        count = (self.end.date() - self.start.date()).days + 1
        return [self.start.date() + dt.timedelta(days=offset) for offset in range(count)]


def require(query: Mapping[str, str], name: str) -> str:
    value = query.get(name)
    if value is None:
        raise ApiError(ErrorCode.MISSING_PARAMETER, f"The parameter '{name}' is required", {"parameter": name})
    return value


def parse_moment(name: str, value: str) -> dt.datetime:
    """A strict ``yyyy-MM-dd HH:mm:ss`` (``strptime`` alone would accept ``2025-1-1 0:0:0``)."""
    try:
        if not _DATETIME_SHAPE.fullmatch(value):
            raise ValueError(value)
        return contract.parse_datetime(value)
    except ValueError:
        raise ApiError(
            ErrorCode.INVALID_DATE_FORMAT,
            f"The parameter '{name}' must be formatted as {DATE_FORMAT_LABEL}",
            {"parameter": name, "value": value, "expected_format": DATE_FORMAT_LABEL},
        ) from None


def parse_frequency(query: Mapping[str, str]) -> Frequency:
    value = require(query, "frequency")
    try:
        return Frequency(value)
    except ValueError:
        raise ApiError(
            ErrorCode.INVALID_FREQUENCY,
            details={"parameter": "frequency", "value": value, "allowed": [f.value for f in Frequency]},
        ) from None


def provided_range_label(start: dt.datetime, end: dt.datetime) -> str:
    """The span of an inclusive range in whole days, rounded up, as the vendor's example ("15 days")."""
    days = math.ceil((end - start + dt.timedelta(seconds=1)) / dt.timedelta(days=1))
    return f"{days} day" if days == 1 else f"{days} days"


def parse_range(query: Mapping[str, str], frequency: Frequency | None = None) -> DateRange:
    """``from``/``to`` validated, and, for an endpoint with a frequency, the frequency's maximum range."""
    start = parse_moment("from", require(query, "from"))
    end = parse_moment("to", require(query, "to"))
    if start > end:
        raise ApiError(
            ErrorCode.INVALID_DATE_RANGE,
            "The start date must not be after the end date",
            {"from": query["from"], "to": query["to"]},
        )
    if frequency is not None:
        limit = contract.MAX_RANGE_BY_FREQUENCY[frequency]
        if not end < limit.limit_for(start):
            raise ApiError(
                ErrorCode.INVALID_DATE_RANGE,
                RANGE_TOO_LONG_MESSAGE,
                {
                    "max_range": limit.label,
                    "provided_range": provided_range_label(start, end),
                    "frequency": frequency.value,
                },
            )
    return DateRange(start, end)


def parse_ids(name: str, value: str) -> frozenset[int]:
    if not _IDS_SHAPE.fullmatch(value):
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            f"The parameter '{name}' must be a comma-separated list of ids",
            {"parameter": name, "value": value},
        )
    return frozenset(int(part) for part in value.split(","))


def parse_filters(query: Mapping[str, str]) -> Filters:
    group, agent, protocol = (
        None if query.get(name) is None else parse_ids(name, query[name]) for name in contract.FILTER_PARAMETERS
    )
    return Filters(group_ids=group, agent_ids=agent, protocol_ids=protocol)


def parse_lang(query: Mapping[str, str]) -> str:
    lang = query.get("lang", contract.DEFAULT_EXPORT_LANGUAGE)
    if lang not in contract.EXPORT_LANGUAGES:
        raise ApiError(
            ErrorCode.INVALID_LANG,
            details={"parameter": "lang", "value": lang, "allowed": list(contract.EXPORT_LANGUAGES)},
        )
    return lang


def parse_conversation_id(query: Mapping[str, str]) -> int:
    value = require(query, "conversation_id")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            "The parameter 'conversation_id' must be a positive integer",
            {"parameter": "conversation_id", "value": value},
        )
    return int(value)
