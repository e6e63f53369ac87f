"""The KPI assets in real Dagster runs over real DuckDB files, against KPIs computed by hand in Python.

The raw tables are written straight from hand-made conversations (test_kpis_world.py); the KPI SQL
must give, row for row and metric for metric, what the Python definitions of docs/kpis.md give.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from statistics import fmean

import dagster as dg
import pytest

from live_assets.kpis import queries
from live_assets.kpis.assets import KPI_GROUP
from live_assets.kpis.tables import AGENT_DAILY, AGENT_WEEKLY, KPI_TABLES, SLA_DAILY, SLA_WEEKLY
from live_assets.raw.endpoints import ENDPOINTS
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, KPI_CHECKS, RAW_CHECKS, daily_partitions, defs, weekly_partitions
from live_assets_tests.test_kpis_world import (
    BOT,
    DAILY_STAND_INS,
    GROUPS,
    HAND_AVG,
    HAND_INTERVALS,
    HAND_MAX,
    STAND_INS,
    Conversation,
    assert_rows_match,
    day_of,
    expected_agents,
    expected_sla,
    make_day,
    make_days,
    quantile_cont,
    run,
    table_rows,
    week_of,
    write_conversations,
)

MONDAY = dt.date(2025, 3, 3)
SAMPLE_DAY = dt.date(2025, 3, 5)  # a Wednesday
KPI = {asset.key.path[-1]: asset for asset in KPI_ASSETS}
DOCS = Path(__file__).resolve().parents[1] / "docs" / "kpis.md"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "live.duckdb"


def daily_run_assets() -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    """What a production daily run holds: the raw assets and their checks, the daily KPIs and theirs."""
    daily_kpi_checks = [c for c in KPI_CHECKS if next(iter(c.check_keys)).asset_key.path[-1].endswith("daily")]
    return [*DAILY_STAND_INS, *RAW_CHECKS, KPI["sla_daily"], KPI["agent_daily"], *daily_kpi_checks]


def test_sample_day_equals_the_hand_computation(path: Path) -> None:
    conversations = make_days(MONDAY, 5)
    write_conversations(Warehouse(path), conversations)
    # Another bot's rows on the same day must neither leak in nor be touched.
    write_conversations(Warehouse(path), make_day(SAMPLE_DAY, 25, seed=99, first_id=1), bot="other")

    result = run(path, daily_run_assets(), partition_key=SAMPLE_DAY.isoformat())

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 6
    assert all(e.passed for e in evaluations), [(e.check_name, e.description) for e in evaluations if not e.passed]
    day = [c for c in conversations if c.day == SAMPLE_DAY]
    sla = table_rows(Warehouse(path), "sla_daily", SLA_DAILY.key_columns)
    assert_rows_match(sla, expected_sla(day, day_of, by_protocol=True))
    agents = table_rows(Warehouse(path), "agent_daily", AGENT_DAILY.key_columns)
    assert_rows_match(agents, expected_agents(day, day_of))
    # The grain's labels, the bot, the threshold in force.
    for row in sla.values():
        sample = next(c for c in day if (c.group_id, c.protocol_id) == (row["group_id"], row["protocol_id"]))
        assert (row["group_name"], row["protocol"], row["_bot"]) == (sample.group_name, sample.protocol_name, BOT)
        assert row["sla_threshold_s"] == {g[0]: g[3] for g in GROUPS}[row["group_id"]]
    assert {row["agent_name"] for row in agents.values()} == {c.agent_name for c in day if c.attended}
    assert table_rows(Warehouse(path), "sla_daily", SLA_DAILY.key_columns, bot="other") == {}


def test_weekly_rows_are_recomputed_from_the_weeks_conversations(path: Path) -> None:
    conversations = make_days(MONDAY, 14, per_day=30, seed=5)
    write_conversations(Warehouse(path), conversations)
    weekly_assets = [KPI["sla_weekly"], KPI["agent_weekly"]]
    daily_assets = [KPI["sla_daily"], KPI["agent_daily"]]

    # Single-run backfills: both weeks in one run, the fourteen days in another.
    second_monday = MONDAY + dt.timedelta(days=7)
    weekly_checks = [c for c in KPI_CHECKS if "weekly" in next(iter(c.check_keys)).asset_key.path[-1]]
    weekly_run = run(path, [*STAND_INS, *weekly_assets, *weekly_checks], first=MONDAY.isoformat(),
                     last=second_monday.isoformat(), selection=[*weekly_assets, *weekly_checks])  # fmt: skip
    ranges = weekly_run.get_asset_check_evaluations()
    assert sorted((e.asset_key.path[-1], e.partition) for e in ranges if e.passed) == [
        (name, week.isoformat()) for name in ("agent_weekly", "sla_weekly") for week in (MONDAY, second_monday)
    ]
    last_day = MONDAY + dt.timedelta(days=13)
    run(path, [*STAND_INS, *daily_assets], first=MONDAY.isoformat(), last=last_day.isoformat(), selection=daily_assets)

    warehouse = Warehouse(path)
    weekly = table_rows(warehouse, "sla_weekly", SLA_WEEKLY.key_columns)
    assert {key[0] for key in weekly} == {MONDAY, second_monday}
    assert_rows_match(weekly, expected_sla(conversations, week_of, by_protocol=False))
    assert_rows_match(
        table_rows(warehouse, "agent_weekly", AGENT_WEEKLY.key_columns), expected_agents(conversations, week_of)
    )
    assert_rows_match(
        table_rows(warehouse, "sla_daily", SLA_DAILY.key_columns),
        expected_sla(conversations, day_of, by_protocol=True),
    )
    assert_rows_match(
        table_rows(warehouse, "agent_daily", AGENT_DAILY.key_columns), expected_agents(conversations, day_of)
    )
    # The week's p90 is the p90 of the week's waits, which the mean of the daily p90s is not.
    for (week, group), row in weekly.items():
        week_waits = [
            c.wait_time for c in conversations if c.attended and c.group_id == group and week_of(c.day) == week
        ]
        assert row["wait_p90_s"] == pytest.approx(quantile_cont(week_waits, 0.9))
        per_day = [
            quantile_cont(
                [c.wait_time for c in conversations if c.attended and c.group_id == group and c.day == day], 0.9
            )
            for day in (week + dt.timedelta(days=n) for n in range(7))
        ]
        assert row["wait_p90_s"] != pytest.approx(fmean(p for p in per_day if p is not None))


def test_rematerializing_replaces_the_partition(path: Path) -> None:
    warehouse = Warehouse(path)
    conversations = make_days(MONDAY, 3)
    write_conversations(warehouse, conversations)
    assets = [*DAILY_STAND_INS, KPI["sla_daily"], KPI["agent_daily"]]
    keys = dict(first=MONDAY.isoformat(), last=(MONDAY + dt.timedelta(days=2)).isoformat())

    def snapshot(table: str) -> list[tuple]:
        return warehouse.query(f"SELECT * EXCLUDE (_computed_at) FROM kpi.{table} ORDER BY ALL")

    run(path, assets, **keys)
    first = {table: snapshot(table) for table in ("sla_daily", "agent_daily")}
    run(path, assets, **keys)
    run(path, assets, partition_key=SAMPLE_DAY.isoformat())
    assert {table: snapshot(table) for table in first} == first
    assert len(first["sla_daily"]) > 12 and len(first["agent_daily"]) == 3 * 4

    # Rows that are no longer in the raw table disappear from the KPIs: the partition is replaced.
    warehouse.query("DELETE FROM raw.conversations WHERE _partition_day = $day AND group_id = 1", {"day": SAMPLE_DAY})
    run(path, assets, partition_key=SAMPLE_DAY.isoformat())
    remaining = [c for c in conversations if c.day == SAMPLE_DAY and c.group_id != 1]
    assert_rows_match(
        {k: v for k, v in table_rows(warehouse, "sla_daily", SLA_DAILY.key_columns).items() if k[0] == SAMPLE_DAY},
        expected_sla(remaining, day_of, by_protocol=True),
    )
    assert [row for row in snapshot("sla_daily") if row[0] != SAMPLE_DAY] == [
        row for row in first["sla_daily"] if row[0] != SAMPLE_DAY
    ]


def _conversation(n: int, start: dt.datetime, end: dt.datetime, agent_id: int = 11) -> Conversation:
    return Conversation(
        conversation_id=n,
        queued_at=start - dt.timedelta(seconds=20),
        started_at=start,
        ended_at=end,
        wait_time=20,
        session_time=int((end - start).total_seconds()),
        first_response_time=5,
        status="closed",
        transfers=0,
        group_id=1,
        protocol_id=1,
        agent_id=agent_id,
        feedback_value=None,
    )


def test_concurrency_of_hand_made_sessions(path: Path) -> None:
    # HAND_INTERVALS (test_kpis_world.py): max 3 held at once, 70 min of sessions over 50 min busy.
    day = HAND_INTERVALS[0][0].date()
    conversations = [_conversation(n, start, end) for n, (start, end) in enumerate(HAND_INTERVALS, start=1)]
    # Another agent at the same time does not add to agent 11's concurrency.
    conversations.append(_conversation(99, HAND_INTERVALS[0][0], HAND_INTERVALS[0][1], agent_id=12))
    write_conversations(Warehouse(path), conversations)

    run(path, [*DAILY_STAND_INS, KPI["agent_daily"]], partition_key=day.isoformat())

    rows = table_rows(Warehouse(path), "agent_daily", AGENT_DAILY.key_columns)
    assert rows[(day, 11)]["concurrency_max"] == HAND_MAX == 3
    assert rows[(day, 11)]["concurrency_avg"] == pytest.approx(HAND_AVG) == 1.4
    assert rows[(day, 11)]["handled"] == 6
    assert rows[(day, 11)]["handled_hours"] == pytest.approx(70 / 60)
    assert (rows[(day, 12)]["concurrency_max"], rows[(day, 12)]["concurrency_avg"]) == (1, 1.0)


def test_a_session_crossing_midnight_overlaps_the_next_days_in_the_weekly_table(path: Path) -> None:
    late = dt.datetime.combine(MONDAY, dt.time(23, 50))
    conversations = [
        _conversation(1, late, late + dt.timedelta(minutes=20)),  # Monday 23:50 .. Tuesday 00:10
        _conversation(2, late + dt.timedelta(minutes=15), late + dt.timedelta(minutes=25)),  # Tuesday 00:05 ..
    ]
    write_conversations(Warehouse(path), conversations)
    run(path, [*STAND_INS, KPI["agent_weekly"]], partition_key=MONDAY.isoformat(), selection=[KPI["agent_weekly"]])
    row = table_rows(Warehouse(path), "agent_weekly", AGENT_WEEKLY.key_columns)[(MONDAY, 11)]
    # 20 + 10 min of sessions over 23:50..00:15 = 25 min busy; two held at once from 00:05 to 00:10.
    assert (row["concurrency_max"], row["concurrency_avg"]) == (2, pytest.approx(30 / 25))


def test_sla_threshold_of_the_day_then_the_groups_list(path: Path) -> None:
    conversations = make_days(SAMPLE_DAY, 1, per_day=120, seed=8)
    # The SLA endpoint gives group 1 a threshold of 90 s that day (the groups list says 60) and forgets group 3.
    write_conversations(Warehouse(path), conversations, thresholds={1: 90, 2: 120})
    run(path, [*DAILY_STAND_INS, KPI["sla_daily"]], partition_key=SAMPLE_DAY.isoformat())
    rows = table_rows(Warehouse(path), "sla_daily", SLA_DAILY.key_columns)
    assert_rows_match(rows, expected_sla(conversations, day_of, by_protocol=True, thresholds={1: 90, 2: 120, 3: 30}))
    assert {(k[1], row["sla_threshold_s"]) for k, row in rows.items()} == {(1, 90), (2, 120), (3, 30)}


def test_empty_days_give_no_rows_and_no_error(path: Path) -> None:
    run(path, [*DAILY_STAND_INS, KPI["sla_daily"], KPI["agent_daily"]], partition_key=SAMPLE_DAY.isoformat())
    assert Warehouse(path).query("SELECT count(*) FROM kpi.sla_daily")[0] == (0,)


def test_ddl_column_schema_and_docs_agree(path: Path) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for table in KPI_TABLES:
        run(path, [*STAND_INS, KPI[table.name]], partition_key=MONDAY.isoformat(), selection=[KPI[table.name]])
        described = Warehouse(path).query(f"DESCRIBE {table.qualified_table}")
        assert [(name, sql_type) for name, sql_type, *_ in described] == [(c.name, c.sql_type) for c in table.columns]
        schema = KPI[table.name].specs_by_key[KPI[table.name].key].metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == list(table.column_names)
        missing = [c.name for c in table.columns if not re.search(rf"`{re.escape(c.name)}`", docs)]
        assert not missing, f"docs/kpis.md does not define {missing}"


def test_kpi_asset_definitions() -> None:
    graph = defs.get_repository_def().asset_graph
    for table in KPI_TABLES:
        asset = KPI[table.name]
        spec = asset.specs_by_key[asset.key]
        assert asset.key.path == ["kpi", table.name]
        assert spec.group_name == KPI_GROUP
        assert set(spec.kinds) == {"duckdb", "sql"} and spec.owners == ["team:data-engineering"]
        assert spec.metadata["dagster/table_name"] == f"kpi.{table.name}"
        assert spec.automation_condition is not None and spec.code_version
        assert asset.backfill_policy == dg.BackfillPolicy.single_run()
        assert asset.op.pool is None  # never in the live_api pool
        assert graph.get(asset.key).partitions_def is (
            daily_partitions if table.name.endswith("daily") else weekly_partitions
        )
        assert dg.AssetKey(["raw", "conversations"]) in graph.get(asset.key).parent_keys
    # A weekly partition reads the seven days of its week.
    weekly = graph.get(KPI["sla_weekly"].key)
    mapping = weekly.assets_def.get_partition_mapping(dg.AssetKey(["raw", "conversations"]))
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        weekly_partitions.subset_with_partition_keys([MONDAY.isoformat()]), weekly_partitions, daily_partitions
    ).partitions_subset.get_partition_keys()
    assert list(upstream) == [(MONDAY + dt.timedelta(days=n)).isoformat() for n in range(7)]
    sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}
    assert sensors["default_automation_condition_sensor"].default_status == dg.DefaultSensorStatus.RUNNING


def test_the_registry_marks_exactly_the_kpis_raw_inputs() -> None:
    """``feeds_kpis`` (those go first in their step: test_raw_assets.py) names exactly the KPIs' raw sources."""
    read_by_kpis = {source for table in KPI_TABLES for source in table.raw_sources}
    assert {spec.table for spec in ENDPOINTS if spec.feeds_kpis} == read_by_kpis


SQL_DIRS = [Path(__file__).resolve().parents[1] / "live_assets" / folder / "sql" for folder in ("kpis", "asset_checks")]
ALLOWED_PARAMETERS = {"bot", "first_day", "last_day", "computed_at", "table"}


def test_sql_files_bind_values_as_named_parameters() -> None:
    files = sorted(p for folder in SQL_DIRS for p in folder.glob("*.sql"))
    assert len(files) >= 9
    for file in files:
        text = file.read_text(encoding="utf-8")
        for statement in queries.split_statements(text):
            assert queries.parameters_of(statement) <= ALLOWED_PARAMETERS, (file.name, statement[:60])
            assert "{" not in queries._COMMENT.sub("", statement), f"{file.name}: a template placeholder"


def test_scripts_run_in_order_with_the_parameters_each_statement_uses(tmp_path: Path) -> None:
    script = "-- a comment;\nCREATE TABLE t (x INTEGER); -- ends here;\n\nINSERT INTO t VALUES ($a);\n"
    script += "SELECT x + $b AS y FROM t;  \n-- trailing comment only\n"
    assert len(queries.split_statements(script)) == 3
    with Warehouse(tmp_path / "s.duckdb").connect() as connection:
        rows = queries.run_script(connection, script, {"a": 1, "b": 2, "unused": 3})
    assert (rows.columns, rows.rows) == (["y"], [(3,)])
    with Warehouse(tmp_path / "s.duckdb").connect() as connection, pytest.raises(KeyError, match="b"):
        queries.run_script(connection, "SELECT $b", {})
