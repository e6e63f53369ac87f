"""The CSV export parser: three languages, one schema, tricky text intact, bad tables refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_assets import contract
from live_assets.client.errors import LiveResponseError
from live_assets.client.export_csv import (
    EXPORT_SCHEMA,
    ExportFormatError,
    export_column_names,
    iter_export_batches,
    parse_duration,
    parse_export,
    untranslate_status,
)

COLUMNS = [name for name, _ in contract.EXPORT_COLUMNS]
TRICKY_COMMENTS = [
    'Muy bien, gracias "de verdad"',
    "línea uno\nlínea dos\r\nlínea tres",
    "Ótimo atendimento! 😀🎉 ação, coração",
    ",,,",
    '"',
    "",
    "Ñandú — ¿qué tal? «bien»",
    "tab\there; semicolon",
]


def sample_row(index: int, lang: str, comment: str = "ok") -> tuple[list[str], dict[str, Any]]:
    """One CSV row as the vendor writes it in ``lang`` and the record the parser must give back."""
    lost = index % 3 == 0
    record: dict[str, Any] = {
        "conversation_id": 1000 + index,
        "queued_at": dt.datetime(2025, 12, 1, 8, 0, index % 60),
        "started_at": None if lost else dt.datetime(2025, 12, 1, 8, 2, 0),
        "ended_at": dt.datetime(2025, 12, 1, 9, 0, 0),
        "wait_time": 119 + index,
        "session_time": 0 if lost else 26 * 3600 + 61,  # more than a day: hours above 24
        "first_response_time": None if lost else 5,
        "status": "lost" if lost else "closed",
        "transfers": index % 2,
        "group": "Soporte técnico",
        "protocol": "whatsapp",
        "agent": None if lost else "Joana Ñ",
        "agent_email": None if lost else "joana@example.com",
        "user_name": "Zoë 🚀",
        "closed_by": "system" if lost else "agent",
        "close_reason": None,
        "feedback": None if lost else 1 + index % 5,
        "comment": comment or None,
        "city": "São Paulo",
        "country": "BR",
    }

    def cell(name: str) -> str:
        value = record[name]
        if value is None:
            return ""
        if name in contract.EXPORT_DURATION_COLUMNS:
            return f"{value // 3600:02d}:{value % 3600 // 60:02d}:{value % 60:02d}"
        if name == "status":
            return contract.EXPORT_STATUS_LABELS[lang][value]
        if isinstance(value, dt.datetime):
            return contract.format_datetime(value)
        return str(value)

    return [cell(name) for name in COLUMNS], record


def export_body(lang: str, rows: list[list[str]], header: list[str] | None = None) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as docs/api-contract.md §7 says
    writer.writerow(header if header is not None else contract.export_headers(lang))
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("lang", contract.EXPORT_LANGUAGES)
def test_every_language_parses_to_the_same_records(lang: str) -> None:
    rows, expected = zip(
        *(sample_row(i, lang, TRICKY_COMMENTS[i % len(TRICKY_COMMENTS)]) for i in range(24)), strict=True
    )
    records = parse_export(export_body(lang, list(rows)))
    assert records == list(expected)


@pytest.mark.parametrize("lang", contract.EXPORT_LANGUAGES)
def test_header_maps_to_snake_case_columns(lang: str) -> None:
    assert export_column_names(contract.export_headers(lang)) == COLUMNS


def test_header_order_may_change_and_missing_columns_become_null() -> None:
    headers = contract.export_headers("pt")
    reordered = [headers[7], headers[0], headers[17]]  # Status, ID, Comment
    body = export_body("pt", [["Encerrada", "7", "Obrigado, até já"]], header=reordered)
    (batch,) = iter_export_batches(body)
    assert batch.schema == EXPORT_SCHEMA
    (record,) = batch.to_pylist()
    assert (record["conversation_id"], record["status"], record["comment"]) == (7, "closed", "Obrigado, até já")
    assert record["queued_at"] is None and record["agent"] is None


def test_unknown_header_is_refused_naming_it_and_the_known_ones() -> None:
    header = contract.export_headers("en")
    header[4] = "Waiting time"
    with pytest.raises(ExportFormatError) as caught:
        list(iter_export_batches(export_body("en", [], header=header)))
    message = str(caught.value)
    assert "'Waiting time'" in message and "column 5" in message
    assert "Wait time" in message and "Tiempo de espera" in message  # the known headers are listed
    assert isinstance(caught.value, LiveResponseError)
    assert not caught.value.is_retryable  # the same request would return the same table


def test_repeated_header_is_refused() -> None:
    header = [*contract.export_headers("es"), "Estado"]
    with pytest.raises(ExportFormatError, match="repeats column 'status'"):
        export_column_names(header)


def test_ragged_row_names_its_physical_line() -> None:
    good, _ = sample_row(1, "es", "dos\nlíneas")  # a record spanning lines 2-3
    short = good[:-2]
    body = export_body("es", [good, short, good])
    with pytest.raises(ExportFormatError, match=r"line 4: ragged row: 18 fields where the header has 20"):
        list(iter_export_batches(body))
    longer = [*good, "extra"]
    with pytest.raises(ExportFormatError, match=r"line 2: ragged row: 21 fields"):
        list(iter_export_batches(export_body("es", [longer])))


def test_truncated_export_inside_a_quoted_comment_is_an_error() -> None:
    row, _ = sample_row(1, "en", 'she said "hi,\nthere"')
    body = export_body("en", [row])
    with pytest.raises(ExportFormatError, match="malformed CSV"):
        list(iter_export_batches(body[: body.index(b"hi,") + 5]))


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("wait_time", "1:2:3", "not a duration"),
        ("session_time", "00:61:00", "not a duration"),
        ("queued_at", "2025-02-30 10:00:00", "not a date"),
        ("ended_at", "01/12/2025 10:00", "not a date"),
        ("transfers", "two", "not a whole number"),
    ],
)
def test_bad_cells_name_line_column_and_value(column: str, value: str, reason: str) -> None:
    rows = [sample_row(i, "es")[0] for i in range(3)]
    rows[2][COLUMNS.index(column)] = value
    with pytest.raises(ExportFormatError) as caught:
        list(iter_export_batches(export_body("es", rows)))
    assert f"line 4, column '{column}': {reason}" in str(caught.value)
    assert repr(value) in str(caught.value)


def test_header_only_export_yields_no_batches_and_empty_body_is_an_error() -> None:
    assert list(iter_export_batches(export_body("es", []))) == []
    with pytest.raises(ExportFormatError, match="no header row"):
        list(iter_export_batches(b""))


def test_batches_are_bounded_and_streamed_from_files() -> None:
    rows, expected = zip(*(sample_row(i, "pt", TRICKY_COMMENTS[i % 8]) for i in range(25)), strict=True)
    body = export_body("pt", list(rows))
    batches = list(iter_export_batches(body, batch_rows=10))
    assert [b.num_rows for b in batches] == [10, 10, 5]
    assert pa.Table.from_batches(batches).to_pylist() == list(expected)
    binary = io.BytesIO(body)
    assert sum(b.num_rows for b in iter_export_batches(binary, batch_rows=7)) == 25
    assert not binary.closed  # the caller's file is the caller's to close
    text = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
    assert sum(b.num_rows for b in iter_export_batches(text)) == 25
    lines = body.decode("utf-8").splitlines(keepends=True)
    assert pa.Table.from_batches(list(iter_export_batches(lines))).to_pylist() == list(expected)


def test_utf8_bom_before_the_header_is_ignored() -> None:
    row, record = sample_row(2, "es")
    assert parse_export(b"\xef\xbb\xbf" + export_body("es", [row])) == [record]


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=200))
def test_any_comment_survives_the_round_trip(comment: str) -> None:
    row, record = sample_row(4, "pt", comment)
    (parsed,) = parse_export(export_body("pt", [row]))
    assert parsed["comment"] == (comment or None)
    assert parsed == record


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:00", 0),
        ("00:01:05", 65),
        ("23:59:59", 86_399),
        ("24:00:00", 86_400),
        ("100:00:01", 360_001),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["1:2:3", "00:60:00", "00:00:60", "-1:00:00", "10:00", "aa:bb:cc", "١٢:00:00"])
def test_parse_duration_refuses_non_durations(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM:SS"):
        parse_duration(text)


@given(st.integers(0, 10_000 * 3600))
def test_parse_duration_round_trips(seconds: int) -> None:
    assert parse_duration(f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}") == seconds


def test_untranslate_status_in_every_language() -> None:
    for labels in contract.EXPORT_STATUS_LABELS.values():
        for status, label in labels.items():
            assert untranslate_status(label) == status
            assert untranslate_status(label.upper()) == status
    assert untranslate_status("Escalada") == "Escalada"  # a status nobody knows yet is kept, not dropped


def test_schema_types() -> None:
    assert EXPORT_SCHEMA.names == COLUMNS
    types = {field.name: field.type for field in EXPORT_SCHEMA}
    assert types["conversation_id"] == pa.int64()
    assert types["queued_at"] == pa.timestamp("s")
    assert all(types[name] == pa.int64() for name in contract.EXPORT_DURATION_COLUMNS)
    assert types["status"] == pa.string() and types["comment"] == pa.string()
    assert types["feedback"] == pa.int64() and types["transfers"] == pa.int64()
