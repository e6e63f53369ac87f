"""What ``targets_met`` says about a set of group figures: every group off target, with value, target, counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg

from live_assets.monitor.judging import GroupFigures, Judgement, Verdict, format_value, judge_all
from live_assets.monitor.messages import hours_text
from live_assets.monitor.targets import Targets
from live_assets.raw.metadata import markdown_preview

OFF_COLUMNS = ("group", "metric", "value", "target", "offered", "lost", "window")


def _row(judgement: Judgement) -> tuple[object, ...]:
    figures, metric = judgement.figures, judgement.metric
    value = None if judgement.value is None else format_value(metric, judgement.value)
    window = hours_text(figures.day, figures.window_start, figures.window_end)
    return (
        figures.group_label,
        metric.label,
        value,
        metric.target_text(judgement.target),
        figures.offered,
        figures.lost,
        window,
    )


def targets_metadata(judgements: Sequence[Judgement]) -> tuple[bool, str, dict[str, Any]]:
    """(passed, description, metadata) of ``targets_met`` over ``judgements`` (one bot and day, or several).

    In :class:`Verdict`'s words, as the report and the demo say it. Not a pass when a metric is off
    target or unknown: a figure nobody could compute is never reported as on target.
    """
    by_verdict: dict[Verdict, list[Judgement]] = {verdict: [] for verdict in Verdict}
    for judgement in judgements:
        by_verdict[judgement.verdict].append(judgement)
    off, unknown = by_verdict[Verdict.OFF_TARGET], by_verdict[Verdict.UNKNOWN]
    groups = {j.figures.group_label for j in judgements}
    groups_by_verdict = {verdict: {j.figures.group_label for j in found} for verdict, found in by_verdict.items()}
    metadata: dict[str, Any] = {"groups": len(groups)} | {
        f"groups {verdict.value}": len(labels) for verdict, labels in groups_by_verdict.items()
    }
    if off:
        metadata["off_target_groups"] = dg.MetadataValue.md(markdown_preview(OFF_COLUMNS, [_row(j) for j in off]))
    if unknown:
        metadata["unknown"] = dg.MetadataValue.md(
            markdown_preview((*OFF_COLUMNS, "reason"), [(*_row(j), j.reason) for j in unknown])
        )
    if not groups:
        return True, "no group to judge yet (no conversation)", metadata
    sentences = []
    if off:
        names = ", ".join(sorted({f"{j.figures.group_label} {j.metric.label} {j.reason}" for j in off}))
        off_groups = len(groups_by_verdict[Verdict.OFF_TARGET])
        sentences.append(f"{off_groups} of {len(groups)} groups {Verdict.OFF_TARGET}: {names}")
    for metric_label, reason in sorted({(j.metric.label, j.reason) for j in unknown}):
        count = len({j.figures.group_label for j in unknown if (j.metric.label, j.reason) == (metric_label, reason)})
        sentences.append(f"{metric_label} of {count} group{'s' if count > 1 else ''} {Verdict.UNKNOWN}: {reason}")
    if not sentences:
        on = len(groups_by_verdict[Verdict.ON_TARGET] - groups_by_verdict[Verdict.TOO_FEW])
        sentences.append(f"{on} of {len(groups)} groups {Verdict.ON_TARGET}")
        if groups_by_verdict[Verdict.TOO_FEW]:
            sentences[-1] += f", {len(groups_by_verdict[Verdict.TOO_FEW])} {Verdict.TOO_FEW} to judge"
    return not off and not unknown, "; ".join(sentences), metadata


def judge_rows(bot: str, rows: Sequence[dict[str, Any]], targets: Targets) -> list[Judgement]:
    return judge_all([GroupFigures.from_row(bot, row) for row in rows], targets)
