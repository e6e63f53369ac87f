"""Reconciliation: every endpoint tells the same story about a day, or the day's KPIs wait.

CONTRACT.md §6 makes every aggregate a function of the same conversations, so for each day the
conversation list, the CSV export, stats, the histogram's buckets, the summary's rows and the SLA's
groups must give the same counts. A difference means a load went wrong (a partial window, a
misparsed export, a day loaded twice), and KPIs computed from the list would then disagree with what
the vendor's own screens show; the check is blocking so that they are not computed.

It is attached to ``raw/sla_by_group``, not ``raw/conversations``: a blocking check holds back every
asset downstream of its asset in the same run, and ``raw/feedback`` and ``raw/conversation_messages``
read ``raw/conversations``. On ``raw/sla_by_group``, which every KPI table reads and no raw asset does,
a failure holds back the KPIs and only them; the raw data still lands, to be investigated.

Only what each endpoint reports is compared ("-" = not reported by that endpoint):

============  ====  ======  =====  =========  =======  ===
measure       list  export  stats  histogram  summary  sla
============  ====  ======  =====  =========  =======  ===
total          x      x       x        x         x      x
attended       x      -       x        -         -      x
lost           x      x       x        x         x      x
transferred    x      x       x        -         x      -
transfers      x      x       -        x         -      -
============  ====  ======  =====  =========  =======  ===

``transferred`` counts conversations with ``transfers > 0``; ``transfers`` is the sum of ``transfers``,
the only transfer figure the histogram gives. The list (``raw.conversations``, what the KPIs read) is
the reference each other source is compared with.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
from collections.abc import Iterator
from typing import Any, Final

import dagster as dg

from live_assets.checks.by_partition import PartitionSpan, Verdict, evaluations
from live_assets.checks.reading import Reading, verdicts_by_bot
from live_assets.raw.metadata import markdown_preview
from live_assets.resources import LiveApiResource, WarehouseResource

SLA_BY_GROUP: Final = dg.AssetKey(["raw", "sla_by_group"])
REFERENCE: Final = "list"
# source -> raw table
SOURCES: Final[dict[str, str]] = {
    "list": "conversations",
    "export": "export_conversations",
    "stats": "conversation_stats",
    "histogram": "histogram",
    "summary": "summary",
    "sla": "sla_by_group",
}
# measure -> the sources that report it (see the module docstring)
MEASURES: Final[dict[str, tuple[str, ...]]] = {
    "total": ("list", "export", "stats", "histogram", "summary", "sla"),
    "attended": ("list", "stats", "sla"),
    "lost": ("list", "export", "stats", "histogram", "summary", "sla"),
    "transferred": ("list", "export", "stats", "summary"),
    "transfers": ("list", "export", "histogram"),
}


def day_verdict(span: PartitionSpan, counts: dict[str, Any]) -> Verdict:
    """Compare one day's counts (``<source>_<measure>`` columns of reconciliation.sql) with the list's."""
    problems: list[str] = []
    mismatches: list[tuple[object, ...]] = []
    if counts["stats_rows"] != 1:
        problems.append(f"stats: {counts['stats_rows']} rows for the day (expected exactly 1)")
    for measure, sources in MEASURES.items():
        reference = counts[f"{REFERENCE}_{measure}"]
        for source in sources[1:]:
            value = counts[f"{source}_{measure}"]
            if value is None or value == reference:
                continue  # None: the stats row is missing, reported above
            difference = int(value) - int(reference)
            mismatches.append((measure, source, f"raw.{SOURCES[source]}", value, reference, f"{difference:+d}"))
            problems.append(f"{source} {measure} {value} vs list {reference} ({difference:+d})")
    table = [
        (measure, *[counts[f"{source}_{measure}"] if source in sources else "-" for source in SOURCES])
        for measure, sources in MEASURES.items()
    ]
    metadata: dict[str, object] = {
        "total": int(counts["list_total"]),
        "lost": int(counts["list_lost"]),
        "transferred": int(counts["list_transferred"]),
        "counts": dg.MetadataValue.md(markdown_preview(["measure", *SOURCES], table)),
        "mismatches": len(problems),
    }
    if mismatches:
        metadata["differences"] = dg.MetadataValue.md(
            markdown_preview(["measure", "source", "table", "value", "list", "difference"], mismatches)
        )
    if problems:
        return Verdict(False, f"{span.key}: " + "; ".join(problems), metadata)
    return Verdict(
        True,
        f"{span.key}: all endpoints agree ({counts['list_total']} conversations, {counts['list_lost']} lost)",
        metadata,
    )


def build_endpoints_reconcile(daily: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=SLA_BY_GROUP,
        name="endpoints_reconcile",
        partitions_def=daily,
        blocking=True,
        additional_deps=[dg.AssetKey(["raw", table]) for table in SOURCES.values() if table != "sla_by_group"],
        description=(
            "Per day, the conversation list, the export, stats, the histogram, the summary and the SLA give the "
            "same total, attended, lost, transferred and transfers counts (each where the endpoint reports it). "
            "Blocking: the day's KPIs are not computed while it fails. On raw/sla_by_group, the raw input of every "
            "KPI that no other raw asset reads, so that it holds back the KPIs only."
        ),
    )
    def endpoints_reconcile(
        context: dg.AssetCheckExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        tables = [f"raw.{table}" for table in SOURCES.values()]

        def decide(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
            by_day = {row["day"]: row for row in reading.records()}
            return {span.key: day_verdict(span, by_day[span.first_day]) for span in spans}

        yield from evaluations(
            context, verdicts_by_bot(context, live_api, warehouse, "reconciliation.sql", tables, decide)
        )

    return endpoints_reconcile
