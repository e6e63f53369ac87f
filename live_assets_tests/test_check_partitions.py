"""``latest_materializations``: each partition's newest materialization, read in pages, on a real instance."""

# No `from __future__ import annotations`: Dagster reads the context annotation of decorated functions.
import dagster as dg
import pytest

from live_assets.asset_checks import by_partition
from live_assets.asset_checks.by_partition import latest_materializations

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=0)


@dg.asset(partitions_def=DAYS)
def counted(context: dg.AssetExecutionContext) -> None:
    context.log.info(f"materialized {context.partition_key}")


def newest_by_partition(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, int]:
    """The reference answer, one query per partition (what the checks used to do)."""
    answer = {}
    for partition in instance.get_materialized_partitions(key):
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
        ).records
        answer[partition] = record.storage_id
    return answer


def test_newest_materialization_of_each_partition_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(by_partition, "MATERIALIZATIONS_PAGE", 2)  # force several pages
    key = dg.AssetKey("counted")
    with dg.DagsterInstance.ephemeral() as instance:
        for partition in ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-02", "2026-01-04", "2026-01-02"]:
            assert dg.materialize([counted], partition_key=partition, instance=instance).success
        wanted = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-05"]
        found = latest_materializations(instance, key, wanted)
        reference = newest_by_partition(instance, key)

    assert set(found) == {"2026-01-01", "2026-01-02", "2026-01-03"}  # never materialized: absent, not an error
    assert {partition: data.storage_id for partition, data in found.items()} == {
        partition: reference[partition] for partition in found
    }
    runs = {data.run_id for data in found.values()}
    assert len(runs) == 3  # the 2nd day's newest run, not its first
