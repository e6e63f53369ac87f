"""The KPI assets, one per table of ``tables.py``: ``kpi/sla_daily``, ``kpi/agent_daily``, ``kpi/sla_weekly``,
``kpi/agent_weekly`` (group ``live_kpis``).

Each run recomputes its whole partition range at once (``BackfillPolicy.single_run``): a 14-day
backfill is one transaction over 14 days, not 14 runs. The assets read DuckDB only, never the API, so
they take no slot of the ``live_api`` pool. Daily KPIs read the same day of their raw inputs; weekly
KPIs read the seven days of their week (``TimeWindowPartitionMapping``).
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import dagster as dg

from live_assets.deployment import Deployment
from live_assets.kpis.conditions import kpi_automation_condition
from live_assets.kpis.refresh import Refreshed, refresh
from live_assets.kpis.tables import KPI_TABLES, Grain, KpiTable
from live_assets.names import BOT_DIMENSION, DATE_DIMENSION
from live_assets.raw.endpoints import ENDPOINTS_BY_TABLE, Partitioning
from live_assets.raw.metadata import markdown_preview
from live_assets.resources import LiveApiResource, WarehouseResource
from live_assets.scope import run_scope
from live_assets.warehouse.publish import publish_partition

KPI_GROUP = "live_kpis"
OWNERS = ["team:data-engineering"]
KINDS = {"duckdb", "sql"}
PREVIEW_ROWS = 8
PREVIEW_COLUMNS = 10


def partitions_for(table: KpiTable, deployment: Deployment) -> dg.PartitionsDefinition:
    return deployment.daily if table.grain is Grain.DAILY else deployment.weekly


def raw_deps(table: KpiTable, deployment: Deployment) -> list[dg.AssetDep]:
    """The raw assets a KPI table reads: a weekly partition maps to its seven daily partitions, a bot's
    partition to that bot's list."""
    deps = []
    for source in table.raw_sources:
        key = dg.AssetKey(["raw", source])
        if ENDPOINTS_BY_TABLE[source].partitioning is not Partitioning.NONE:
            deps.append(dg.AssetDep(key, partition_mapping=raw_partition_mapping(deployment)))
        elif deployment.per_bot is None:
            deps.append(dg.AssetDep(key))
        else:
            deps.append(dg.AssetDep(key, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(BOT_DIMENSION)))
    return deps


def raw_partition_mapping(deployment: Deployment) -> dg.PartitionMapping:
    """A KPI partition reads the raw days of its period; with many bots, of its own bot only."""
    if deployment.bots is None:
        return dg.TimeWindowPartitionMapping()
    return dg.MultiPartitionMapping(
        {
            DATE_DIMENSION: dg.DimensionPartitionMapping(DATE_DIMENSION, dg.TimeWindowPartitionMapping()),
            BOT_DIMENSION: dg.DimensionPartitionMapping(BOT_DIMENSION, dg.IdentityPartitionMapping()),
        }
    )


def column_schema(table: KpiTable) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.sql_type, description=c.description) for c in table.columns]
    )


def _metadata(written: Refreshed) -> dict[str, object]:
    columns = written.columns[:PREVIEW_COLUMNS]
    preview = markdown_preview(columns, [row[:PREVIEW_COLUMNS] for row in written.rows[:PREVIEW_ROWS]])
    return {
        "dagster/row_count": len(written.rows),
        "rows_written": len(written.rows),
        "first_day": written.first_day.isoformat(),
        "last_day": written.last_day.isoformat(),
        "preview": dg.MetadataValue.md(preview),
    }


def build_kpi_asset(table: KpiTable, deployment: Deployment) -> dg.AssetsDefinition:
    lists = [
        dg.AssetKey(["raw", source])
        for source in table.raw_sources
        if ENDPOINTS_BY_TABLE[source].partitioning is Partitioning.NONE
    ]

    @dg.asset(
        key=table.asset_key_path,
        group_name=KPI_GROUP,
        description=(
            f"{table.description}\n\nTable: `{table.qualified_table}`, all bots keyed by `_bot`; computed "
            f"from the conversation rows of `raw.{table.raw_sources[0]}`. Definitions: `docs/kpis.md`."
        ),
        partitions_def=partitions_for(table, deployment),
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=table.code_version,
        owners=OWNERS,
        kinds=KINDS,
        deps=raw_deps(table, deployment),
        automation_condition=kpi_automation_condition(dg.AssetSelection.assets(*lists) if lists else None),
        metadata={
            "dagster/column_schema": column_schema(table),
            "dagster/table_name": table.qualified_table,
            "grain": ", ".join(table.key_columns),
        },
    )
    def kpi_asset(
        context: dg.AssetExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        written: Refreshed | None = None
        store, published = warehouse.warehouse(), 0
        for scope in run_scope(context, live_api):
            assert scope.first_day is not None and scope.last_day is not None
            refreshed = refresh(store, table, bot=scope.bot, first_day=scope.first_day, last_day=scope.last_day)
            context.log.info(
                f"{table.qualified_table}: {len(refreshed.rows)} rows for bot {scope.bot!r}, "
                f"{scope.first_day}..{scope.last_day}"
            )
            # The lock-free copy BI tools read (docs/bi.md), replaced file by file once the rows are committed.
            published += len(
                publish_partition(
                    store,
                    table.qualified_table,
                    bot=scope.bot,
                    period_column=table.period_column,
                    first=scope.first_day,
                    last=scope.last_day,
                    publish_dir=warehouse.publish_dir(),
                    order_by=table.key_columns,
                )
            )
            written = refreshed if written is None else written.merged(refreshed)
        assert written is not None
        return dg.MaterializeResult(metadata={**_metadata(written), "parquet_files_published": published})

    return kpi_asset


def build_kpi_assets(deployment: Deployment) -> list[dg.AssetsDefinition]:
    return [build_kpi_asset(table, deployment) for table in KPI_TABLES]
