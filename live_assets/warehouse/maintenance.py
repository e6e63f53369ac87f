"""Keeping a DuckLake small: merge the many small files that window loads write, drop old snapshots.

Every load or KPI refresh commits a snapshot and a few small Parquet files (or rows inlined in the
catalog). Once a week, :func:`maintain` runs DuckLake's own functions, in this order: flush inlined
rows to Parquet, rewrite files that have deleted rows, merge adjacent small files, expire snapshots
older than the retention (``AT (VERSION => …)`` reads back that far, no further), then delete the
files no snapshot needs any more and the orphans no snapshot recorded. :func:`build_maintenance_defs`
gives the Dagster job and its weekly schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from live_assets.warehouse.base import WarehouseBase
from live_assets.warehouse.lake import LAKE_ALIAS, LakeWarehouse

DEFAULT_SNAPSHOT_RETENTION = dt.timedelta(days=30)
DEFAULT_FILE_GRACE = dt.timedelta(hours=1)
# Sunday 04:00: after the nightly runs, before the week's first.
DEFAULT_MAINTENANCE_CRON = "0 4 * * 0"
MAINTENANCE_JOB = "ducklake_maintenance"


@dataclass(frozen=True)
class TableFiles:
    table: str  # schema.table
    data_files: int
    delete_files: int
    rows: int


@dataclass(frozen=True)
class Maintained:
    before: list[TableFiles]
    after: list[TableFiles]
    snapshots_expired: int
    files_deleted: int


def files_per_table(lake: LakeWarehouse) -> list[TableFiles]:
    """The data and delete files each table of the lake's current snapshot reads, with its rows."""
    with lake.connect() as connection:
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $lake ORDER BY ALL",
            {"lake": LAKE_ALIAS},
        ).fetchall()
        report = []
        for schema, table in tables:
            files, deletes = connection.execute(
                "SELECT count(*), count(delete_file) FROM ducklake_list_files($lake, $table, schema => $schema)",
                {"lake": LAKE_ALIAS, "table": table, "schema": schema},
            ).fetchone() or (0, 0)
            (rows,) = connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone() or (0,)
            report.append(TableFiles(f"{schema}.{table}", int(files), int(deletes), int(rows)))
    return report


def maintain(
    lake: LakeWarehouse,
    *,
    retention: dt.timedelta = DEFAULT_SNAPSHOT_RETENTION,
    file_grace: dt.timedelta = DEFAULT_FILE_GRACE,
) -> Maintained:
    """Compact the lake's files and expire its snapshots older than ``retention``; the files before and after.

    A file no snapshot needs any more is deleted once it has been unneeded for ``file_grace`` (a query
    that started on an expired snapshot may still be reading it).

    Each call is DuckLake's own transaction: writers may go on meanwhile (a compaction that loses to a
    writer's commit is retried by :meth:`~WarehouseBase.atomically`).
    """
    before = files_per_table(lake)
    for call in (
        "CALL ducklake_flush_inlined_data($lake)",
        "CALL ducklake_rewrite_data_files($lake, delete_threshold => 0.0)",  # any file with deleted rows
        "CALL ducklake_merge_adjacent_files($lake)",
    ):
        lake.atomically(
            lambda connection, call=call: connection.execute(call, {"lake": LAKE_ALIAS}).fetchall(), what=call
        )
    older_than = dt.datetime.now(dt.UTC) - retention  # after the compaction: its own snapshots count too
    expired = lake.atomically(
        lambda connection: connection.execute(
            "CALL ducklake_expire_snapshots($lake, older_than => $older_than)",
            {"lake": LAKE_ALIAS, "older_than": older_than},
        ).fetchall(),
        what="expiring snapshots",
    )
    unused_since = dt.datetime.now(dt.UTC) - file_grace
    deleted = 0
    # The files the expired snapshots held, then any file of the data path the catalog does not know
    # (left by a rewrite, or by a writer killed before its commit: hence the grace).
    for call in ("ducklake_cleanup_old_files", "ducklake_delete_orphaned_files"):
        deleted += len(
            lake.atomically(
                lambda connection, call=call: connection.execute(
                    f"CALL {call}($lake, older_than => $unused_since)",
                    {"lake": LAKE_ALIAS, "unused_since": unused_since},
                ).fetchall(),
                what=call,
            )
        )
    return Maintained(before, files_per_table(lake), len(expired), deleted)


def files_markdown(report: list[TableFiles]) -> str:
    lines = ["| table | data files | delete files | rows |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {t.table} | {t.data_files} | {t.delete_files} | {t.rows} |" for t in report]
    return "\n".join(lines)


def build_maintenance_defs(
    *,
    cron_schedule: str = DEFAULT_MAINTENANCE_CRON,
    timezone: str = "UTC",
    retention: dt.timedelta = DEFAULT_SNAPSHOT_RETENTION,
    file_grace: dt.timedelta = DEFAULT_FILE_GRACE,
    warehouse_resource_key: str = "warehouse",
) -> dg.Definitions:
    """The ``ducklake_maintenance`` job (one op) and its weekly schedule; on the DuckDB file it does nothing.

    The op reads the warehouse from the ``warehouse`` resource (``WarehouseResource``) and reports the
    files per table before and after as metadata.
    """

    @dg.op(name="ducklake_merge_and_expire", required_resource_keys={warehouse_resource_key})
    def maintenance_op(context) -> dg.Output[None]:  # type: ignore[no-untyped-def]  # Dagster reads the hint
        warehouse: WarehouseBase = getattr(context.resources, warehouse_resource_key).warehouse()
        if not isinstance(warehouse, LakeWarehouse):
            context.log.info("LIVE_WAREHOUSE is duckdb: the DuckDB file needs no maintenance")
            return dg.Output(None, metadata={"backend": warehouse.backend})
        done = maintain(warehouse, retention=retention, file_grace=file_grace)
        return dg.Output(
            None,
            metadata={
                "backend": warehouse.backend,
                "snapshots_expired": done.snapshots_expired,
                "files_deleted": done.files_deleted,
                "data_files_before": sum(t.data_files for t in done.before),
                "data_files_after": sum(t.data_files for t in done.after),
                "files_per_table": dg.MetadataValue.md(files_markdown(done.after)),
            },
        )

    @dg.job(name=MAINTENANCE_JOB, description="Merge the DuckLake's small files and expire its old snapshots.")
    def maintenance_job() -> None:
        maintenance_op()

    schedule = dg.ScheduleDefinition(
        name=f"{MAINTENANCE_JOB}_weekly",
        job=maintenance_job,
        cron_schedule=cron_schedule,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return dg.Definitions(jobs=[maintenance_job], schedules=[schedule])
