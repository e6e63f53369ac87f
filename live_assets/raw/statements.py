"""SQL for the raw tables, generated from the endpoint registry.

The statements are built only from the registry's own identifiers (table and column names, JSON
paths written in ``endpoints.py``); every value that comes from the API or from settings (file
paths, bot names, days, load times) is bound as a named parameter, never pasted into the text.
"""

from __future__ import annotations

from collections import defaultdict

from live_assets import contract
from live_assets.raw.endpoints import BodyShape, Column, DayRule, EndpointSpec, Partitioning

# Metadata columns every raw row carries, after the endpoint's own columns.
BOT_COLUMN = "_bot"
DAY_COLUMN = "_partition_day"
LOADED_AT_COLUMN = "_loaded_at"
EXTRA_COLUMN = "_extra"

METADATA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    (BOT_COLUMN, "VARCHAR", "the bot this row came from (its name in the settings)"),
    (DAY_COLUMN, "DATE", "the partition day (for weekly tables, the week's Monday)"),
    (LOADED_AT_COLUMN, "TIMESTAMP WITH TIME ZONE", "when this row was loaded"),
    (EXTRA_COLUMN, "JSON", "fields the API sent that this table has no column for (nested ones dotted)"),
)

# A single JSON object (stats, feedback) may be large; arrays are read element by element.
_MAX_OBJECT_BYTES = 1 << 30
_STRPTIME = contract.DATETIME_FORMAT.replace("'", "''")


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def metadata_columns(spec: EndpointSpec) -> list[tuple[str, str, str]]:
    if spec.partitioning is Partitioning.NONE:
        return [column for column in METADATA_COLUMNS if column[0] != DAY_COLUMN]
    return list(METADATA_COLUMNS)


def create_table(spec: EndpointSpec) -> list[str]:
    """DDL that creates the table, and adds columns a newer registry entry introduced."""
    table = spec.qualified_table
    definitions = [(c.name, c.sql_type) for c in spec.columns] + [(n, t) for n, t, _ in metadata_columns(spec)]
    body = ",\n    ".join(f"{quote_identifier(name)} {sql_type}" for name, sql_type in definitions)
    statements = ["CREATE SCHEMA IF NOT EXISTS raw", f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)"]
    statements += [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote_identifier(name)} {sql_type}"
        for name, sql_type in definitions
    ]
    return statements


def _json_value(column: Column, document: str = "json") -> str:
    path = _sql_string(column.source)
    if column.sql_type == "JSON":
        return f"({document} -> {path})"
    text = f"({document} ->> {path})"
    if column.sql_type == "TIMESTAMP":
        return f"strptime({text}, '{_STRPTIME}')"
    if column.sql_type == "VARCHAR":
        return text
    return f"CAST({text} AS {column.sql_type})"


def _extras(spec: EndpointSpec) -> str:
    """An expression that gathers every field of a row the registry has no column for."""
    top_level: set[str] = set()
    nested: dict[str, set[str]] = defaultdict(set)
    for column in spec.columns:
        parts = column.source.removeprefix("$.").split(".")
        top_level.add(parts[0])
        if len(parts) > 1 and column.sql_type != "JSON":
            nested[parts[0]].add(parts[1])

    def unknown(document: str, known: set[str], prefix: str) -> str:
        keys = ", ".join(_sql_string(k) for k in sorted(known))
        label = f"{_sql_string(prefix + '.')} || key" if prefix else "key"
        return (
            f"SELECT {label} AS key, value FROM json_each({document}) "
            f"WHERE json_type({document}) = 'OBJECT' AND key NOT IN ({keys})"
        )

    # ``src.json``, qualified: json_each() has a column named ``json`` of its own.
    parts = [unknown("src.json", top_level, "")]
    for parent in sorted(nested):
        parts.append(unknown(f"(src.json -> {_sql_string('$.' + parent)})", nested[parent], parent))
    union = "\n        UNION ALL ".join(parts)
    return f"(SELECT NULLIF(json_group_object(key, value)::VARCHAR, '{{}}')::JSON FROM (\n        {union}))"


def _json_rows(spec: EndpointSpec) -> str:
    """A query with one JSON document per row, read from the landed file ``$path``."""
    if spec.body is BodyShape.ARRAY:
        return "SELECT json FROM read_json_objects($path, format = 'array')"
    if spec.body is BodyShape.OBJECT:
        return (
            "SELECT json FROM read_json_objects($path, format = 'unstructured', "
            f"maximum_object_size = {_MAX_OBJECT_BYTES})"
        )
    if spec.body is BodyShape.ITEMS:
        return (
            "SELECT unnest(json_extract(json, '$.items[*]')) AS json FROM read_json_objects($path, "
            f"format = 'unstructured', maximum_object_size = {_MAX_OBJECT_BYTES})"
        )
    if spec.body is BodyShape.DETAIL_MESSAGES:
        # The file is an array of detail bodies; their messages do not repeat the conversation id, so add it.
        return (
            "SELECT json_merge_patch(message, json_object('conversation_id', detail -> '$.conversation_id')) "
            "AS json FROM (SELECT json AS detail, unnest(json_extract(json, '$.messages[*]')) AS message "
            f"FROM read_json_objects($path, format = 'array', maximum_object_size = {_MAX_OBJECT_BYTES}))"
        )
    raise ValueError(f"{spec.table}: a {spec.body} body is not read as JSON")


def _day_expression(spec: EndpointSpec, typed_columns: str) -> str:
    if spec.day_rule is DayRule.REQUEST:
        return "CAST($first_day AS DATE)"
    if spec.day_rule is DayRule.COLUMN:
        assert spec.day_column is not None, spec.table
        return f"CAST({quote_identifier(spec.day_column)} AS DATE)"
    return (
        "(SELECT c._partition_day FROM raw.conversations AS c "
        f"WHERE c._bot = $bot AND c.conversation_id = {typed_columns}.conversation_id)"
    )


def stage_json(spec: EndpointSpec) -> str:
    """CREATE the temp table ``stage`` with the typed rows of one landed JSON response."""
    typed = ",\n        ".join(f"{_json_value(c)} AS {quote_identifier(c.name)}" for c in spec.columns)
    day = ""
    if spec.partitioning is not Partitioning.NONE:
        day = f",\n    {_day_expression(spec, 'typed')} AS {DAY_COLUMN}"
    return (
        "CREATE OR REPLACE TEMP TABLE stage AS\n"
        f"WITH typed AS (\n    SELECT\n        {typed},\n        {_extras(spec)} AS {EXTRA_COLUMN}\n"
        f"    FROM ({_json_rows(spec)}) AS src\n)\n"
        f"SELECT typed.*{day},\n    $bot AS {BOT_COLUMN},\n    CAST($loaded_at AS TIMESTAMPTZ) AS {LOADED_AT_COLUMN}\n"
        "FROM typed"
    )


def create_empty_stage(spec: EndpointSpec) -> str:
    """An empty temp table ``stage`` shaped like the target, for loads that append batches (CSV)."""
    return f"CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM {spec.qualified_table} LIMIT 0"


def stage_csv_batch(spec: EndpointSpec) -> str:
    """Append one Arrow batch (registered as ``batch``) of the parsed export to ``stage``."""
    assert spec.day_column is not None
    selected = ", ".join(f"{quote_identifier(c.source)} AS {quote_identifier(c.name)}" for c in spec.columns)
    return (
        f"INSERT INTO stage BY NAME SELECT {selected}, CAST({quote_identifier(spec.day_column)} AS DATE) "
        f"AS {DAY_COLUMN}, $bot AS {BOT_COLUMN}, CAST($loaded_at AS TIMESTAMPTZ) AS {LOADED_AT_COLUMN}, "
        f"NULL::JSON AS {EXTRA_COLUMN} FROM (SELECT *, {quote_identifier(spec.day_column)} FROM batch)"
    )


STAGE_OUTSIDE_WINDOW = (
    f"SELECT count(*) FILTER (WHERE {DAY_COLUMN} IS NULL), "
    f"count(*) FILTER (WHERE {DAY_COLUMN} NOT BETWEEN $first_day AND $last_day), "
    f"min({DAY_COLUMN}), max({DAY_COLUMN}), count(*) FROM stage"
)


def delete_scope(spec: EndpointSpec) -> str:
    """DELETE the rows that the staged rows replace: the window's days, or the staged conversations."""
    table = spec.qualified_table
    if spec.partitioning is Partitioning.NONE:
        return f"DELETE FROM {table} WHERE {BOT_COLUMN} = $bot"
    if spec.body is BodyShape.DETAIL_MESSAGES:
        return (
            f"DELETE FROM {table} WHERE {BOT_COLUMN} = $bot "
            "AND conversation_id IN (SELECT DISTINCT conversation_id FROM stage)"
        )
    return f"DELETE FROM {table} WHERE {BOT_COLUMN} = $bot AND {DAY_COLUMN} BETWEEN $first_day AND $last_day"


def insert_stage(spec: EndpointSpec) -> str:
    return f"INSERT INTO {spec.qualified_table} BY NAME SELECT * FROM stage"
