"""Properties of the request-window planner and of partition bounds → local days.

The planner must cover a span exactly (no gap, no overlap), keep every window under the API's range
limit, and use as few windows as possible; a brute force over every possible cut is the referee for
"as few as possible". Windows are wall-clock, so DST days must look like any other day.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from live_assets import contract
from live_assets.client.windows import ONE_SECOND, Window, days_of_time_window, max_range_for, plan_windows

SPAN_START = dt.date(2023, 1, 1)
SPAN_END = dt.date(2031, 12, 31)
RANGES = [None, contract.SEVEN_DAYS, contract.ONE_MONTH, *contract.MAX_RANGE_BY_FREQUENCY.values()]
DST_ZONES = ["Europe/Madrid", "America/Sao_Paulo", "UTC", "America/New_York", "Australia/Lord_Howe"]

max_ranges = st.sampled_from(RANGES) | st.builds(contract.MaxRange, days=st.integers(1, 40))
days = st.dates(SPAN_START, SPAN_END)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def assert_exact_cover(windows: list[Window], first: dt.date, last: dt.date) -> None:
    assert windows, "a non-empty span needs at least one window"
    assert windows[0].start == midnight(first)
    assert windows[-1].end == midnight(last) + dt.timedelta(days=1) - ONE_SECOND
    for previous, following in itertools.pairwise(windows):
        assert following.start == previous.end + ONE_SECOND, f"gap or overlap between {previous} and {following}"
    for window in windows:
        assert window.start.time() == dt.time(0), f"{window} does not start at midnight"
        assert window.end.time() == dt.time(23, 59, 59), f"{window} does not end at 23:59:59"


def within_limit(window: Window, max_range: contract.MaxRange | None) -> bool:
    """The contract's rule, spelled out: ``to`` is earlier than ``from`` + the maximum range."""
    return max_range is None or window.end < max_range.limit_for(window.start)


def brute_force_minimum(first: dt.date, units: int, unit_days: int, max_range: contract.MaxRange | None) -> int:
    """The fewest windows over every possible way to cut ``units`` units into consecutive windows."""

    def window(i: int, j: int) -> Window:
        return Window(
            midnight(first + dt.timedelta(days=i * unit_days)),
            midnight(first + dt.timedelta(days=j * unit_days)) - ONE_SECOND,
        )

    @functools.cache
    def best(done: int) -> float:
        if done == units:
            return 0
        options = [1 + best(end) for end in range(done + 1, units + 1) if within_limit(window(done, end), max_range)]
        return min(options, default=float("inf"))

    return int(best(0))


@st.composite
def spans(draw: st.DrawFn, max_units: int = 400) -> tuple[dt.date, dt.date, int]:
    unit_days = draw(st.sampled_from([1, 7]))
    first = draw(days)
    if unit_days == 7:
        first -= dt.timedelta(days=first.weekday())  # weekly endpoints start on Monday (WEEK_STARTS_ON)
    units = draw(st.integers(1, max_units // unit_days))
    return first, first + dt.timedelta(days=units * unit_days - 1), unit_days


# --- the planner --------------------------------------------------------------------------------------


@given(spans(), max_ranges, st.booleans())
@example((dt.date(2028, 1, 31), dt.date(2028, 3, 31), 1), contract.ONE_MONTH, False)  # leap year, month ends
@example((dt.date(2025, 3, 24), dt.date(2025, 4, 6), 7), contract.ONE_MONTH, False)  # Madrid's DST week
def test_plan_covers_span_exactly_and_respects_limits(
    span: tuple[dt.date, dt.date, int], max_range: contract.MaxRange | None, per_unit: bool
) -> None:
    first, last, unit_days = span
    if max_range is not None and max_range.months == 0 and max_range.days < unit_days:
        with pytest.raises(ValueError, match="exceeds the maximum range"):
            plan_windows(first, last, max_range=max_range, unit_days=unit_days, per_unit=per_unit)
        return
    windows = plan_windows(first, last, max_range=max_range, unit_days=unit_days, per_unit=per_unit)
    assert_exact_cover(windows, first, last)
    assert windows == sorted(windows)
    for window in windows:
        assert within_limit(window, max_range), f"{window} exceeds {max_range}"
        assert window.fits(max_range)
        assert len(window.days()) % unit_days == 0, f"{window} splits a {unit_days}-day unit"
        if unit_days == 7:
            assert window.first_day.weekday() == contract.WEEK_STARTS_ON, f"{window} does not start on a Monday"
    if per_unit:
        assert len(windows) == len(range((last - first).days + 1)) // unit_days
    elif max_range is None:
        assert len(windows) == 1


@settings(max_examples=150)
@given(spans(max_units=120), max_ranges)
@example((dt.date(2028, 1, 31), dt.date(2028, 4, 30), 1), contract.ONE_MONTH)
@example((dt.date(2027, 1, 29), dt.date(2027, 3, 31), 1), contract.ONE_MONTH)
def test_plan_is_minimal(span: tuple[dt.date, dt.date, int], max_range: contract.MaxRange | None) -> None:
    first, last, unit_days = span
    if max_range is not None and max_range.months == 0 and max_range.days < unit_days:
        return
    units = ((last - first).days + 1) // unit_days
    windows = plan_windows(first, last, max_range=max_range, unit_days=unit_days)
    assert len(windows) == brute_force_minimum(first, units, unit_days, max_range)


@given(spans(max_units=400))
def test_seven_day_plan_matches_the_ceiling(span: tuple[dt.date, dt.date, int]) -> None:
    """A fixed 7-day limit has a closed-form lower bound, ceil(days / 7), that the planner must meet."""
    first, last, _unit_days = span
    total = (last - first).days + 1
    windows = plan_windows(first, last, max_range=contract.SEVEN_DAYS)
    assert len(windows) == -(-total // 7)
    assert all(len(window.days()) == 7 for window in windows[:-1])


def test_vendor_example_window_is_allowed_and_one_more_day_is_not() -> None:
    allowed = Window(dt.datetime(2025, 12, 1), dt.datetime(2025, 12, 7, 23, 59, 59))
    assert allowed.fits(contract.SEVEN_DAYS)
    assert allowed.params() == {"from": "2025-12-01 00:00:00", "to": "2025-12-07 23:59:59"}
    assert not Window(dt.datetime(2025, 12, 1), dt.datetime(2025, 12, 8)).fits(contract.SEVEN_DAYS)
    assert plan_windows(dt.date(2025, 12, 1), dt.date(2025, 12, 7), max_range=contract.SEVEN_DAYS) == [allowed]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Calendar months: each window ends the day before the same date a month later.
        (
            dt.date(2025, 1, 1),
            dt.date(2025, 3, 31),
            ["2025-01-01..2025-01-31", "2025-02-01..2025-02-28", "2025-03-01..2025-03-31"],
        ),
        # Leap year: from Jan 31 a month reaches Feb 29 (clamped), so the window stops on Feb 28.
        (
            dt.date(2028, 1, 31),
            dt.date(2028, 3, 29),
            ["2028-01-31..2028-02-28", "2028-02-29..2028-03-28", "2028-03-29..2028-03-29"],
        ),
        (dt.date(2028, 2, 29), dt.date(2028, 3, 28), ["2028-02-29..2028-03-28"]),
        # Not a leap year: February is the shortest month a window can start in.
        (dt.date(2027, 2, 1), dt.date(2027, 3, 1), ["2027-02-01..2027-02-28", "2027-03-01..2027-03-01"]),
        # Across the year end.
        (dt.date(2025, 12, 15), dt.date(2026, 1, 20), ["2025-12-15..2026-01-14", "2026-01-15..2026-01-20"]),
    ],
)
def test_month_plans_at_month_ends_and_leap_days(first: dt.date, last: dt.date, expected: list[str]) -> None:
    windows = plan_windows(first, last, max_range=contract.ONE_MONTH)
    assert [f"{w.first_day}..{w.last_day}" for w in windows] == expected


def test_weekly_plan_never_splits_a_week_and_fits_a_month() -> None:
    # 2026-02-02 is a Monday. No month is 35 days long, and every month is at least 28, so a WEEK
    # window under the one-month limit is always exactly four weeks (the last one what is left).
    windows = plan_windows(dt.date(2026, 2, 2), dt.date(2026, 5, 3), max_range=contract.ONE_MONTH, unit_days=7)
    assert [len(w.days()) for w in windows] == [28, 28, 28, 7]
    assert all(w.first_day.weekday() == contract.WEEK_STARTS_ON for w in windows)


def test_plan_refuses_spans_it_cannot_plan() -> None:
    with pytest.raises(ValueError, match="before first_day"):
        plan_windows(dt.date(2025, 1, 2), dt.date(2025, 1, 1), max_range=None)
    with pytest.raises(ValueError, match="whole number of 7-day units"):
        plan_windows(dt.date(2025, 1, 6), dt.date(2025, 1, 15), max_range=None, unit_days=7)
    with pytest.raises(ValueError, match="is a Tuesday"):
        plan_windows(dt.date(2025, 1, 7), dt.date(2025, 1, 13), max_range=None, unit_days=7)
    with pytest.raises(ValueError, match="unit_days"):
        plan_windows(dt.date(2025, 1, 6), dt.date(2025, 1, 15), max_range=None, unit_days=0)


def test_max_range_for_reads_the_contract() -> None:
    assert max_range_for(None) is None
    for frequency, limit in contract.MAX_RANGE_BY_FREQUENCY.items():
        assert max_range_for(frequency) == limit
        assert max_range_for(frequency.value) == limit
    with pytest.raises(ValueError):
        max_range_for("FORTNIGHT")


# --- the Window value ----------------------------------------------------------------------------------


def test_window_for_days_str_and_days() -> None:
    window = Window.for_days(dt.date(2025, 12, 1), dt.date(2025, 12, 7))
    assert str(window) == "2025-12-01 00:00:00..2025-12-07 23:59:59"
    assert window.first_day == dt.date(2025, 12, 1)
    assert window.last_day == dt.date(2025, 12, 7)
    assert window.days() == [dt.date(2025, 12, d) for d in range(1, 8)]
    assert Window.for_days(dt.date(2028, 2, 28), dt.date(2028, 3, 1)).days() == [
        dt.date(2028, 2, 28),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 1),
    ]


@pytest.mark.parametrize("zone", DST_ZONES)
def test_a_dst_day_is_a_plain_wall_clock_day(zone: str) -> None:
    """Wall-clock windows ignore the zone: a 23- or 25-hour day is still 00:00:00..23:59:59."""
    for day in (dt.date(2025, 3, 30), dt.date(2025, 10, 26), dt.date(2018, 11, 4), dt.date(2019, 2, 16)):
        assert Window.for_days(day, day).params() == {
            "from": f"{day} 00:00:00",
            "to": f"{day} 23:59:59",
        }


def test_window_rejects_what_the_api_cannot_express() -> None:
    with pytest.raises(ValueError, match="naive"):
        Window(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="whole seconds"):
        Window(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 1, 0, 0, 0, 5))
    with pytest.raises(ValueError, match="ends before"):
        Window(dt.datetime(2025, 1, 2), dt.datetime(2025, 1, 1))
    with pytest.raises(TypeError):
        Window(dt.date(2025, 1, 1), dt.datetime(2025, 1, 1))  # type: ignore[arg-type]


# --- partition bounds → local days -----------------------------------------------------------------------


@given(st.sampled_from(DST_ZONES), st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)), st.integers(1, 45))
@example("Europe/Madrid", dt.date(2025, 3, 30), 1)  # 23-hour day
@example("Europe/Madrid", dt.date(2025, 10, 26), 1)  # 25-hour day
@example("America/Sao_Paulo", dt.date(2018, 11, 4), 1)  # the day began at 01:00: midnight did not exist
@example("America/Sao_Paulo", dt.date(2019, 2, 16), 2)  # 23:00..23:59 happened twice
def test_days_of_time_window_round_trips_local_days(zone_name: str, first: dt.date, count: int) -> None:
    zone = ZoneInfo(zone_name)
    last = first + dt.timedelta(days=count - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    assert days_of_time_window(start, end, zone_name) == (first, last)
    # The same instants expressed in UTC (as a scheduler might hand them over) give the same days.
    assert days_of_time_window(start.astimezone(dt.UTC), end.astimezone(dt.UTC), zone) == (first, last)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Madrid", "2025-03-30", 23),
        ("Europe/Madrid", "2025-10-26", 25),
        ("America/Sao_Paulo", "2018-11-04", 23),
        ("America/Sao_Paulo", "2019-02-16", 25),
        ("America/Sao_Paulo", "2019-02-17", 24),
    ],
)
def test_dagster_daily_partitions_on_dst_days(zone: str, day: str, hours: int) -> None:
    """Dagster's own daily partitions in the bot's zone map to exactly their one local day."""
    partitions = dg.DailyPartitionsDefinition(start_date="2018-01-01", timezone=zone)
    window = partitions.time_window_for_partition_key(day)
    assert (window.end.astimezone(dt.UTC) - window.start.astimezone(dt.UTC)).total_seconds() == hours * 3600
    local = dt.date.fromisoformat(day)
    assert days_of_time_window(window.start, window.end, zone) == (local, local)
    assert Window.for_days(*days_of_time_window(window.start, window.end, zone)).params() == {
        "from": f"{day} 00:00:00",
        "to": f"{day} 23:59:59",
    }


def test_dagster_weekly_partition_across_dst_is_whole_weeks() -> None:
    partitions = dg.WeeklyPartitionsDefinition(start_date="2025-03-03", timezone="Europe/Madrid", day_offset=1)
    window = partitions.time_window_for_partition_key("2025-03-24")
    first, last = days_of_time_window(window.start, window.end, "Europe/Madrid")
    assert (first, last) == (dt.date(2025, 3, 24), dt.date(2025, 3, 30))
    assert plan_windows(first, last, max_range=contract.ONE_MONTH, unit_days=7) == [Window.for_days(first, last)]


def test_days_of_time_window_refuses_bounds_cut_in_another_zone() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    utc_day = (dt.datetime(2025, 6, 1, tzinfo=dt.UTC), dt.datetime(2025, 6, 2, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="LIVE_TIMEZONE"):
        days_of_time_window(*utc_day, madrid)
    with pytest.raises(ValueError, match="timezone-aware"):
        days_of_time_window(dt.datetime(2025, 6, 1), dt.datetime(2025, 6, 2), madrid)
    with pytest.raises(ValueError, match="empty"):
        days_of_time_window(utc_day[0], utc_day[0], "UTC")
