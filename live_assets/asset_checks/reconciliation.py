"""Reconciliation: every endpoint that is loaded tells the same story about a day, or the day's KPIs wait.

docs/api-contract.md §6 makes every aggregate a function of the same conversations, so for each day
the conversation list, the CSV export, stats, the histogram's buckets, the summary's rows and the SLA's
groups must give the same counts. A difference means a load went wrong (a partial window, a
misparsed export, a day loaded twice), and KPIs computed from the list would then disagree with what
the vendor's own screens show; the check is blocking so that they are not computed.

Only the sources that are loaded are compared: a deployment may load only what its KPIs need
(``raw/conversations`` and ``raw/sla_by_group``). A source is loaded for a day when Dagster holds a
materialization of that day and its table exists; the others are named in the result, never a
failure. A loaded source that disagrees is: a loaded stats day without its one row, too.

It is attached to ``raw/sla_by_group``, not ``raw/conversations``: a blocking check holds back every
asset downstream of its asset in the same run, and ``raw/feedback`` and ``raw/conversation_messages``
read ``raw/conversations``. On ``raw/sla_by_group``, which every KPI table reads and no raw asset does,
a failure holds back the KPIs and only them; the raw data still lands, to be investigated.

Only what each endpoint reports is compared ("-" = not reported by that endpoint):

============  ====  ======  =====  =========  =======  ===
measure       list  export  stats  histogram  summary  sla
============  ====  ======  =====  =========  =======  ===
total          x      x       x        x         x      x
attended       x      x       x        -         -      x
lost           x      x       x        x         x      x
transferred    x      x       x        -         x      -
transfers      x      x       -        x         -      -
============  ====  ======  =====  =========  =======  ===

``transferred`` counts conversations with ``transfers > 0``; ``transfers`` is the sum of ``transfers``,
the only transfer figure the histogram gives. Each measure is compared with the first loaded source
that reports it, in the order above: the list (``raw.conversations``, what the KPIs read) when loaded.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Final

import dagster as dg

from live_assets.asset_checks.by_partition import PartitionSpan, Verdict, evaluations, latest_materializations
from live_assets.asset_checks.reading import CHECKS_PACKAGE, present_tables
from live_assets.kpis import queries
from live_assets.raw.metadata import markdown_preview
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import BotScope, run_scope
from live_assets.warehouse import Warehouse

SLA_BY_GROUP: Final = dg.AssetKey(["raw", "sla_by_group"])
STATS: Final = "stats"  # the one source that answers exactly one row per day, even an empty one
# source -> (raw table, the asset_checks/sql file that counts it per day)
SOURCES: Final[dict[str, tuple[str, str]]] = {
    "list": ("conversations", "reconcile_conversations.sql"),
    "export": ("export_conversations", "reconcile_conversations.sql"),
    STATS: ("conversation_stats", "reconcile_stats.sql"),
    "histogram": ("histogram", "reconcile_histogram.sql"),
    "summary": ("summary", "reconcile_summary.sql"),
    "sla": ("sla_by_group", "reconcile_sla.sql"),
}
# measure -> the sources that report it, the reference first (see the module docstring)
MEASURES: Final[dict[str, tuple[str, ...]]] = {
    "total": ("list", "export", STATS, "histogram", "summary", "sla"),
    "attended": ("list", "export", STATS, "sla"),
    "lost": ("list", "export", STATS, "histogram", "summary", "sla"),
    "transferred": ("list", "export", STATS, "summary"),
    "transfers": ("list", "export", "histogram"),
}
Counts = Mapping[str, Any]  # one source's measures for one day, and its row count (``rows``)
_NO_ROWS: Final[Counts] = {"rows": 0, **dict.fromkeys(MEASURES, 0)}


def qualified(source: str) -> str:
    return f"raw.{SOURCES[source][0]}"


def day_verdict(span: PartitionSpan, counts: Mapping[str, Counts], not_loaded: Mapping[str, str]) -> Verdict:
    """Compare one day's counts of the loaded sources (``counts``, by source); ``not_loaded`` says why
    each other source was left out. Each measure is compared with its first loaded source."""
    problems: list[str] = []
    mismatches: list[tuple[object, ...]] = []
    comparable = dict(counts)
    if STATS in counts and counts[STATS]["rows"] != 1:
        problems.append(f"stats: {counts[STATS]['rows']} rows for the day (expected exactly 1)")
        del comparable[STATS]  # its sums mean nothing without its one row
    references: dict[str, tuple[str, int]] = {}
    for measure, sources in MEASURES.items():
        reporting = [source for source in sources if source in comparable]
        if not reporting:
            continue
        reference, expected = reporting[0], int(comparable[reporting[0]][measure] or 0)
        references[measure] = (reference, expected)
        for source in reporting[1:]:
            value = int(comparable[source][measure] or 0)
            if value != expected:
                difference = value - expected
                mismatches.append((measure, source, qualified(source), value, reference, expected, f"{difference:+d}"))
                problems.append(f"{source} {measure} {value} vs {reference} {expected} ({difference:+d})")
    loaded = [source for source in SOURCES if source in counts]
    table = [
        (measure, *[counts[source][measure] if source in sources else "-" for source in loaded])
        for measure, sources in MEASURES.items()
    ]
    metadata: dict[str, object] = {
        **{measure: references[measure][1] for measure in ("total", "lost", "transferred") if measure in references},
        "counts": dg.MetadataValue.md(markdown_preview(["measure", *loaded], table)),
        "sources_compared": ", ".join(loaded),
        "sources_not_loaded": "; ".join(f"{source}: {why}" for source, why in not_loaded.items()) or "-",
        "mismatches": len(problems),
    }
    if mismatches:
        metadata["differences"] = dg.MetadataValue.md(
            markdown_preview(["measure", "source", "table", "value", "reference", "expected", "difference"], mismatches)
        )
    if problems:
        return Verdict(False, f"{span.key}: " + "; ".join(problems), metadata)
    total, lost = (references.get(measure, ("", 0))[1] for measure in ("total", "lost"))
    if not not_loaded:
        agreed = "all endpoints agree"
    elif len(loaded) > 1:
        agreed = f"the loaded endpoints agree ({', '.join(loaded)})"
    else:
        agreed = f"only {', '.join(loaded) or 'nothing'} loaded, nothing to compare"
    left_out = f"; not compared, not loaded: {', '.join(not_loaded)}" if not_loaded else ""
    return Verdict(True, f"{span.key}: {agreed} ({total} conversations, {lost} lost){left_out}", metadata)


def bot_verdicts(instance: dg.DagsterInstance, warehouse: Warehouse, scope: BotScope) -> dict[str, Verdict]:
    """Every partition of ``scope``: which sources are loaded each day, their counts, the verdict."""
    spans = list(scope.spans)
    assert scope.first_day is not None and scope.last_day is not None
    keys = [span.key for span in spans]
    parameters = {"bot": scope.bot, "first_day": scope.first_day, "last_day": scope.last_day}
    materialized: dict[str, set[str]] = {}
    by_day: dict[str, dict[dt.date, Counts]] = {}
    with warehouse.connect() as connection:
        existing = present_tables(connection)
        for source, (table, sql_file) in SOURCES.items():
            found = latest_materializations(instance, dg.AssetKey(["raw", table]), keys)
            materialized[source] = set(found) if qualified(source) in existing else set()
            if not materialized[source]:
                continue
            text = queries.read_sql(CHECKS_PACKAGE, sql_file)
            result = queries.run_script(connection, text, {**parameters, "table": qualified(source)})
            rows = (dict(zip(result.columns, row, strict=True)) for row in result.rows)
            by_day[source] = {row["day"]: row for row in rows}
    verdicts: dict[str, Verdict] = {}
    for span in spans:
        counts: dict[str, Counts] = {}
        not_loaded: dict[str, str] = {}
        for source in SOURCES:
            if qualified(source) not in existing:
                not_loaded[source] = f"{qualified(source)} not in the warehouse"
            elif span.key not in materialized[source]:
                not_loaded[source] = f"{qualified(source)} has no materialization of {span.key}"
            else:
                counts[source] = by_day[source].get(span.first_day, _NO_ROWS)
        verdicts[span.key] = day_verdict(span, counts, not_loaded)
    return verdicts


def build_endpoints_reconcile(daily: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=SLA_BY_GROUP,
        name="endpoints_reconcile",
        partitions_def=daily,
        blocking=True,
        additional_deps=[dg.AssetKey(["raw", table]) for table, _ in SOURCES.values() if table != "sla_by_group"],
        description=(
            "Per day, the loaded endpoints among the conversation list, the export, stats, the histogram, the "
            "summary and the SLA give the same total, attended, lost, transferred and transfers counts (each where "
            "the endpoint reports it); those not loaded are named, not failed. Blocking: the day's KPIs are not "
            "computed while it fails. On raw/sla_by_group, the raw input of every KPI that no other raw asset reads, "
            "so that it holds back the KPIs only."
        ),
    )
    def endpoints_reconcile(
        context: dg.AssetCheckExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        verdicts: dict[str, Verdict] = {}
        for scope in run_scope(context, live_api):
            verdicts |= bot_verdicts(context.instance, warehouse.warehouse(), scope)
        yield from evaluations(context, verdicts)

    return endpoints_reconcile
