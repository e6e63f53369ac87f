"""Alerts as state in the warehouse (``monitor.alerts``), evaluated after each intraday refresh.

The life of an alert (one metric of one group of one bot, on one day):

- it **opens** at the first evaluation that finds the metric off target (from ``min_offered`` offered);
  a metric that is unknown or has too few offered never opens one;
- it **stays open** while the metric stays off, or cannot be judged (too few offered, unknown value):
  its value, counts and window follow the latest figures, and nothing is sent again (an unknown
  verdict never resolves an alert either);
- it is **resolved** at the first evaluation that finds the metric back on target, or when a later day
  is evaluated (the day ended off target; its final figures are in ``kpi.sla_daily``).

The evaluation first stores the day's verdicts (``monitor.verdicts``, span ``today``) and changes the
alerts from those very verdicts, in the same transaction: the table and the alerts never disagree.

One notification when it opens, one when it is resolved. The text is stored with the state change
and sent after the warehouse transaction (no network call under the warehouse's lock); a message a URL
did not accept stays pending and the same text is sent to that URL at the next evaluation. A delivery
that succeeds but whose record is lost with a crash right after would be sent again: at least once,
never none. Every write goes through ``warehouse.atomically``: on a DuckLake, a commit that lost to
another writer of the table (another bot's evaluation) runs again from its start, sending nothing
twice (the sending is outside it). Notifications more than ``STALE_AFTER`` old are no longer sent (a
URL configured today does not receive last month's backlog); they stay in the table, unsent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from live_assets.kpis import queries
from live_assets.monitor import delivery, messages
from live_assets.monitor.judging import METRICS_BY_NAME, GroupFigures, Judgement, Verdict
from live_assets.monitor.verdict_table import MONITOR_PACKAGE, Span, replace_verdicts
from live_assets.secret import Secret
from live_assets.warehouse import Warehouse

ALERTS_TABLE: Final = "monitor.alerts"
STALE_AFTER: Final = dt.timedelta(days=1)
_OPEN_ALERTS = (
    f"SELECT * FROM {ALERTS_TABLE} WHERE bot = $bot AND resolved_at IS NULL ORDER BY opened_at, group_name, metric"
)
_UPDATE_OPEN = (
    f'UPDATE {ALERTS_TABLE} SET value = $value, offered = $offered, lost = $lost, "window" = $window, '
    "last_evaluated_at = $now WHERE alert_id = $alert_id"
)
_INSERT = (
    f"INSERT INTO {ALERTS_TABLE} (alert_id, bot, day, group_id, group_name, metric, value, target, "
    '"window", offered, lost, opened_at, last_evaluated_at, open_message) VALUES ('
    "CAST(hash($bot, $day, $group_id, $metric, $now) % 9223372036854775807 AS BIGINT), $bot, $day, $group_id, "
    "$group_name, $metric, $value, $target, $window, $offered, $lost, $now, $now, $message)"
)
_RESOLVE = (
    f"UPDATE {ALERTS_TABLE} SET resolved_at = $now, resolve_message = $message, value = $value, offered = $offered, "
    'lost = $lost, "window" = $window, last_evaluated_at = $now WHERE alert_id = $alert_id'
)
_PENDING = (
    f"SELECT alert_id, day, 'open' AS kind, open_message AS message, notified_to AS sent_to FROM {ALERTS_TABLE} "
    "WHERE bot = $bot AND notified_at IS NULL AND opened_at >= $since "
    "UNION ALL "
    f"SELECT alert_id, day, 'resolve', resolve_message, resolved_notified_to FROM {ALERTS_TABLE} "
    "WHERE bot = $bot AND resolved_at IS NOT NULL AND resolved_notified_at IS NULL AND resolved_at >= $since "
    "ORDER BY day, alert_id, kind"
)
_MARK = {
    "open": f"UPDATE {ALERTS_TABLE} SET notified_to = $sent_to, notified_at = $done_at WHERE alert_id = $alert_id",
    "resolve": (
        f"UPDATE {ALERTS_TABLE} SET resolved_notified_to = $sent_to, resolved_notified_at = $done_at "
        "WHERE alert_id = $alert_id"
    ),
}


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation changed and sent, for the materialization's metadata and the checks."""

    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    pending: int = 0  # notifications still unsent after this evaluation
    days: set[dt.date] = field(default_factory=set)  # the days of the alerts it wrote (to publish them)


def open_alerts(connection: Any, bot: str) -> list[dict[str, Any]]:
    """The bot's alerts still open, oldest first, every column of ``monitor.alerts``: what the evaluation
    updates, today's page shows and the demo prints."""
    cursor = connection.execute(_OPEN_ALERTS, {"bot": bot})
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def ensure_alerts_table(connection: Any) -> None:
    queries.run_script(connection, queries.read_sql(MONITOR_PACKAGE, "alerts.sql"), {})


def _record(connection: Any, sql: str, parameters: dict[str, Any]) -> None:
    connection.execute(sql, {name: parameters[name] for name in queries.parameters_of(sql)})


def _label(judgement: Judgement) -> str:
    return f"{judgement.figures.group_label} {judgement.metric.name}"


def _window(figures: GroupFigures, today: dt.date) -> str:
    return messages.window_text(figures.day, figures.window_start, figures.window_end, today=figures.day == today)


def _last_known(alert: dict[str, Any]) -> Judgement:
    """The alert's latest figures as a judgement (for a day that ended while it was open)."""
    figures = GroupFigures(
        bot=alert["bot"],
        day=alert["day"],
        group_id=alert["group_id"],
        group_name=alert["group_name"],
        window_start=dt.datetime.combine(alert["day"], dt.time()),
        window_end=dt.datetime.combine(alert["day"], dt.time()),
        offered=alert["offered"],
        lost=alert["lost"],
        values={},
    )
    return Judgement(figures, METRICS_BY_NAME[alert["metric"]], Verdict.OFF_TARGET, alert["value"], alert["target"])


def update_state(
    warehouse: Warehouse,
    *,
    bot: str,
    day: dt.date,
    judgements: Sequence[Judgement],
    now: dt.datetime,
    page: str | None,
) -> Evaluation:
    """Store the judgements of ``day`` as today's verdicts and open, keep and resolve the bot's alerts
    from them, in one transaction (run again from its start if a concurrent writer commits first, on a
    DuckLake)."""
    by_key = {(j.figures.group_id, j.metric.name): j for j in judgements}

    def apply(connection: Any) -> Evaluation:
        evaluation = Evaluation(days={day})
        replace_verdicts(connection, bot=bot, span=Span.TODAY, day=day, judgements=judgements, judged_at=now)
        ensure_alerts_table(connection)
        still_open = {(row["group_id"], row["metric"]): row for row in open_alerts(connection, bot)}
        for key, alert in still_open.items():
            evaluation.days.add(alert["day"])
            _follow(connection, evaluation, alert, by_key.get(key), day, now, page)
        for key, judgement in by_key.items():
            current = still_open.get(key)
            if judgement.verdict is not Verdict.OFF_TARGET or (current is not None and current["day"] == day):
                continue
            window = _window(judgement.figures, day)
            parameters = _values(judgement, window, now) | {
                "bot": bot,
                "day": day,
                "group_id": judgement.figures.group_id,
                "group_name": judgement.figures.group_name,
                "metric": judgement.metric.name,
                "target": judgement.target,
                "message": messages.open_message(judgement, window, page),
            }
            _record(connection, _INSERT, parameters)
            evaluation.opened.append(_label(judgement))
        return evaluation

    return warehouse.atomically(apply, what=f"{ALERTS_TABLE} of {bot} {day}")


def _follow(
    connection: Any,
    evaluation: Evaluation,
    alert: dict[str, Any],
    judgement: Judgement | None,
    day: dt.date,
    now: dt.datetime,
    page: str | None,
) -> None:
    """One open alert after the evaluation of ``day``: resolved (back on target, or its day ended), kept
    current (still off), or left as it is (too few offered, unknown value)."""
    if alert["day"] < day:
        last = _last_known(alert)
        message = messages.resolve_message(last, alert["window"], page, day_ended=True)
        values = {"value": alert["value"], "offered": alert["offered"], "lost": alert["lost"]}
        _record(
            connection,
            _RESOLVE,
            {**values, "window": alert["window"], "alert_id": alert["alert_id"], "now": now, "message": message},
        )
        evaluation.resolved.append(f"{last.figures.group_label} {alert['metric']} (day ended)")
    elif judgement is not None and judgement.verdict is Verdict.ON_TARGET:
        window = _window(judgement.figures, day)
        message = messages.resolve_message(judgement, window, page)
        _record(
            connection, _RESOLVE, _values(judgement, window, now) | {"alert_id": alert["alert_id"], "message": message}
        )
        evaluation.resolved.append(_label(judgement))
    elif judgement is not None and judgement.verdict is Verdict.OFF_TARGET:
        window = _window(judgement.figures, day)
        _record(connection, _UPDATE_OPEN, _values(judgement, window, now) | {"alert_id": alert["alert_id"]})
        evaluation.still_open.append(_label(judgement))
    else:
        evaluation.still_open.append(f"{alert['group_name']} (id {alert['group_id']}) {alert['metric']}")


def _values(judgement: Judgement, window: str, now: dt.datetime) -> dict[str, Any]:
    figures = judgement.figures
    return {"value": judgement.value, "offered": figures.offered, "lost": figures.lost, "window": window, "now": now}


@dataclass(frozen=True)
class Sent:
    """What one delivery round did: messages completed, failures, messages still pending, their alerts' days."""

    sent: int = 0
    failures: list[str] = field(default_factory=list)
    pending: int = 0
    days: set[dt.date] = field(default_factory=set)


def send_pending(warehouse: Warehouse, *, bot: str, urls: Sequence[Secret], now: dt.datetime) -> Sent:
    """Send the bot's unsent notifications, then record who accepted them (retried on a conflict; the
    sending is not repeated)."""
    if not urls:
        return Sent()
    with warehouse.connect() as connection:
        ensure_alerts_table(connection)
        pending = connection.execute(_PENDING, {"bot": bot, "since": now - STALE_AFTER}).fetchall()
    sent, failures, outcomes = 0, [], []
    for alert_id, _day, kind, message, sent_to in pending:
        result = delivery.deliver(message, urls, already=sent_to or ())
        failures += [f"alert {alert_id} ({kind}): {failure}" for failure in result.failures]
        sent += result.complete
        outcomes.append((alert_id, kind, result))

    def mark(connection: Any) -> None:
        for alert_id, kind, result in outcomes:
            done_at = now if result.complete else None
            connection.execute(
                _MARK[kind], {"sent_to": list(result.accepted_by), "done_at": done_at, "alert_id": alert_id}
            )

    if outcomes:
        warehouse.atomically(mark, what=f"{ALERTS_TABLE} notifications of {bot}")
    return Sent(sent, failures, len(outcomes) - sent, {day for _, day, *_ in pending})


def evaluate(
    warehouse: Warehouse,
    *,
    bot: str,
    day: dt.date,
    judgements: Sequence[Judgement],
    urls: Sequence[Secret],
    page: str | None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Update the alerts from ``judgements``, then send every pending notification of the bot."""
    moment = now or dt.datetime.now(dt.UTC)
    evaluation = update_state(warehouse, bot=bot, day=day, judgements=judgements, now=moment, page=page)
    done = send_pending(warehouse, bot=bot, urls=urls, now=moment)
    return dataclasses.replace(
        evaluation, sent=done.sent, failures=done.failures, pending=done.pending, days=evaluation.days | done.days
    )
