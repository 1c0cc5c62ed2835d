"""Annual rebates advanced per quarter, with the year-end true-up (engine/advances.py)."""

from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from rebate_engine import Tier, advance_target, advanced_total, compute_rebate, plan_advances, true_up

# 5 % of yearly purchases once they reach 400,000.00, advanced quarterly at 3 %
YEAR = [Tier(D("400000"), rate=D("5"))]


def targets(ytd_amounts, advance_mode="rate", tiers=YEAR, rate=D("3"), cap=None):
    return [advance_target(amount, tiers, amount=amount, advance_mode=advance_mode, advance_rate=rate, cap=cap).amount
            for amount in ytd_amounts]


def test_a_year_of_four_advances_and_the_true_up():
    # quarters of 100,000, 150,000, 120,000 and 110,000: year to date 100,000 … 480,000
    steps = plan_advances(targets([D(100000), D(250000), D(370000), D(480000)]))
    assert [step.amount for step in steps] == [D("3000.00"), D("4500.00"), D("3600.00"), D("3300.00")]
    assert advanced_total(steps) == D("14400.00")
    year = compute_rebate(D(480000), YEAR).amount
    assert year == D("24000.00")
    assert true_up(year, steps) == D("9600.00")


def test_a_customer_below_the_tier_after_q3_owes_the_advances_back():
    # Q1–Q3 as above, then credit notes bring the year down to 350,000
    steps = plan_advances(targets([D(100000), D(250000), D(370000), D(350000)]))
    assert [step.amount for step in steps] == [D("3000.00"), D("4500.00"), D("3600.00"), D("-600.00")]
    assert true_up(compute_rebate(D(350000), YEAR).amount, steps) == D("-10500.00")


def test_the_tier_reached_so_far_advances_nothing_below_the_tier():
    steps = plan_advances(targets([D(100000), D(250000), D(420000), D(480000)], advance_mode="tier"))
    assert [step.amount for step in steps] == [0, 0, D("21000.00"), D("3000.00")]
    assert true_up(D("24000.00"), steps) == 0


def test_frozen_and_cancelled_advances_are_kept_as_they_are():
    # Q1 was confirmed at 3,000, Q2 cancelled by a manager: Q3 catches up to the target
    steps = plan_advances([D(3000), D(7500), D(11100)], [D(3000), False, None])
    assert [step.amount for step in steps] == [D(3000), 0, D(8100)]
    assert [step.frozen for step in steps] == [True, True, False]


def test_a_provisional_rate_ignores_the_tier_and_a_cap_bounds_it():
    assert advance_target(D(100000), YEAR, advance_rate=D(3)).amount == D("3000.00")
    assert advance_target(D(100000), YEAR, advance_rate=D(3), cap=D(2000)).amount == D("2000.00")
    assert advance_target(D(-5000), YEAR, advance_rate=D(3)).amount == 0
    with pytest.raises(ValueError):
        advance_target(D(1), YEAR, advance_mode="monthly")
    with pytest.raises(ValueError):
        plan_advances([D(1)], [None, None])


amounts = st.decimals(min_value=-10**6, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(amounts, min_size=1, max_size=12), st.sampled_from(["rate", "tier"]),
       st.decimals(min_value=0, max_value=5, places=2))
def test_advances_never_exceed_the_year_to_date_rebate(ytd_amounts, mode, rate):
    year_targets = targets(ytd_amounts, advance_mode=mode, rate=rate)
    steps = plan_advances(year_targets)
    advanced = D(0)
    for step, target in zip(steps, year_targets):
        advanced += step.amount
        assert step.advanced_before + step.amount == advanced
        assert advanced <= target
        assert step.amount <= target


@given(st.lists(amounts, min_size=1, max_size=12), amounts, st.sampled_from(["rate", "tier"]),
       st.lists(st.one_of(st.none(), st.just(False), amounts), min_size=12, max_size=12))
def test_advances_and_the_true_up_add_up_to_the_years_rebate(ytd_amounts, year_amount, mode, frozen):
    steps = plan_advances(targets(ytd_amounts, advance_mode=mode), frozen[:len(ytd_amounts)])
    year = compute_rebate(year_amount, YEAR).amount
    assert advanced_total(steps) + true_up(year, steps) == year
    # a computed advance brings what was advanced to its target, whatever was frozen before it
    for step in steps:
        if not step.frozen:
            assert step.advanced_before + step.amount == step.target


@given(st.lists(st.decimals(min_value=0, max_value=10**7, places=2), min_size=1, max_size=12))
def test_in_tier_mode_the_advances_are_the_years_terms_applied_to_the_year_to_date(ytd_amounts):
    steps = plan_advances(targets(ytd_amounts, advance_mode="tier"))
    assert advanced_total(steps) == compute_rebate(ytd_amounts[-1], YEAR).amount
