"""Asset checks: raw conversations sound, endpoints reconciled, KPI values in range, KPIs on time.

Every partitioned check here evaluates each partition of its run separately, also in a single-run
backfill over a range (see ``by_partition.py``).
"""

from __future__ import annotations

import dagster as dg

from live_assets.checks.freshness import FRESHNESS_CHECKS, freshness_sensor
from live_assets.checks.kpi_checks import KPI_CHECKS
from live_assets.checks.raw_conversations import conversation_id_unique, queued_within_partition_day
from live_assets.checks.reconciliation import endpoints_reconcile

RAW_CHECKS: list[dg.AssetChecksDefinition] = [conversation_id_unique, queued_within_partition_day, endpoints_reconcile]
CHECKS: list[dg.AssetChecksDefinition] = [*RAW_CHECKS, *KPI_CHECKS, *FRESHNESS_CHECKS]
CHECK_SENSORS: list[dg.SensorDefinition] = [freshness_sensor] if freshness_sensor is not None else []

__all__ = ["CHECKS", "CHECK_SENSORS", "FRESHNESS_CHECKS", "KPI_CHECKS", "RAW_CHECKS"]
