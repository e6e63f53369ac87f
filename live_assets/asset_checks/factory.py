"""One factory for the checks that read rows per bot of their run and judge each partition.

No ``from __future__ import annotations``: Dagster reads the context annotation of the decorated function.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg

from live_assets.asset_checks.by_partition import evaluations
from live_assets.asset_checks.reading import Decide, verdicts_by_bot
from live_assets.resources import LiveApiResource, WarehouseResource


@dataclass(frozen=True)
class RowsQuery:
    """What a check reads for each bot of its run: ``asset_checks/sql/<file>``, or a statement, over ``tables``."""

    tables: Sequence[str]
    sql_file: str | None = None
    sql: str | None = None


def build_partition_check(
    *,
    asset: dg.AssetKey,
    name: str,
    partitions_def: dg.PartitionsDefinition,
    description: str,
    query: RowsQuery,
    decide: Decide,
    blocking: bool = False,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    additional_deps: Sequence[dg.AssetKey] = (),
) -> dg.AssetChecksDefinition:
    """A check that reads ``query`` per bot of its run and ``decide``s each partition's verdict."""

    @dg.asset_check(
        asset=asset,
        name=name,
        partitions_def=partitions_def,
        blocking=blocking,
        description=description,
        additional_deps=list(additional_deps) or None,
    )
    def partition_check(
        context: dg.AssetCheckExecutionContext, live_api: LiveApiResource, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        tables = list(query.tables)
        verdicts = verdicts_by_bot(context, live_api, warehouse, query.sql_file, tables, decide, sql=query.sql)
        yield from evaluations(context, verdicts, severity=severity)

    return partition_check
