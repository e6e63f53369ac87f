"""Reports of the user's own (``LIVE_CUSTOM_REPORTS_DIR``) against a warehouse built by real runs from
the simulator: the shipped examples become assets whose upstream is what their SQL reads, a Dagster
run writes the page (chart and table) and the CSV, which equals the same SQL run on the warehouse; a
``deliver: true`` report is sent; each kind of bad pair fails the load naming file, line and fault."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from live_assets.definitions import build_definitions
from live_assets.devtools.stack import PROJECT_DIR
from live_assets.report.custom import CustomReportError, custom_report_problems
from live_assets.report.settings import ReportSettings
from live_assets.secret import Secret
from live_assets.settings import LiveSettings
from live_assets_tests.monitor_support import Receiver, running_receiver
from live_assets_tests.report_world import WEEK, PageReader, copy_world

EXAMPLES = PROJECT_DIR / "deploy" / "custom_reports"
SETTINGS = LiveSettings(start_date=dt.date(2025, 1, 1))
# A report of two tables and a CTE, charted as a line, sent when materialized.
DAILY_YAML = "title: Offered per group\ncadence: daily\nchart: {type: line, x: group_name, y: offered}\ndeliver: true\n"
DAILY_SQL = """
WITH named AS (SELECT id AS group_id, any_value(name) AS name FROM raw.groups WHERE _bot = $bot GROUP BY id)
SELECT coalesce(n.name, s.group_name) AS group_name, sum(s.offered) AS offered
FROM kpi.sla_daily AS s LEFT JOIN named AS n USING (group_id)
WHERE s._bot = $bot AND s.day BETWEEN $first_day AND $last_day
GROUP BY ALL ORDER BY offered DESC, group_name
"""


@pytest.fixture(scope="module")
def world(report_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_world(report_world, tmp_path_factory.mktemp("custom-world"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The shipped examples, and the two-table report."""
    target = tmp_path / "custom"
    shutil.copytree(EXAMPLES, target)
    (target / "offered_by_group.yaml").write_text(DAILY_YAML, encoding="utf-8")
    (target / "offered_by_group.sql").write_text(DAILY_SQL, encoding="utf-8")
    return target


def definitions(
    folder: Path, report_dir: Path, urls: tuple[str, ...] = (), warehouse: Path | None = None
) -> dg.Definitions:
    """The code location with the reports of ``folder``, reading ``warehouse``."""
    reports = ReportSettings(report_dir=report_dir, lang="en", custom_dir=folder, report_urls=tuple(map(Secret, urls)))
    settings = SETTINGS if warehouse is None else dataclasses.replace(SETTINGS, duckdb_path=warehouse)
    return build_definitions(settings, reports=reports)


def custom_asset(defs: dg.Definitions, name: str) -> dg.AssetsDefinition:
    return defs.resolve_assets_def(dg.AssetKey(["report", "custom", name]))


def materialize(defs: dg.Definitions, name: str, key: str) -> dg.AssetMaterialization:
    """A Dagster run of the code location's asset (with its own warehouse resource)."""
    asset = custom_asset(defs, name)
    result = dg.materialize([asset], partition_key=key)
    (materialization,) = result.asset_materializations_for_node(asset.node_def.name)
    return materialization


def same_sql_on_the_warehouse(warehouse: Path, sql_file: Path, first: dt.date, last: dt.date) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        sql = sql_file.read_text(encoding="utf-8")
        return connection.execute(sql, {"bot": "default", "first_day": first, "last_day": last}).fetchall()


def csv_rows(path: Path) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute("SELECT * FROM read_csv($path, header = true)", {"path": str(path)}).fetchall()


def test_each_pair_is_an_asset_whose_upstream_is_what_its_sql_reads(folder: Path, tmp_path: Path) -> None:
    graph = definitions(folder, tmp_path / "reports").resolve_asset_graph()
    parents = {
        name: {key.to_user_string() for key in graph.get(dg.AssetKey(["report", "custom", name])).parent_keys}
        for name in ("abandonment_by_channel", "csat_by_agent", "offered_by_group")
    }
    assert parents == {
        "abandonment_by_channel": {"kpi/sla_daily"},
        "csat_by_agent": {"kpi/agent_daily"},
        "offered_by_group": {"kpi/sla_daily", "raw/groups"},  # the CTE is not a table
    }
    monthly = graph.get(dg.AssetKey(["report", "custom", "abandonment_by_channel"]))
    assert isinstance(monthly.partitions_def, dg.MonthlyPartitionsDefinition)
    assert monthly.automation_condition is not None and monthly.group_name == "live_reports"
    weekly = graph.get(dg.AssetKey(["report", "custom", "csat_by_agent"]))
    assert isinstance(weekly.partitions_def, dg.WeeklyPartitionsDefinition)
    # With a bots file: bot x month, each bot reading its own days.
    from live_assets.bots import load_bots_file

    bots = load_bots_file(PROJECT_DIR / "deploy" / "bots.example.yaml")
    reports = ReportSettings(report_dir=tmp_path / "reports", custom_dir=folder)
    many = build_definitions(SETTINGS, bots, Path("bots.yaml"), reports=reports).resolve_asset_graph()
    node = many.get(dg.AssetKey(["report", "custom", "abandonment_by_channel"]))
    assert isinstance(node.partitions_def, dg.MultiPartitionsDefinition)
    bot = bots[0].name
    upstream = many.get_parent_partition_keys_for_child(
        dg.MultiPartitionKey({"bot": bot, "date": "2025-03-01"}), dg.AssetKey(["kpi", "sla_daily"]), node.key
    ).partitions_subset.get_partition_keys()
    assert len(upstream) == 31 and all(key.keys_by_dimension["bot"] == bot for key in upstream)  # type: ignore[attr-defined]


def test_the_csv_equals_the_sql_on_the_warehouse_and_the_page_holds_chart_and_table(
    world: Path, folder: Path, tmp_path: Path
) -> None:
    defs = definitions(folder, tmp_path / "reports", warehouse=world)
    materialization = materialize(defs, "csat_by_agent", WEEK[0].isoformat())
    base = tmp_path / "reports" / "default" / "custom" / "csat_by_agent" / "2025-W11"
    assert Path(str(materialization.metadata["path"].value)) == base.with_suffix(".html")
    expected = same_sql_on_the_warehouse(world, folder / "csat_by_agent.sql", *WEEK)
    assert len(expected) >= 5 and csv_rows(base.with_suffix(".csv")) == expected
    assert materialization.metadata["dagster/row_count"].value == len(expected)

    html = base.with_suffix(".html").read_text(encoding="utf-8")
    page = PageReader(html)
    table = page.tables["custom"]
    assert table.head == ["agent", "handled", "answers", "csat_pct"]
    assert [row[0] for row in table.rows] == [row[0] for row in expected]
    assert "<h1>CSAT per agent</h1>" in html and "Week 11: Mon 10 Mar – Sun 16 Mar 2025" in html
    chart = html[html.index("<section id='chart'>") : html.index("<section id='rows'>")]
    assert chart.count("<rect ") == sum(1 for row in expected if row[3] is not None)

    monthly = materialize(defs, "abandonment_by_channel", "2025-03-01")
    month = tmp_path / "reports" / "default" / "custom" / "abandonment_by_channel" / "2025-03"
    expected = same_sql_on_the_warehouse(world, folder / "abandonment_by_channel.sql", dt.date(2025, 3, 1),
                                         dt.date(2025, 3, 31))  # fmt: skip
    assert csv_rows(month.with_suffix(".csv")) == expected and len(expected) >= 2
    assert monthly.metadata["period"].value == "2025-03-01..2025-03-31"
    assert "Abandono por canal" not in month.with_suffix(".html").read_text(encoding="utf-8")  # its title is its own
    assert "<html lang='es'>" in month.with_suffix(".html").read_text(encoding="utf-8")  # language: es


def test_a_report_that_asks_for_it_is_sent(world: Path, folder: Path, tmp_path: Path) -> None:
    with running_receiver() as webhook:
        _send_daily(world, folder, tmp_path, webhook)


def _send_daily(world: Path, folder: Path, tmp_path: Path, webhook: Receiver) -> None:
    # The clock of the run is real: the period must be recent to be sent, so this copy moves a day here.
    day = dt.date.today() - dt.timedelta(days=2)
    copy = tmp_path / "recent.duckdb"
    shutil.copy(world, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("UPDATE kpi.sla_daily SET day = $day WHERE day = $source", {"day": day, "source": WEEK[1]})
    defs = definitions(folder, tmp_path / "reports", urls=(webhook.url,), warehouse=copy)
    materialize(defs, "offered_by_group", day.isoformat())
    message = webhook.next()
    assert message["title"] == f"[live-assets] Offered per group default · {day}..{day}"
    expected = same_sql_on_the_warehouse(copy, folder / "offered_by_group.sql", day, day)
    assert f"Rows: {len(expected)}" in message["message"]
    assert f"group_name {expected[0][0]}: offered {expected[0][1]}" in message["message"]
    assert [a["filename"] for a in message["attachments"]] == [f"{day}.html"]
    materialize(defs, "offered_by_group", day.isoformat())
    assert webhook.drain() == []  # the same rows: not sent again


BAD = {
    "unknown key": ("title: T\ncadence: weekly\ncolour: red\n", "SELECT 1", "bad.yaml:3: unknown key 'colour'"),
    "cadence": ("title: T\ncadence: hourly\n", "SELECT 1", "bad.yaml:2: cadence must be one of daily, weekly, monthly"),
    "chart": ("title: T\ncadence: daily\nchart:\n  type: bar\n  x: a\n  y: b\n  z: c\n", "SELECT 1",
              "bad.yaml:7: unknown chart key 'z'"),
    "yaml": ("title: T\ncadence: [daily\n", "SELECT 1", "bad.yaml:3: not valid YAML"),
    "syntax": ("title: T\ncadence: daily\n", "SELECT offered\nFROM kpi.sla_daily\nWHERE WHERE day = $first_day",
               "bad.sql:3: SQL syntax error at or near \"WHERE\""),
    "table": ("title: T\ncadence: daily\n", "SELECT 1\nFROM raw.groups\nJOIN kpi.sla_dayly USING (group_id)",
              "bad.sql:3: table kpi.sla_dayly does not exist in the warehouse (did you mean kpi.sla_daily?)"),
    "parameter": ("title: T\ncadence: daily\n", "SELECT *\nFROM kpi.sla_daily\nWHERE _bot = $bot AND day = $today",
                  "bad.sql:3: $today is not a parameter (use $bot, $first_day, $last_day)"),
    "statement": ("title: T\ncadence: daily\n", "DELETE FROM kpi.sla_daily", "bad.sql:1: SQL must be one SELECT"),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(BAD))
def test_a_bad_pair_fails_the_load_naming_file_line_and_fault(tmp_path: Path, fault: str) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    yaml_text, sql, expected = BAD[fault]
    (folder / "bad.yaml").write_text(yaml_text, encoding="utf-8")
    (folder / "bad.sql").write_text(sql, encoding="utf-8")
    with pytest.raises(CustomReportError) as raised:
        definitions(folder, tmp_path / "reports")
    assert f"{folder}/{expected}" in str(raised.value)
    problems = custom_report_problems(folder)  # what the connection check prints
    assert len(problems) == 1 and problems[0].startswith(f"{folder}/{expected}")


def test_a_lone_file_and_a_good_folder(tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "alone.sql").write_text("SELECT 1", encoding="utf-8")
    assert custom_report_problems(folder) == [f"{folder}/alone.sql:1: alone.yaml is missing beside it"]
    assert custom_report_problems(EXAMPLES) == [] and custom_report_problems(None) == []


def test_the_connection_check_reports_a_bad_pair_before_calling_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from live_assets.check.__main__ import main as check_main
    from live_assets_tests.pipeline import simulator_env

    folder = tmp_path / "custom"
    folder.mkdir()
    yaml_text, sql, expected = BAD["parameter"]
    (folder / "bad.yaml").write_text(yaml_text, encoding="utf-8")
    (folder / "bad.sql").write_text(sql, encoding="utf-8")
    # An address nothing listens on: the check must stop at the reports, before any request.
    for name, value in simulator_env("http://127.0.0.1:9", tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIVE_CUSTOM_REPORTS_DIR", str(folder))
    assert check_main([]) == 2
    assert f"{folder}/{expected}" in capsys.readouterr().err
