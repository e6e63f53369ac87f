"""The code location's definitions for tests, built once from the default settings (one bot, UTC, 2025-01-01).

Tests used to import module-level assets; the code location is now built by ``build_definitions``, so
the tests take the same objects from one default build here.
"""

from __future__ import annotations

import dagster as dg

from live_assets.asset_checks.freshness import FRESHNESS_CHECK_NAME
from live_assets.definitions import build_definitions
from live_assets.settings import LiveSettings

SETTINGS = LiveSettings()
defs = build_definitions(SETTINGS)

_ASSETS = list(defs.assets or [])
RAW_ASSETS: list[dg.AssetsDefinition] = [a for a in _ASSETS if a.node_def.name.startswith("live_raw_")]
KPI_ASSETS: list[dg.AssetsDefinition] = [a for a in _ASSETS if a.node_def.name.startswith("kpi__")]
_BY_NAME = {a.node_def.name: a for a in _ASSETS}
daily_partitions = _BY_NAME["live_raw_daily"].partitions_def
weekly_partitions = _BY_NAME["live_raw_weekly"].partitions_def
_CHECKS = list(defs.asset_checks or [])
RAW_CHECKS = [c for c in _CHECKS if next(iter(c.check_keys)).asset_key.path[0] == "raw"]
FRESHNESS_CHECKS = [c for c in _CHECKS if next(iter(c.check_keys)).name == FRESHNESS_CHECK_NAME]
TARGETS_CHECKS = [c for c in _CHECKS if next(iter(c.check_keys)).name == "targets_met"]
KPI_CHECKS = [c for c in _CHECKS if c not in RAW_CHECKS + FRESHNESS_CHECKS + TARGETS_CHECKS]


def raw_keys(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["raw", table]) for table in tables]


def raw_steps(*tables: str) -> list[dg.AssetsDefinition]:
    """The raw multi-assets that hold ``tables`` (select the tables themselves with ``raw_keys``)."""
    wanted = set(raw_keys(*tables))
    return [asset for asset in RAW_ASSETS if wanted & set(asset.keys)]
