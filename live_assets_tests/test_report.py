"""The report from a warehouse built by real runs: every number on the page equals the KPI tables
(recomputed here with SQL of the test's own), the assets write one file per bot and period with the
headline in their metadata, the command line writes the same page, and the edge cases render."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import dagster as dg
import pytest

from live_assets.devtools.stack import PROJECT_DIR
from live_assets.report.assets import build_report_assets, report_scopes
from live_assets.report.build import write_report
from live_assets.report.cli import main as report_main
from live_assets.report.completeness import REPORT_RAW_TABLES
from live_assets.report.i18n import Words
from live_assets.report.period import Period
from live_assets.report.settings import ReportSettings
from live_assets.resources import WarehouseResource
from live_assets.warehouse import Warehouse
from live_assets_tests.report_world import (
    ALERTS_DDL,
    DAY,
    FORTY_GROUPS,
    ONE_GROUP,
    WEEK,
    PageReader,
    copy_world,
    targets,
    variant,
)

EN = Words("en")


@pytest.fixture(scope="module")
def world(report_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_world(report_world, tmp_path_factory.mktemp("report-world"))


def render(path: Path, period: Period, out: Path, lang: str = "en") -> tuple[str, PageReader]:
    written = write_report(Warehouse(path), period, "default", out, targets=targets(), timezone="UTC", lang=lang)
    html = written.path.read_text(encoding="utf-8")
    return html, PageReader(html)


def one(warehouse: Warehouse, sql: str, **parameters: object) -> tuple:
    return warehouse.query(sql, parameters or None)[0]


def test_every_number_of_a_weekly_report_equals_the_kpi_tables(world: Path, tmp_path: Path) -> None:
    html, page = render(world, Period(*WEEK), tmp_path / "week.html")
    warehouse = Warehouse(world)
    week, previous = WEEK[0], WEEK[0] - dt.timedelta(days=7)
    totals = (
        "SELECT sum(within_sla), sum(offered), sum(lost), sum(csat_pct * feedback_count) / 100, sum(feedback_count) "
    )
    within, offered, lost, positive, answers = one(
        warehouse, totals + "FROM kpi.sla_weekly WHERE week_start = $w", w=week
    )
    p90 = one(
        warehouse,
        "SELECT quantile_cont(wait_time, 0.9) FROM raw.conversations WHERE agent_id IS NOT NULL "
        "AND _partition_day BETWEEN $a AND $b",
        a=WEEK[0],
        b=WEEK[1],
    )[0]
    assert page.tiles == {
        "sla": [EN.pct(100 * within / offered)],
        "abandonment": [EN.pct(100 * lost / offered)],
        "wait_p90": [EN.seconds(p90)],
        "csat": [EN.pct(100 * positive / answers)],
        "volume": [EN.count(offered)],
    }
    before = one(warehouse, "SELECT sum(offered) FROM kpi.sla_weekly WHERE week_start = $w", w=previous)[0]
    sign = "+" if offered >= before else "−"
    assert f"{sign}{EN.count(abs(offered - before))} (" in html and "vs previous week" in html

    # Per group: the weekly table's own values.
    groups = warehouse.query(
        "SELECT group_name, offered, lost, sla_pct, abandonment_rate, wait_p90_s, csat_pct FROM kpi.sla_weekly "
        "WHERE week_start = $w",
        {"w": week},
    )
    assert len(groups) == 4
    for header, index, shown in [
        ("Offered", 1, EN.count), ("Lost", 2, EN.count), ("Service level", 3, EN.pct), ("Abandonment", 4, EN.pct),
        ("Wait p90", 5, EN.seconds), ("CSAT", 6, EN.pct),
    ]:  # fmt: skip
        column = page.column("groups", header)
        assert {row[0]: column[row[0]] for row in groups} == {row[0]: shown(row[index]) for row in groups}, header
    assert page.column("groups", "SL target")["Facturación"] == "–"
    assert page.column("groups", "Service level")["All groups"] == EN.pct(100 * within / offered)

    # Per channel: kpi.sla_daily summed over the week's days and groups.
    channels = warehouse.query(
        "SELECT protocol, sum(offered), 100.0 * sum(within_sla) / sum(offered) FROM kpi.sla_daily "
        "WHERE day BETWEEN $a AND $b GROUP BY protocol",
        {"a": WEEK[0], "b": WEEK[1]},
    )
    assert page.column("channels", "Offered") == {name: EN.count(n) for name, n, _ in channels}
    assert page.column("channels", "Service level") == {name: EN.pct(pct) for name, _, pct in channels}

    # Agents: the weekly agent table, ranked by conversations handled.
    agents = warehouse.query(
        "SELECT agent_name, handled, first_response_avg_s, csat_pct FROM kpi.agent_weekly WHERE week_start = $w "
        "ORDER BY handled DESC, agent_name",
        {"w": week},
    )
    assert [row[1] for row in page.tables["agents"].rows] == [name for name, *_ in agents]
    assert page.column("agents", "Handled", key=1) == {name: EN.count(n) for name, n, _, _ in agents}
    assert page.column("agents", "First response", key=1) == {name: EN.seconds(s) for name, _, s, _ in agents}
    assert page.column("agents", "CSAT", key=1) == {name: EN.pct(c) for name, _, _, c in agents}
    assert "Agents — Week 11: Mon 10 Mar – Sun 16 Mar 2025" in html

    # The day's profile: offered per half hour averaged over the five weekdays of the histogram.
    weekday_total = one(
        warehouse,
        "SELECT sum(total) FROM raw.histogram WHERE _partition_day BETWEEN $a AND $b AND isodow(_partition_day) <= 5",
        a=WEEK[0],
        b=WEEK[1],
    )[0]
    averages = [float(v) for v in re.findall(r"<title>\d\d:\d\d: ([\d.]+)</title>", html)]
    assert sum(averages) * 5 == pytest.approx(weekday_total, abs=0.05 * 5 * len(averages))
    assert "over 5 weekday(s)" in html and "Worst hours: " in html

    # Completeness: every day and the week present; no alert table, so no alert.
    assert page.column("data", "Partitions present")["raw.conversations"] == "7 / 7"
    assert page.column("data", "Partitions present")["kpi.sla_weekly"] == "1 / 1"
    assert "No alert was open during the period." in html
    assert "<script" not in html and "<link" not in html and "http" not in html.replace("http://www.w3.org", "")


def test_the_alerts_of_the_period_opened_resolved_and_still_open(world: Path, tmp_path: Path) -> None:
    path = variant(world, tmp_path / "alerts", ALERTS_DDL)
    html, page = render(path, Period(DAY, DAY), tmp_path / "day.html")
    rows = page.tables["alerts"].rows
    assert [(row[0], row[1], row[2], row[3]) for row in rows] == [
        ("Soporte técnico", "service level", "45.0%", "80.0%"),
        ("Facturación", "abandonment", "12.5%", "8.0%"),
    ]
    assert rows[0][6] == "14 Mar 2025 13:00" and rows[1][6] == "still open"
    assert "2 opened, 1 resolved, 1 still open." in html


def test_reports_in_spanish_and_portuguese(world: Path, tmp_path: Path) -> None:
    html, page = render(world, Period(*WEEK), tmp_path / "es.html", lang="es")
    assert "<html lang='es'>" in html and "Nivel de servicio por grupo" in html and "Semana 11" in html
    assert page.column("groups", "Recibidas")["Todos los grupos"].count(".") == 1  # 1.773: thousands with a dot
    html, _ = render(world, Period(DAY, DAY), tmp_path / "pt.html", lang="pt")
    assert "<html lang='pt'>" in html and "Quando chegam os chats" in html and "sex 14 mar 2025" in html


@pytest.mark.parametrize(
    ("name", "statements", "groups"),
    [("one-group", ONE_GROUP, 1), ("forty-groups", FORTY_GROUPS, 40)],
)
def test_one_group_and_forty_groups(world: Path, tmp_path: Path, name: str, statements: str, groups: int) -> None:
    path = variant(world, tmp_path / name, statements)
    html, page = render(path, Period(*WEEK), tmp_path / f"{name}.html")
    assert len(page.tables["groups"].rows) == groups + 1  # and the total
    assert html.count("<figure class='panel'>") == groups + 4  # a panel per group, and per channel


def test_an_empty_period_says_so(world: Path, tmp_path: Path) -> None:
    html, page = render(world, Period(dt.date(2025, 1, 6), dt.date(2025, 1, 12)), tmp_path / "empty.html")
    assert "No conversation in this period" in html and "groups" not in page.tables
    assert page.column("data", "Partitions present")["raw.conversations"] == "0 / 7"


def test_the_report_assets_write_one_file_per_period_with_the_headline_in_metadata(world: Path, tmp_path: Path) -> None:
    from live_assets.partitions import daily_partitions_for, weekly_partitions_for
    from live_assets.settings import LiveSettings

    settings = LiveSettings(start_date=dt.date(2025, 1, 1))
    report_settings = ReportSettings(report_dir=tmp_path / "reports", lang="es")
    weekly, daily = build_report_assets(
        daily_partitions_for(settings), weekly_partitions_for(settings), settings=report_settings, targets=targets()
    )
    # Its own KPIs, and the raw tables its sections read (lineage, and the automation waits while they reload).
    deps = {"/".join(dep.asset_key.path): dep for dep in weekly.specs_by_key[weekly.key].deps}
    assert set(deps) == {"kpi/sla_weekly", "kpi/agent_weekly"} | {f"raw/{table}" for table in REPORT_RAW_TABLES}
    assert isinstance(deps["raw/histogram"].partition_mapping, dg.TimeWindowPartitionMapping)
    assert daily.specs_by_key[daily.key].automation_condition is not None
    resources = {"warehouse": WarehouseResource(duckdb_path=str(world), landing_dir=str(tmp_path / "landing"))}
    result = dg.materialize([weekly], partition_key="2025-03-10", resources=resources)
    (materialization,) = result.asset_materializations_for_node(weekly.node_def.name)
    path = Path(materialization.metadata["path"].value)
    assert path == tmp_path / "reports" / "default" / "weekly" / "2025-W11_2025-03-10.html" and path.is_file()
    within, offered = one(
        Warehouse(world), "SELECT sum(within_sla), sum(offered) FROM kpi.sla_weekly WHERE week_start = $w", w=WEEK[0]
    )
    assert materialization.metadata["sla_pct"].value == round(100 * within / offered, 1)
    assert materialization.metadata["offered"].value == offered
    result = dg.materialize([daily], partition_key=DAY.isoformat(), resources=resources)
    assert (tmp_path / "reports" / "default" / "daily" / "2025-03-14_fri.html").is_file()


def test_the_report_reads_no_raw_table_it_does_not_declare() -> None:
    folder = PROJECT_DIR / "live_assets" / "report" / "sql"
    sql = " ".join(path.read_text() for path in folder.glob("*.sql"))
    read = set(re.findall(r"\braw\.([a-z_]+)", sql))
    assert read and read <= set(REPORT_RAW_TABLES), read - set(REPORT_RAW_TABLES)


def test_a_partition_key_with_a_bots_file_names_the_bot_and_its_days() -> None:
    weekly = dg.WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1, timezone="America/Sao_Paulo")
    by_bot = dg.MultiPartitionsDefinition({"bot": dg.StaticPartitionsDefinition(["alpha", "bravo"]), "date": weekly})
    (scope,) = report_scopes(by_bot, ["bravo|2025-03-10"], "default")
    assert (scope.bot, scope.period) == ("bravo", Period(*WEEK))


def test_the_command_line_writes_the_same_report(world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_DUCKDB_PATH", str(world))
    monkeypatch.setenv("LIVE_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("LIVE_REPORT_LANG", "en")
    monkeypatch.delenv("LIVE_BOTS_FILE", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert report_main(["--from", "2025-03-10", "--to", "2025-03-16"]) == 0
    written = tmp_path / "reports" / "default" / "weekly" / "2025-W11_2025-03-10.html"
    assert "Week 11: Mon 10 Mar – Sun 16 Mar 2025" in written.read_text(encoding="utf-8")
    out = tmp_path / "any.html"
    assert report_main(["--from", "2025-03-12", "--to", "2025-03-13", "--output", str(out), "--lang", "pt"]) == 0
    assert "12 mar – qui 13 mar 2025 (2 dias)" in out.read_text(encoding="utf-8")


def test_the_command_line_refuses_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LIVE_DUCKDB_PATH", str(tmp_path / "nothing.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert report_main(["--from", "2025-03-10", "--to", "2025-03-16"]) == 2
    assert "LIVE_DUCKDB_PATH: no warehouse at" in capsys.readouterr().err
    assert report_main(["--from", "2025-03-16", "--to", "2025-03-10"]) == 2
    assert "--to 2025-03-10 is before --from 2025-03-16" in capsys.readouterr().err
    monkeypatch.setenv("LIVE_REPORT_LANG", "fr")
    assert report_main(["--from", "2025-03-10", "--to", "2025-03-16"]) == 2
    assert "LIVE_REPORT_LANG must be one of" in capsys.readouterr().err
