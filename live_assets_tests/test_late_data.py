"""Late data (issue 17): a re-read of past days catches conversations added late and surveys changed,
counts them in the materialization's metadata, and the KPIs follow.

Two simulators with the same seed: one serves the days as they were first read, the other
(``SimulatorConfig.late``) as they are once late conversations came and some surveys were answered
again. Real runs load two days from the first, re-read them from the second, then re-read one day again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import dagster as dg
import pytest

from live_assets.simulator.config import LateData
from live_assets.simulator.generate import IDS_PER_DAY
from live_assets.simulator.late import CHANGED_COMMENT, LATE_ID_OFFSET
from live_assets_tests.layout import KPI_ASSETS, RAW_ASSETS, raw_keys
from live_assets_tests.pipeline import PipelineEnv, range_tags

FIRST, LAST = dt.date(2025, 3, 4), dt.date(2025, 3, 5)
TABLES = ("conversations", "feedback", "sla_by_group")
SLA_DAILY = next(asset for asset in KPI_ASSETS if asset.key.path[-1] == "sla_daily")


def metadata_of(result: dg.ExecuteInProcessResult, table: str, partition: str | None = None) -> dict[str, Any]:
    # One event per partition of the run: the run's figures (run_*) on each, and the partition's own.
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["raw", table])]
    event = next(e for e in events if partition is None or e.partition == partition)
    return {k: v.value for k, v in event.materialization.metadata.items()}


def changes_by_day(metadata: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {
        r.data["day"]: (r.data["added"], r.data["removed"], r.data["changed"])
        for r in metadata["changes_by_day"].records
    }


def load(
    pipeline: PipelineEnv, monkeypatch: pytest.MonkeyPatch, base_url: str, **options: Any
) -> dg.ExecuteInProcessResult:
    monkeypatch.setenv("LIVE_API_BASE_URL", base_url)
    return pipeline.materialize([*RAW_ASSETS, SLA_DAILY], selection=[*raw_keys(*TABLES), SLA_DAILY.key], **options)


def offered(pipeline: PipelineEnv, day: dt.date) -> int:
    return pipeline.warehouse.query("SELECT sum(offered) FROM kpi.sla_daily WHERE day = $day", {"day": day})[0][0]


def test_a_re_read_counts_late_conversations_and_changed_surveys_and_the_kpis_follow(
    pipeline: PipelineEnv, make_simulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    both_days = range_tags(FIRST, LAST)
    first = load(pipeline, monkeypatch, pipeline.sim.base_url, tags=both_days)
    assert changes_by_day(metadata_of(first, "conversations"))[str(LAST)][1:] == (0, 0)  # all added
    before = {day: offered(pipeline, day) for day in (FIRST, LAST)}
    surveys_before = dict(pipeline.warehouse.query("SELECT conversation_id, value FROM raw.feedback"))

    late = make_simulator(late=LateData(added_share=0.05, changed_survey_share=0.2))
    reread = load(pipeline, monkeypatch, late.base_url, tags=both_days)

    store = pipeline.warehouse
    late_ids = {
        day: store.query(
            "SELECT count(*) FROM raw.conversations WHERE _partition_day = $day AND conversation_id % $ids >= $offset",
            {"day": day, "ids": IDS_PER_DAY, "offset": LATE_ID_OFFSET},
        )[0][0]
        for day in (FIRST, LAST)
    }
    resurveyed = {
        day: store.query(
            "SELECT count(*) FROM raw.feedback WHERE _partition_day = $day AND comment = $comment "
            "AND conversation_id % $ids < $offset",
            {"day": day, "comment": CHANGED_COMMENT, "ids": IDS_PER_DAY, "offset": LATE_ID_OFFSET},
        )[0][0]
        for day in (FIRST, LAST)
    }
    assert all(late_ids.values()) and all(resurveyed.values())
    conversations = metadata_of(reread, "conversations")
    # A conversation row holds its survey's value: a changed survey changes the row.
    assert changes_by_day(conversations) == {str(d): (late_ids[d], 0, resurveyed[d]) for d in (FIRST, LAST)}
    assert conversations["run_rows_added"] == sum(late_ids.values())
    assert conversations["run_rows_changed"] == sum(resurveyed.values())
    assert conversations["run_rows_removed"] == 0
    for day in (FIRST, LAST):  # each partition's own figures (add_asset_metadata with its partition key)
        own = metadata_of(reread, "conversations", str(day))
        assert (own["rows_added"], own["rows_removed"], own["rows_changed"]) == (late_ids[day], 0, resurveyed[day])
    feedback = changes_by_day(metadata_of(reread, "feedback"))
    late_surveys = store.query(
        "SELECT _partition_day, count(*) FROM raw.feedback WHERE conversation_id % $ids >= $offset GROUP BY ALL",
        {"ids": IDS_PER_DAY, "offset": LATE_ID_OFFSET},
    )
    assert feedback == {str(day): (count, 0, resurveyed[day]) for day, count in late_surveys}
    changed_values = [cid for cid, value in store.query("SELECT conversation_id, value FROM raw.feedback")
                      if cid in surveys_before and surveys_before[cid] != value]  # fmt: skip
    assert len(changed_values) == sum(resurveyed.values())
    # A table without a key compares whole rows: the groups' figures that moved are one removed, one added.
    (sla_added, sla_removed, sla_changed) = changes_by_day(metadata_of(reread, "sla_by_group"))[str(LAST)]
    assert sla_added == sla_removed > 0 and sla_changed == 0
    # The KPIs follow the re-read.
    assert {day: offered(pipeline, day) for day in (FIRST, LAST)} == {d: before[d] + late_ids[d] for d in before}

    again = load(pipeline, monkeypatch, late.base_url, partition_key=LAST.isoformat())
    unchanged = metadata_of(again, "conversations")
    assert (unchanged["rows_added"], unchanged["rows_removed"], unchanged["rows_changed"]) == (0, 0, 0)
    assert changes_by_day(unchanged) == {str(LAST): (0, 0, 0)}
