"""Moving a DuckDB file warehouse into a DuckLake, table by table, and proving nothing was lost.

The file is attached read-only beside the lake; each table of ``raw``, ``kpi`` and ``monitor`` is created
in the lake with the file's own DDL (types and NOT NULLs kept) and replaced in one transaction, then its
row counts per partition (bot and day or week) are compared on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from live_assets.raw.statements import quote_identifier
from live_assets.warehouse.lake import LAKE_ALIAS, LakeWarehouse

SCHEMAS = ("raw", "kpi", "monitor")
SOURCE_ALIAS = "copy_source"
# The first of these a table has, after _bot, is its partition: the day, the week, or none.
PERIOD_COLUMNS = ("_partition_day", "day", "week_start")
BOT_COLUMN = "_bot"


@dataclass(frozen=True)
class CopiedTable:
    table: str
    rows: int
    partition_columns: tuple[str, ...]
    partitions: int
    mismatched: list[tuple]  # (partition values..., rows in the file, rows in the lake)

    def __str__(self) -> str:
        by = ", ".join(self.partition_columns) or "the whole table"
        verdict = "equal" if not self.mismatched else f"{len(self.mismatched)} partitions differ: {self.mismatched[:5]}"
        return f"{self.table}: {self.rows} rows in {self.partitions} partitions by {by}: {verdict}"


def copy_file_to_lake(source: Path, lake: LakeWarehouse) -> list[CopiedTable]:
    """Copy every table of the DuckDB file ``source`` into ``lake`` (replacing the lake's rows); the checks."""
    if not source.is_file():
        raise FileNotFoundError(f"no DuckDB file at {source} (LIVE_DUCKDB_PATH, or --from)")
    copied = []
    with lake.connect() as connection:
        path = str(source.resolve()).replace("'", "''")
        connection.execute(f"ATTACH '{path}' AS {SOURCE_ALIAS} (READ_ONLY)")
        try:
            tables = connection.execute(
                "SELECT schema_name, table_name, sql FROM duckdb_tables() "
                "WHERE database_name = $source AND schema_name IN $schemas ORDER BY ALL",
                {"source": SOURCE_ALIAS, "schemas": list(SCHEMAS)},
            ).fetchall()
            for schema, table, ddl in tables:
                copied.append(_copy_table(lake, schema, table, ddl))
        finally:
            connection.execute(f"DETACH {SOURCE_ALIAS}")
    return copied


def _copy_table(lake: LakeWarehouse, schema: str, table: str, ddl: str) -> CopiedTable:
    name = f"{quote_identifier(schema)}.{quote_identifier(table)}"

    def replace(connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
        connection.execute(ddl.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1))
        connection.execute(f"DELETE FROM {LAKE_ALIAS}.{name}")
        connection.execute(f"INSERT INTO {LAKE_ALIAS}.{name} BY NAME SELECT * FROM {SOURCE_ALIAS}.{name}")

    lake.atomically(replace, what=f"the copy of {schema}.{table}")
    with lake.connect() as connection:
        columns = {
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = $db AND schema_name = $s "
                "AND table_name = $t",
                {"db": SOURCE_ALIAS, "s": schema, "t": table},
            ).fetchall()
        }
        keys = tuple([BOT_COLUMN] * (BOT_COLUMN in columns) + [c for c in PERIOD_COLUMNS if c in columns][:1])
        group = ", ".join(map(quote_identifier, keys))
        counts = (
            f"SELECT {group + ', ' if keys else ''}count(*) AS file_rows FROM {SOURCE_ALIAS}.{name}"
            f"{' GROUP BY ' + group if keys else ''}"
        )
        lake_counts = counts.replace(f"{SOURCE_ALIAS}.", f"{LAKE_ALIAS}.").replace("file_rows", "lake_rows")
        joined = ", ".join(f"coalesce(f.{k}, l.{k})" for k in map(quote_identifier, keys))
        on = " AND ".join(f"f.{k} IS NOT DISTINCT FROM l.{k}" for k in map(quote_identifier, keys)) or "true"
        compared = connection.execute(
            f"SELECT {joined + ', ' if keys else ''}f.file_rows, l.lake_rows "
            f"FROM ({counts}) AS f FULL JOIN ({lake_counts}) AS l ON {on} ORDER BY ALL"
        ).fetchall()
    mismatched = [row for row in compared if row[-2] != row[-1]]
    rows = sum(row[-2] or 0 for row in compared)
    return CopiedTable(f"{schema}.{table}", rows, keys, len(compared), mismatched)
