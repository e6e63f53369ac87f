"""Today's service level and its alerts, end to end: the simulator with one group degraded from 08:00 to
11:00, its day loaded by the real raw assets over HTTP, ``kpi/sla_intraday`` materialized by Dagster as
refreshes at successive times of that day would, and a real local webhook behind Apprise's ``json://``.
"""

from __future__ import annotations

import datetime as dt
import queue
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from live_assets.kpis.tables import SLA_INTRADAY
from live_assets.monitor.assets import ALERTS_DELIVERED, TARGETS_MET, build_daily_targets_check, build_intraday_assets
from live_assets.monitor.judging import Verdict
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import parse_targets
from live_assets.monitor.verdict_table import Span, read_verdicts
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.secret import Secret
from live_assets.simulator import SimulatorConfig, SimulatorServer
from live_assets.simulator.config import Degradation
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, daily_partitions, raw_keys
from live_assets_tests.monitor_support import Receiver, conversations_today_stand_in, fill_today, running_receiver
from live_assets_tests.pipeline import simulator_env
from live_assets_tests.test_kpis_world import DAILY_STAND_INS

DEGRADED_GROUP = 1
DEGRADATION = Degradation(DEGRADED_GROUP, dt.time(8), dt.time(11), extra_wait_s=900)
# Only the degraded group has a target, so that the other groups' figures of the simulator (some
# below 80 %) do not alert: its day-so-far SLA % is 8 % at 11:00, 18 % at 11:30, 27 % at 12:00, 55 % at 15:00.
TARGETS = parse_targets(f"defaults: {{sla_pct_min: null}}\ngroups:\n  {DEGRADED_GROUP}: {{sla_pct_min: 50}}\n")
SLA_INTRADAY_KEY = dg.AssetKey(SLA_INTRADAY.asset_key_path)
DAGSTER_URL = "http://dagster.example:3000"


# A fixed, final weekday: the simulator draws each day from its date, so the figures asserted below are
# this day's (a day counted back from the machine's date gave other figures every day).
DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def loaded_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse holding the degraded day and the groups list, loaded from the simulator over HTTP."""
    root = tmp_path_factory.mktemp("degraded-day")
    config = SimulatorConfig(seed=7, conversations_per_day=300, timezone="UTC", degraded=DEGRADATION)
    with SimulatorServer(config) as server, pytest.MonkeyPatch.context() as patch:
        for name, value in simulator_env(server.base_url, root).items():
            patch.setenv(name, value)
        resources = {
            "live_api": LiveApiResource(),
            "warehouse": WarehouseResource(duckdb_path=str(root / "live.duckdb"), landing_dir=str(root / "landing")),
        }
        dg.materialize(RAW_ASSETS, selection=raw_keys("groups"), resources=resources)
        dg.materialize(
            RAW_ASSETS, selection=raw_keys("conversations"), resources=resources, partition_key=DAY.isoformat()
        )
    yield root / "live.duckdb"


@pytest.fixture
def warehouse_path(loaded_day: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    shutil.copy(loaded_day, path)
    return path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def refresh_at(path: Path, at: str, urls: list[str], *, day: dt.date = DAY) -> dg.ExecuteInProcessResult:
    """What the intraday refresh at ``at`` of ``day`` does after raw/conversations_today: kpi/sla_intraday."""
    fill_today(Warehouse(path), day, dt.time.fromisoformat(at))
    settings = MonitorSettings(alert_urls=tuple(Secret(url) for url in urls), dagster_url=DAGSTER_URL)
    assets = build_intraday_assets(None, targets=TARGETS, settings=settings, default_bot="default")
    return dg.materialize(
        [conversations_today_stand_in, *assets],
        selection=[SLA_INTRADAY_KEY],
        resources={"warehouse": WarehouseResource(duckdb_path=str(path), landing_dir=str(path.parent / "landing"))},
    )


def check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def alerts(path: Path) -> list[dict[str, Any]]:
    with Warehouse(path).connect() as connection:
        cursor = connection.execute("SELECT * FROM monitor.alerts ORDER BY alert_id")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_an_alert_opens_once_and_resolves_once_after_the_stretch(warehouse_path: Path, receiver: Receiver) -> None:
    # 10:00: below target, but 15 offered is under min_offered (20): no verdict, no alert.
    early = refresh_at(warehouse_path, "10:00", [receiver.url])
    assert check(early, TARGETS_MET).passed and alerts(warehouse_path) == []

    opened = refresh_at(warehouse_path, "11:00", [receiver.url])
    message = receiver.next()
    assert not check(opened, TARGETS_MET).passed and check(opened, TARGETS_MET).severity == dg.AssetCheckSeverity.WARN
    assert message["title"].startswith("[live-assets] ALERT default · Atendimento Brasil")
    assert "SLA % 8.3, target at least 50.0" in message["title"]
    body = message["message"]
    assert "Window: today 00:30–11:00" in body and "Offered: 24, lost: 22" in body
    assert f"Page: {DAGSTER_URL}/assets/kpi/sla_intraday" in body
    (alert,) = alerts(warehouse_path)
    assert alert["notified_at"] is not None and alert["resolved_at"] is None and alert["metric"] == "sla_pct"

    for at in ("11:30", "12:00"):  # still off target: nothing sent again, the record follows the figures
        still = refresh_at(warehouse_path, at, [receiver.url])
        assert not check(still, TARGETS_MET).passed and check(still, ALERTS_DELIVERED).passed
    with pytest.raises(queue.Empty):
        receiver.received.get_nowait()
    (alert,) = alerts(warehouse_path)
    assert alert["resolved_at"] is None and alert["window"] == "today 00:30–12:00"

    resolved = refresh_at(warehouse_path, "15:00", [receiver.url])
    message = receiver.next()
    assert check(resolved, TARGETS_MET).passed
    assert message["title"].startswith("[live-assets] RESOLVED default · Atendimento Brasil")
    assert "SLA % 54.5" in message["title"] and "Offered: 55" in message["message"]
    (alert,) = alerts(warehouse_path)
    assert alert["resolved_at"] is not None and alert["resolved_notified_at"] is not None
    refresh_at(warehouse_path, "18:00", [receiver.url])
    assert receiver.drain() == []


def test_a_refused_delivery_is_sent_again_at_the_next_evaluation(warehouse_path: Path, receiver: Receiver) -> None:
    receiver.status = 500
    refused = refresh_at(warehouse_path, "11:00", [receiver.url])
    first = receiver.next()
    delivered = check(refused, ALERTS_DELIVERED)
    assert refused.success and not delivered.passed and delivered.severity == dg.AssetCheckSeverity.WARN
    failures = str(delivered.metadata["failures"].value)
    assert "alert URL #1 (json://)" in failures and str(receiver.port) not in failures
    (alert,) = alerts(warehouse_path)
    assert alert["notified_at"] is None

    receiver.status = 200
    retried = refresh_at(warehouse_path, "11:30", [receiver.url])
    again = receiver.next()
    assert (again["title"], again["message"]) == (first["title"], first["message"])  # the same message
    assert check(retried, ALERTS_DELIVERED).passed and alerts(warehouse_path)[0]["notified_at"] is not None
    refresh_at(warehouse_path, "12:00", [receiver.url])
    assert receiver.drain() == []


def test_without_alert_urls_the_alerts_are_recorded_and_the_checks_run(warehouse_path: Path) -> None:
    result = refresh_at(warehouse_path, "11:00", [])
    assert result.success and not check(result, TARGETS_MET).passed
    delivered = check(result, ALERTS_DELIVERED)
    assert delivered.passed and "LIVE_ALERT_URLS is not set" in (delivered.description or "")
    (alert,) = alerts(warehouse_path)
    assert alert["notified_at"] is None and alert["value"] == pytest.approx(100 * 2 / 24)
    rows = Warehouse(warehouse_path).query(
        "SELECT span, count(*), min(day), max(day) FROM kpi.sla_intraday GROUP BY span ORDER BY span"
    )
    assert [(span, first, last) for span, _, first, last in rows] == [("day_so_far", DAY, DAY), ("half_hour", DAY, DAY)]


def test_targets_met_on_the_final_day_lists_the_groups_off_target(warehouse_path: Path) -> None:
    (sla_daily,) = [asset for asset in KPI_ASSETS if asset.key == dg.AssetKey(["kpi", "sla_daily"])]
    targets = parse_targets("defaults: {sla_pct_min: 80, wait_p90_s_max: 600}\n")
    result = dg.materialize(
        [*DAILY_STAND_INS, sla_daily, build_daily_targets_check(daily_partitions, targets=targets)],
        selection=[sla_daily.key],
        partition_key=DAY.isoformat(),
        resources={
            "live_api": LiveApiResource(),
            "warehouse": WarehouseResource(duckdb_path=str(warehouse_path), landing_dir=str(warehouse_path.parent)),
        },
    )
    evaluation = check(result, TARGETS_MET)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    table = str(evaluation.metadata["off_target_groups"].value)
    # The whole day of the degraded group (69.8 %), and the simulator's groups 3 and 4, below 80 %.
    assert "Atendimento Brasil 🇧🇷 (id 1) | SLA % | 69.8 | at least 80.0 | 96 | 29 | 00:30–23:30 |" in table
    assert "(id 3)" in table and "(id 4)" in table and "(id 2)" not in table
    # A window that lasts to midnight ends at 24:00 (it was shown 01:00–00:00, ending before it started).
    assert "Soporte técnico (id 3) | SLA % | 62.3 | at least 80.0 | 69 | 7 | 01:00–24:00 |" in table


def test_a_group_without_a_threshold_is_unknown_never_on_target_and_opens_no_alert(
    warehouse_path: Path, receiver: Receiver
) -> None:
    with Warehouse(warehouse_path).transaction() as connection:
        connection.execute("UPDATE raw.groups SET sla_threshold = NULL")
    result = refresh_at(warehouse_path, "11:00", [receiver.url])
    evaluation = check(result, TARGETS_MET)
    assert not evaluation.passed
    assert evaluation.description == "SLA % of 1 group unknown: no SLA threshold (load raw/groups)"
    assert alerts(warehouse_path) == [] and receiver.drain() == []
    with Warehouse(warehouse_path).connect() as connection:
        (verdict,) = read_verdicts(connection, bot="default", span=Span.TODAY, first_day=DAY, last_day=DAY)
    assert (verdict.group_id, verdict.verdict, verdict.value) == (str(DEGRADED_GROUP), Verdict.UNKNOWN, None)


def test_an_unknown_figure_does_not_resolve_an_open_alert(warehouse_path: Path, receiver: Receiver) -> None:
    refresh_at(warehouse_path, "11:00", [receiver.url])
    assert receiver.next()["title"].startswith("[live-assets] ALERT")
    with Warehouse(warehouse_path).transaction() as connection:
        connection.execute("UPDATE raw.groups SET sla_threshold = NULL")
    refresh_at(warehouse_path, "15:00", [receiver.url])  # on target by then, were it known
    (alert,) = alerts(warehouse_path)
    assert alert["resolved_at"] is None and receiver.drain() == []
