"""``monitor.verdicts``: the judged service level, the one table every surface reads.

One row per bot, span (``day``: a final day; ``today``: the day so far), day, group and metric with a
target, holding the :class:`~live_assets.monitor.judging.Verdict` with its value, target, reason and
counts. ``kpi/sla_intraday`` writes today's in the transaction that updates the alerts from them;
``targets_met`` on ``kpi/sla_daily`` writes each final day's. The report, the demo's terminal lines and
the alerts read them back, so no surface judges on its own.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from live_assets.kpis import queries
from live_assets.monitor.judging import METRICS_BY_NAME, Judgement, Verdict

MONITOR_PACKAGE: Final = "live_assets.monitor"
VERDICTS_TABLE: Final = "monitor.verdicts"


class Span(enum.StrEnum):
    DAY = "day"  # a final day
    TODAY = "today"  # the day so far


@dataclass(frozen=True)
class StoredVerdict:
    """One row of ``monitor.verdicts``."""

    bot: str
    span: Span
    day: dt.date
    group_id: str | None
    group_name: str | None
    metric: str
    verdict: Verdict
    value: float | None
    target: float | None
    reason: str
    offered: int
    lost: int

    @property
    def group_label(self) -> str:
        return self.group_name or f"group {self.group_id}"

    @property
    def metric_label(self) -> str:
        metric = METRICS_BY_NAME.get(self.metric)
        return metric.label if metric else self.metric


def ensure_verdicts_table(connection: Any) -> None:
    queries.run_script(connection, queries.read_sql(MONITOR_PACKAGE, "verdicts.sql"), {})


def replace_verdicts(
    connection: Any, *, bot: str, span: Span, day: dt.date, judgements: Sequence[Judgement], judged_at: dt.datetime
) -> None:
    """Replace the verdicts of ``bot``, ``span`` and ``day`` by ``judgements``, on ``connection`` (the
    caller's transaction: the rows of a day are never seen half written)."""
    ensure_verdicts_table(connection)
    key = {"bot": bot, "span": span.value, "day": day}
    queries.run_script(connection, queries.read_sql(MONITOR_PACKAGE, "verdicts_delete.sql"), key)
    insert = queries.read_sql(MONITOR_PACKAGE, "verdicts_insert.sql")
    for judgement in judgements:
        figures = judgement.figures
        queries.run_script(
            connection,
            insert,
            key
            | {
                "group_id": None if figures.group_id is None else str(figures.group_id),
                "group_name": figures.group_name,
                "metric": judgement.metric.name,
                "verdict": judgement.verdict.value,
                "value": judgement.value,
                "target": judgement.target,
                "reason": judgement.reason,
                "offered": figures.offered,
                "lost": figures.lost,
                "judged_at": judged_at,
            },
        )


def read_verdicts(
    connection: Any, *, bot: str, span: Span, first_day: dt.date, last_day: dt.date
) -> list[StoredVerdict]:
    """The stored verdicts of ``bot`` and ``span`` over ``first_day..last_day`` (the table must exist)."""
    rows = queries.run_script(
        connection,
        queries.read_sql(MONITOR_PACKAGE, "verdicts_read.sql"),
        {"bot": bot, "span": span.value, "first_day": first_day, "last_day": last_day},
    )
    return [
        StoredVerdict(
            bot=row["bot"],
            span=Span(row["span"]),
            day=row["day"],
            group_id=row["group_id"],
            group_name=row["group_name"],
            metric=row["metric"],
            verdict=Verdict(row["verdict"]),
            value=row["value"],
            target=row["target"],
            reason=row["reason"] or "",
            offered=row["offered"] or 0,
            lost=row["lost"] or 0,
        )
        for row in (dict(zip(rows.columns, values, strict=True)) for values in rows.rows)
    ]


def service_level_summary(verdicts: Sequence[StoredVerdict]) -> str:
    """One sentence over a span of days: how many groups were off target and where, else unknown, else on.

    ``2 of 4 groups off target: Sales SLA % (5 days), Support wait p90 (1 day)``.
    """
    groups = {(v.group_id, v.group_label) for v in verdicts}
    if not groups:
        return "service level not judged yet (no verdict in monitor.verdicts)"
    off: dict[tuple[str, str], set[dt.date]] = {}
    for v in verdicts:
        if v.verdict is Verdict.OFF_TARGET:
            off.setdefault((v.group_label, v.metric_label), set()).add(v.day)
    off_groups = {group for group, _ in off}
    unknown = sorted({(v.group_label, v.reason) for v in verdicts if v.verdict is Verdict.UNKNOWN})
    parts = []
    if off:
        where = ", ".join(
            f"{group} {metric} ({len(days)} day{'s' if len(days) > 1 else ''})"
            for (group, metric), days in sorted(off.items())
        )
        parts.append(f"{len(off_groups)} of {len(groups)} groups {Verdict.OFF_TARGET}: {where}")
    else:
        parts.append(f"no group {Verdict.OFF_TARGET} ({len(groups)} groups)")
    if unknown:
        reasons = sorted({reason for _, reason in unknown})
        parts.append(f"{len({g for g, _ in unknown})} group(s) {Verdict.UNKNOWN}: {'; '.join(reasons)}")
    return "; ".join(parts)
