from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from rebate_engine import (
    Period, add_months, disjoint_date_ranges, iter_periods, merge_date_ranges, month_ranges, period_containing,
    seniority_reached, whole_months,
)


def test_quarter_of_the_source_example():
    period = period_containing("quarter", date(2026, 8, 15), date(2026, 1, 1))
    assert (period.date_start, period.date_end, period.index) == (date(2026, 7, 1), date(2026, 9, 30), 3)


@pytest.mark.parametrize("kind, day, start, end, index", [
    ("month", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28), 2),
    ("month", date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29), 2),
    ("quarter", date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31), 4),
    ("half_year", date(2026, 7, 1), date(2026, 7, 1), date(2026, 12, 31), 2),
    ("half_year", date(2026, 6, 30), date(2026, 1, 1), date(2026, 6, 30), 1),
    ("year", date(2026, 5, 5), date(2026, 1, 1), date(2026, 12, 31), 1),
])
def test_calendar_periods(kind, day, start, end, index):
    period = period_containing(kind, day, date(2000, 1, 1))
    assert (period.date_start, period.date_end, period.index) == (start, end, index)


def test_periods_are_clipped_to_the_policy_range():
    periods = list(iter_periods("quarter", date(2026, 2, 15), date(2026, 8, 10)))
    assert [(p.date_start, p.date_end) for p in periods] == [
        (date(2026, 2, 15), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 8, 10)),
    ]


def test_window_is_one_period():
    periods = list(iter_periods("window", date(2026, 5, 1), date(2026, 6, 15)))
    assert [(p.date_start, p.date_end, p.index) for p in periods] == [
        (date(2026, 5, 1), date(2026, 6, 15), 0)]


def test_open_ended_policy_stops_at_until():
    periods = list(iter_periods("month", date(2026, 1, 1), None, until=date(2026, 3, 2)))
    assert [p.date_start.month for p in periods] == [1, 2, 3]
    assert periods[-1].date_end == date(2026, 3, 31)


def test_open_ended_policy_without_until_is_refused():
    with pytest.raises(ValueError):
        list(iter_periods("month", date(2026, 1, 1)))


def test_day_outside_the_policy_has_no_period():
    assert period_containing("month", date(2025, 12, 31), date(2026, 1, 1)) is None
    assert period_containing("month", date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 31)) is None


def test_unknown_kind_and_reversed_range_are_refused():
    with pytest.raises(ValueError):
        period_containing("week", date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValueError):
        list(iter_periods("month", date(2026, 2, 1), date(2026, 1, 1)))


def test_add_months_clips_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


def test_seniority():
    assert seniority_reached(date(2025, 7, 1), date(2026, 7, 1), 12)
    assert not seniority_reached(date(2025, 7, 2), date(2026, 7, 1), 12)
    assert not seniority_reached(None, date(2026, 7, 1), 12)
    assert seniority_reached(None, date(2026, 7, 1), 0)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(kind=st.sampled_from(["month", "quarter", "half_year", "year", "window"]),
       start=days, length=st.integers(min_value=0, max_value=2000))
def test_periods_cover_the_range_without_gap_or_overlap(kind, start, length):
    end = start + timedelta(days=length)
    periods = list(iter_periods(kind, start, end))
    assert periods[0].date_start == start
    assert periods[-1].date_end == end
    for previous, following in zip(periods, periods[1:]):
        assert following.date_start == previous.date_end + timedelta(days=1)
    assert sum(p.days for p in periods) == length + 1


@given(kind=st.sampled_from(["month", "quarter", "half_year", "year"]), start=days,
       length=st.integers(min_value=0, max_value=2000), offset=st.integers(min_value=0, max_value=2000))
def test_every_day_is_in_the_period_containing_it(kind, start, length, offset):
    end = start + timedelta(days=length)
    day = start + timedelta(days=min(offset, length))
    period = period_containing(kind, day, start, end)
    assert day in period
    assert period in list(iter_periods(kind, start, end))


def test_previous_period_and_same_period_last_year():
    from rebate_engine import previous_period, same_period_last_year
    q3 = period_containing("quarter", date(2026, 8, 1), date(2026, 1, 1))
    assert (previous_period(q3).date_start, previous_period(q3).date_end) == (date(2026, 4, 1), date(2026, 6, 30))
    q1 = period_containing("quarter", date(2026, 2, 1), date(2026, 1, 1))
    assert (previous_period(q1).date_start, previous_period(q1).date_end) == (date(2025, 10, 1), date(2025, 12, 31))
    last_year = same_period_last_year(q3)
    assert (last_year.date_start, last_year.date_end) == (date(2025, 7, 1), date(2025, 9, 30))
    clipped = period_containing("quarter", date(2026, 2, 20), date(2026, 2, 15))
    assert (previous_period(clipped).date_start, previous_period(clipped).date_end) == (date(2025, 11, 15), date(2025, 12, 31))
    clipped_end = period_containing("quarter", date(2026, 8, 1), date(2026, 1, 1), date(2026, 8, 15))
    assert (previous_period(clipped_end).date_start, previous_period(clipped_end).date_end) == (
        date(2026, 4, 1), date(2026, 5, 15)), "a period cut short by the policy's end is compared with as many days"
    window = period_containing("window", date(2026, 8, 10), date(2026, 8, 1), date(2026, 8, 31))
    assert (previous_period(window).date_start, previous_period(window).date_end) == (date(2026, 7, 1), date(2026, 7, 31))
    leap = Period(date(2024, 2, 1), date(2024, 2, 29), "month", 2)
    assert same_period_last_year(leap).date_end == date(2023, 2, 28)


@given(kind=st.sampled_from(["month", "quarter", "half_year", "year", "window"]), start=days,
       length=st.integers(min_value=0, max_value=400))
def test_previous_period_comes_before_without_overlap(kind, start, length):
    from rebate_engine import previous_period
    period = next(iter(iter_periods(kind, start, start + timedelta(days=length))))
    before = previous_period(period)
    assert before.date_start <= before.date_end < period.date_start
    if kind == "window" or period == period_containing(kind, period.date_start, date(1900, 1, 1)):
        assert before.date_end == period.date_start - timedelta(days=1), "a whole period follows the previous one"


def test_merged_ranges_hand_worked():
    q1, q2, q4 = (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 6, 30)), \
        (date(2025, 10, 1), date(2025, 12, 31))
    assert merge_date_ranges([q4, q2, q1, q2]) == [(date(2025, 1, 1), date(2025, 6, 30)), q4]
    assert merge_date_ranges([(date(2025, 1, 1), date(2025, 5, 31)), q2]) == [(date(2025, 1, 1), date(2025, 6, 30))]
    assert disjoint_date_ranges([q4, q1, q2, q1])
    assert not disjoint_date_ranges([(date(2025, 1, 1), date(2025, 4, 1)), q2])


day_ranges = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 60)), max_size=12).map(
    lambda pairs: [(date(2025, 1, 1) + timedelta(days=start), date(2025, 1, 1) + timedelta(days=start + length))
                   for start, length in pairs])


@given(day_ranges)
def test_merged_ranges_hold_the_same_days_in_fewest_ranges(ranges):
    days = {start + timedelta(days=offset) for start, end in ranges for offset in range((end - start).days + 1)}
    merged = merge_date_ranges(ranges)
    assert {start + timedelta(days=offset) for start, end in merged
            for offset in range((end - start).days + 1)} == days
    # in order, apart by at least a day: none could be merged further
    assert all(later[0] > earlier[1] + timedelta(days=1) for earlier, later in zip(merged, merged[1:]))
    assert disjoint_date_ranges(merged)
    # disjoint exactly when the days add up
    assert disjoint_date_ranges(ranges) == (
        sum((end - start).days + 1 for start, end in set(ranges)) == len(days))


def test_whole_months_hand_worked():
    assert whole_months(date(2024, 11, 1), date(2025, 2, 28)) == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert whole_months(date(2024, 2, 1), date(2024, 2, 29)) == [date(2024, 2, 1)]
    assert whole_months(date(2025, 2, 15), date(2025, 5, 14)) is None, "a period from the 15th"
    assert whole_months(date(2025, 1, 1), date(2025, 2, 27)) is None, "a period clipped before a month's end"
    assert month_ranges({date(2025, 3, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 6, 1)}) == [
        (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 6, 1), date(2025, 6, 30))]


@given(st.sets(st.integers(0, 60), max_size=20))
def test_month_ranges_hold_exactly_the_months(indexes):
    months = {add_months(date(2022, 1, 1), index) for index in indexes}
    ranges = month_ranges(months)
    assert disjoint_date_ranges(ranges)
    assert {month for start, end in ranges for month in whole_months(start, end)} == months
