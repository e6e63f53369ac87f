"""The raw-table SQL generated from the registry, run against a real in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import duckdb
import pytest

from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE, BodyShape, Partitioning


def _land(path: Path, document: object) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False)
    return path


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for spec in ENDPOINTS:
        for statement in statements.create_table(spec):
            connection.execute(statement)
    return connection


def test_every_registry_entry_has_a_table_with_its_columns_and_metadata(connection: duckdb.DuckDBPyConnection):
    for spec in ENDPOINTS:
        columns = [row[0] for row in connection.execute(f"DESCRIBE {spec.qualified_table}").fetchall()]
        expected = [c.name for c in spec.columns] + [name for name, _, _ in statements.metadata_columns(spec)]
        assert columns == expected, spec.table
        has_day = statements.DAY_COLUMN in columns
        assert has_day == (spec.partitioning is not Partitioning.NONE)


def test_create_table_is_repeatable(connection: duckdb.DuckDBPyConnection):
    for statement in statements.create_table(ENDPOINTS_BY_TABLE["conversations"]):
        connection.execute(statement)


def _params(sql: str, **values: object) -> dict[str, object]:
    return {name: value for name, value in values.items() if f"${name}" in sql}


def test_conversation_rows_are_typed_and_unknown_fields_kept(connection, tmp_path: Path):
    spec = ENDPOINTS_BY_TABLE["conversations"]
    document = [
        {
            "conversation_id": 7,
            "bot_id": 1,
            "queueddatetime": "2025-12-01 23:59:59",
            "startdatetime": None,
            "enddatetime": "2025-12-02 00:03:00",
            "wait_time": 181,
            "session_time": 0,
            "status": "lost",
            "transfers": 0,
            "group": {"id": 3, "name": "Soporte técnico", "description": "", "colour": "red"},
            "agent": None,
            "sentiment": {"score": 0.2},
        }
    ]
    path = _land(tmp_path / "c.json.gz", document)
    sql = statements.stage_json(spec)
    connection.execute(
        sql,
        _params(sql, path=str(path), bot="b1", loaded_at=dt.datetime(2025, 12, 3, tzinfo=dt.UTC)),
    )
    row = connection.execute(
        "SELECT conversation_id, queued_at, started_at, first_response_time, group_name, agent_id, "
        "_partition_day, _bot, _extra FROM stage"
    ).fetchone()
    assert row[:8] == (
        7,
        dt.datetime(2025, 12, 1, 23, 59, 59),
        None,
        None,
        "Soporte técnico",
        None,
        dt.date(2025, 12, 1),
        "b1",
    )
    assert json.loads(row[8]) == {"sentiment": {"score": 0.2}, "group.colour": "red"}


def test_rows_without_unknown_fields_have_no_extra(connection, tmp_path: Path):
    spec = ENDPOINTS_BY_TABLE["histogram"]
    path = _land(
        tmp_path / "h.json.gz",
        [{"period": "2025-12-01 00:30:00", "total": 3, "closed": 3, "lost": 0, "transfers": 1, "active_agents": 2}],
    )
    sql = statements.stage_json(spec)
    connection.execute(sql, _params(sql, path=str(path), bot="b1", loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute("SELECT total, _extra, _partition_day FROM stage").fetchone() == (
        3,
        None,
        dt.date(2025, 12, 1),
    )


def test_feedback_items_take_the_day_of_their_conversation(connection, tmp_path: Path):
    connection.execute(
        "INSERT INTO raw.conversations (conversation_id, _bot, _partition_day) VALUES (7, 'b1', DATE '2025-12-01')"
    )
    spec = ENDPOINTS_BY_TABLE["feedback"]
    path = _land(
        tmp_path / "f.json.gz",
        {
            "surveys": 1,
            "items": [
                {
                    "conversation_id": 7,
                    "agent_id": 2,
                    "value": 5,
                    "comment": '¡Gracias, "genial"!\n😀',
                    "created_at": "2025-12-02 00:00:05",
                }
            ],
        },
    )
    sql = statements.stage_json(spec)
    connection.execute(sql, _params(sql, path=str(path), bot="b1", loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute("SELECT _partition_day, comment FROM stage").fetchone() == (
        dt.date(2025, 12, 1),
        '¡Gracias, "genial"!\n😀',
    )


def test_bot_name_is_a_parameter_not_sql(connection, tmp_path: Path):
    spec = ENDPOINTS_BY_TABLE["agents"]
    path = _land(
        tmp_path / "a.json.gz",
        [{"id": 1, "name": "Ana", "nick_name": "ana", "email": "a@x", "max_concurrent_chats": 3}],
    )
    hostile = "x'); DROP TABLE raw.agents; --"
    sql = statements.stage_json(spec)
    connection.execute(sql, _params(sql, path=str(path), bot=hostile, loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute("SELECT _bot FROM stage").fetchone() == (hostile,)
    assert hostile not in sql


def test_detail_messages_carry_their_conversation_id(connection, tmp_path: Path):
    spec = next(s for s in ENDPOINTS if s.body is BodyShape.DETAIL_MESSAGES)
    connection.execute(
        "INSERT INTO raw.conversations (conversation_id, _bot, _partition_day) VALUES (9, 'b1', DATE '2025-12-01')"
    )
    detail = {
        "conversation_id": 9,
        "messages": [
            {"id": 1, "sender": "user", "agent_id": None, "text": "hola", "created_at": "2025-12-01 10:00:00"},
            {"id": 2, "sender": "agent", "agent_id": 4, "text": "¿en qué\nayudo?", "created_at": "2025-12-01 10:00:09"},
        ],
    }
    path = _land(tmp_path / "d.json.gz", [detail])
    sql = statements.stage_json(spec)
    connection.execute(sql, _params(sql, path=str(path), bot="b1", loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute(
        "SELECT conversation_id, message_id, agent_id, _partition_day FROM stage ORDER BY 2"
    ).fetchall() == [(9, 1, None, dt.date(2025, 12, 1)), (9, 2, 4, dt.date(2025, 12, 1))]
