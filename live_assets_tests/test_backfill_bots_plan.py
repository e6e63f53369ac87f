"""The backfill planner with a bots file: ``<bot>|<date>`` keys of the chosen bots, from the webserver's answer.

The asset nodes below are shaped as ``assetNodes`` returns them for bot x date assets (the CLI test in
test_backfill_cli.py runs the same planner against a real webserver); here the edge cases are cheap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from live_assets.backfill.days import DayRange
from live_assets.backfill.submit import BackfillError, bots_of, launcher_tags, parse_assets, plan_backfill

BOTS = ("alpha", "bravo", "charlie")
DAYS = [dt.date(2026, 3, 1) + dt.timedelta(days=n) for n in range(21)]
MONDAYS = [day for day in DAYS if day.weekday() == 0]


def node(path: list[str], dates: list[dt.date] | None, cadence: str = "Daily") -> dict[str, Any]:
    """One asset node; ``dates`` None: unpartitioned."""
    definition = None
    if dates is not None:
        definition = {
            "type": "MULTIPARTITIONED",
            "description": "Multi-partitioned, with dimensions: ...",
            "dimensionTypes": [
                {"name": "bot", "description": ", ".join(BOTS)},
                {"name": "date", "description": f"{cadence}, starting 2026-03-01 UTC."},
            ],
        }
    return {
        "assetKey": {"path": path},
        "groupName": path[0],
        "kinds": [],
        "isMaterializable": True,
        "isPartitioned": dates is not None,
        "partitionDefinition": definition,
        "partitionKeys": [f"{bot}|{day.isoformat()}" for bot in BOTS for day in dates or ()],
        "assetChecksOrError": {"__typename": "AssetChecks", "checks": []},
    }


def by_bot_node(path: list[str]) -> dict[str, Any]:
    """An asset partitioned by the bot alone (the lists with a bots file)."""
    static = {"type": "STATIC", "description": ", ".join(BOTS), "dimensionTypes": [{"name": "default"}]}
    return {**node(path, None), "isPartitioned": True, "partitionDefinition": static, "partitionKeys": list(BOTS)}


ASSETS = parse_assets(
    [
        node(["raw", "conversations"], DAYS),
        node(["raw", "summary_weekly"], MONDAYS, "Weekly"),
        by_bot_node(["raw", "agents"]),
    ]
)
RANGE = DayRange(dt.date(2026, 3, 9), dt.date(2026, 3, 15))  # Monday to Sunday


def test_every_bot_by_default_each_with_the_days_and_whole_weeks_of_the_range() -> None:
    plan = plan_backfill(ASSETS, RANGE)
    by_path = {target.asset.path: target for target in plan.targets}
    assert plan.bots == BOTS
    daily = by_path["raw/conversations"].partition_keys
    assert daily == tuple(f"{bot}|2026-03-{day:02d}" for bot in BOTS for day in range(9, 16))
    assert by_path["raw/summary_weekly"].partition_keys == tuple(f"{bot}|2026-03-09" for bot in BOTS)
    assert by_path["raw/agents"].partition_keys == BOTS  # the lists: one partition per bot
    assert "raw/agents: 3 partition(s) alpha..charlie" in plan.describe()
    # A bot's days are consecutive keys (Dagster orders them bot by bot): one range per bot.
    assert by_path["raw/conversations"].graphql_input()["partitions"]["ranges"] == [
        {"start": "alpha|2026-03-09", "end": "alpha|2026-03-15"},
        {"start": "bravo|2026-03-09", "end": "bravo|2026-03-15"},
        {"start": "charlie|2026-03-09", "end": "charlie|2026-03-15"},
    ]


def test_chosen_bots_only_in_file_order_and_an_unknown_bot_is_an_error() -> None:
    plan = plan_backfill(ASSETS, RANGE, ["charlie", "alpha"])
    assert plan.bots == ("alpha", "charlie")
    keys = next(t for t in plan.targets if t.asset.path == "raw/conversations").partition_keys
    assert keys is not None and {key.split("|")[0] for key in keys} == {"alpha", "charlie"}
    with pytest.raises(BackfillError, match=r"bot\(s\) 'zulu' not in the bots file \(alpha, bravo, charlie\)"):
        plan_backfill(ASSETS, RANGE, ["alpha", "zulu"])


def test_tags_with_and_without_a_bots_file() -> None:
    assert bots_of(ASSETS) == BOTS
    # With bots or without, the backfill carries only where it came from: the token lock keeps the API's rule.
    assert launcher_tags(ASSETS, ["alpha"], "cli") == {"live/launched_by": "cli"}
    single = parse_assets([{**node(["raw", "agents"], None)}])
    assert launcher_tags(single, None, "cli") == {"live/launched_by": "cli"}
    with pytest.raises(BackfillError, match="--bot chooses bots of a bots file, and there is none"):
        launcher_tags(single, ["mine"], "cli")
    with pytest.raises(BackfillError, match="no bot dimension"):
        plan_backfill(single, RANGE, ["alpha"])
