"""``load_landed`` against a real DuckDB file: the direct load, its fallback to staging, and the window check."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_assets.client import LANDING_SUFFIX, compressed_reader
from live_assets.client.windows import Window
from live_assets.raw import loading
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE
from live_assets.raw.loading import Landed, RawLoadError, landing_path, load_landed, write_landing
from live_assets.warehouse import Warehouse

SPEC = ENDPOINTS_BY_TABLE["conversations"]
WINDOW = Window.for_days(dt.date(2025, 12, 1), dt.date(2025, 12, 7))
LOADED_AT = dt.datetime(2025, 12, 8, tzinfo=dt.UTC)


def _row(conversation_id: int, queued: str | None = "2025-12-01 10:00:00", **extra: object) -> dict[str, object]:
    return {
        "conversation_id": conversation_id,
        "bot_id": 1,
        "queueddatetime": queued,
        "enddatetime": "2025-12-01 10:05:00",
        "status": "closed",
        "group": {"id": 3, "name": "Ventas", "description": ""},
        "agent": None,
    } | extra


def _landed(tmp_path: Path, rows: list[dict[str, object]] | bytes) -> Landed:
    body = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
    path = landing_path(tmp_path / "landing", "b1", SPEC, WINDOW)
    write_landing(path, body)
    return Landed(SPEC, path, WINDOW, len(body), 1)


def _rows(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(
        "SELECT conversation_id, group_name, _partition_day, _bot, _extra::VARCHAR FROM raw.conversations ORDER BY 1"
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    loading._tables_with_extras.clear()
    yield Warehouse(tmp_path / "live.duckdb")
    loading._tables_with_extras.clear()


def test_a_file_of_known_keys_is_loaded_directly(warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def no_staging(*args: object) -> int:
        raise AssertionError("staged")

    monkeypatch.setattr(loading, "_load_staged", no_staging)
    loaded = load_landed(
        warehouse, _landed(tmp_path, [_row(1), _row(2, "2025-12-07 23:59:59")]), bot="b1", loaded_at=LOADED_AT
    )
    assert loaded.rows == 2
    assert _rows(warehouse) == [
        (1, "Ventas", dt.date(2025, 12, 1), "b1", None),
        (2, "Ventas", dt.date(2025, 12, 7), "b1", None),
    ]
    # Again, with one row less: the window's rows are replaced, not added to.
    load_landed(warehouse, _landed(tmp_path, [_row(2, "2025-12-07 23:59:59")]), bot="b1", loaded_at=LOADED_AT)
    assert [row[0] for row in _rows(warehouse)] == [2]


def test_unknown_keys_take_the_staging_path_and_are_kept(warehouse: Warehouse, tmp_path: Path):
    rows = [
        _row(1),
        _row(2, sentiment={"score": 0.2}, group={"id": 3, "name": "Ventas", "description": "", "colour": "red"}),
    ]
    assert load_landed(warehouse, _landed(tmp_path, rows), bot="b1", loaded_at=LOADED_AT).rows == 2
    extras = [json.loads(row[4]) if row[4] else None for row in _rows(warehouse)]
    assert extras == [None, {"sentiment": {"score": 0.2}, "group.colour": "red"}]


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([_row(7, "2025-12-08 00:00:00")], "1 rows fall outside the requested window (days 2025-12-08..2025-12-08)"),
        ([_row(7, None)], "1 rows have no partition day"),
        (b'[{"conversation_id": 7, "queueddatetime": "2025-12-0', "could not load"),
        ([_row(7, wait_time="soon")], "could not load"),
    ],
)
def test_a_bad_file_fails_naming_the_window_and_keeps_the_previous_rows(
    warehouse: Warehouse, tmp_path: Path, rows: list[dict[str, object]] | bytes, says: str
):
    load_landed(warehouse, _landed(tmp_path, [_row(1)]), bot="b1", loaded_at=LOADED_AT)
    before = _rows(warehouse)
    with pytest.raises(RawLoadError) as raised:
        load_landed(warehouse, _landed(tmp_path, rows), bot="b1", loaded_at=LOADED_AT)
    assert says in str(raised.value) and "conversations" in str(raised.value) and str(WINDOW) in str(raised.value)
    assert _rows(warehouse) == before


@pytest.mark.parametrize("damage", ["cut short", "not zstd"])
def test_a_landing_file_damaged_on_disk_fails_naming_the_window(warehouse: Warehouse, tmp_path: Path, damage: str):
    load_landed(warehouse, _landed(tmp_path, [_row(1)]), bot="b1", loaded_at=LOADED_AT)
    before = _rows(warehouse)
    landed = _landed(tmp_path, [_row(n) for n in range(1, 200)])
    compressed = landed.path.read_bytes()
    landed.path.write_bytes(compressed[: len(compressed) // 2] if damage == "cut short" else b"[" + compressed)
    with pytest.raises(RawLoadError) as raised:
        load_landed(warehouse, landed, bot="b1", loaded_at=LOADED_AT)
    message = str(raised.value)
    assert "could not load conversations" in message and str(WINDOW) in message
    assert ("cut short" if damage == "cut short" else "not zstd") in message
    assert _rows(warehouse) == before


def test_a_newer_registry_column_is_added_to_an_existing_table(warehouse: Warehouse, tmp_path: Path):
    with warehouse.transaction() as connection:
        connection.execute("CREATE SCHEMA raw")
        connection.execute("CREATE TABLE raw.conversations (conversation_id BIGINT)")
    load_landed(warehouse, _landed(tmp_path, [_row(1)]), bot="b1", loaded_at=LOADED_AT)
    assert _rows(warehouse) == [(1, "Ventas", dt.date(2025, 12, 1), "b1", None)]


def test_after_a_file_with_unknown_keys_the_next_is_checked_before_any_insert(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with_extra = [_row(1, sentiment="ok")]
    load_landed(warehouse, _landed(tmp_path, with_extra), bot="b1", loaded_at=LOADED_AT)
    assert loading._tables_with_extras == {"conversations"}
    inserts: list[str] = []
    direct = loading.statements.insert_direct
    monkeypatch.setattr(loading.statements, "insert_direct", lambda spec: inserts.append(spec.table) or direct(spec))
    load_landed(warehouse, _landed(tmp_path, with_extra), bot="b1", loaded_at=LOADED_AT)
    assert inserts == [] and json.loads(_rows(warehouse)[0][4]) == {"sentiment": "ok"}
    load_landed(warehouse, _landed(tmp_path, [_row(1)]), bot="b1", loaded_at=LOADED_AT)  # the API dropped it again
    assert inserts == ["conversations"] and _rows(warehouse)[0][4] is None
    assert loading._tables_with_extras == set()


def test_a_body_lands_zstd_compressed_as_its_chunks_come_and_a_failed_one_leaves_nothing(tmp_path: Path):
    path = landing_path(tmp_path / "landing", "b1", SPEC, WINDOW)
    assert path.name.endswith(f".json{LANDING_SUFFIX}")
    body = json.dumps([_row(1), _row(2)]).encode()
    write_landing(path, (body[start : start + 7] for start in range(0, len(body), 7)))
    assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame (RFC 8878), which DuckDB reads as such
    with compressed_reader(path) as stream:
        assert stream.read() == body

    def cut_short() -> Iterator[bytes]:
        yield b"["
        raise ConnectionError("the API went away")

    with pytest.raises(ConnectionError):
        write_landing(path.with_name(f"other.json{LANDING_SUFFIX}"), cut_short())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file, no temporary one
