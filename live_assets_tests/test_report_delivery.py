"""Reports reach people: the weekly and daily report assets, materialized by Dagster from a warehouse
built by real runs against the simulator, send their report to a real SMTP server (Apprise's
``mailto://``, the page attached) and to a real JSON webhook (``json://``); once per content, again as a
correction when the figures change, and again at the next evaluation when a URL refused it."""

from __future__ import annotations

import datetime as dt
import json
import queue
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from live_assets.partitions import daily_partitions_for, weekly_partitions_for
from live_assets.report.assets import build_report_assets
from live_assets.report.delivery import DELIVERIES_TABLE
from live_assets.report.settings import ReportSettings
from live_assets.resources import WarehouseResource
from live_assets.secret import Secret
from live_assets.settings import LiveSettings
from live_assets.warehouse import Warehouse
from live_assets_tests.mail_support import RECIPIENT, Mailbox, running_mailbox
from live_assets_tests.monitor_support import Receiver, running_receiver
from live_assets_tests.report_world import DAY, WEEK, copy_world, targets

# The Monday after the week: the weekly report is new then (the clock the assets are given).
MONDAY_AFTER = dt.datetime(2025, 3, 17, 9, 0, tzinfo=dt.UTC)
WEEKLY_FILE = "2025-W11_2025-03-10.html"
LIVE = LiveSettings(start_date=dt.date(2025, 1, 1))


@pytest.fixture(scope="module")
def world(report_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_world(report_world, tmp_path_factory.mktemp("delivery-world"))


@pytest.fixture
def warehouse_path(world: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    shutil.copy(world, path)
    return path


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as running:
        yield running


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def materialize(
    path: Path, report: str, urls: list[str], *, now: dt.datetime = MONDAY_AFTER
) -> dg.AssetMaterialization:
    settings = ReportSettings(report_dir=path.parent / "reports", lang="es", report_urls=tuple(map(Secret, urls)))
    weekly, daily = build_report_assets(
        daily_partitions_for(LIVE), weekly_partitions_for(LIVE), settings=settings, targets=targets(), clock=lambda: now
    )
    asset, key = (weekly, WEEK[0].isoformat()) if report == "weekly" else (daily, DAY.isoformat())
    resources = {"warehouse": WarehouseResource(duckdb_path=str(path), landing_dir=str(path.parent / "landing"))}
    result = dg.materialize([asset], partition_key=key, resources=resources)
    (materialization,) = result.asset_materializations_for_node(asset.node_def.name)
    return materialization


def deliveries(path: Path) -> list[dict[str, Any]]:
    with Warehouse(path).connect() as connection:
        cursor = connection.execute(f"SELECT * FROM {DELIVERIES_TABLE} ORDER BY created_at")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def sla_of_week(path: Path) -> float:
    ((within, offered),) = Warehouse(path).query(
        "SELECT sum(within_sla), sum(offered) FROM kpi.sla_daily WHERE day BETWEEN $first AND $last",
        {"first": WEEK[0], "last": WEEK[1]},
    )
    return round(100 * within / offered, 1)


def test_the_weekly_report_is_mailed_with_its_page_and_posted_with_its_headline(
    warehouse_path: Path, mailbox: Mailbox, webhook: Receiver
) -> None:
    materialization = materialize(warehouse_path, "weekly", [mailbox.url, webhook.url])
    page = warehouse_path.parent / "reports" / "default" / "weekly" / WEEKLY_FILE
    sla = f"{sla_of_week(warehouse_path):.1f}"

    mail = mailbox.next()
    assert mail["To"] == RECIPIENT
    assert mail["Subject"].startswith("[live-assets] Weekly report default · 2025-03-10..2025-03-16")
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"SLA %: {sla} (target at least 80.0)" in body and "Period: 2025-03-10..2025-03-16 (UTC)" in body
    assert "Abandonment %" not in body  # the metric's label is "abandonment %": the line below names it
    assert "abandonment %:" in body and "wait p90:" in body and f"File: default/weekly/{WEEKLY_FILE}" in body
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == WEEKLY_FILE
    assert attachment.get_payload(decode=True) == page.read_bytes()  # the very file (it declares its charset)

    posted = webhook.next()
    assert posted["title"] == mail["Subject"] and f"SLA %: {sla}" in posted["message"]
    assert [a["filename"] for a in posted.get("attachments", [])] == [WEEKLY_FILE]

    (row,) = deliveries(warehouse_path)
    assert (row["report"], row["bot"], row["first_day"], row["last_day"]) == ("weekly", "default", *WEEK)
    assert row["kind"] == "report" and row["outcome"] == "sent" and row["sent_at"] is not None
    assert len(row["sent_to"]) == 2 and row["created_at"] == MONDAY_AFTER
    assert str(mailbox.port) not in json.dumps(row, default=str) and "mailto" not in json.dumps(row, default=str)
    assert materialization.metadata["deliveries_sent"].value == 1

    again = materialize(warehouse_path, "weekly", [mailbox.url, webhook.url], now=MONDAY_AFTER + dt.timedelta(hours=1))
    assert mailbox.empty() and webhook.drain() == [] and len(deliveries(warehouse_path)) == 1
    assert "not sent again" in str(again.metadata["delivery"].value)


def test_changed_figures_are_sent_as_a_correction_that_says_what_changed(
    warehouse_path: Path, mailbox: Mailbox, webhook: Receiver
) -> None:
    materialize(warehouse_path, "weekly", [mailbox.url, webhook.url])
    before = sla_of_week(warehouse_path)
    mailbox.next(), webhook.next()
    # Late data: the Friday's first group loses ten conversations within the SLA (a lookback re-read).
    Warehouse(warehouse_path).query(
        "UPDATE kpi.sla_daily SET within_sla = within_sla - 10 WHERE day = $day AND group_id = 1 "
        "AND within_sla >= 10 RETURNING 1",
        {"day": DAY},
    )
    after = sla_of_week(warehouse_path)
    assert after < before
    later = MONDAY_AFTER + dt.timedelta(days=1)
    materialize(warehouse_path, "weekly", [mailbox.url, webhook.url], now=later)
    mail = mailbox.next()
    assert mail["Subject"].startswith("[live-assets] CORRECTION Weekly report default · 2025-03-10..2025-03-16")
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "This replaces the report sent on 2025-03-17 09:00 UTC" in body
    assert f"- sla_pct: {before} → {after}" in body and f"SLA %: {after:.1f}" in body
    assert webhook.next()["title"] == mail["Subject"]
    first, correction = deliveries(warehouse_path)
    assert (first["kind"], correction["kind"]) == ("report", "correction")
    assert first["content_hash"] != correction["content_hash"] and correction["outcome"] == "sent"


def test_a_refused_report_is_sent_again_at_the_next_evaluation(warehouse_path: Path, webhook: Receiver) -> None:
    webhook.status = 500
    refused = materialize(warehouse_path, "daily", [webhook.url])
    first = webhook.next()
    assert "report URL #1 (json://)" in str(refused.metadata["delivery_failures"].value)
    assert str(webhook.port) not in str(refused.metadata["delivery_failures"].value)
    (row,) = deliveries(warehouse_path)
    assert row["sent_at"] is None and row["outcome"].startswith("report URL #1 (json://): delivery failed")
    assert first["title"].startswith("[live-assets] Daily report default · 2025-03-14..2025-03-14")

    webhook.status = 200
    materialize(warehouse_path, "daily", [webhook.url], now=MONDAY_AFTER + dt.timedelta(minutes=15))
    again = webhook.next()
    assert (again["title"], again["message"]) == (first["title"], first["message"])
    (row,) = deliveries(warehouse_path)
    assert row["sent_at"] is not None and row["outcome"] == "sent" and len(row["sent_to"]) == 1
    materialize(warehouse_path, "daily", [webhook.url], now=MONDAY_AFTER + dt.timedelta(minutes=30))
    with pytest.raises(queue.Empty):
        webhook.received.get_nowait()


def test_a_backfilled_old_period_and_a_deployment_without_urls_send_nothing(
    warehouse_path: Path, webhook: Receiver
) -> None:
    old = materialize(warehouse_path, "weekly", [webhook.url], now=dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
    assert "ended more than 35 days ago" in str(old.metadata["delivery"].value)
    quiet = materialize(warehouse_path, "weekly", [])
    assert "delivery" not in quiet.metadata and webhook.drain() == []
    assert Warehouse(warehouse_path).query(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'report_deliveries'"
    ) == [(0,)]


def test_report_urls_are_secrets_read_from_the_environment() -> None:
    settings = ReportSettings.from_env({"LIVE_REPORT_URLS": "json://127.0.0.1:9/x mailto://u:pw@mail.example.com"})
    assert len(settings.report_urls) == 2 and "pw" not in repr(settings)
    with pytest.raises(Exception, match=r"LIVE_REPORT_URLS: URL #2 \(nope://\)") as raised:
        ReportSettings.from_env({"LIVE_REPORT_URLS": "json://127.0.0.1:9/x nope://secret-token"})
    assert "secret-token" not in str(raised.value)


def test_the_intraday_refresh_sends_again_what_a_url_refused(warehouse_path: Path, webhook: Receiver) -> None:
    """The next evaluation of a refused report can be the next intraday refresh (every few minutes)."""
    from live_assets.kpis.tables import SLA_INTRADAY
    from live_assets.monitor.assets import build_intraday_assets
    from live_assets.monitor.settings import MonitorSettings
    from live_assets_tests.monitor_support import conversations_today_stand_in, fill_today

    webhook.status = 500
    materialize(warehouse_path, "weekly", [webhook.url])
    refused = webhook.next()
    webhook.status = 200
    fill_today(Warehouse(warehouse_path), DAY, dt.time(12))
    later = MONDAY_AFTER + dt.timedelta(minutes=15)
    intraday = build_intraday_assets(
        None, targets=targets(), settings=MonitorSettings(), default_bot="default", report_urls=(Secret(webhook.url),),
        clock=lambda: later,
    )  # fmt: skip
    result = dg.materialize(
        [conversations_today_stand_in, *intraday],
        selection=[dg.AssetKey(SLA_INTRADAY.asset_key_path)],
        resources={"warehouse": WarehouseResource(duckdb_path=str(warehouse_path), landing_dir=str(warehouse_path))},
    )
    again = webhook.next()
    assert (again["title"], again["message"]) == (refused["title"], refused["message"])
    (materialization,) = result.asset_materializations_for_node("kpi__sla_intraday")
    assert materialization.metadata["report_messages_retried"].value == 1
    (row,) = deliveries(warehouse_path)
    assert row["sent_at"] == later and row["outcome"] == "sent"
