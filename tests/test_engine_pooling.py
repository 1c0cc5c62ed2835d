# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Group volume (集团客户): the group's base decides every member's tier."""

from decimal import Decimal as D

from hypothesis import given, strategies as st

from rebate_engine import Tier, compute_rebate, group_totals, pooled_rebate, round_money

KEY_ACCOUNTS = [Tier(D("100000"), rate=D("5"))]
STEPS = [Tier(D("0"), rate=D("1")), Tier(D("100000"), rate=D("3")), Tier(D("250000"), rate=D("5"))]

amounts = st.decimals(min_value=D("0"), max_value=D("500000"), places=2, allow_nan=False, allow_infinity=False)
signed_amounts = st.decimals(min_value=D("-200000"), max_value=D("500000"), places=2,
                             allow_nan=False, allow_infinity=False)


def test_no_member_reaches_the_tier_alone_but_the_group_does():
    members = {"A": D("30000"), "B": D("40000"), "C": D("50000")}
    group = group_totals(members, {m: "G" for m in members})["G"]
    assert group == D("120000")
    for member, base in members.items():
        assert compute_rebate(base, KEY_ACCOUNTS).amount == 0
        result, pooled = pooled_rebate(base, base, group, KEY_ACCOUNTS)
        assert pooled and result.rate == D("5")
        assert result.amount == base * D("0.05")
    # paid to the head: the group's base once
    assert compute_rebate(group, KEY_ACCOUNTS).amount == D("6000.00")


def test_a_member_credit_note_can_take_the_group_below_the_tier():
    members = {"A": D("60000"), "B": D("45000"), "C": D("-8000")}
    group = group_totals(members, {m: "G" for m in members})["G"]
    assert group == D("97000")
    for base in members.values():
        result, _pooled = pooled_rebate(base, base, group, KEY_ACCOUNTS)
        assert result.amount == 0 and result.tier_index is None


def test_a_member_keeps_its_own_higher_tier():
    # B's returns exceed its purchases: the group falls to 90,000, A alone reached 120,000
    result, pooled = pooled_rebate(D("120000"), D("120000"), D("90000"), KEY_ACCOUNTS)
    assert not pooled
    assert result.amount == D("6000.00")


def test_incremental_members_share_the_group_slices_by_amount():
    # group 300,000: 100,000 × 1 % + 150,000 × 3 % + 50,000 × 5 % = 8,000; A has a third
    result, pooled = pooled_rebate(D("100000"), D("100000"), D("300000"), STEPS, "incremental")
    assert pooled
    assert result.amount == D("2666.67")


def test_group_totals_leave_members_without_group_alone():
    assert group_totals({"A": D("1"), "B": D("2"), "C": D("4")}, {"A": "G", "B": "G"}) == {"G": D("3"), "C": D("4")}


@given(st.lists(signed_amounts, min_size=1, max_size=8), st.sampled_from(["retroactive", "incremental"]))
def test_pooled_rate_is_at_least_each_members_own_rate(bases, mode):
    group = sum(bases, D(0))
    for base in bases:
        alone = compute_rebate(base, STEPS, mode)
        result, _pooled = pooled_rebate(base, base, group, STEPS, mode)
        assert result.rate >= alone.rate
        assert (result.tier_index if result.tier_index is not None else -1) >= \
            (alone.tier_index if alone.tier_index is not None else -1)


@given(st.lists(amounts, min_size=1, max_size=8))
def test_retroactive_member_rebates_add_up_to_the_group_base_at_the_group_rate(bases):
    group = sum(bases, D(0))
    group_result = compute_rebate(group, STEPS)
    exact = D(0)
    rounded = D(0)
    for base in bases:
        result, pooled = pooled_rebate(base, base, group, STEPS, rounding=D("0.0000000001"))
        assert pooled  # no member alone beats a group without negative bases
        assert result.rate == group_result.rate
        exact += base * result.rate / 100
        rounded += pooled_rebate(base, base, group, STEPS)[0].amount
    assert exact == group * group_result.rate / 100
    # each member's record is rounded to the cent: at most half a cent each away from the group's
    assert abs(rounded - round_money(group * group_result.rate / 100)) <= D("0.005") * len(bases) + D("0.005")


@given(st.lists(amounts, min_size=1, max_size=6))
def test_incremental_member_rebates_add_up_to_the_group_slices(bases):
    group = sum(bases, D(0))
    expected = compute_rebate(group, STEPS, "incremental").amount
    total = sum((pooled_rebate(base, base, group, STEPS, "incremental")[0].amount for base in bases), D(0))
    assert abs(total - expected) <= D("0.005") * len(bases) + D("0.005")
