"""Read the outcome of the asset checks that a set of runs executed, through the webserver.

The checks are defined next to the assets and run inside the backfill's runs (a check is part of
its asset's run); this module only reads what they concluded, so the demo reports the very same
results the UI shows on each asset's "Checks" tab, metadata included.

A check's result is its *latest* execution per partition: a freshness check that a sensor evaluated
(and failed) before the backfill materialized its asset, then passed in the backfill's run, has
passed. Earlier executions stay listed, for the record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from live_assets.backfill.graphql import DagsterGraphQL
from live_assets.backfill.submit import AssetInfo

PASSED = "SUCCEEDED"
SKIPPED = "SKIPPED"
FAILED_STATUSES = frozenset({"FAILED", "EXECUTION_FAILED"})
WARN = "WARN"  # a check of severity warning (targets_met): its failure is a finding, not a broken run
EXECUTIONS_LIMIT = 1000

EXECUTIONS_QUERY = """
query LiveCheckExecutions($assetKey: AssetKeyInput!, $checkName: String!, $limit: Int!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: $limit) {
    runId
    status
    partition
    timestamp
    evaluation {
      severity
      description
      metadataEntries {
        __typename
        label
        ... on TextMetadataEntry { text }
        ... on IntMetadataEntry { intRepr }
        ... on FloatMetadataEntry { floatRepr }
        ... on BoolMetadataEntry { boolValue }
        ... on MarkdownMetadataEntry { mdStr }
        ... on JsonMetadataEntry { jsonString }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class CheckExecution:
    """One execution of one check (for one partition, or the run's whole range)."""

    asset: str
    check: str
    run_id: str
    status: str
    partition: str | None
    timestamp: float
    severity: str | None
    description: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass(frozen=True)
class CheckSummary:
    """All executions of one check within the runs of interest."""

    asset: str
    check: str
    executions: tuple[CheckExecution, ...]

    def latest(self) -> list[CheckExecution]:
        """The newest evaluation of each partition (one, for an unpartitioned check), by partition.

        A ``SKIPPED`` execution (planned in a run that ended without evaluating it, as Dagster plans an
        unpartitioned check once per partition of a range run) counts only when nothing evaluated
        that partition.
        """
        newest: dict[str | None, CheckExecution] = {}
        for execution in self.executions:
            current = newest.get(execution.partition)
            rank = (execution.status != SKIPPED, execution.timestamp)
            if current is None or rank > (current.status != SKIPPED, current.timestamp):
                newest[execution.partition] = execution
        return [newest[key] for key in sorted(newest, key=lambda k: k or "")]

    def evaluated(self) -> list[CheckExecution]:
        return [e for e in self.latest() if e.status != SKIPPED]

    @property
    def status(self) -> str:
        """``failed`` if a latest evaluation failed, ``warning`` if only checks of severity warning did,
        ``passed`` if all passed, else ``pending``, ``skipped`` or ``not run``."""
        latest = self.latest()
        evaluated = self.evaluated()
        if not latest:
            return "not run"
        if any(e.failed and e.severity != WARN for e in evaluated):
            return "failed"
        if any(e.failed for e in evaluated):
            return "warning"
        if any(e.status not in (PASSED, SKIPPED) for e in evaluated):
            return "pending"
        return "passed" if evaluated else "skipped"

    @property
    def failures(self) -> list[CheckExecution]:
        return [e for e in self.latest() if e.failed]


def _metadata_value(entry: Mapping[str, Any]) -> str:
    for name in ("text", "intRepr", "floatRepr", "mdStr", "jsonString"):
        if name in entry:
            return str(entry[name])
    if "boolValue" in entry:
        return str(entry["boolValue"]).lower()
    return entry["__typename"].removesuffix("MetadataEntry").lower()


def parse_executions(asset: str, check: str, rows: Iterable[Mapping[str, Any]]) -> list[CheckExecution]:
    executions = []
    for row in rows:
        evaluation = row.get("evaluation") or {}
        metadata = {entry["label"]: _metadata_value(entry) for entry in evaluation.get("metadataEntries") or []}
        executions.append(
            CheckExecution(
                asset=asset,
                check=check,
                run_id=row["runId"],
                status=row["status"],
                partition=row.get("partition"),
                timestamp=float(row.get("timestamp") or 0.0),
                severity=evaluation.get("severity"),
                description=evaluation.get("description"),
                metadata=metadata,
            )
        )
    return executions


def check_results(client: DagsterGraphQL, assets: Sequence[AssetInfo], run_ids: Collection[str]) -> list[CheckSummary]:
    """For every check of ``assets``, its executions that happened in ``run_ids``."""
    summaries = []
    for asset in assets:
        for check in asset.check_names:
            rows = client.execute(
                EXECUTIONS_QUERY,
                {"assetKey": {"path": list(asset.key)}, "checkName": check, "limit": EXECUTIONS_LIMIT},
            )["assetCheckExecutions"]
            executions = [e for e in parse_executions(asset.path, check, rows) if e.run_id in run_ids]
            summaries.append(CheckSummary(asset.path, check, tuple(executions)))
    return summaries
