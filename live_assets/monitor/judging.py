"""A group's figures against its targets: on target, off target, too few to judge, or unknown.

One judgement per group and metric with a target. A figure that cannot be computed (no SLA % without
the group's SLA threshold, no wait p90 without an attended conversation) is *unknown*, with the reason,
and never counts as on target. A known figure is judged only from ``min_offered`` offered
conversations (a handful of chats says nothing about a service level). The judgements are stored in
``monitor.verdicts`` (``live_assets/monitor/verdict_table.py``), which the alerts, the ``targets_met``
checks, the report and the demo all read, so they never disagree; :class:`Verdict` holds their words.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from live_assets.monitor.targets import GroupTargets, Targets


class Verdict(enum.StrEnum):
    """The one vocabulary of a service-level verdict: stored in ``monitor.verdicts``, shown everywhere."""

    ON_TARGET = "on target"
    OFF_TARGET = "off target"
    TOO_FEW = "too few"
    UNKNOWN = "unknown"


# Why a figure is unknown, by KPI column (the figure is NULL in the KPI tables for these reasons only).
UNKNOWN_REASONS: Final = {
    "sla_pct": "no SLA threshold (load raw/groups)",
    "abandonment_rate": "no conversation",
    "wait_p90_s": "no attended conversation",
}


@dataclass(frozen=True)
class Metric:
    """A metric that can have a target: its name in alerts, the KPI column, the target field, its sense."""

    name: str
    label: str
    column: str
    target_field: str
    at_most: bool  # True: off when above the target; False: off when below

    def is_off(self, value: float, target: float) -> bool:
        return value > target if self.at_most else value < target

    def target_text(self, target: float) -> str:
        return f"{'at most' if self.at_most else 'at least'} {format_value(self, target)}"


METRICS: Final = (
    Metric("sla_pct", "SLA %", "sla_pct", "sla_pct_min", at_most=False),
    Metric("abandonment_pct", "abandonment %", "abandonment_rate", "abandonment_pct_max", at_most=True),
    Metric("wait_p90_s", "wait p90", "wait_p90_s", "wait_p90_s_max", at_most=True),
)
METRICS_BY_NAME: Final = {metric.name: metric for metric in METRICS}


def format_value(metric: Metric, value: float) -> str:
    return f"{value:.0f} s" if metric.name == "wait_p90_s" else f"{value:.1f}"


@dataclass(frozen=True)
class GroupFigures:
    """One group's figures over a window of one day (the day so far, or a whole final day)."""

    bot: str
    day: dt.date
    group_id: int | None
    group_name: str | None
    window_start: dt.datetime
    window_end: dt.datetime
    offered: int
    lost: int
    values: Mapping[str, float | None]  # by KPI column

    @classmethod
    def from_row(cls, bot: str, row: Mapping[str, Any]) -> GroupFigures:
        """From a row of kpi.sla_intraday (span day_so_far) or of the group figures of a day."""
        return cls(
            bot=bot,
            day=row["day"],
            group_id=row["group_id"],
            group_name=row["group_name"],
            window_start=row["bucket_start"],
            window_end=row["bucket_end"],
            offered=row["offered"],
            lost=row["lost"],
            values={metric.column: row[metric.column] for metric in METRICS},
        )

    @property
    def group_label(self) -> str:
        return f"{self.group_name or 'no group'} (id {self.group_id})"


@dataclass(frozen=True)
class Judgement:
    figures: GroupFigures
    metric: Metric
    verdict: Verdict
    value: float | None
    target: float
    reason: str = ""


def judge(figures: GroupFigures, targets: GroupTargets) -> list[Judgement]:
    """One judgement per metric of the group that has a target.

    Unknown comes first: a group whose SLA % cannot be computed is unknown whatever its volume (a
    missing threshold is a gap to fix, not a quiet hour); then too few offered; then on or off target.
    """
    judgements = []
    for metric in METRICS:
        target = getattr(targets, metric.target_field)
        if target is None:
            continue
        value = figures.values[metric.column]
        if value is None:
            verdict, reason = Verdict.UNKNOWN, UNKNOWN_REASONS[metric.column]
        elif figures.offered < targets.min_offered:
            verdict, reason = Verdict.TOO_FEW, f"{figures.offered} offered, judged from {targets.min_offered}"
        elif metric.is_off(value, target):
            verdict, reason = Verdict.OFF_TARGET, f"{format_value(metric, value)} (target {metric.target_text(target)})"
        else:
            verdict, reason = Verdict.ON_TARGET, ""
        judgements.append(Judgement(figures, metric, verdict, value, target, reason))
    return judgements


def judge_all(groups: Iterable[GroupFigures], targets: Targets) -> list[Judgement]:
    return [
        judgement
        for figures in groups
        for judgement in judge(figures, targets.for_group(figures.bot, figures.group_id, figures.group_name))
    ]
