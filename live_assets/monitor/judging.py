"""A group's figures against its targets: which metrics are off, met, or cannot be judged.

One judgement per group and metric with a target. Judged only from ``min_offered`` offered
conversations (a handful of chats says nothing about a service level), and only when the figure is
known (no SLA % without a threshold, no wait p90 without an attended conversation). The check
``targets_met`` and the alerts both read these judgements, so they never disagree.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from live_assets.monitor.targets import GroupTargets, Targets


class Verdict(enum.StrEnum):
    OFF = "off target"
    MET = "met"
    TOO_FEW = "too few offered"
    UNKNOWN = "unknown"


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


def judge(figures: GroupFigures, targets: GroupTargets) -> list[Judgement]:
    """One judgement per metric of the group that has a target."""
    judgements = []
    for metric in METRICS:
        target = getattr(targets, metric.target_field)
        if target is None:
            continue
        value = figures.values[metric.column]
        if figures.offered < targets.min_offered:
            verdict = Verdict.TOO_FEW
        elif value is None:
            verdict = Verdict.UNKNOWN
        else:
            verdict = Verdict.OFF if metric.is_off(value, target) else Verdict.MET
        judgements.append(Judgement(figures, metric, verdict, value, target))
    return judgements


def judge_all(groups: Iterable[GroupFigures], targets: Targets) -> list[Judgement]:
    return [
        judgement
        for figures in groups
        for judgement in judge(figures, targets.for_group(figures.bot, figures.group_id, figures.group_name))
    ]
