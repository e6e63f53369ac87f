"""A response compared with its registry entry: unknown fields, missing or null ones, types, dates.

The registry (``live_assets.raw.endpoints``) says which fields each endpoint's rows hold (a column's
``source`` JSON path) and their types; this module reads a sample of real rows against that. What the
loader would turn into NULL, fail on or put on the wrong day is a mismatch; what it keeps anyway (an
unknown field lands in ``_extra``) is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from live_assets import contract
from live_assets.check.findings import Finding, Status, shape_of
from live_assets.client import ExportFormatError, parse_export
from live_assets.raw.endpoints import BodyShape, Column, EndpointSpec

NUMBER_TYPES: Final = {"BIGINT": (int,), "INTEGER": (int,), "DOUBLE": (int, float)}
_ABSENT: Final = object()
_PARENT_NULL: Final = object()  # a nested field of a null object: a lost conversation's agent.name


def rows_of(spec: EndpointSpec, payload: Any) -> list[Mapping[str, Any]]:
    """The rows of a JSON body the way the loader reads them (see ``BodyShape``)."""
    if spec.body is BodyShape.ITEMS:
        return list(payload.get("items") or []) if isinstance(payload, dict) else []
    if spec.body is BodyShape.OBJECT:
        return [payload]
    if spec.body is BodyShape.DETAIL_MESSAGES:  # ``payload``: the details fetched, as a list
        return [
            {"conversation_id": detail.get("conversation_id"), **message}
            for detail in payload
            for message in detail.get("messages") or []
        ]
    return list(payload) if isinstance(payload, list) else [payload]


def _path(column: Column) -> tuple[str, ...]:
    return tuple(column.source.removeprefix("$.").split("."))


def _value(row: Mapping[str, Any], path: Sequence[str]) -> object:
    """The value at ``path``; ``_PARENT_NULL`` when a parent object is null, ``_ABSENT`` when missing."""
    current: object = row
    for key in path:
        if current is None:
            return _PARENT_NULL
        if not isinstance(current, Mapping) or key not in current:
            return _ABSENT
        current = current[key]
    return current


def unknown_fields(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> dict[str, int]:
    """Field paths no column reads, with the number of rows holding each (JSON columns are not entered)."""
    leaves = {_path(column) for column in columns}
    objects = {path[:depth] for path in leaves for depth in range(1, len(path))}
    found: dict[str, int] = {}

    def walk(value: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        for key, child in value.items():
            path = (*prefix, key)
            if path in leaves:
                continue
            if path in objects:
                if isinstance(child, Mapping):
                    walk(child, path)
                continue
            name = ".".join(path)
            found[name] = found.get(name, 0) + 1

    for row in rows:
        walk(row, ())
    return found


def _nullable(column: Column) -> bool:
    """Whether the contract lets this field be null (a conversation's agent, reason, feedback, ...)."""
    return _path(column)[0] in contract.NULLABLE_CONVERSATION_FIELDS


def _type_problem(column: Column, value: object) -> tuple[Status, str] | None:
    if value is None or column.sql_type == "JSON":
        return None
    if column.sql_type in NUMBER_TYPES:
        if isinstance(value, bool) or not isinstance(value, NUMBER_TYPES[column.sql_type]):
            return Status.MISMATCH, f"{type(value).__name__} where a number ({column.sql_type}) is read"
        return None
    if column.sql_type == "TIMESTAMP":
        if not isinstance(value, str):
            return Status.MISMATCH, f"{type(value).__name__} where a date-time is read"
        try:
            contract.parse_datetime(value)
        except ValueError:
            return Status.MISMATCH, f"date-time shaped {shape_of(value)!r}, not yyyy-MM-dd HH:mm:ss"
        return None
    if isinstance(value, Mapping | list):  # a number where text is read loads as its text: no difference
        return Status.WARNING, f"{type(value).__name__} where text is read (loaded as JSON text)"
    return None


def compare_rows(finding: Finding, spec: EndpointSpec, rows: Sequence[Mapping[str, Any]]) -> None:
    """Flag on ``finding`` every way ``rows`` differ from ``spec``'s columns."""
    finding.measured["rows"] = len(rows)
    if not rows:
        finding.flag(Status.WARNING, "no rows in the sample: nothing to compare the fields with")
        return
    for name, count in sorted(unknown_fields(rows, spec.columns).items()):
        finding.flag(Status.WARNING, f"unknown field {name!r} in {count} of {len(rows)} rows (kept in _extra)")
    for column in spec.columns:
        values = [_value(row, _path(column)) for row in rows]
        reachable = [value for value in values if value is not _PARENT_NULL]
        absent = sum(value is _ABSENT for value in reachable)
        source = column.source.removeprefix("$.")
        if reachable and absent == len(reachable):
            finding.flag(Status.MISMATCH, f"field {source!r} absent from all {absent} rows ({column.name} NULL)")
            continue
        if absent:
            finding.flag(Status.WARNING, f"field {source!r} absent from {absent} of {len(reachable)} rows")
        present = [None if value is _PARENT_NULL else value for value in values if value is not _ABSENT]
        if len(rows) > 1 and all(value is None for value in present) and not _nullable(column):
            finding.flag(Status.WARNING, f"field {source!r} null in all {len(rows)} rows")
        problems: dict[tuple[Status, str], int] = {}
        for value in present:
            problem = _type_problem(column, value)
            if problem is not None:
                problems[problem] = problems.get(problem, 0) + 1
        for (status, what), count in problems.items():
            finding.flag(status, f"field {source!r}: {what} in {count} of {len(rows)} rows")


def compare_export(finding: Finding, body: bytes, lang: str) -> None:
    """The CSV export: a header it knows, in the language asked for, and rows the parser takes."""
    header_line = body.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r\ufeff")
    headers = [header.strip('"') for header in header_line.split(",")]
    known = contract.export_header_to_column()
    unknown = [header for header in headers if header not in known]
    if unknown:
        finding.flag(Status.MISMATCH, f"CSV headers it does not know (wording or language): {unknown}")
    else:
        languages = [name for name in contract.EXPORT_LANGUAGES if set(headers) <= set(contract.export_headers(name))]
        if lang not in languages:
            finding.flag(Status.WARNING, f"asked for lang={lang}, the headers are in {languages or 'mixed languages'}")
        missing = [name for name in contract.export_headers(lang) if name not in headers]
        if missing and lang in languages:
            finding.flag(Status.WARNING, f"CSV columns absent (loaded as NULL): {missing}")
    try:
        finding.measured["rows"] = len(parse_export(body))
    except ExportFormatError as error:
        finding.flag(Status.MISMATCH, f"the export does not parse: {error}")
