"""The raw-table SQL generated from the registry, run against a real in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from live_assets.client import LANDING_SUFFIX, compressed_writer
from live_assets.raw import statements
from live_assets.raw.endpoints import ENDPOINTS, ENDPOINTS_BY_TABLE, BodyShape, Partitioning


def _land(path: Path, document: object, *, ensure_ascii: bool = False) -> Path:
    """Land ``document`` at ``path`` plus the landing suffix, compressed as the client lands a body."""
    path = path.with_name(path.name + LANDING_SUFFIX)
    with compressed_writer(path) as out:
        out.write(json.dumps(document, ensure_ascii=ensure_ascii).encode())
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
    path = _land(tmp_path / "c.json", document)
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
        tmp_path / "h.json",
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
        tmp_path / "f.json",
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
        tmp_path / "a.json",
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
    path = _land(tmp_path / "d.json", [detail])
    sql = statements.stage_json(spec)
    connection.execute(sql, _params(sql, path=str(path), bot="b1", loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute(
        "SELECT conversation_id, message_id, agent_id, _partition_day FROM stage ORDER BY 2"
    ).fetchall() == [(9, 1, None, dt.date(2025, 12, 1)), (9, 2, 4, dt.date(2025, 12, 1))]


# --- the direct load: read_json with the registry's types, straight into the table ------------------------------


def test_read_json_columns_follow_the_registry():
    columns = statements.read_json_columns(ENDPOINTS_BY_TABLE["conversations"])
    assert list(columns)[:4] == ["conversation_id", "bot_id", "queueddatetime", "startdatetime"]
    assert columns["conversation_id"] == "BIGINT"
    assert columns["queueddatetime"] == "VARCHAR"  # parsed with the contract's format, as the staging path does
    assert columns["group"] == 'STRUCT("id" BIGINT, "name" VARCHAR, "description" VARCHAR)'
    assert columns["user"].endswith('"created_at" VARCHAR, "extra_information" JSON)')
    assert statements.read_json_columns(ENDPOINTS_BY_TABLE["histogram"]) == {
        "period": "VARCHAR",
        "total": "INTEGER",
        "closed": "INTEGER",
        "lost": "INTEGER",
        "transfers": "INTEGER",
        "active_agents": "INTEGER",
    }


def test_known_keys_are_the_fields_read_per_object():
    keys = statements.known_keys(ENDPOINTS_BY_TABLE["conversations"])
    assert next(iter(keys)) == "$"
    assert {"conversation_id", "group", "user", "browser"} <= keys["$"] and "id" not in keys["$"]
    assert keys["$.group"] == {"id", "name", "description"}
    assert "extra_information" in keys["$.user"]  # a JSON column is read whole: its own keys are not checked
    assert statements.known_keys(ENDPOINTS_BY_TABLE["agents"]) == {
        "$": {"id", "name", "nick_name", "email", "max_concurrent_chats"}
    }


def test_has_unknown_keys_compares_each_path_with_its_own_known_keys():
    spec = ENDPOINTS_BY_TABLE["sla_by_group"]
    assert list(statements.known_keys(spec)) == ["$", "$.group"]
    top = ["group", "sla_threshold", "total", "attended", "lost", "within_sla", "out_of_sla", "sla_percentage"]
    assert not statements.has_unknown_keys(spec, [top, ["id", "name"]])
    assert not statements.has_unknown_keys(spec, [top[1:], None])  # fields missing, or a missing object: fine
    assert not statements.has_unknown_keys(spec, [top, []])  # a null object has no keys
    assert statements.has_unknown_keys(spec, [[*top, "colour"], ["id", "name"]])
    assert statements.has_unknown_keys(spec, [top, ["id", "name", "colour"]])
    assert statements.has_unknown_keys(spec, [[*top, "id"], ["id"]])  # known inside ``group`` is not known on top


def test_only_arrays_with_a_day_of_their_own_are_loaded_directly():
    direct = {spec.table for spec in ENDPOINTS if statements.reads_directly(spec)}
    assert direct == {
        "conversations",
        "conversations_today",
        "sla_by_group",
        "histogram",
        "summary",
        "summary_weekly",
        "agent_performance",
        "agents",
        "groups",
    }


def _conversation(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "conversation_id": 9557000001,
        "bot_id": 101,
        "queueddatetime": "2025-12-01 00:03:12",
        "startdatetime": "2025-12-01 00:03:53",
        "enddatetime": "2025-12-01 00:16:30",
        "wait_time": 41,
        "session_time": 757,
        "first_response_time": 51,
        "status": "closed",
        "transfers": 0,
        "group": {"id": 3, "name": "Soporte técnico", "description": 'Incidencias y "errores"\nde la app'},
        "protocol": {"id": 1, "name": "webchat"},
        "user": {
            "id": 6202,  # a number where the registry reads text
            "first_name": "Ana",
            "last_name": "Ibáñez",
            "phone": "+55 11 94077-4994",
            "created_at": "2021-05-02 20:41:00",
            "extra_information": {"plan": "empresa", "etiquetas": ["nuevo, sin verificar", "vip"], "n": {"x": 1.5}},
        },
        "agent": {"id": 1003, "name": "María", "nick_name": "María 🌻", "email": "m@example.com", "picture": None},
        "reason": {"id": 2, "description": "Derivado"},
        "feedback": {"id": 9557000001, "name": "Muy satisfecho", "value": 5},
        "closed_by": {"id": 2, "name": "user"},
        "location": {"id": 7, "city": "Bogotá", "country": "Colombia", "ip": "198.51.100.200"},
        "platform": {"id": 1, "name": "Android", "version": "14"},
        "browser": {"id": 3, "name": "Firefox", "version": "128.0"},
    }
    row.update(changes)
    return row


def _both_ways(connection: duckdb.DuckDBPyConnection, spec, path: Path, last_day: dt.date) -> tuple[list, list]:
    """The table's rows loaded through the staging path, then through the direct insert (bot ``b1``, from
    2025-12-01 to ``last_day``)."""
    values = {
        "bot": "b1",
        "loaded_at": dt.datetime(2025, 12, 8, tzinfo=dt.UTC),
        "first_day": dt.date(2025, 12, 1),
        "last_day": last_day,
    }
    table = spec.qualified_table
    stage = statements.stage_json(spec)
    connection.execute(stage, _params(stage, path=str(path), **values))
    connection.execute(statements.insert_stage(spec))
    order = f"{spec.columns[0].name}::VARCHAR"
    staged = connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    connection.execute(f"DELETE FROM {table}")
    insert = statements.insert_direct(spec)
    connection.execute(insert, _params(insert, path=str(path), **values))
    direct = connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    connection.execute(f"DELETE FROM {table}")
    return staged, direct


def test_the_direct_insert_gives_the_staging_paths_rows(connection, tmp_path: Path):
    spec = ENDPOINTS_BY_TABLE["conversations"]
    agent = {"id": "1004", "name": None, "nick_name": "Pe\u00f1a \\ \u00e9", "email": "", "picture": "x"}
    document = [
        _conversation(),
        _conversation(conversation_id=2, agent=None, reason=None, feedback=None, startdatetime=None, status="lost"),
        _conversation(
            conversation_id=3, agent=agent, wait_time=41.0, transfers="2", queueddatetime="2025-12-07 23:59:59"
        ),
        {k: v for k, v in _conversation(conversation_id=4).items() if k not in ("closed_by", "first_response_time")},
    ]
    path = _land(tmp_path / "c.json", document, ensure_ascii=True)  # escapes, as some APIs send
    staged, direct = _both_ways(connection, spec, path, last_day=dt.date(2025, 12, 7))
    assert len(staged) == 4
    assert direct == staged


@pytest.mark.parametrize("table", ["histogram", "sla_by_group", "agents"])
def test_the_direct_insert_matches_staging_for_other_arrays(connection, tmp_path: Path, table: str):
    spec = ENDPOINTS_BY_TABLE[table]
    rows = {
        "histogram": [{"period": "2025-12-01 00:30:00", "total": 3, "closed": 3, "lost": 0, "transfers": 1}],
        "sla_by_group": [{"group": {"id": 1, "name": "Ventas"}, "sla_threshold": 60, "sla_percentage": None}],
        "agents": [{"id": 1, "name": "Ana", "nick_name": "ana", "email": "a@x", "max_concurrent_chats": 3}],
    }[table]
    path = _land(tmp_path / f"{table}.json", rows)
    staged, direct = _both_ways(connection, spec, path, last_day=dt.date(2025, 12, 1))
    assert len(staged) == 1
    assert direct == staged


@pytest.mark.parametrize("day", ["2025-11-30 23:59:59", "2025-12-08 00:00:00", None])
def test_the_direct_insert_refuses_a_row_outside_its_window(connection, tmp_path: Path, day: str | None):
    spec = ENDPOINTS_BY_TABLE["conversations"]
    path = _land(tmp_path / "c.json", [_conversation(), _conversation(conversation_id=2, queueddatetime=day)])
    insert = statements.insert_direct(spec)
    values = {
        "path": str(path),
        "bot": "b1",
        "loaded_at": dt.datetime.now(dt.UTC),
        "first_day": dt.date(2025, 12, 1),
        "last_day": dt.date(2025, 12, 7),
    }
    with pytest.raises(duckdb.InvalidInputException, match="outside its window"):
        connection.execute(insert, _params(insert, **values))


def _key_lists(connection: duckdb.DuckDBPyConnection, spec, path: Path) -> list[list[list[str] | None]]:
    sql = statements.distinct_keys(spec)
    return [json.loads(text) for (text,) in connection.execute(sql, {"path": str(path)}).fetchall()]


@pytest.mark.parametrize(
    ("changes", "unknown"),
    [
        ({}, False),
        ({"agent": None, "reason": None}, False),
        ({"sentiment": {"score": 0.2}}, True),
        ({"group": {"id": 3, "name": "x", "description": "", "colour": "red"}}, True),
        ({"user": {"id": 1, "extra_information": {"anything": {"goes": 1}}}}, False),  # inside a JSON column
        ({"protocol": {"id": 1, "name": "webchat", "nested": {"id": 1}}}, True),
    ],
)
def test_distinct_keys_find_what_extra_would_keep(connection, tmp_path: Path, changes: dict, unknown: bool):
    spec = ENDPOINTS_BY_TABLE["conversations"]
    path = _land(tmp_path / "c.json", [_conversation(), _conversation(conversation_id=2, **changes)])
    lists = _key_lists(connection, spec, path)
    assert any(statements.has_unknown_keys(spec, keys) for keys in lists) is unknown
    stage = statements.stage_json(spec)
    connection.execute(stage, _params(stage, path=str(path), bot="b", loaded_at=dt.datetime.now(dt.UTC)))
    assert connection.execute("SELECT count(_extra) > 0 FROM stage").fetchone() == (unknown,)
