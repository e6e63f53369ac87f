"""Reports of the user's own: pairs ``<name>.sql`` + ``<name>.yaml`` in ``LIVE_CUSTOM_REPORTS_DIR``.

The YAML says what the report is (``title``, ``cadence``; optionally ``description``, ``language``,
``chart`` and ``deliver``); the SQL is one ``SELECT`` over the warehouse with the parameters ``$bot``,
``$first_day`` and ``$last_day``. Everything is checked when the code location loads, so a mistake is
a failed load naming the file, the line and what is wrong, never a run that fails at 00:30:

- the YAML: a key that is not one of the known ones, a cadence that is not the API's (``daily``,
  ``weekly``, ``monthly``), a chart without its columns, a language the reports do not speak;
- the SQL, by DuckDB's own parser (``json_serialize_sql``): a syntax error, more than one statement or
  not a ``SELECT``, a table the warehouse does not hold, a parameter other than the three.

The tables the SQL reads (CTEs aside) are the asset's upstream, so the lineage in the UI is the SQL's.
:func:`custom_report_problems` gives the same findings as a list, for the connection check.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import yaml

from live_assets.report.i18n import LANGUAGES

CADENCES: Final = ("daily", "weekly", "monthly")
KEYS: Final = ("title", "cadence", "description", "language", "chart", "deliver")
CHART_KEYS: Final = ("type", "x", "y")
CHART_TYPES: Final = ("bar", "line")
PARAMETERS: Final = ("bot", "first_day", "last_day")
NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAMETER_USE: Final = re.compile(r"\$([A-Za-z_0-9]+)")
_NO_LOCATION: Final = 2**64 - 1  # DuckDB's query_location when it has none


class CustomReportError(ValueError):
    """One or more bad pairs; the message lists every problem as ``file:line: what``."""


@dataclass(frozen=True)
class Chart:
    type: str
    x: str
    y: str


@dataclass(frozen=True)
class CustomReport:
    name: str
    title: str
    cadence: str
    sql: str
    sql_path: Path
    tables: tuple[str, ...]  # schema.table, in the order the SQL names them
    description: str = ""
    language: str | None = None
    chart: Chart | None = None
    deliver: bool = False


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _yaml_problems(path: Path, text: str) -> tuple[dict[str, Any], list[str]]:
    """The YAML's values, and its problems with their lines (read from the node marks)."""
    where = path.name
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        return {}, [f"{where}:{line}: not valid YAML: {error.problem or error}"]
    if not isinstance(root, yaml.MappingNode):
        return {}, [f"{where}:1: expected a mapping of {', '.join(KEYS)}"]
    values: dict[str, Any] = {}
    problems = []
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        key, line = key_node.value, key_node.start_mark.line + 1
        lines[key] = line
        if key not in KEYS:
            problems.append(f"{where}:{line}: unknown key '{key}' (known: {', '.join(KEYS)})")
            continue
        values[key] = yaml.safe_load(yaml.serialize(value_node))
        if key == "chart" and isinstance(value_node, yaml.MappingNode):
            for chart_key, _ in value_node.value:
                if chart_key.value not in CHART_KEYS:
                    problems.append(
                        f"{where}:{chart_key.start_mark.line + 1}: unknown chart key '{chart_key.value}' "
                        f"(known: {', '.join(CHART_KEYS)})"
                    )
    for required in ("title", "cadence"):
        if not isinstance(values.get(required), str) or not values[required].strip():
            problems.append(f"{where}:{lines.get(required, 1)}: '{required}' is required (a text)")
    if "cadence" in values and values["cadence"] not in CADENCES:
        problems.append(f"{where}:{lines['cadence']}: cadence must be one of {', '.join(CADENCES)}")
    if "language" in values and values["language"] not in LANGUAGES:
        problems.append(f"{where}:{lines['language']}: language must be one of {', '.join(LANGUAGES)}")
    if "deliver" in values and not isinstance(values["deliver"], bool):
        problems.append(f"{where}:{lines['deliver']}: deliver must be true or false")
    if "description" in values and not isinstance(values["description"], str):
        problems.append(f"{where}:{lines['description']}: description must be a text")
    chart = values.get("chart")
    if "chart" in values and not (
        isinstance(chart, dict)
        and chart.get("type") in CHART_TYPES
        and all(isinstance(chart.get(axis), str) for axis in ("x", "y"))
    ):
        problems.append(f"{where}:{lines['chart']}: chart needs type (bar or line), x and y (column names)")
    return values, problems


def _sql_problems(path: Path, sql: str, known: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """The tables the SQL reads, and its problems with their lines."""
    where = path.name
    with duckdb.connect() as connection:
        (tree,) = connection.execute("SELECT json_serialize_sql($sql)", {"sql": sql}).fetchone()  # type: ignore[misc]
    parsed = json.loads(tree)
    if parsed.get("error"):
        line = _line_of(sql, int(parsed.get("position", 0)))
        message = parsed.get("error_message", "cannot be parsed")
        if parsed.get("error_type") == "not implemented":
            message = "must be one SELECT (or WITH ... SELECT) statement"
        return [], [f"{where}:{line}: SQL {message}"]
    if len(parsed["statements"]) != 1:
        return [], [f"{where}:1: must hold one SELECT statement, found {len(parsed['statements'])}"]
    nodes = list(_walk(parsed["statements"][0]))
    ctes = {entry["key"] for node in nodes if "cte_map" in node for entry in node["cte_map"]["map"]}
    tables, problems = [], []
    by_name = {name.split(".", 1)[1]: name for name in known}
    for node in nodes:
        if node.get("type") != "BASE_TABLE" or (not node["schema_name"] and node["table_name"] in ctes):
            continue
        name = f"{node['schema_name']}.{node['table_name']}" if node["schema_name"] else node["table_name"]
        qualified = name if "." in name else by_name.get(name, name)
        location = node.get("query_location", _NO_LOCATION)
        line = _line_of(sql, location) if location != _NO_LOCATION else 1
        if qualified not in known:
            close = difflib.get_close_matches(qualified, list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{where}:{line}: table {name} does not exist in the warehouse{hint}")
        elif qualified not in tables:
            tables.append(qualified)
    used = [entry["key"] for entry in parsed["statements"][0]["named_param_map"]]
    for parameter in sorted(set(used) - set(PARAMETERS)):
        match = re.search(r"\$" + re.escape(parameter) + r"\b", sql) if not parameter.isdigit() else None
        line = _line_of(sql, match.start()) if match else 1
        shown = f"${parameter}" if not parameter.isdigit() else f"positional parameter {parameter}"
        problems.append(f"{where}:{line}: {shown} is not a parameter (use $bot, $first_day, $last_day)")
    return tables, problems


def _pair(yaml_path: Path, known: Mapping[str, object]) -> tuple[CustomReport | None, list[str]]:
    name = yaml_path.stem
    sql_path = yaml_path.with_suffix(".sql")
    if not NAME.match(name):
        return None, [f"{yaml_path.name}:1: the name must be lowercase letters, digits and _ (it names an asset)"]
    if not sql_path.is_file():
        return None, [f"{yaml_path.name}:1: {sql_path.name} is missing beside it"]
    values, problems = _yaml_problems(yaml_path, yaml_path.read_text(encoding="utf-8"))
    sql = sql_path.read_text(encoding="utf-8")
    tables, sql_problems = _sql_problems(sql_path, sql, known)
    problems += sql_problems
    if problems:
        return None, problems
    chart = values.get("chart")
    return CustomReport(
        name=name,
        title=values["title"].strip(),
        cadence=values["cadence"],
        sql=sql,
        sql_path=sql_path,
        tables=tuple(tables),
        description=(values.get("description") or "").strip(),
        language=values.get("language"),
        chart=Chart(chart["type"], chart["x"], chart["y"]) if chart else None,
        deliver=bool(values.get("deliver", False)),
    ), []


def read_custom_reports(folder: Path, known: Mapping[str, object]) -> tuple[list[CustomReport], list[str]]:
    """Every pair of ``folder`` and every problem found (``known``: the warehouse's tables by name)."""
    if not folder.is_dir():
        return [], [f"{folder}: LIVE_CUSTOM_REPORTS_DIR is not a folder"]
    reports, problems = [], []
    for sql_path in sorted(folder.glob("*.sql")):
        if not sql_path.with_suffix(".yaml").is_file():
            problems.append(f"{folder}/{sql_path.name}:1: {sql_path.stem}.yaml is missing beside it")
    for yaml_path in sorted(folder.glob("*.yaml")):
        report, found = _pair(yaml_path, known)
        problems += [f"{folder}/{problem}" for problem in found]
        if report is not None:
            reports.append(report)
    return reports, problems


def load_custom_reports(folder: Path, known: Mapping[str, object]) -> list[CustomReport]:
    """The folder's reports, or :class:`CustomReportError` listing every problem (fails the load)."""
    reports, problems = read_custom_reports(folder, known)
    if problems:
        raise CustomReportError("bad custom report(s) in LIVE_CUSTOM_REPORTS_DIR:\n" + "\n".join(problems))
    return reports


def custom_report_problems(folder: Path | None) -> list[str]:
    """The problems of the custom reports folder (none without one): what the connection check reports."""
    if folder is None:
        return []
    from live_assets.report.custom_assets import warehouse_tables

    return read_custom_reports(folder, warehouse_tables())[1]
