"""Reading and running the ``.sql`` files that sit beside this module (KPIs) and in ``asset_checks/sql``.

SQL lives in files so that it can be read, diffed and run by hand in the DuckDB shell. A file may hold
several statements separated by ``;`` at the end of a line; they run in order on one connection (so in
the caller's transaction), each with the named parameters it mentions (DuckDB refuses parameters a
statement does not use). Values are always bound as parameters, never pasted into the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import duckdb

_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def read_sql(package: str, name: str) -> str:
    """The text of ``name`` in the ``sql`` folder of ``package`` (``live_assets.kpis``, ``.asset_checks``)."""
    return resources.files(package).joinpath("sql").joinpath(name).read_text(encoding="utf-8")


def split_statements(text: str) -> list[str]:
    """The statements of a file, without their ``--`` comments (a comment may hold a ``;``).

    The files here keep string literals free of ``--`` and ``;``, which this simple split relies on.
    """
    chunks = (chunk.strip() for chunk in _STATEMENT_END.split(_COMMENT.sub("", text)))
    return [chunk for chunk in chunks if chunk]


def parameters_of(statement: str) -> set[str]:
    """The named parameters (``$name``) a statement uses, comments ignored."""
    return set(_PARAMETER.findall(_COMMENT.sub("", statement)))


@dataclass(frozen=True)
class Rows:
    """What the last statement of a script returned."""

    columns: list[str]
    rows: list[tuple]


def run_script(connection: duckdb.DuckDBPyConnection, text: str, parameters: Mapping[str, object]) -> Rows:
    """Run every statement of ``text`` in order; return the rows of the last one."""
    statements = split_statements(text)
    if not statements:
        raise ValueError("no SQL statement to run")
    result = Rows(columns=[], rows=[])
    for statement in statements:
        needed = parameters_of(statement)
        missing = needed - parameters.keys()
        if missing:
            raise KeyError(f"SQL parameter(s) {sorted(missing)} not given for statement: {statement[:80]}…")
        cursor = connection.execute(statement, {name: parameters[name] for name in needed} or None)
        if cursor.description is not None:
            result = Rows(columns=[column[0] for column in cursor.description], rows=cursor.fetchall())
        else:
            result = Rows(columns=[], rows=[])
    return result


def fingerprint(texts: Sequence[str]) -> str:
    """A short hash of SQL texts: a code version that changes whenever the SQL does."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:12]
