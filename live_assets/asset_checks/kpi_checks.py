"""Checks on the KPI tables: their SLA % agrees with the API's, and every value is within its range.

The SLA comparison is the end-to-end test of the KPI SQL against the vendor: the percentage
recomputed from conversation rows, with the thresholds and the lost-count-against rule of
``docs/kpis.md``, must equal ``sla_percentage`` of the SLA endpoint, which rounds to 2 decimals; so
the two may differ by at most ``SLA_TOLERANCE_PCT``.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import math
from collections import Counter
from typing import Any, Final

import dagster as dg

from live_assets.asset_checks.by_partition import PartitionSpan, Verdict
from live_assets.asset_checks.factory import RowsQuery, build_partition_check
from live_assets.asset_checks.reading import Reading
from live_assets.kpis.tables import KPI_TABLES, SLA_DAILY, Grain, KpiTable
from live_assets.raw.metadata import markdown_preview

SLA_TOLERANCE_PCT: Final = 0.01
_EPSILON: Final = 1e-9
SAMPLE_SIZE: Final = 20

COUNT_COLUMNS: Final = (
    "offered",
    "attended",
    "lost",
    "within_sla",
    "transferred",
    "resolved",
    "feedback_count",
    "handled",
)
PERCENT_COLUMNS: Final = ("abandonment_rate", "sla_pct", "transfer_rate", "resolution_rate", "csat_pct")
NON_NEGATIVE_COLUMNS: Final = (
    "wait_avg_s",
    "wait_p90_s",
    "first_response_avg_s",
    "first_response_p90_s",
    "handle_time_avg_s",
    "handled_hours",
    "sla_threshold_s",
)


def _range_problems(row: dict[str, Any]) -> list[tuple[str, object]]:
    """(rule, value) for each rule the row breaks; rules on absent columns or NULL values do not apply."""
    problems: list[tuple[str, object]] = []

    def value(name: str) -> Any:
        return row.get(name)

    for name in COUNT_COLUMNS:
        if value(name) is not None and value(name) < 0:
            problems.append((f"{name} >= 0", value(name)))
    for name in PERCENT_COLUMNS:
        v = value(name)
        if v is not None and (math.isnan(v) or not -_EPSILON <= v <= 100 + _EPSILON):
            problems.append((f"{name} in 0..100", v))
    for name in NON_NEGATIVE_COLUMNS:
        v = value(name)
        if v is not None and (math.isnan(v) or v < 0):
            problems.append((f"{name} >= 0", v))
    score = value("feedback_score_avg")
    if score is not None and not 1 - _EPSILON <= score <= 5 + _EPSILON:
        problems.append(("feedback_score_avg in 1..5", score))
    volume_name = "offered" if "offered" in row else "handled"
    volume = value(volume_name)
    if volume is not None and volume < 1:
        problems.append((f"{volume_name} >= 1 (a row exists only for a non-empty grain)", volume))
    if "offered" in row and value("attended") + value("lost") != value("offered"):
        problems.append(("attended + lost = offered", f"{value('attended')} + {value('lost')} vs {value('offered')}"))
    if "offered" in row and value("sla_pct") is None:
        problems.append(("sla_pct known (a threshold for every conversation)", None))
    handled = value("attended") if "attended" in row else value("handled")
    for name in ("within_sla", "resolved"):
        if value(name) is not None and handled is not None and value(name) > handled:
            problems.append((f"{name} <= attended/handled", f"{value(name)} vs {handled}"))
    for name in ("transferred", "feedback_count"):
        if value(name) is not None and volume is not None and value(name) > volume:
            problems.append((f"{name} <= {volume_name}", f"{value(name)} vs {volume}"))
    high, average = value("concurrency_max"), value("concurrency_avg")
    if high is not None and high < 1:
        problems.append(("concurrency_max >= 1", high))
    if average is not None and not 1 - _EPSILON <= average <= (high or math.inf) + _EPSILON:
        problems.append(("1 <= concurrency_avg <= concurrency_max", f"{average} vs max {high}"))
    return problems


def ranges_verdict(table: KpiTable, span: PartitionSpan, rows: list[dict[str, Any]]) -> Verdict:
    """Every row of the partition within its ranges, and one row per grain key."""
    violations: list[tuple[object, ...]] = []
    for row in rows:
        key = ", ".join(f"{name}={row[name]}" for name in table.key_columns)
        violations += [(key, rule, detail) for rule, detail in _range_problems(row)]
    keys = Counter(tuple(row[name] for name in table.key_columns) for row in rows)
    violations += [(str(key), "one row per grain key", f"{count} rows") for key, count in keys.items() if count > 1]
    metadata: dict[str, object] = {"rows": len(rows), "violations": len(violations)}
    if not violations:
        return Verdict(True, f"{span.key}: {len(rows)} rows, every value within its range", metadata)
    metadata["sample"] = dg.MetadataValue.md(markdown_preview(["row", "rule", "value"], violations[:SAMPLE_SIZE]))
    rules = sorted({str(violation[1]) for violation in violations})
    return Verdict(False, f"{span.key}: {len(violations)} violation(s) of {', '.join(rules)}", metadata)


def build_ranges_check(table: KpiTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    def decide(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
        records = reading.records()
        verdicts = {}
        for span in spans:
            rows = [row for row in records if span.first_day <= row[table.period_column] <= span.last_day]
            verdicts[span.key] = ranges_verdict(table, span, rows)
        return verdicts

    return build_partition_check(
        asset=dg.AssetKey(table.asset_key_path),
        name="values_in_range",
        partitions_def=partitions_def,
        description=(
            "Counts >= 0, percentages in 0..100, seconds >= 0, scores in 1..5, attended + lost = offered, parts "
            "no larger than their whole, 1 <= concurrency_avg <= concurrency_max, one row per grain key."
        ),
        query=RowsQuery(tables=[table.qualified_table], sql=table.rows_statement()),
        decide=decide,
    )


def sla_verdict(span: PartitionSpan, rows: list[dict[str, Any]]) -> Verdict:
    """Each group's recomputed SLA % within ``SLA_TOLERANCE_PCT`` of the API's, both sides present."""
    problems: list[tuple[object, ...]] = []
    worst = 0.0
    for row in rows:
        ours, theirs = row["sla_pct"], row["api_sla_percentage"]
        label = f"{row['group_id']} {row['group_name'] or ''}".strip()
        if row["api_rows"] > 1:
            problems.append((label, ours, theirs, f"{row['api_rows']} SLA rows for the group"))
        elif row["offered"] is None:
            problems.append((label, None, theirs, f"API counts {row['api_total']} conversations, KPIs none"))
        elif row["api_total"] is None:
            problems.append((label, ours, None, f"KPIs count {row['offered']} conversations, the API none"))
        elif ours is None or theirs is None:
            problems.append((label, ours, theirs, "a percentage is missing (unknown threshold?)"))
        else:
            difference = abs(ours - theirs)
            worst = max(worst, difference)
            if difference > SLA_TOLERANCE_PCT + _EPSILON:
                problems.append((label, round(ours, 4), theirs, f"differ by {difference:.4f} points"))
    metadata: dict[str, object] = {"groups": len(rows), "max_difference_pct": round(worst, 6)}
    if not problems:
        return Verdict(
            True, f"{span.key}: SLA % of {len(rows)} group(s) within {SLA_TOLERANCE_PCT} of the API's", metadata
        )
    metadata["differences"] = dg.MetadataValue.md(
        markdown_preview(["group", "sla_pct (KPI)", "sla_percentage (API)", "problem"], problems)
    )
    return Verdict(False, f"{span.key}: {len(problems)} group(s) disagree with the API's SLA %", metadata)


def decide_sla(spans: list[PartitionSpan], reading: Reading) -> dict[str, Verdict]:
    records = reading.records()
    return {span.key: sla_verdict(span, [row for row in records if row["day"] == span.first_day]) for span in spans}


def build_sla_pct_matches_api(daily: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    return build_partition_check(
        asset=dg.AssetKey(SLA_DAILY.asset_key_path),
        name="sla_pct_matches_api",
        partitions_def=daily,
        description=(
            f"Per day and group, the SLA % recomputed from conversations (kpi.sla_daily summed over channels) "
            f"equals the SLA endpoint's sla_percentage to {SLA_TOLERANCE_PCT} points."
        ),
        query=RowsQuery(tables=[SLA_DAILY.qualified_table, "raw.sla_by_group"], sql_file="sla_matches_api.sql"),
        decide=decide_sla,
        additional_deps=[dg.AssetKey(["raw", "sla_by_group"])],
    )


def build_kpi_checks(partitions_by_grain: dict[Grain, dg.PartitionsDefinition]) -> list[dg.AssetChecksDefinition]:
    return [
        build_sla_pct_matches_api(partitions_by_grain[SLA_DAILY.grain]),
        *(build_ranges_check(table, partitions_by_grain[table.grain]) for table in KPI_TABLES),
    ]
