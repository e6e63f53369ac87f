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
    """(passed, description, metadata) of ``targets_met`` over ``judgements`` (one bot and day, or several)."""
    off = [j for j in judgements if j.verdict is Verdict.OFF]
    too_few = {j.figures.group_label for j in judgements if j.verdict is Verdict.TOO_FEW}
    unknown = [j for j in judgements if j.verdict is Verdict.UNKNOWN]
    groups = {j.figures.group_label for j in judgements}
    metadata: dict[str, Any] = {
        "groups": len(groups),
        "off_target": len(off),
        "groups_with_too_few_offered": len(too_few),
        "unknown_values": len(unknown),
    }
    if off:
        metadata["off_target_groups"] = dg.MetadataValue.md(markdown_preview(OFF_COLUMNS, [_row(j) for j in off]))
    if unknown:
        metadata["unknown"] = dg.MetadataValue.md(markdown_preview(OFF_COLUMNS, [_row(j) for j in unknown]))
    if off:
        names = sorted({f"{j.figures.group_label} {j.metric.label}" for j in off})
        return False, f"{len(off)} metric(s) off target: {', '.join(names)}", metadata
    return True, f"every judged group on target ({len(groups) - len(too_few)} of {len(groups)} judged)", metadata


def judge_rows(bot: str, rows: Sequence[dict[str, Any]], targets: Targets) -> list[Judgement]:
    return judge_all([GroupFigures.from_row(bot, row) for row in rows], targets)
