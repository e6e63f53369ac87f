"""What a raw asset's materialization tells the UI: its column schema, and figures that tell the truth.

A step's result covers every partition of its run, so a figure of the whole run carries a ``run_``
name (``rows_by_day`` and ``changes_by_day`` lay the run out day by day). Each partition's own figures
(``dagster/row_count``, the rows added, removed and changed) go on that partition's materialization
through Dagster's ``add_asset_metadata(..., partition_key=...)`` (:func:`partition_metadata`); a run of
one partition carries them in its result.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from live_assets.raw import statements
from live_assets.raw.changes import DayChanges, totals
from live_assets.raw.endpoints import EndpointSpec, Partitioning
from live_assets.raw.engine import Progress
from live_assets.scope import BotScope
from live_assets.warehouse import Warehouse

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8
ROWS_BY_DAY_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("bot", "string"),
        dg.TableColumn("day", "date", description="partition day (for weekly tables, the week's Monday)"),
        dg.TableColumn("rows", "int"),
    ]
)

CHANGES_BY_DAY_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("bot", "string"),
        dg.TableColumn("day", "date", description="partition day (for weekly tables, the week's Monday)"),
        dg.TableColumn("added", "int", description="rows the table did not hold before this load"),
        dg.TableColumn("removed", "int", description="rows it held that the API no longer sent"),
        dg.TableColumn("changed", "int", description="rows of the same key with another value"),
    ]
)


def column_schema(spec: EndpointSpec) -> dg.TableSchema:
    columns = [dg.TableColumn(c.name, c.sql_type, description=c.description or None) for c in spec.columns]
    columns += [dg.TableColumn(n, t, description=d) for n, t, d in statements.metadata_columns(spec)]
    return dg.TableSchema(columns=columns)


def markdown_preview(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small markdown table of the first rows, for a materialization's metadata."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= 40 else text[:39] + "…"

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _dated(spec: EndpointSpec, scope: BotScope) -> bool:
    return spec.partitioning is not Partitioning.NONE and scope.first_day is not None


def _rows_by_day(warehouse: Warehouse, spec: EndpointSpec, scopes: Sequence[BotScope]) -> list[tuple[str, object, int]]:
    counts: list[tuple[str, object, int]] = []
    for scope in scopes:
        if not _dated(spec, scope):
            (total,) = warehouse.query(
                f"SELECT count(*) FROM {spec.qualified_table} WHERE {statements.BOT_COLUMN} = $bot", {"bot": scope.bot}
            )[0]
            counts.append((scope.bot, None, int(total)))
            continue
        held = dict(
            warehouse.query(
                f"SELECT {statements.DAY_COLUMN}, count(*) FROM {spec.qualified_table} "
                f"WHERE {statements.BOT_COLUMN} = $bot AND {statements.DAY_COLUMN} BETWEEN $first AND $last "
                f"GROUP BY ALL",
                {"bot": scope.bot, "first": scope.first_day, "last": scope.last_day},
            )
        )
        counts += [(scope.bot, span.first_day, int(held.get(span.first_day, 0))) for span in scope.spans]
    return counts


def _preview(warehouse: Warehouse, spec: EndpointSpec, scope: BotScope) -> str:
    # Personal columns stay out: the preview is copied into Dagster's event log, which LIVE_PII does not cover.
    names = [c.name for c in spec.columns if c.personal is None][:PREVIEW_COLUMNS]
    selected = ", ".join(statements.quote_identifier(n) for n in names)
    where = f"{statements.BOT_COLUMN} = $bot"
    parameters: dict[str, object] = {"bot": scope.bot}
    if _dated(spec, scope):
        where += f" AND {statements.DAY_COLUMN} BETWEEN $first AND $last"
        parameters |= {"first": scope.first_day, "last": scope.last_day}
    sql = f"SELECT {selected} FROM {spec.qualified_table} WHERE {where} LIMIT {PREVIEW_ROWS}"
    return markdown_preview(names, warehouse.query(sql, parameters))


def result_metadata(
    warehouse: Warehouse, progress: Progress, scopes: Sequence[BotScope], *, single_partition: bool
) -> dict[str, object]:
    """The metadata of one raw asset's result: the partition's own figures, or the run's, named so."""
    spec = progress.spec
    by_day = _rows_by_day(warehouse, spec, scopes) if progress.tasks else []
    prefix = "" if single_partition else "run_"
    metadata: dict[str, object] = {
        f"{prefix}rows_loaded": progress.rows,
        f"{prefix}requests": progress.stats.requests,
        f"{prefix}bytes_received": progress.stats.bytes_received,
        f"{prefix}retries": progress.stats.retries,
        # Waiting for the bot's token lock while another process's request was in flight (a backfill).
        f"{prefix}seconds_locked_out": round(progress.stats.seconds_locked_out, 3),
        f"{prefix}windows": dg.MetadataValue.md("\n".join(f"- `{w}`" for w in progress.windows) or "-"),
        "bots": ", ".join(scope.bot for scope in scopes),
    }
    if progress.tasks:
        added, removed, changed = totals([change for _, change in progress.changes])
        metadata |= {f"{prefix}rows_added": added, f"{prefix}rows_removed": removed, f"{prefix}rows_changed": changed}
        metadata[f"{prefix}preview"] = dg.MetadataValue.md(_preview(warehouse, spec, scopes[0]))
    if single_partition and by_day:
        metadata["dagster/row_count"] = by_day[0][2]
    if any(day is not None for _, day, _ in by_day):
        metadata["rows_by_day"] = dg.MetadataValue.table(
            records=[dg.TableRecord({"bot": bot, "day": str(day), "rows": rows}) for bot, day, rows in by_day],
            schema=ROWS_BY_DAY_SCHEMA,
        )
        changes = {(bot, change.day): change for bot, change in progress.changes}
        metadata["changes_by_day"] = dg.MetadataValue.table(
            records=[_changes_record(bot, day, changes.get((bot, day))) for bot, day, _ in by_day],
            schema=CHANGES_BY_DAY_SCHEMA,
        )
        dated = [scope for scope in scopes if scope.first_day is not None]
        metadata["first_day"] = min(scope.first_day for scope in dated).isoformat()  # type: ignore[type-var]
        metadata["last_day"] = max(scope.last_day for scope in dated).isoformat()  # type: ignore[type-var]
    return metadata


def partition_metadata(
    warehouse: Warehouse, progress: Progress, scopes: Sequence[BotScope]
) -> dict[str, dict[str, object]]:
    """Each dated partition of the run (its key) and its own figures: the rows held now, and what this
    run's load added, removed and changed there."""
    spec = progress.spec
    if not progress.tasks or not any(_dated(spec, scope) for scope in scopes):
        return {}
    held = {(bot, day): rows for bot, day, rows in _rows_by_day(warehouse, spec, scopes)}
    changes = {(bot, change.day): change for bot, change in progress.changes}
    figures: dict[str, dict[str, object]] = {}
    for scope in scopes:
        for span in scope.spans:
            change = changes.get((scope.bot, span.first_day))
            figures[span.key] = {
                "dagster/row_count": held.get((scope.bot, span.first_day), 0),
                "rows_added": change.added if change else 0,
                "rows_removed": change.removed if change else 0,
                "rows_changed": change.changed if change else 0,
            }
    return figures


def _changes_record(bot: str, day: object, change: DayChanges | None) -> dg.TableRecord:
    added, removed, changed = (change.added, change.removed, change.changed) if change else (0, 0, 0)
    return dg.TableRecord({"bot": bot, "day": str(day), "added": added, "removed": removed, "changed": changed})
