"""Asset checks: raw conversations sound, endpoints reconciled, KPI values in range, KPIs on time.

Every partitioned check here evaluates each partition of its run separately, also when a run covers a
range (see ``by_partition.py``). None of them calls the API, so none takes a slot of the ``live_api`` pool.
"""

from __future__ import annotations

import dagster as dg

from live_assets.asset_checks.freshness import build_freshness
from live_assets.asset_checks.kpi_checks import build_kpi_checks
from live_assets.asset_checks.raw_conversations import build_conversation_checks
from live_assets.asset_checks.reconciliation import build_endpoints_reconcile
from live_assets.deployment import Deployment
from live_assets.kpis.tables import Grain


def build_checks(deployment: Deployment) -> tuple[list[dg.AssetChecksDefinition], list[dg.SensorDefinition]]:
    """Every check of the code location, and the sensor that runs the freshness checks at their deadlines."""
    by_grain = {Grain.DAILY: deployment.daily, Grain.WEEKLY: deployment.weekly}
    freshness, sensor = build_freshness(deployment.bots, deployment.settings.timezone, by_grain)
    raw = [*build_conversation_checks(deployment.daily), build_endpoints_reconcile(deployment.daily)]
    return [*raw, *build_kpi_checks(by_grain), *freshness], [sensor]
