"""SQL for the raw tables, generated from the endpoint registry.

The statements are built only from the registry's own identifiers (table and column names, JSON
paths written in ``endpoints.py``); every value that comes from the API or from settings (file
paths, bot names, days, load times) is bound as a named parameter, never pasted into the text.
"""

from __future__ import annotations

from collections import defaultdict

from live_assets import contract
from live_assets.client import LANDING_CODEC
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
# Landed files are compressed by the client's codec: named here, not guessed from the file's name.
_COMPRESSION = f"compression = '{LANDING_CODEC}'"


def used_parameters(sql: str, parameters: dict[str, object]) -> dict[str, object]:
    """DuckDB rejects named parameters a statement does not use: pass only those it names."""
    return {name: value for name, value in parameters.items() if f"${name}" in sql}


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


def _typed(column: Column, text: str) -> str:
    """``text`` (the column's value as JSON text, or NULL) cast to the column's type."""
    if column.sql_type == "TIMESTAMP":
        return f"strptime({text}, '{_STRPTIME}')"
    if column.sql_type == "VARCHAR":
        return text
    return f"CAST({text} AS {column.sql_type})"


def _known_fields(spec: EndpointSpec) -> tuple[set[str], dict[str, set[str]]]:
    """The top-level fields the registry reads, and per parent object (``group``) the fields read inside it.

    A JSON column (``user.extra_information``) is a field read like any other: it is not an extra of its
    parent, or every row would carry it twice.
    """
    top_level: set[str] = set()
    nested: dict[str, set[str]] = defaultdict(set)
    for column in spec.columns:
        parts = column.source.removeprefix("$.").split(".")
        top_level.add(parts[0])
        if len(parts) > 1:
            nested[parts[0]].add(parts[1])
    return top_level, dict(sorted(nested.items()))


def _parsed(spec: EndpointSpec) -> str:
    """Select-list items that parse each document a fixed few times, whatever the number of columns.

    ``json_extract_string`` with the list of every scalar column's path parses a document once; an
    operator per column (``json ->> path``) would parse it once per column, and DuckDB keeps each
    parse's arena for a whole chunk of rows, so a 43-column table cost 40 parses a row and close to a
    gigabyte for a day of 100,000 conversations. The parent objects that hold columns are extracted
    in one parse too, for :func:`_extras` to list their keys.
    """
    scalars = [c.source for c in spec.columns if c.sql_type != "JSON"]
    objects = [c.source for c in spec.columns if c.sql_type == "JSON"]
    _, nested = _known_fields(spec)
    items = [f"json_extract_string(src.json, [{', '.join(map(_sql_string, scalars))}]) AS _scalars"]
    if objects:
        items.append(f"json_extract(src.json, [{', '.join(map(_sql_string, objects))}]) AS _objects")
    if nested:
        items.append(f"json_extract(src.json, [{', '.join(_sql_string('$.' + p) for p in nested)}]) AS _parents")
    items.append("json_keys(src.json) AS _keys")
    items.append("src.json AS _document")
    return ",\n        ".join(items)


def _typed_columns(spec: EndpointSpec) -> str:
    """The typed columns, read from the lists :func:`_parsed` extracted."""
    scalars = [c for c in spec.columns if c.sql_type != "JSON"]
    objects = [c for c in spec.columns if c.sql_type == "JSON"]
    typed = []
    for column in spec.columns:
        if column.sql_type == "JSON":
            value = f"_objects[{objects.index(column) + 1}]"
        else:
            value = _typed(column, f"_scalars[{scalars.index(column) + 1}]")
        typed.append(f"{value} AS {quote_identifier(column.name)}")
    return ",\n        ".join(typed)


def _extras(spec: EndpointSpec) -> str:
    """An expression that gathers every field of a row the registry has no column for.

    Built from list functions over each row's own keys, not from ``json_each`` in a correlated subquery:
    DuckDB decorrelates such a subquery into a join over every row of the file, which held the whole
    day in memory. The object is written as text, each key through ``to_json`` (escaped by DuckDB)
    and each value as ``json_extract`` gives it (a JSON pointer, ``~`` and ``/`` escaped per RFC 6901).
    """
    top_level, nested = _known_fields(spec)

    def unknown(keys: str, document: str, known: set[str], prefix: str) -> str:
        names = ", ".join(_sql_string(k) for k in sorted(known))
        label = f"{_sql_string(prefix + '.')} || k" if prefix else "k"
        member = (
            f"to_json({label})::VARCHAR || ':' || "
            f"json_extract({document}, '/' || replace(replace(k, '~', '~0'), '/', '~1'))::VARCHAR"
        )
        return f"list_transform(list_filter({keys}, lambda k: k NOT IN ({names})), lambda k: {member})"

    # json_keys() gives [] for a value that is not an object (a null parent), NULL for a missing one.
    parts = [unknown("_keys", "_document", top_level, "")]
    for index, parent in enumerate(nested, start=1):
        parts.append(unknown(f"json_keys(_parents[{index}])", f"_parents[{index}]", nested[parent], parent))
    members = "flatten([\n            " + ",\n            ".join(parts) + "])"
    return f"NULLIF('{{' || array_to_string({members}, ',') || '}}', '{{}}')::JSON"


def _json_rows(spec: EndpointSpec) -> str:
    """A query with one JSON document per row, read from the landed file ``$path``."""
    if spec.body is BodyShape.ARRAY:
        return f"SELECT json FROM read_json_objects($path, {_COMPRESSION}, format = 'array')"
    if spec.body is BodyShape.OBJECT:
        return (
            f"SELECT json FROM read_json_objects($path, {_COMPRESSION}, format = 'unstructured', "
            f"maximum_object_size = {_MAX_OBJECT_BYTES})"
        )
    if spec.body is BodyShape.ITEMS:
        return (
            "SELECT unnest(json_extract(json, '$.items[*]')) AS json "
            f"FROM read_json_objects($path, {_COMPRESSION}, format = 'unstructured', "
            f"maximum_object_size = {_MAX_OBJECT_BYTES})"
        )
    if spec.body is BodyShape.DETAIL_MESSAGES:
        # The file is an array of detail bodies; their messages do not repeat the conversation id, so add it.
        return (
            "SELECT json_merge_patch(message, json_object('conversation_id', detail -> '$.conversation_id')) "
            "AS json FROM (SELECT json AS detail, unnest(json_extract(json, '$.messages[*]')) AS message "
            f"FROM read_json_objects($path, {_COMPRESSION}, format = 'array', "
            f"maximum_object_size = {_MAX_OBJECT_BYTES}))"
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
    day = ""
    if spec.partitioning is not Partitioning.NONE:
        day = f",\n    {_day_expression(spec, 'typed')} AS {DAY_COLUMN}"
    return (
        "CREATE OR REPLACE TEMP TABLE stage AS\n"
        f"WITH parsed AS (\n    SELECT\n        {_parsed(spec)}\n    FROM ({_json_rows(spec)}) AS src\n),\n"
        f"typed AS (\n    SELECT\n        {_typed_columns(spec)},\n        {_extras(spec)} AS {EXTRA_COLUMN}\n"
        "    FROM parsed\n)\n"
        f"SELECT typed.*{day},\n    $bot AS {BOT_COLUMN},\n    CAST($loaded_at AS TIMESTAMPTZ) AS {LOADED_AT_COLUMN}\n"
        "FROM typed"
    )


# --- the direct load: one typed read of the file, straight into the table ------------------------------------------
#
# The staging statement above parses every document with DuckDB's JSON functions and builds ``_extra`` with
# list lambdas over each row's keys: ~60,000 rows/s for conversations. Most files have no field the registry
# does not know, and for those ``_extra`` is NULL on every row. So a file whose keys are all known is read
# once by ``read_json`` with the registry's own column types (no auto-detection, no JSON functions) and
# inserted as it is read, the window check done by the same statement; any other file, or any error in
# that statement, takes the staging path, which is the reference for values and error messages.


def reads_directly(spec: EndpointSpec) -> bool:
    """Whether ``spec``'s files can take the direct load: a JSON array of rows whose day comes from the
    row itself or from the request, and columns read at most one object deep (as ``_extra`` looks)."""
    if spec.body is not BodyShape.ARRAY:
        return False
    if spec.partitioning is not Partitioning.NONE and spec.day_rule is DayRule.CONVERSATION:
        return False
    paths = [column.source.removeprefix("$.").split(".") for column in spec.columns]
    if any(not column.source.startswith("$.") for column in spec.columns) or any(len(p) > 2 for p in paths):
        return False
    parents = {parts[0] for parts in paths if len(parts) > 1}
    leaves = [tuple(parts) for parts in paths]
    # A field read both whole and inside (``$.user`` and ``$.user.id``) has no single type to read it as.
    return len(set(leaves)) == len(leaves) and not parents & {parts[0] for parts in paths if len(parts) == 1}


def _read_type(column: Column) -> str:
    """The type ``read_json`` reads a column's field as: timestamps as text, parsed as the staging path does."""
    return "VARCHAR" if column.sql_type == "TIMESTAMP" else column.sql_type


def read_json_columns(spec: EndpointSpec) -> dict[str, str]:
    """The ``columns`` of ``read_json`` for ``spec``: each top-level field with the type it is read as, the
    objects that hold columns as STRUCTs of those columns' fields, in registry order."""
    fields: dict[str, str | dict[str, str]] = {}
    for column in spec.columns:
        parts = column.source.removeprefix("$.").split(".")
        if len(parts) == 1:
            fields[parts[0]] = _read_type(column)
        else:
            parent = fields.setdefault(parts[0], {})
            assert isinstance(parent, dict), spec.table
            parent[parts[1]] = _read_type(column)
    return {
        name: value
        if isinstance(value, str)
        else "STRUCT(" + ", ".join(f"{quote_identifier(k)} {t}" for k, t in value.items()) + ")"
        for name, value in fields.items()
    }


def _read_json_direct(spec: EndpointSpec) -> str:
    columns = ", ".join(f"{_sql_string(name)}: {_sql_string(kind)}" for name, kind in read_json_columns(spec).items())
    return f"read_json($path, {_COMPRESSION}, format = 'array', auto_detect = false, columns = {{{columns}}})"


def known_keys(spec: EndpointSpec) -> dict[str, frozenset[str]]:
    """The keys a row may carry without anything going to ``_extra``: per JSON path (``$`` for the row
    itself, ``$.group`` for an object that holds columns), the fields the registry reads there."""
    top_level, nested = _known_fields(spec)
    return {"$": frozenset(top_level)} | {f"$.{parent}": frozenset(names) for parent, names in nested.items()}


def distinct_keys(spec: EndpointSpec) -> str:
    """SELECT the distinct key lists of the file ``$path``'s rows, as JSON text: for each row, a list of
    the keys found at each path of :func:`known_keys`, in that order.

    One parse a row (``json_keys`` of every path at once), and few rows out: rows of one API share their
    key lists. Comparing them with the known keys is left to the caller: testing each row in SQL
    (``list_has_all`` against list literals) cost seven times the parse, and DISTINCT on the lists
    themselves twice what it costs on their text.
    """
    paths = ", ".join(map(_sql_string, known_keys(spec)))
    return (
        f"SELECT DISTINCT to_json(json_keys(json, [{paths}])) "
        f"FROM read_json_objects($path, {_COMPRESSION}, format = 'array')"
    )


def has_unknown_keys(spec: EndpointSpec, key_lists: list[list[str] | None]) -> bool:
    """Whether one row's key lists (a row of :func:`distinct_keys`, parsed) name a field :func:`known_keys`
    lacks. A path missing from the row gives no list (None), an object without keys an empty one."""
    return any(not set(keys or ()) <= known for keys, known in zip(key_lists, known_keys(spec).values(), strict=True))


def _direct_value(column: Column) -> str:
    parts = column.source.removeprefix("$.").split(".")
    return _typed(column, "src." + ".".join(map(quote_identifier, parts)))


def insert_direct(spec: EndpointSpec) -> str:
    """INSERT the rows of the landed JSON array ``$path`` straight into the table, ``_extra`` NULL.

    Only for files without unknown keys (:func:`distinct_keys`). A row whose day is missing or
    outside ``$first_day..$last_day`` stops the statement with an error: the caller then rolls back and
    loads through the staging path, whose check says how many rows and which days.
    """
    assert reads_directly(spec), spec.table
    typed = ",\n        ".join(f"{_direct_value(c)} AS {quote_identifier(c.name)}" for c in spec.columns)
    day = ""
    if spec.partitioning is not Partitioning.NONE:
        value = _day_expression(spec, "typed")
        day = (
            f",\n    CASE WHEN {value} BETWEEN $first_day AND $last_day THEN {value} "
            f"ELSE error('row outside its window, day ' || coalesce(CAST({value} AS VARCHAR), 'missing')) "
            f"END AS {DAY_COLUMN}"
        )
    return (
        f"INSERT INTO {spec.qualified_table} BY NAME\n"
        f"SELECT typed.*{day},\n    $bot AS {BOT_COLUMN},\n"
        f"    CAST($loaded_at AS TIMESTAMPTZ) AS {LOADED_AT_COLUMN},\n    NULL::JSON AS {EXTRA_COLUMN}\n"
        f"FROM (\n    SELECT\n        {typed}\n    FROM {_read_json_direct(spec)} AS src\n) AS typed"
    )


def table_columns(spec: EndpointSpec) -> str:
    """SELECT the names of the table's columns, if it exists: whether :func:`create_table` has work to do."""
    return (
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        f"AND schema_name = 'raw' AND table_name = {_sql_string(spec.table)}"
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


def scope_condition(spec: EndpointSpec) -> str:
    """The rows a load replaces: the window's days, the staged parents' children, or all the bot's."""
    if spec.partitioning in (Partitioning.NONE, Partitioning.TODAY):  # refreshed whole, per bot
        return f"{BOT_COLUMN} = $bot"
    if spec.children_of is not None:  # the children of the staged parents
        key = quote_identifier(spec.children_of.id_column)
        return f"{BOT_COLUMN} = $bot AND {key} IN (SELECT DISTINCT {key} FROM stage)"
    return f"{BOT_COLUMN} = $bot AND {DAY_COLUMN} BETWEEN $first_day AND $last_day"


def delete_scope(spec: EndpointSpec) -> str:
    """DELETE what the staged rows replace (:func:`scope_condition`)."""
    return f"DELETE FROM {spec.qualified_table} WHERE {scope_condition(spec)}"


def insert_stage(spec: EndpointSpec) -> str:
    return f"INSERT INTO {spec.qualified_table} BY NAME SELECT * FROM stage"
