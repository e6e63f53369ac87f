"""``report/custom/<name>``: one asset per report of the user's own (``live_assets/report/custom.py``).

Partitioned by its cadence (and by bot with a bots file), upstream of it the assets that write the
tables its SQL reads, and materialized by the built-in reports' automation. Each partition runs the
SQL once per bot and period and writes ``<LIVE_REPORT_DIR>/<bot>/custom/<name>/<period>.html`` (the
reports' style: title, period, chart, table) and the rows as ``.csv`` beside it, by DuckDB's own writer.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import dagster as dg

from live_assets.kpis.conditions import kpi_automation_condition
from live_assets.kpis.tables import KPI_TABLES, SLA_INTRADAY
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION
from live_assets.raw.endpoints import ENDPOINTS
from live_assets.report.assets import REPORT_GROUP, delivery_metadata, report_scopes, utc_now
from live_assets.report.custom import CustomReport
from live_assets.report.custom_page import CustomResult, custom_version, period_name, render_custom
from live_assets.report.delivery import deliver_report
from live_assets.report.html import write_html
from live_assets.report.period import Period
from live_assets.report.settings import ReportSettings
from live_assets.resources import DEFAULT_BOT, WarehouseResource
from live_assets.warehouse import Warehouse

CUSTOM_PREFIX = ["report", "custom"]


def warehouse_tables() -> dict[str, dg.AssetKey | None]:
    """Every table the warehouse holds, by ``schema.table``, and the asset that writes it (None: no asset)."""
    tables: dict[str, dg.AssetKey | None] = {
        spec.qualified_table: dg.AssetKey(spec.asset_key_path) for spec in ENDPOINTS
    }
    for table in (*KPI_TABLES, SLA_INTRADAY):
        tables[table.qualified_table] = dg.AssetKey(table.asset_key_path)
    tables["monitor.alerts"] = dg.AssetKey(SLA_INTRADAY.asset_key_path)  # evaluated by each intraday refresh
    tables["monitor.report_deliveries"] = None
    return tables


def _mapping(
    upstream: dg.PartitionsDefinition | None, downstream: dg.PartitionsDefinition
) -> dg.PartitionMapping | None:
    """How a report's period (and bot) reads an upstream asset: its days or weeks, of its own bot."""
    if upstream is None:
        return None
    if isinstance(downstream, dg.MultiPartitionsDefinition):
        if isinstance(upstream, dg.MultiPartitionsDefinition):
            return dg.MultiPartitionMapping(
                {
                    DATE_DIMENSION: dg.DimensionPartitionMapping(DATE_DIMENSION, dg.TimeWindowPartitionMapping()),
                    BOT_DIMENSION: dg.DimensionPartitionMapping(BOT_DIMENSION, dg.IdentityPartitionMapping()),
                }
            )
        return dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name=BOT_DIMENSION)
    return dg.TimeWindowPartitionMapping() if isinstance(upstream, dg.TimeWindowPartitionsDefinition) else None


def _parameters(bot: str, period: Period) -> dict[str, object]:
    return {"bot": bot, "first_day": period.first, "last_day": period.last}


def write_custom(
    warehouse: Warehouse, report: CustomReport, bot: str, period: Period, folder: Path, *, lang: str, now: dt.datetime
) -> CustomResult:
    """Run the SQL for ``bot`` and ``period``; write the page and the CSV (each replaced atomically)."""
    stem = folder / bot / "custom" / report.name / period_name(report.cadence, period)
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv_path, temporary = stem.with_suffix(".csv"), stem.with_name(f".{stem.name}.csv.tmp")
    try:
        with warehouse.connect() as connection:
            relation = connection.sql(report.sql, params=_parameters(bot, period))
            relation.write_csv(str(temporary), header=True)
            rows = relation.fetchall()
            result = CustomResult(report, bot, period, list(relation.columns), rows, stem.with_suffix(".html"))
    except BaseException:
        temporary.unlink(missing_ok=True)  # the previous files stay as they were
        raise
    temporary.replace(csv_path)
    write_html(result.html_path, render_custom(result, report.language or lang, now))
    return result


def _custom_asset(
    report: CustomReport,
    partitions_def: dg.PartitionsDefinition,
    upstream: Mapping[str, tuple[dg.AssetKey, dg.PartitionsDefinition | None]],
    *,
    settings: ReportSettings,
    default_bot: str,
    clock: Callable[[], dt.datetime],
) -> dg.AssetsDefinition:
    deps = [
        dg.AssetDep(upstream[table][0], partition_mapping=_mapping(upstream[table][1], partitions_def))
        for table in report.tables
        if table in upstream
    ]
    # As the KPIs: a list refreshed daily (agents, groups) or today's refresh does not recompute past periods.
    ignored = [dep.asset_key for dep in deps if not _is_dated(upstream, dep.asset_key)]
    description = (
        f"{report.title} ({report.cadence}): a report of the user's own from `{report.sql_path.name}` "
        f"(LIVE_CUSTOM_REPORTS_DIR). {report.description}\n\nReads: {', '.join(report.tables) or 'no table'}."
    )

    @dg.asset(
        key=[*CUSTOM_PREFIX, report.name],
        group_name=REPORT_GROUP,
        description=description.strip(),
        partitions_def=partitions_def,
        deps=deps,
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=kpi_automation_condition(dg.AssetSelection.assets(*ignored) if ignored else None),
        kinds={"html", "csv"},
        owners=["team:data-engineering"],
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{report.sql.strip()}\n```"), "cadence": report.cadence},
    )
    def custom_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store, results, outcomes = warehouse.warehouse(), [], []
        for scope in report_scopes(partitions_def, list(context.partition_keys), default_bot):
            result = write_custom(
                store, report, scope.bot, scope.period, settings.report_dir, lang=settings.lang, now=clock()
            )
            results.append(result)
            name = period_name(report.cadence, scope.period)
            context.log.info(f"{report.name} of {scope.bot} for {name}: {len(result.rows)} row(s), {result.html_path}")
            if report.deliver and settings.report_urls:
                version = custom_version(result, settings.report_dir)
                outcomes.append(deliver_report(store, version, urls=settings.report_urls, now=clock()))
        last = results[-1]
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(last.html_path)),
                "csv": dg.MetadataValue.path(str(last.html_path.with_suffix(".csv"))),
                "dagster/row_count": len(last.rows),
                "period": f"{last.period.first.isoformat()}..{last.period.last.isoformat()}",
                **delivery_metadata(outcomes),
            }
        )

    return custom_report


def _is_dated(upstream: Mapping[str, tuple[dg.AssetKey, dg.PartitionsDefinition | None]], key: dg.AssetKey) -> bool:
    partitions = next(p for k, p in upstream.values() if k == key)
    return isinstance(partitions, dg.TimeWindowPartitionsDefinition | dg.MultiPartitionsDefinition)


def upstream_of(assets: Sequence[dg.AssetsDefinition]) -> dict[str, tuple[dg.AssetKey, dg.PartitionsDefinition | None]]:
    """The warehouse's tables that the code location's assets write, with each asset's key and partitions."""
    keys = {key: assets_def.partitions_def for assets_def in assets for key in assets_def.keys}
    return {table: (key, keys[key]) for table, key in warehouse_tables().items() if key is not None and key in keys}


def build_custom_report_assets(
    reports: Sequence[CustomReport],
    partitions: Mapping[str, dg.PartitionsDefinition],
    assets: Sequence[dg.AssetsDefinition],
    *,
    settings: ReportSettings,
    default_bot: str = DEFAULT_BOT,
    clock: Callable[[], dt.datetime] = utc_now,
) -> list[dg.AssetsDefinition]:
    """One asset per report, partitioned by ``partitions[report.cadence]``; upstream: those of ``assets``
    that write the tables its SQL reads."""
    upstream = upstream_of(assets)
    return [
        _custom_asset(
            report, partitions[report.cadence], upstream, settings=settings, default_bot=default_bot, clock=clock
        )
        for report in reports
    ]
