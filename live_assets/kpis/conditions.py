"""When the KPI assets run by themselves: declarative automation, evaluated by the automation sensor.

A KPI partition is requested when one of its raw inputs lands (or when it is newly missing), once none
of its inputs is missing or in progress, and only if every blocking check of every upstream partition
it reads has passed, so a day whose endpoints disagree never reaches the KPI tables.

Two deliberate departures from ``AutomationCondition.eager()``:

- eager looks at the latest partition only; here the last ``LOOKBACK`` of partitions are considered,
  so that a backfill or a reload of a recent raw day also refreshes its KPIs.
- ``all_deps_blocking_checks_passed()`` maps an upstream subset to a downstream one by "any": a weekly
  partition passes it as soon as one of its seven days passed. So the condition also requires that no
  upstream partition has a blocking check that did not pass, which holds only when all seven did.

``raw/groups`` (the fallback SLA thresholds, a dimension list refreshed daily) is ignored by the
condition: its daily refresh would otherwise recompute every recent KPI partition every day.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import dagster as dg

# How far back a raw partition landing still refreshes its KPIs by itself. Older days: backfill.
LOOKBACK: Final = dt.timedelta(days=35)

_NOT_PASSED: Final = ~(dg.AutomationCondition.check_passed() | dg.AutomationCondition.will_be_requested())

every_upstream_partition_passed_blocking_checks: Final = (
    ~dg.AutomationCondition.any_deps_match(dg.AutomationCondition.any_checks_match(_NOT_PASSED, blocking_only=True))
).with_label("every_upstream_partition_passed_blocking_checks")


def kpi_automation_condition(ignored: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """eager over ``LOOKBACK``, gated by the upstream blocking checks (see the module docstring)."""
    eager = dg.AutomationCondition.eager().replace(
        "in_latest_time_window", dg.AutomationCondition.in_latest_time_window(LOOKBACK)
    )
    condition = (
        eager
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
        & every_upstream_partition_passed_blocking_checks
    )
    if ignored is not None:
        condition = condition.ignore(ignored)
    return condition.with_label("kpi_eager_when_upstream_checks_passed")


# The sensor that evaluates every automation condition of the code location. Dagster would add one
# by itself, but stopped; under this name and RUNNING, `dagster dev` evaluates the conditions at once.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the automation conditions (KPI assets follow their raw inputs).",
)
