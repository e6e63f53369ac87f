"""Landing responses on disk and loading them into DuckDB, one window per transaction.

Every response is first written, zstd-compressed and exactly as received, under the landing
directory (by bot, table and window), so that a table can be rebuilt without calling the API again.
DuckDB then reads the landed file with its own JSON reader (or Arrow batches, for the CSV export),
stages the typed rows, checks that every row falls inside the window it was asked for, and replaces
the window's rows in one transaction: a failure anywhere leaves the previous rows as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from live_assets.client import LANDING_SUFFIX, compressed_file_problem, compressed_reader, compressed_writer
from live_assets.client.export_csv import iter_export_batches
from live_assets.client.windows import Window
from live_assets.raw import statements
from live_assets.raw.changes import DayChanges, count_changes, keep_previous
from live_assets.raw.endpoints import BodyShape, EndpointSpec, Partitioning
from live_assets.warehouse import Warehouse, WarehouseBusyError

_used = statements.used_parameters


class RawLoadError(RuntimeError):
    """A landed response could not be loaded; the table was left as it was."""


@dataclass(frozen=True)
class Landed:
    """One response (or, for conversation details, one day of them) kept on disk."""

    spec: EndpointSpec
    path: Path
    window: Window | None
    bytes_received: int
    requests: int


@dataclass(frozen=True)
class Loaded:
    landed: Landed
    rows: int
    changes: tuple[DayChanges, ...] = ()  # per day, against the rows the load replaced


def _file_stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def landing_path(landing_dir: Path, bot: str, spec: EndpointSpec, window: Window | None, stamp: str = "") -> Path:
    """``<dir>/<bot>/<table>/<from>__<to>[.<stamp>].<ext>.zst``: one file per endpoint and window."""
    extension = spec.body.file_extension
    name = f"{_file_stamp(window.start)}__{_file_stamp(window.end)}" if window else "all"
    if stamp:
        name = f"{name}.{stamp}"
    return landing_dir / bot / spec.table / f"{name}.{extension}{LANDING_SUFFIX}"


# A partial landing file (a body still streaming, ``.<name>.<pid>.<thread>.part``, or a file being
# compressed, ``.landing-*.tmp``) untouched for this long belongs to a writer that died (SIGKILL, OOM,
# a lost machine): no request or write stays silent for an hour (the client's timeouts are seconds).
# Age rather than "is the pid alive": the landing folder may be a volume shared by containers.
STALE_PARTIAL_SECONDS = 3600.0


def sweep_partials(directory: Path, *, now: float | None = None) -> list[Path]:
    """Delete the partial files of dead writers in one landing folder; the paths removed.

    Called when a step starts landing into ``directory``, so that killed runs do not leave their
    half-written bodies behind for good; whole landing files are never touched.
    """
    if not directory.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - STALE_PARTIAL_SECONDS
    removed = []
    for path in directory.iterdir():
        name = path.name
        partial = name.startswith(".") and (
            name.endswith(".part") or (name.startswith(".landing-") and name.endswith(".tmp"))
        )
        if not partial:
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    return removed


def write_landing(path: Path, chunks: Iterable[bytes] | bytes) -> None:
    """Write compressed bytes atomically: a reader never sees half a file, a crash leaves none.

    ``chunks`` may be a generator that fetches as it goes: the file is written as they come.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".landing-", suffix=".tmp")
    os.close(descriptor)  # mkstemp only reserves the name; Arrow opens the file itself
    try:
        with compressed_writer(Path(temporary)) as out:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                out.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_table(warehouse: Warehouse, spec: EndpointSpec) -> None:
    with warehouse.transaction() as connection:
        _ensure_table(connection, spec)


def _ensure_table(connection: duckdb.DuckDBPyConnection, spec: EndpointSpec) -> None:
    """Create the table, or add the columns a newer registry entry introduced, if any is missing.

    One catalog query instead of the ~50 DDL statements of ``create_table`` on every load: they cost
    more than the delete of a window.
    """
    present = {name for (name,) in connection.execute(statements.table_columns(spec)).fetchall()}
    wanted = {column.name for column in spec.columns} | {name for name, _, _ in statements.metadata_columns(spec)}
    if not wanted <= present:
        for statement in statements.create_table(spec):
            connection.execute(statement)


def load_landed(warehouse: Warehouse, landed: Landed, *, bot: str, loaded_at: dt.datetime) -> Loaded:
    """Replace the rows of ``landed``'s window (or conversations) with the rows of its file.

    A JSON array whose keys are all known is inserted as it is read (:func:`_load_directly`); any other
    file, or one the direct load refuses, is staged first, checked, then inserted (:func:`_load_staged`).
    """
    spec = landed.spec
    window = landed.window
    parameters: dict[str, object] = {"bot": bot, "loaded_at": loaded_at}
    if window is not None:
        parameters |= {"first_day": window.first_day, "last_day": window.last_day}
    where = f"{spec.table} {window or ''} ({landed.path.name})".strip()
    try:
        problem = compressed_file_problem(landed.path)
        if problem is not None:  # before DuckDB, which reads a zstd file cut short as a shorter one
            raise RawLoadError(f"could not load {where}: the landing file is {problem}")
        loaded = _load_directly(warehouse, landed, parameters) if statements.reads_directly(spec) else None
        if loaded is None:
            loaded = _load_staged(warehouse, landed, parameters, where)
    except (RawLoadError, WarehouseBusyError):  # a file held or a lake contended: the landed file is fine
        raise
    except Exception as error:  # DuckDB parse/cast errors, the CSV parser's ExportFormatError
        raise RawLoadError(f"could not load {where}: {error}") from error
    rows, changes = loaded
    return Loaded(landed, rows, changes)


class _UnknownKeys(Exception):
    """The file has fields the registry does not read: its rows need ``_extra``, so the staging path."""


# Tables whose last file in this process had unknown keys: an API that grew a field sends it in every
# window, so their next file is checked before, not while, the direct insert runs (a wasted insert cost
# ~40 % of the staging load).
_tables_with_extras: set[str] = set()


# Past this landed (compressed) size the key check runs before the insert rather than beside it: each
# reads the whole body, and side by side their buffers add up. A 7-day window at 3,000 conversations
# a day is ~1.6 MB of zstd; a day of 100,000 conversations (125 MB of JSON) ~11 MB, whose concurrent
# check added ~60 MiB to the step's peak (live_assets_tests/test_memory.py).
CONCURRENT_KEY_CHECK_MAX_BYTES = 4_000_000


_Replaced = tuple[int, tuple[DayChanges, ...]]  # the rows loaded, and what changed against those replaced


def _load_directly(warehouse: Warehouse, landed: Landed, parameters: dict[str, object]) -> _Replaced | None:
    """Delete the window and insert the file's rows in one statement; the rows, or None if refused.

    The check for unknown keys parses the file once more; it runs in its own in-memory DuckDB on a
    second thread while the insert runs, and a file that has some rolls the insert back. So does any
    error of the insert (a bad value, a row outside the window, a truncated body): the staging path
    then loads the file, or says exactly what is wrong with it.
    """
    spec = landed.spec
    checked = False
    if spec.table in _tables_with_extras or landed.path.stat().st_size > CONCURRENT_KEY_CHECK_MAX_BYTES:
        try:
            if file_has_unknown_keys(spec, landed.path, memory_limit=warehouse.memory_limit):
                return None
        except duckdb.Error:
            return None
        _tables_with_extras.discard(spec.table)
        checked = True
    insert = statements.insert_direct(spec)
    delete = statements.delete_scope(spec)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-keys") as pool:
        unknown = pool.submit(
            lambda: not checked and file_has_unknown_keys(spec, landed.path, memory_limit=warehouse.memory_limit)
        )

        def replace_window(connection: duckdb.DuckDBPyConnection) -> _Replaced:
            _ensure_table(connection, spec)
            had_rows = keep_previous(connection, spec, parameters)
            connection.execute(delete, _used(delete, parameters))
            inserted = connection.execute(insert, _used(insert, parameters | {"path": str(landed.path)}))
            (rows,) = inserted.fetchone() or (0,)
            if unknown.result():
                _tables_with_extras.add(spec.table)
                raise _UnknownKeys(landed.path.name)
            return int(rows), count_changes(connection, spec, parameters, had_rows=had_rows)

        try:
            return warehouse.atomically(replace_window, what=f"the load of {landed.path.name}")
        except (duckdb.Error, _UnknownKeys):
            return None


def file_has_unknown_keys(spec: EndpointSpec, path: Path, *, memory_limit: str | None = None) -> bool:
    """Whether any row of the landed JSON array at ``path`` has a key ``_extra`` would have to keep.

    ``memory_limit`` (the warehouse's, ``LIVE_DUCKDB_MEMORY_LIMIT``) caps the key reader too: it reads
    the whole file alongside the insert, and a 100 MB response otherwise doubled the step's peak. A file
    too big for the cap raises ``duckdb.Error``, and the caller loads it by the staging path.
    """
    with _key_reader(memory_limit) as connection:
        texts = connection.execute(statements.distinct_keys(spec), {"path": str(path)}).fetchall()
    return any(statements.has_unknown_keys(spec, json.loads(text)) for (text,) in texts)


_key_database: duckdb.DuckDBPyConnection | None = None
_key_database_lock = threading.Lock()


@contextlib.contextmanager
def _key_reader(memory_limit: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this process's in-memory DuckDB, which reads landed files for their keys.

    Kept for the process: a new in-memory database costs more than the check itself (~12 ms, and its
    first queries are slower). It holds no data, and one thread each, so it never competes with the
    warehouse for memory or cores.
    """
    global _key_database
    with _key_database_lock:
        if _key_database is None:
            _key_database = duckdb.connect(config={"threads": 1})
        cursor = _key_database.cursor()
    if memory_limit:
        cursor.execute("SET memory_limit = $limit", {"limit": memory_limit})
    try:
        yield cursor
    finally:
        cursor.close()


def _load_staged(warehouse: Warehouse, landed: Landed, parameters: dict[str, object], where: str) -> _Replaced:
    """Stage the typed rows (``_extra`` included), check them against the window, replace the window."""
    spec = landed.spec

    def replace_window(connection: duckdb.DuckDBPyConnection) -> _Replaced:
        _ensure_table(connection, spec)
        if spec.body is BodyShape.CSV_EXPORT:
            _stage_csv(connection, spec, landed.path, parameters)
        else:
            stage = statements.stage_json(spec)
            connection.execute(stage, _used(stage, parameters | {"path": str(landed.path)}))
        rows = _check_stage(connection, spec, parameters, where)
        had_rows = keep_previous(connection, spec, parameters)
        delete = statements.delete_scope(spec)
        connection.execute(delete, _used(delete, parameters))
        connection.execute(statements.insert_stage(spec))
        changes = count_changes(connection, spec, parameters, had_rows=had_rows)
        connection.execute("DROP TABLE stage")
        return rows, changes

    return warehouse.atomically(replace_window, what=f"the load of {landed.path.name}")


def _stage_csv(
    connection: duckdb.DuckDBPyConnection, spec: EndpointSpec, path: Path, parameters: dict[str, object]
) -> None:
    connection.execute(statements.create_empty_stage(spec))
    insert = statements.stage_csv_batch(spec)
    with compressed_reader(path) as stream:
        for batch in iter_export_batches(stream):
            connection.register("batch", batch)
            connection.execute(insert, _used(insert, parameters))
            connection.unregister("batch")


def _check_stage(
    connection: duckdb.DuckDBPyConnection, spec: EndpointSpec, parameters: dict[str, object], where: str
) -> int:
    """Refuse rows without a partition day or outside the requested window; return the row count."""
    if spec.partitioning is Partitioning.NONE or spec.children_of is not None:  # no window to check
        (count,) = connection.execute("SELECT count(*) FROM stage").fetchone() or (0,)
        return int(count)
    without_day, outside, first, last, count = connection.execute(
        statements.STAGE_OUTSIDE_WINDOW, _used(statements.STAGE_OUTSIDE_WINDOW, parameters)
    ).fetchone() or (0, 0, None, None, 0)
    if without_day:
        hint = " (is raw/conversations loaded for these days?)" if spec.upstream else ""
        raise RawLoadError(f"could not load {where}: {without_day} rows have no partition day{hint}")
    if outside:
        raise RawLoadError(
            f"could not load {where}: {outside} rows fall outside the requested window (days {first}..{last})"
        )
    return int(count)
