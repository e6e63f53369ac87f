"""Checks on ``raw/conversations`` itself: each conversation held once, each in its own day.

Both are blocking: a duplicated or misplaced conversation would silently inflate or move the KPIs, and
a KPI partition should not be computed from a day that fails them. They call no API, so they take no
slot of the ``live_api`` pool.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
from collections import defaultdict
from typing import Any

import dagster as dg

from live_assets.asset_checks.by_partition import PartitionSpan, Verdict
from live_assets.asset_checks.factory import RowsQuery, build_partition_check
from live_assets.asset_checks.reading import Reading
from live_assets.raw.metadata import markdown_preview

CONVERSATIONS = dg.AssetKey(["raw", "conversations"])
SAMPLE_SIZE = 10


def duplicates_verdict(span: PartitionSpan, duplicates: list[dict[str, Any]]) -> Verdict:
    if not duplicates:
        return Verdict(True, f"{span.key}: every conversation_id is held once", {"duplicated_ids": 0})
    extra = sum(int(row["copies"]) - 1 for row in duplicates)
    sample = [
        (row["conversation_id"], row["copies"], ", ".join(str(day) for day in row["days"]))
        for row in duplicates[:SAMPLE_SIZE]
    ]
    return Verdict(
        False,
        f"{span.key}: {len(duplicates)} conversation_id(s) of this day are held more than once ({extra} extra rows)",
        {
            "duplicated_ids": len(duplicates),
            "extra_rows": extra,
            "sample": dg.MetadataValue.md(markdown_preview(["conversation_id", "copies", "days"], sample)),
        },
    )


def decide_duplicates(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
    by_day: defaultdict[object, list[dict[str, Any]]] = defaultdict(list)
    for row in reading.records():
        by_day[row["day"]].append(row)
    return {
        span.key: duplicates_verdict(span, [row for day in span.days() for row in by_day.get(day, [])])
        for span in spans
    }


def window_verdict(span: PartitionSpan, day_rows: list[dict[str, Any]]) -> Verdict:
    rows = sum(int(row["rows"]) for row in day_rows)
    outside = sum(int(row["outside"]) for row in day_rows)
    metadata: dict[str, object] = {"rows": rows, "rows_outside_window": outside}
    if day_rows:
        metadata["first_queued_at"] = str(min(row["first_queued_at"] for row in day_rows))
        metadata["last_queued_at"] = str(max(row["last_queued_at"] for row in day_rows))
    window = f"{span.first_day} 00:00:00..{span.last_day} 23:59:59"
    if not outside:
        return Verdict(True, f"{span.key}: all {rows} rows queued within {window}", metadata)
    sample = [conversation_id for row in day_rows for conversation_id in row["sample_ids"]][:SAMPLE_SIZE]
    metadata["sample_conversation_ids"] = ", ".join(str(c) for c in sample)
    return Verdict(False, f"{span.key}: {outside} of {rows} rows are not queued within {window}", metadata)


def decide_windows(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
    by_day = {row["day"]: row for row in reading.records()}
    return {span.key: window_verdict(span, [by_day[d] for d in span.days() if d in by_day]) for span in spans}


def build_conversation_checks(daily: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """``conversation_id_unique`` and ``queued_within_partition_day`` on ``raw/conversations``, both blocking."""
    checks = (
        ("conversation_id_unique", "conversation_duplicates.sql", decide_duplicates,
         "Each conversation_id is held once per bot (across all days): no conversation counted twice."),
        ("queued_within_partition_day", "conversation_outside_day.sql", decide_windows,
         "Every row's queued_at lies inside its partition's day (D 00:00:00..D 23:59:59, bot's time zone)."),
    )  # fmt: skip
    return [
        build_partition_check(
            asset=CONVERSATIONS,
            name=name,
            partitions_def=daily,
            description=description,
            query=RowsQuery(tables=["raw.conversations"], sql_file=sql_file),
            decide=decide,
            blocking=True,
        )
        for name, sql_file, decide, description in checks
    ]
