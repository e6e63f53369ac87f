"""The demo's last part: today so far, its service level and its alerts, through the running Dagster.

The simulated API serves one group badly for a stretch of today (``SimulatorConfig.degraded``: longer
waits, more lost chats), so that an alert opens. The demo launches ``live_intraday`` (today's
conversations, ``kpi/sla_intraday``, the alert evaluation) with the tags its schedule gives it, waits
for the run, then shows each group's day so far, the bot's open alerts, and what the webhook it listens
on (``LIVE_ALERT_URLS`` of the Dagster processes) received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from live_assets.automation import INTRADAY_PRIORITY
from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.runs import launch_job, wait_for_run
from live_assets.backfill.submit import LAUNCHED_BY_TAG, RunInfo
from live_assets.devtools.demo.webhook import Receiver
from live_assets.kpis import queries
from live_assets.monitor.alerts import open_alerts
from live_assets.monitor.verdict_table import Span, StoredVerdict, read_verdicts, service_level_summary
from live_assets.names import PRIORITY_TAG
from live_assets.simulator.config import Degradation
from live_assets.warehouse import Warehouse

INTRADAY_JOB = "live_intraday"
DEGRADED_GROUP = 1  # the busiest group of the simulator's bots (38 % of the chats)
DEGRADED_HOURS = 4  # the stretch: up to this many hours before now, to an hour after it
EXTRA_WAIT_S = 900
# Chats of the group per hour of today's stretch on top of its usual ones (the past days keep their
# volume): at 00:30 the day so far holds a couple of chats, under any sensible min_offered; with the
# surge, 30 minutes of stretch are judgeable.
SURGE_PER_HOUR = 120
DEMO_PACKAGE = "live_assets.devtools.demo"


def degraded_stretch(now: dt.datetime) -> Degradation:
    """``DEGRADED_GROUP`` served badly, with a surge of chats, from ``DEGRADED_HOURS`` before ``now`` (wall
    clock of the bot, not before midnight) to an hour after it (not past the day's end): the day so far
    ends inside the stretch and holds enough of its chats to be judged at any hour (``min_offered``)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    wall = now.replace(tzinfo=None)
    start = max(midnight, wall - dt.timedelta(hours=DEGRADED_HOURS))
    end = min(wall + dt.timedelta(hours=1), midnight + dt.timedelta(hours=23, minutes=59, seconds=59))
    return Degradation(DEGRADED_GROUP, start.time().replace(microsecond=0), end.time().replace(microsecond=0),
                       extra_wait_s=EXTRA_WAIT_S, surge_per_hour=SURGE_PER_HOUR, surge_on=now.date())  # fmt: skip


def intraday_tags() -> dict[str, str]:
    """The tags of a ``live_intraday_schedule`` run (its run-queue priority), and the demo's own."""
    return {PRIORITY_TAG: INTRADAY_PRIORITY, LAUNCHED_BY_TAG: "demo"}


@dataclass
class TodayOutcome:
    run: RunInfo
    groups: list[dict[str, Any]] = field(default_factory=list)
    open_alerts: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[StoredVerdict] = field(default_factory=list)  # monitor.verdicts of today
    received: list[dict[str, Any]] = field(default_factory=list)


def _records(warehouse: Warehouse, name: str, bot: str) -> list[dict[str, Any]]:
    with warehouse.connect() as connection:
        cursor = connection.execute(queries.read_sql(DEMO_PACKAGE, name), {"bot": bot})
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def refresh_today(
    client: DagsterGraphQL,
    warehouse: Warehouse,
    receiver: Receiver,
    *,
    bot: str,
    timeout: float,
    alive: Callable[[], None],
) -> TodayOutcome:
    """One intraday refresh as the schedule launches it; what it wrote and what the webhook received."""
    run_id = launch_job(client, INTRADAY_JOB, tags=intraday_tags())
    run = wait_for_run(client, run_id, timeout=timeout, alive=alive)
    outcome = TodayOutcome(run)
    if run.status == "SUCCESS":
        outcome.groups = _records(warehouse, "day_so_far.sql", bot)
        with warehouse.connect() as connection:
            outcome.open_alerts = open_alerts(connection, bot)
        if outcome.groups:
            day = outcome.groups[0]["day"]
            with warehouse.connect() as connection:
                outcome.verdicts = read_verdicts(connection, bot=bot, span=Span.TODAY, first_day=day, last_day=day)
    # Delivery happens inside the run, before it ends: whatever was sent has arrived.
    outcome.received = receiver.drain()
    return outcome


def _number(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def describe(outcome: TodayOutcome) -> list[str]:
    """Lines for the terminal: the day so far per group, the open alerts, the webhook's messages."""
    lines = []
    if outcome.groups:
        first = outcome.groups[0]
        lines.append(f"today so far ({first['bucket_start']:%H:%M}–{first['bucket_end']:%H:%M}, as of "
                     f"{first['as_of']:%H:%M:%S %Z}):")  # fmt: skip
        for row in outcome.groups:
            lines.append(
                f"  {row['group_name']:<12} offered {row['offered']:>4}, within SLA {row['within_sla']:>4}, "
                f"lost {row['lost']:>3}: SLA {_number(row['sla_pct'], ' %')}, abandonment "
                f"{_number(row['abandonment_rate'], ' %')}, wait p90 {_number(row['wait_p90_s'], ' s')}"
            )
    else:
        lines.append("today so far: no conversation yet")
    for verdict in outcome.verdicts:  # monitor.verdicts: the words of the check, the alerts and the report
        reason = f", {verdict.reason}" if verdict.reason else ""
        lines.append(f"  {verdict.group_label} {verdict.metric_label}: {verdict.verdict}{reason}")
    if outcome.groups:
        lines.append(f"service level today: {service_level_summary(outcome.verdicts)}")
    lines.append(f"open alerts of the bot: {len(outcome.open_alerts)}")
    for alert in outcome.open_alerts:
        sent = "sent" if alert["notified_at"] is not None else "not sent yet"
        lines.append(
            f"  {alert['group_name']} {alert['metric']}: {_number(alert['value'])} against {alert['target']:g} "
            f"({alert['window']}, {alert['offered']} offered, {alert['lost']} lost; {sent})"
        )
    lines.append(f"the demo's webhook received {len(outcome.received)} message(s):")
    for message in outcome.received:
        lines.append(f"  [{message.get('type', '?')}] {message.get('title', '')}")
        lines += [f"      {line}" for line in str(message.get("message", "")).splitlines()]
    return lines
