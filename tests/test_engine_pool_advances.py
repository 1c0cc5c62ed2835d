"""Group volume with advances (集团客户，季度预返): the group's year to date decides the tier of
each member's advance (engine/advances.py, ``pooled_advance_targets``)."""

from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from rebate_engine import (
    Tier, advanced_total, compute_rebate, plan_advances, pooled_advance_targets, pooled_rebate, true_up,
)

YEAR = [Tier(D("400000"), rate=D("5"))]
STEPS = [Tier(D("0"), rate=D("1")), Tier(D("100000"), rate=D("3")), Tier(D("400000"), rate=D("5"))]
CENT = D("0.01")


def cumulative(quarters):
    total, out = D(0), []
    for amount in quarters:
        total += amount
        out.append(total)
    return out


def member_targets(own_to_date, group_to_date, tiers=YEAR, advance_mode="tier", mode="retroactive"):
    pairs = pooled_advance_targets([(amount, amount) for amount in own_to_date], group_to_date, tiers, mode,
                                   advance_mode=advance_mode, advance_rate=D(3))
    return [result.amount for result, _pooled in pairs]


def test_the_group_reaches_the_tier_by_q2_no_member_alone():
    # A, B, C buy 60/100/40/20, 50/80/30/20, 40/70/30/10 thousand a quarter
    members = [cumulative([D(60000), D(100000), D(40000), D(20000)]),
               cumulative([D(50000), D(80000), D(30000), D(20000)]),
               cumulative([D(40000), D(70000), D(30000), D(10000)])]
    group = [sum(values) for values in zip(*members)]
    assert group == [D(150000), D(400000), D(500000), D(550000)]
    steps = [plan_advances(member_targets(own, group)) for own in members]
    assert [[step.amount for step in member] for member in steps] == [
        [0, D("8000.00"), D("2000.00"), D("1000.00")],
        [0, D("6500.00"), D("1500.00"), D("1000.00")],
        [0, D("5500.00"), D("1500.00"), D("500.00")],
    ]
    # a provisional rate ignores the group: 3 % of each member's own year to date
    assert member_targets(members[0], group, advance_mode="rate") == [
        D("1800.00"), D("4800.00"), D("6000.00"), D("6600.00")]
    with pytest.raises(ValueError):
        pooled_advance_targets([(D(1), D(1))], [], YEAR)


member_quarters = st.lists(
    st.lists(st.decimals(min_value=0, max_value=300000, places=2), min_size=4, max_size=4), min_size=1, max_size=6)


@given(member_quarters, st.sampled_from([YEAR, STEPS]), st.sampled_from(["retroactive", "incremental"]))
def test_pooled_advances_never_exceed_the_groups_year_to_date_rebate(quarters, tiers, mode):
    """What the members were advanced, all together, is the group's year-to-date rebate (at the
    group's tier) within half a cent per member's rounding, never more; and each member's rate is
    never below its own."""
    members = [cumulative(member) for member in quarters]
    group = [sum(values) for values in zip(*members)]
    advanced = [D(0)] * 4
    for own in members:
        pairs = pooled_advance_targets([(amount, amount) for amount in own], group, tiers, mode, advance_mode="tier")
        for (result, _pooled), amount in zip(pairs, own):
            alone = compute_rebate(amount, tiers, mode)
            assert result.amount >= alone.amount, "pooling never lowers a member"
        for index, step in enumerate(plan_advances([result.amount for result, _pooled in pairs])):
            advanced[index] += step.advanced_before + step.amount
    for index, total in enumerate(group):
        group_rebate = compute_rebate(total, tiers, mode).amount
        assert advanced[index] <= group_rebate + len(members) * CENT / 2


@given(member_quarters, st.lists(st.decimals(min_value=-100000, max_value=300000, places=2), min_size=1,
                                 max_size=6), st.sampled_from(["rate", "tier"]))
def test_advances_and_true_ups_add_up_to_the_groups_year_rebate(quarters, year_change, advance_mode):
    """Each member: its advances plus its true-up are its year at the group's rate; all members
    together: the group's year rebate (within half a cent per member's rounding)."""
    members = [cumulative(member) for member in quarters]
    group = [sum(values) for values in zip(*members)]
    # the year may end elsewhere than the last advance (late credit notes, a head's …): own years
    years = [own[-1] + max(change, -own[-1]) for own, change in zip(members, year_change + [D(0)] * 6)]
    group_year = sum(years)
    total = D(0)
    for own, year in zip(members, years):
        steps = plan_advances(member_targets(own, group, advance_mode=advance_mode))
        year_rebate = pooled_rebate(year, year, group_year, YEAR)[0].amount
        assert advanced_total(steps) + true_up(year_rebate, steps) == year_rebate
        total += advanced_total(steps) + true_up(year_rebate, steps)
    assert abs(total - compute_rebate(group_year, YEAR).amount) <= len(members) * CENT / 2
