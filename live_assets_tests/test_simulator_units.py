"""Unit and property tests of the simulator's pure pieces: buckets, concurrency, CSV cells, parameters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_assets import contract
from live_assets.contract import ErrorCode, Frequency
from live_assets.simulator import SimulatorConfig
from live_assets.simulator.aggregate import bucket_start, buckets, histogram, max_concurrent, next_bucket
from live_assets.simulator.csv_export import cell, duration
from live_assets.simulator.errors import ApiError
from live_assets.simulator.faults import add_extra_fields, drop_optional_fields, null_objects, transform_csv
from live_assets.simulator.generate import generate_day
from live_assets.simulator.params import DateRange, parse_filters, parse_range, provided_range_label
from live_assets.simulator.world import build_world

moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31)).map(
    lambda m: m.replace(microsecond=0)
)


@given(moments, st.sampled_from(list(Frequency)))
def test_a_moment_lies_in_its_bucket(moment: dt.datetime, frequency: Frequency) -> None:
    start = bucket_start(moment, frequency)
    assert start <= moment < next_bucket(start, frequency)
    assert bucket_start(start, frequency) == start
    if frequency is Frequency.WEEK:
        assert start.weekday() == contract.WEEK_STARTS_ON and start.time() == dt.time()
    if frequency is Frequency.MONTH:
        assert start.day == 1 and start.time() == dt.time()


@given(moments, st.integers(min_value=0, max_value=20 * 86_400), st.sampled_from(list(Frequency)))
def test_buckets_tile_the_range(start: dt.datetime, seconds: int, frequency: Frequency) -> None:
    window = DateRange(start, start + dt.timedelta(seconds=seconds))
    starts = buckets(window, frequency)
    assert starts[0] <= window.start and starts[-1] <= window.end < next_bucket(starts[-1], frequency)
    assert all(next_bucket(a, frequency) == b for a, b in itertools.pairwise(starts))


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 20)), min_size=1, max_size=12))
def test_max_concurrent_matches_a_brute_force_count(spans: list[tuple[int, int]]) -> None:
    base = dt.datetime(2025, 1, 1)
    intervals = [(base + dt.timedelta(seconds=s), base + dt.timedelta(seconds=s + n)) for s, n in spans]
    brute = max(sum(a <= base + dt.timedelta(seconds=t) < b for a, b in intervals) for t in range(0, 80))
    assert max_concurrent(intervals) == brute


@given(st.text())
def test_a_csv_cell_reads_back_as_written(text: str) -> None:
    line = ",".join([cell(text), cell("x")]) + "\r\n"
    assert list(csv.reader(io.StringIO(line, newline=""))) == [[text, "x"]]


def test_durations() -> None:
    assert [duration(s) for s in (0, 59, 3_661, 90_000)] == ["00:00:00", "00:00:59", "01:01:01", "25:00:00"]
    assert duration(None) == ""


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        ("2025-12-01 00:00:00", "2025-12-15 23:59:59", "15 days"),
        ("2025-12-01 00:00:00", "2025-12-01 00:00:00", "1 day"),
        ("2025-12-01 10:00:00", "2025-12-02 10:00:00", "2 days"),
    ],
)
def test_provided_range_labels(start: str, end: str, label: str) -> None:
    assert provided_range_label(contract.parse_datetime(start), contract.parse_datetime(end)) == label


def test_month_limits_follow_calendar_months() -> None:
    ok = {"from": "2025-01-31 00:00:00", "to": "2025-02-27 23:59:59", "frequency": "DAY"}
    assert parse_range(ok, Frequency.DAY).end.day == 27
    with pytest.raises(ApiError) as raised:
        parse_range({**ok, "to": "2025-02-28 00:00:00"}, Frequency.DAY)
    assert raised.value.code is ErrorCode.INVALID_DATE_RANGE and raised.value.details["max_range"] == "1 month"


def test_filters_parse_comma_separated_ids() -> None:
    filters = parse_filters({"group_id": "1,2", "agent_id": "1001"})
    assert filters.group_ids == {1, 2} and filters.agent_ids == {1001} and filters.protocol_ids is None
    for bad in ("", "1,", ",1", "a", "1 2", "-1"):
        with pytest.raises(ApiError):
            parse_filters({"protocol_id": bad})


def test_body_transforms_are_pure() -> None:
    conversation = {"conversation_id": 1, "queueddatetime": "x", "agent": {"id": 2}, "feedback": None, "wait_time": 3}
    assert null_objects([conversation]) == [{**conversation, "agent": None}]
    assert drop_optional_fields(conversation) == {"conversation_id": 1, "queueddatetime": "x", "wait_time": 3}
    assert add_extra_fields(conversation)["agent"]["id"] == 2
    assert conversation["agent"] == {"id": 2}  # the input is untouched
    assert transform_csv("csv_ragged_row", [b"a,b", b"1,2"]) == [b"a,b", b"1,2,sobrante"]


def test_active_agents_count_only_what_is_held_inside_the_range() -> None:
    bot = SimulatorConfig().bot_profiles()[0]
    day = generate_day(bot.seed, bot.bot_id, build_world(bot.seed, 12), dt.date(2025, 12, 2), 300)
    waited = next(c for c in day if c.agent_id is not None and c.wait_time > 0)
    queued_only = DateRange(waited.queued, waited.queued)  # ends before the agent takes it
    assert histogram([waited], queued_only, Frequency.DAY) == [
        {
            "period": "2025-12-02 00:00:00",
            "total": 1,
            "closed": 1,
            "lost": 0,
            "transfers": waited.transfers,
            "active_agents": 0,
        }
    ]
    assert histogram([waited], DateRange(waited.queued, waited.end), Frequency.DAY)[0]["active_agents"] == 1
