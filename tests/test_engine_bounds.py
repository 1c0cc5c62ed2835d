import decimal
from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from rebate_engine import (
    MAX_AMOUNT, MAX_DATE, MAX_SENIORITY_MONTHS, MAX_TIERS, MIN_DATE, Tier, compute_rebate, iter_periods,
    period_containing, previous_period, project, same_period_last_year, seniority_reached, validate_bounds,
    validate_tiers,
)
from rebate_engine.periods import PERIOD_KINDS

SOURCE_EXAMPLE = [Tier(D("100000"), rate=D("5"))]


def codes(problems):
    return [code for code, _index in problems]


def test_source_example_is_within_bounds():
    assert validate_bounds(SOURCE_EXAMPLE, cap=D("50000"), date_start=MIN_DATE, date_end=MAX_DATE,
                           seniority_months=12) == []


def test_amounts_up_to_the_bound_are_accepted_and_above_refused():
    assert validate_bounds([Tier(MAX_AMOUNT, rate=D("5"))], cap=MAX_AMOUNT) == []
    assert codes(validate_bounds([Tier(D("1e15"), rate=D("5"))])) == ["threshold_too_large"]
    assert validate_bounds([Tier(D("0"), fixed_amount=D("1e27"))]) == [("amount_too_large", 0)]
    assert codes(validate_bounds(SOURCE_EXAMPLE, cap=D("1e30"))) == ["cap_too_large"]
    assert codes(validate_bounds(SOURCE_EXAMPLE, cap=float("1e27"))) == ["cap_too_large"]


def test_the_number_of_tiers_is_bounded():
    tiers = [Tier(D(index), rate=D("1")) for index in range(MAX_TIERS)]
    assert validate_bounds(tiers) == []
    assert codes(validate_bounds([*tiers, Tier(D(MAX_TIERS), rate=D("1"))])) == ["too_many_tiers"]


@pytest.mark.parametrize("day", [MIN_DATE - timedelta(days=1), MAX_DATE + timedelta(days=1),
                                 MIN_DATE.replace(year=1), MAX_DATE.replace(year=9999)])
def test_dates_outside_the_bounds_are_refused(day):
    assert codes(validate_bounds(SOURCE_EXAMPLE, date_start=day)) == ["date_out_of_range"]
    assert codes(validate_bounds(SOURCE_EXAMPLE, date_start=MIN_DATE, date_end=day)) == ["date_out_of_range"]


def test_seniority_is_bounded():
    assert validate_bounds(SOURCE_EXAMPLE, seniority_months=MAX_SENIORITY_MONTHS) == []
    assert codes(validate_bounds(SOURCE_EXAMPLE, seniority_months=10 ** 9)) == ["seniority_too_long"]


def test_beyond_the_bounds_the_arithmetic_breaks():
    """Why the bounds exist: the rounding of a cap of 10^27 overflows Decimal's 28 digits, and the
    period before year 1 does not exist."""
    with pytest.raises(decimal.InvalidOperation):
        compute_rebate(D("120000"), SOURCE_EXAMPLE, cap=D("1e27"))
    first = period_containing("quarter", MIN_DATE.replace(year=1), MIN_DATE.replace(year=1))
    with pytest.raises((OverflowError, ValueError)):
        previous_period(first)


@pytest.mark.parametrize("kind", PERIOD_KINDS)
def test_periods_at_the_date_bounds_stay_in_range(kind):
    periods = list(iter_periods(kind, MIN_DATE, MAX_DATE))
    assert periods[0].date_start == MIN_DATE and periods[-1].date_end == MAX_DATE
    for period in (periods[0], periods[-1]):
        previous_period(period)
        same_period_last_year(period)
    assert seniority_reached(MAX_DATE, MAX_DATE, MAX_SENIORITY_MONTHS) is False


bounded = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False)


@given(threshold=bounded, rate=st.decimals(min_value=0, max_value=100, places=2), cap=bounded,
       measure=bounded, document=bounded)
def test_within_the_bounds_projections_never_fail(threshold, rate, cap, measure, document):
    tiers = [Tier(threshold, rate=rate)]
    assert validate_bounds(tiers, cap=cap) == []
    result = project(measure, tiers, measure_document=document, cap=cap)
    assert result.projected.amount <= cap
    fixed = compute_rebate(measure, [Tier(threshold, fixed_amount=cap)], cap=cap)
    assert fixed.amount in (0, cap)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), D("NaN"), D("Infinity")])
def test_nan_and_infinity_are_refused_not_crashed_on(bad):
    """JSON-RPC lets NaN and Infinity into float fields: they are named, never compared."""
    assert validate_bounds([Tier(bad, rate=D("5"))]) == [("not_a_number", 0)]
    assert validate_bounds([Tier(D("100000"), rate=bad)]) == [("not_a_number", 0)]
    assert validate_bounds([Tier(D("0"), fixed_amount=bad)]) == [("not_a_number", 0)]
    assert validate_bounds(SOURCE_EXAMPLE, cap=bad) == [("not_a_number", None)]
    assert ("rate_range", 0) in validate_tiers([Tier(D("100000"), rate=bad)])
