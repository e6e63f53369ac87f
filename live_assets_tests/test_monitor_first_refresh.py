"""A new deployment's first intraday refresh judges the service level and alerts; a group without an SLA
threshold is unknown everywhere (never on target, no alert).

The first test is the path of a fresh instance: an empty warehouse, no group list loaded yet, the
simulator over HTTP with one group degraded all day, today's raw step and ``kpi/sla_intraday`` in one
real Dagster run, the default 80 % target and a local webhook behind Apprise's ``json://``. The bot's
zone is the one where it is 14:00 now, so the day so far has the same shape whatever the hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from live_assets.backfill.days import zone_at_local_hour
from live_assets.kpis.tables import SLA_INTRADAY
from live_assets.monitor.assets import TARGETS_MET, build_intraday_assets
from live_assets.monitor.judging import Verdict
from live_assets.monitor.settings import MonitorSettings
from live_assets.monitor.targets import Targets
from live_assets.monitor.verdict_table import Span, read_verdicts
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.secret import Secret
from live_assets.simulator import SimulatorConfig, SimulatorServer
from live_assets.simulator.config import Degradation
from live_assets.warehouse import Warehouse
from live_assets_tests.layout import RAW_ASSETS, raw_keys
from live_assets_tests.monitor_support import Receiver, running_receiver
from live_assets_tests.pipeline import simulator_env

DEGRADED = Degradation(1, dt.time(0), dt.time(23, 59, 59), extra_wait_s=900)
SLA_INTRADAY_KEY = dg.AssetKey(SLA_INTRADAY.asset_key_path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_the_first_refresh_of_a_new_instance_alerts_on_a_degraded_group(tmp_path: Path, receiver: Receiver) -> None:
    zone = zone_at_local_hour(14, dt.datetime.now(dt.UTC))
    config = SimulatorConfig(seed=7, conversations_per_day=300, timezone=zone, degraded=DEGRADED)
    settings = MonitorSettings(alert_urls=(Secret(receiver.url),))
    intraday = build_intraday_assets(None, targets=Targets(), settings=settings, default_bot="default")
    path = tmp_path / "live.duckdb"
    with SimulatorServer(config) as server, pytest.MonkeyPatch.context() as patch:
        for name, value in simulator_env(server.base_url, tmp_path, LIVE_TIMEZONE=zone).items():
            patch.setenv(name, value)
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [*RAW_ASSETS, *intraday],
                selection=[*raw_keys("conversations_today"), SLA_INTRADAY_KEY],
                instance=instance,
                resources={
                    "live_api": LiveApiResource(),
                    "warehouse": WarehouseResource(duckdb_path=str(path), landing_dir=str(tmp_path / "landing")),
                },
            )
    assert result.success
    today_key = dg.AssetKey(["raw", "conversations_today"])
    (today,) = [m for m in result.get_asset_materialization_events() if m.asset_key == today_key]
    lists_used = str(today.materialization.metadata["lists_used"].value)
    assert "raw.groups of default: missing, fetched with today's refresh" in lists_used
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == TARGETS_MET]
    assert not check.passed and "off target" in (check.description or "") and "Atendimento Brasil" in check.description

    messages = receiver.drain()
    titles = [message["title"] for message in messages]
    assert any(title.startswith("[live-assets] ALERT default · Atendimento Brasil") for title in titles), titles
    with Warehouse(path).connect() as connection:
        day = dt.datetime.now(ZoneInfo(zone)).date()
        verdicts = read_verdicts(connection, bot="default", span=Span.TODAY, first_day=day, last_day=day)
    degraded = [v for v in verdicts if v.group_id == "1" and v.metric == "sla_pct"]
    assert [v.verdict for v in degraded] == [Verdict.OFF_TARGET] and degraded[0].value < 80
    assert Verdict.UNKNOWN not in {v.verdict for v in verdicts}
