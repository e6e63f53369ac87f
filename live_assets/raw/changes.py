"""What a re-read changed: rows added, removed and changed per day, counted in the load's own transaction.

The daily schedule re-reads the last ``LIVE_LOOKBACK_DAYS`` days, because conversations arrive late and
surveys are answered or corrected later. Before a load deletes its window's rows, the rows it is about
to replace are fingerprinted into a temp table (only when there are any: a first load costs one
count); after the insert the new rows' fingerprints are compared with them, by the table's key
(``EndpointSpec.key``) or, for a table without one, as multisets of whole rows. ``_loaded_at`` is left
out of the comparison: a row loaded again unchanged is unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from live_assets.raw.endpoints import EndpointSpec, Partitioning
from live_assets.raw.statements import DAY_COLUMN, LOADED_AT_COLUMN, metadata_columns, quote_identifier, scope_condition
from live_assets.raw.statements import used_parameters as _used

PREVIOUS = "previous_rows"


@dataclass(frozen=True)
class DayChanges:
    """One day's (None: an unpartitioned table's) rows that a load added, removed and changed."""

    day: dt.date | None
    added: int
    removed: int
    changed: int


def _day(spec: EndpointSpec) -> str:
    return DAY_COLUMN if spec.partitioning is not Partitioning.NONE else "NULL::DATE"


def _fingerprints(spec: EndpointSpec) -> str:
    """The replaced scope's rows as (day, key..., a 64-bit hash of every column but ``_loaded_at``).

    Narrow rows rather than copies of the table's: a re-read of a 7-day window of conversations copied
    and compared whole cost more than its load; its fingerprints cost a few percent.
    """
    compared = [c.name for c in spec.columns] + [n for n, _, _ in metadata_columns(spec) if n != LOADED_AT_COLUMN]
    keys = "".join(f"{quote_identifier(k)}, " for k in spec.key)
    every = ", ".join(map(quote_identifier, compared))
    return (
        f"SELECT {_day(spec)} AS day, {keys}hash({every}) AS fingerprint "
        f"FROM {spec.qualified_table} WHERE {scope_condition(spec)}"
    )


def keep_previous(connection: duckdb.DuckDBPyConnection, spec: EndpointSpec, parameters: dict[str, object]) -> bool:
    """Before the delete: the fingerprints of the rows the load replaces, in ``previous_rows``; whether
    there were any (a first load copies nothing)."""
    exists = f"SELECT EXISTS (SELECT 1 FROM {spec.qualified_table} WHERE {scope_condition(spec)})"
    (held,) = connection.execute(exists, _used(exists, parameters)).fetchone() or (False,)
    if held:
        copy = f"CREATE OR REPLACE TEMP TABLE {PREVIOUS} AS {_fingerprints(spec)}"
        connection.execute(copy, _used(copy, parameters))
    return bool(held)


def _compare(spec: EndpointSpec) -> str:
    new = _fingerprints(spec)
    if spec.key:
        on = " AND ".join(f"n.{quote_identifier(k)} = o.{quote_identifier(k)}" for k in spec.key)
        first = quote_identifier(spec.key[0])
        return (
            "SELECT coalesce(n.day, o.day) AS day, "
            f"count(*) FILTER (WHERE o.{first} IS NULL), count(*) FILTER (WHERE n.{first} IS NULL), "
            f"count(*) FILTER (WHERE n.{first} IS NOT NULL AND o.{first} IS NOT NULL "
            "AND (n.fingerprint <> o.fingerprint OR n.day IS DISTINCT FROM o.day)) "
            f"FROM ({new}) AS n FULL JOIN {PREVIOUS} AS o ON {on} GROUP BY ALL ORDER BY day"
        )
    return (
        f"WITH n AS (SELECT day, fingerprint FROM ({new})), o AS (SELECT day, fingerprint FROM {PREVIOUS}), "
        "added AS (SELECT day FROM (SELECT * FROM n EXCEPT ALL SELECT * FROM o)), "
        "removed AS (SELECT day FROM (SELECT * FROM o EXCEPT ALL SELECT * FROM n)) "
        "SELECT day, sum(a), sum(r), 0 FROM (SELECT day, 1 AS a, 0 AS r FROM added "
        "UNION ALL SELECT day, 0, 1 FROM removed) GROUP BY ALL ORDER BY day"
    )


def count_changes(
    connection: duckdb.DuckDBPyConnection, spec: EndpointSpec, parameters: dict[str, object], *, had_rows: bool
) -> tuple[DayChanges, ...]:
    """After the insert: the changes per day against ``previous_rows`` (every row added if there were none)."""
    if had_rows:
        sql = _compare(spec)
    else:
        sql = (
            f"SELECT {_day(spec)} AS day, count(*), 0, 0 FROM {spec.qualified_table} "
            f"WHERE {scope_condition(spec)} GROUP BY ALL ORDER BY day"
        )
    rows = connection.execute(sql, _used(sql, parameters)).fetchall()
    if had_rows:
        connection.execute(f"DROP TABLE {PREVIOUS}")
    return tuple(DayChanges(day, int(a), int(r), int(c)) for day, a, r, c in rows if a or r or c)


def totals(changes: Sequence[DayChanges]) -> tuple[int, int, int]:
    return (sum(c.added for c in changes), sum(c.removed for c in changes), sum(c.changed for c in changes))
