"""The lists today's refresh needs to judge the service level, fetched with it when missing or stale.

Today's SLA % needs each group's SLA threshold, which comes with the group list (``raw/groups``). On a
new deployment the schedules start together and the lists arrive with their own (daily) schedule, so
the first intraday refreshes would judge nothing. Today's step therefore asks for the group list too
when the bot's copy is missing or older than ``LIST_MAX_AGE``: one more request, through the same
client, loaded into ``raw.groups`` as the list's own step loads it. The step's metadata says which
lists it used and when they were loaded (``lists_used``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from live_assets.kpis import queries
from live_assets.raw.endpoints import ENDPOINTS, EndpointSpec
from live_assets.scope import BotScope
from live_assets.warehouse import Warehouse

RAW_PACKAGE: Final = "live_assets.raw"
LIST_MAX_AGE: Final = dt.timedelta(days=1)
# The lists today's service level is judged with: the groups' SLA thresholds.
TODAY_LISTS: Final = ("groups",)


@dataclass(frozen=True)
class ListState:
    """One list of one bot: when it was loaded last (None: never), and whether today's step fetches it."""

    table: str
    bot: str
    loaded_at: dt.datetime | None
    fetch: bool

    def describe(self) -> str:
        if self.loaded_at is None:
            return f"raw.{self.table} of {self.bot}: missing, fetched with today's refresh"
        age = "older than a day, fetched again with today's refresh" if self.fetch else "loaded"
        return f"raw.{self.table} of {self.bot}: {age} ({self.loaded_at:%Y-%m-%d %H:%M} UTC)"


def list_states(store: Warehouse, scopes: Sequence[BotScope], now: dt.datetime) -> list[ListState]:
    """Each list of ``TODAY_LISTS`` for each bot of the run: when loaded, and whether it must be fetched."""
    template = queries.read_sql(RAW_PACKAGE, "list_loaded_at.sql")
    states = []
    with store.connect() as connection:
        tables = queries.run_script(connection, queries.read_sql(RAW_PACKAGE, "raw_tables.sql"), {})
        present = {name for (name,) in tables.rows}
        for table in TODAY_LISTS:
            sql = template.format(table=f"raw.{table}")
            for scope in scopes:
                loaded_at = None
                if table in present:
                    ((loaded_at,),) = queries.run_script(connection, sql, {"bot": scope.bot}).rows
                fetch = loaded_at is None or now - loaded_at > LIST_MAX_AGE
                states.append(ListState(table, scope.bot, loaded_at, fetch))
    return states


def list_spec(table: str) -> EndpointSpec:
    (spec,) = [spec for spec in ENDPOINTS if spec.table == table]
    return spec
