"""The CSV export (docs/api-contract.md §7), parsed into Arrow batches with one schema whatever the language.

Headers and status labels come translated (``es``, ``en``, ``pt``); durations come as ``HH:MM:SS``
and empty cells mean null. The parser maps each header to its snake_case column through the
contract's table and refuses any header it does not know: a renamed column must stop the load, not
shift every value one column to the left.

Rows are read with the ``csv`` module, in batches, so a 100 MB export costs one batch of memory;
each batch is converted column-wise with Arrow compute kernels, so the per-cell work is in C.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from live_assets import contract
from live_assets.client.errors import LiveResponseError

# A batch's rows are Python strings until Arrow converts them (~1 KB a row all told): 10,000 rows keep a
# 100 MB export's load near 200 MB of memory, where 50,000 took 300 MB, and convert no slower.
DEFAULT_BATCH_ROWS: Final = 10_000
_INTEGER_COLUMNS: Final = frozenset({"conversation_id", "transfers", "feedback"})
_TIMESTAMP_COLUMNS: Final = frozenset({"queued_at", "started_at", "ended_at"})
_DURATION_COLUMNS: Final = frozenset(contract.EXPORT_DURATION_COLUMNS)
_DURATION_PATTERN: Final = r"^[0-9]+:[0-5][0-9]:[0-5][0-9]$"
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


def _column_type(name: str) -> pa.DataType:
    if name in _TIMESTAMP_COLUMNS:
        return pa.timestamp("s")
    if name in _INTEGER_COLUMNS or name in _DURATION_COLUMNS:
        return pa.int64()
    return pa.string()


EXPORT_SCHEMA: Final = pa.schema([pa.field(name, _column_type(name)) for name, _ in contract.EXPORT_COLUMNS])
"""Every batch has this schema, in the contract's column order, whatever the language or header order."""


class ExportFormatError(LiveResponseError):
    """The export is not the table the contract describes (unknown header, ragged row, bad cell).

    Not retryable: the same request returns the same body, and loading it would corrupt the table.
    """

    retryable = False


def export_column_names(header: Sequence[str]) -> list[str]:
    """The snake_case column of each header cell, in order; an unknown or repeated header is an error."""
    known = contract.export_header_to_column()
    names: list[str] = []
    for position, cell in enumerate(header):
        label = cell.lstrip("\ufeff").strip() if position == 0 else cell.strip()
        name = known.get(label)
        if name is None:
            raise ExportFormatError(
                f"unknown export header {label!r} (column {position + 1}); known headers: {', '.join(sorted(known))}"
            )
        if name in names:
            raise ExportFormatError(f"export header {label!r} (column {position + 1}) repeats column {name!r}")
        names.append(name)
    return names


def parse_duration(text: str) -> int | None:
    """``HH:MM:SS`` as seconds; an empty cell is ``None``. Hours may exceed 24 (a week-long chat)."""
    text = text.strip()
    if not text:
        return None
    parts = text.split(":")
    if (
        len(parts) != 3
        or not all(part.isascii() and part.isdigit() for part in parts)
        or len(parts[1]) != 2
        or len(parts[2]) != 2
        or int(parts[1]) > 59
        or int(parts[2]) > 59
    ):
        raise ValueError(f"not a duration HH:MM:SS: {text!r}")
    hours, minutes, seconds = (int(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds


def _status_by_label() -> dict[str, str]:
    return {
        label.casefold(): status
        for labels in contract.EXPORT_STATUS_LABELS.values()
        for status, label in labels.items()
    }


_STATUS_BY_LABEL: Final = _status_by_label()


def untranslate_status(label: str) -> str:
    """The API's own status (``closed``/``lost``) for a translated label in any language.

    A label no language knows is kept as it is: a new status the vendor adds is data to keep, and the
    un-translated value still shows plainly in the table.
    """
    return _STATUS_BY_LABEL.get(label.strip().casefold(), label)


def _first_false(ok: pa.Array) -> int:
    """Index of the first ``False`` in ``ok`` (the caller knows there is one)."""
    return next(index for index, good in enumerate(ok.to_pylist()) if not good)


def _convert_column(name: str, values: Sequence[str], lines: _LineIndex) -> pa.Array:
    """One column's strings to its schema type, vectorised; a bad cell names its line and column."""
    strings = pa.array(values, type=pa.string())
    empty = pc.equal(strings, "")
    nulls = pc.if_else(empty, pa.scalar(None, pa.string()), strings)
    kind = _column_type(name)

    def fail(reason: str, ok: pa.Array) -> ExportFormatError:
        index = _first_false(ok)
        return ExportFormatError(f"line {lines[index]}, column {name!r}: {reason}: {values[index]!r}")

    if name == "status":
        encoded = nulls.dictionary_encode()
        labels = [None if label is None else untranslate_status(label) for label in encoded.dictionary.to_pylist()]
        return pc.take(pa.array(labels, type=pa.string()), encoded.indices)
    if name in _DURATION_COLUMNS:
        ok = pc.or_(empty, pc.match_substring_regex(strings, _DURATION_PATTERN))
        if not pc.all(ok).as_py():
            raise fail("not a duration HH:MM:SS", ok)
        parts = pc.split_pattern(nulls, ":")
        hours, minutes, seconds = (pc.cast(pc.list_element(parts, i), pa.int64()) for i in range(3))
        return pc.add(pc.add(pc.multiply(hours, 3600), pc.multiply(minutes, 60)), seconds)
    if kind == pa.int64():
        try:
            return pc.cast(nulls, pa.int64())
        except pa.ArrowInvalid:
            raise fail(
                "not a whole number", pa.array([value == "" or _is_integer(value) for value in values])
            ) from None
    if kind == pa.timestamp("s"):
        parsed = pc.strptime(nulls, format=contract.DATETIME_FORMAT, unit="s", error_is_null=True)
        # Arrow rolls impossible dates over (Feb 30 becomes Mar 2): formatting back must give the cell.
        ok = pc.or_(empty, pc.fill_null(pc.equal(pc.strftime(parsed, format=contract.DATETIME_FORMAT), strings), False))
        if not pc.all(ok).as_py():
            raise fail("not a date yyyy-MM-dd HH:mm:ss", ok)
        return parsed
    return nulls


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


class _LineIndex:
    """The first physical line of each row of a batch, worked out only when an error needs one.

    Counting lines while reading would cost a Python step per row; afterwards it is exact: a record
    takes one line plus one per line break inside its quoted cells (``\r\n``, ``\r`` or ``\n``, the
    breaks a ``newline=""`` text stream splits on).
    """

    def __init__(self, first_line: int, raw_rows: list[list[str]], positions: list[int] | None = None) -> None:
        self._first_line = first_line
        self._raw_rows = raw_rows
        self._positions = positions

    def without_blank_rows(self) -> tuple[_LineIndex, list[list[str]]]:
        positions = [index for index, row in enumerate(self._raw_rows) if row]
        return _LineIndex(self._first_line, self._raw_rows, positions), [self._raw_rows[i] for i in positions]

    def __getitem__(self, index: int) -> int:
        position = self._positions[index] if self._positions is not None else index
        line = self._first_line
        for row in self._raw_rows[:position]:
            line += 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in row)
        return line


def _batch(names: list[str], rows: list[list[str]], lines: _LineIndex) -> pa.RecordBatch:
    columns = dict(zip(names, zip(*rows, strict=False), strict=True))  # widths were checked already
    arrays = []
    for field in EXPORT_SCHEMA:
        values = columns.get(field.name)
        if values is None:  # a column this export lacks: optional, so null rather than refused
            arrays.append(pa.nulls(len(rows), type=field.type))
        else:
            arrays.append(_convert_column(field.name, values, lines))
    return pa.RecordBatch.from_arrays(arrays, schema=EXPORT_SCHEMA)


def iter_export_batches(
    source: bytes | IO[bytes] | pa.NativeFile | IO[str] | Iterable[str],
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream an export as Arrow batches of at most ``batch_rows`` rows, in :data:`EXPORT_SCHEMA`.

    ``source`` is the body (bytes), a file (binary or text), or an iterable of lines that keep their
    line ends. A header-only export yields nothing. Errors name the physical line they were found on.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    wrapper: io.TextIOWrapper | None = None
    lines: Iterable[str]
    if isinstance(source, bytes | bytearray | memoryview):
        lines = io.TextIOWrapper(io.BytesIO(source), encoding="utf-8-sig", newline="")
    elif isinstance(source, io.TextIOBase) or not hasattr(source, "read"):
        lines = source  # type: ignore[assignment]  # a text file, or lines
    else:
        lines = wrapper = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
    try:
        yield from _batches(csv.reader(lines, strict=True), batch_rows)
    finally:
        if wrapper is not None:
            wrapper.detach()  # the caller's binary file stays open: it is theirs to close


def _batches(reader: Any, batch_rows: int) -> Iterator[pa.RecordBatch]:
    try:
        header = next(reader)
    except StopIteration:
        raise ExportFormatError("empty export: no header row") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise ExportFormatError(f"line 1: unreadable header: {error}") from None
    names = export_column_names(header)
    width = len(names)
    while True:
        before = reader.line_num
        problem = None
        try:
            rows = list(itertools.islice(reader, batch_rows))  # the whole batch at C speed
        except csv.Error as error:
            problem = f"line {reader.line_num}: malformed CSV: {error}"
        except UnicodeDecodeError as error:
            problem = f"after line {reader.line_num}: not UTF-8: {error.reason}"
        if problem is not None:
            raise ExportFormatError(problem)
        if not rows:
            return
        lines = _LineIndex(before + 1, rows)
        widths = set(map(len, rows))
        if widths != {width}:
            if 0 in widths:  # blank lines (a trailing one, typically) hold no record
                lines, rows = lines.without_blank_rows()
            ragged = next((index for index, row in enumerate(rows) if len(row) != width), None)
            if ragged is not None:
                raise ExportFormatError(
                    f"line {lines[ragged]}: ragged row: {len(rows[ragged])} fields where the header has {width}"
                )
            if not rows:
                continue
        yield _batch(names, rows, lines)


def parse_export(body: bytes) -> list[dict[str, Any]]:
    """A whole (small) export as records; large ones should stream with :func:`iter_export_batches`."""
    records: list[dict[str, Any]] = []
    for batch in iter_export_batches(body):
        records.extend(batch.to_pylist())
    return records
