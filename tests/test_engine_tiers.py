from decimal import ROUND_HALF_UP, Decimal as D

import pytest
from hypothesis import assume, given, strategies as st

from rebate_engine import Tier, compute_rebate, project, round_money, validate_tiers

SOURCE_EXAMPLE = [Tier(D("100000"), rate=D("5"))]


def test_source_example_quarter_of_120000_earns_6000():
    result = compute_rebate(D("120000"), SOURCE_EXAMPLE)
    assert result.tier_index == 0
    assert result.rate == D("5")
    assert result.amount == D("6000.00")


def test_source_example_below_threshold_earns_nothing():
    result = compute_rebate(D("99999.99"), SOURCE_EXAMPLE)
    assert result.tier_index is None
    assert result.amount == 0


def test_source_example_exactly_at_threshold():
    assert compute_rebate(D("100000"), SOURCE_EXAMPLE).amount == D("5000.00")


STEPS = [Tier(D("0"), rate=D("1")), Tier(D("100"), rate=D("2")), Tier(D("200"), rate=D("5"))]


def test_retroactive_pays_the_whole_base_at_the_highest_rate():
    assert compute_rebate(D("250"), STEPS).amount == D("12.50")


def test_incremental_pays_each_slice_at_its_rate():
    # 100 × 1 % + 100 × 2 % + 50 × 5 %
    assert compute_rebate(D("250"), STEPS, "incremental").amount == D("5.50")


def test_incremental_on_quantity_values_slices_at_the_average_price():
    # 250 units worth 500: slices of 100, 100, 50 units are worth 200, 200, 100
    result = compute_rebate(D("250"), STEPS, "incremental", amount=D("500"))
    assert result.amount == D("2") + D("4") + D("5")


def test_fixed_amount_tier_pays_its_amount():
    tiers = [Tier(D("1000"), fixed_amount=D("300")), Tier(D("5000"), fixed_amount=D("2000"))]
    assert compute_rebate(D("999"), tiers).amount == 0
    assert compute_rebate(D("1200"), tiers, amount=D("99999")).amount == D("300.00")
    assert compute_rebate(D("5000"), tiers).amount == D("2000.00")


def test_cap_bounds_the_rebate():
    result = compute_rebate(D("120000"), SOURCE_EXAMPLE, cap=D("5000"))
    assert result.amount == D("5000.00")
    assert result.uncapped_amount == D("6000.00")
    assert result.capped


def test_negative_base_reaches_nothing():
    assert compute_rebate(D("-500"), STEPS).tier_index is None
    assert compute_rebate(D("-500"), STEPS).amount == 0


def test_quantity_basis_rate_applies_to_amount():
    tiers = [Tier(D("1000"), rate=D("3"))]
    assert compute_rebate(D("1500"), tiers, amount=D("20000")).amount == D("600.00")


def test_effective_rate_of_incremental():
    assert compute_rebate(D("250"), STEPS, "incremental").effective_rate == D("2.2")


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        compute_rebate(D("1"), STEPS, "progressive")


def test_rounding_is_half_up_and_exact():
    assert round_money(0.125) == D("0.13")
    assert round_money(D("2.675")) == D("2.68")  # float 2.675 would round down
    assert round_money(2.675) == D("2.68")
    assert round_money(D("1234.5"), D("1")) == D("1235")
    assert round_money(D("1.02"), D("0.05")) == D("1.00")
    assert round_money(D("1.03"), D("0.05")) == D("1.05")
    with pytest.raises(ValueError):
        round_money(D("1"), D("0"))


@given(st.decimals(min_value=-10**12, max_value=10**12, places=6, allow_nan=False, allow_infinity=False),
       st.sampled_from(["1", "0.1", "0.01", "0.010", "1.00", "0.001", "0.05", "0.5", "10", "5"]))
def test_rounding_to_a_power_of_ten_is_the_step_rounding(value, step):
    """Steps of 1, 0.1, 0.01... round by one quantize: the same figure, printed the same, as
    counting the steps half-up and multiplying back (what any step, 0.05 or 10, does)."""
    step = D(step)
    steps = (value / step).quantize(D(1), rounding=ROUND_HALF_UP)
    expected = (steps * step).quantize(step.normalize() if step < 1 else D(1))
    assert str(round_money(value, step)) == str(expected)


@pytest.mark.parametrize("tiers, mode, codes", [
    ([], "retroactive", {"empty"}),
    ([Tier(D("-1"), rate=D("1"))], "retroactive", {"negative_threshold"}),
    ([Tier(D("100"), rate=D("1")), Tier(D("100"), rate=D("2"))], "retroactive", {"not_increasing"}),
    ([Tier(D("100"), rate=D("1")), Tier(D("50"), rate=D("2"))], "retroactive", {"not_increasing"}),
    ([Tier(D("1"))], "retroactive", {"no_amount"}),
    ([Tier(D("1"), rate=D("1"), fixed_amount=D("1"))], "retroactive", {"both_amounts"}),
    ([Tier(D("1"), rate=D("100.01"))], "retroactive", {"rate_range"}),
    ([Tier(D("1"), rate=D("-1"))], "retroactive", {"rate_range"}),
    ([Tier(D("1"), fixed_amount=D("-1"))], "retroactive", {"negative_amount"}),
    ([Tier(D("1"), rate=D("1")), Tier(D("2"), fixed_amount=D("5"))], "retroactive", {"mixed"}),
    ([Tier(D("1"), rate=D("5")), Tier(D("2"), rate=D("3"))], "retroactive", {"decreasing"}),
    ([Tier(D("1"), fixed_amount=D("5"))], "incremental", {"incremental_fixed"}),
    ([Tier(D("0"), rate=D("0")), Tier(D("2"), rate=D("100"))], "incremental", set()),
])
def test_validate_tiers(tiers, mode, codes):
    assert {code for code, _index in validate_tiers(tiers, mode)} == codes


def test_projection_of_the_source_example():
    projection = project(D("80000"), SOURCE_EXAMPLE, measure_document=D("10000"))
    assert projection.current.amount == 0
    assert projection.projected.amount == 0
    assert projection.gap == D("10000")
    assert projection.next_threshold == D("100000")
    assert projection.next_amount == D("5000.00")
    projection = project(D("99999.99"), SOURCE_EXAMPLE, measure_document=D("0.01"))
    assert projection.projected.amount == D("5000.00")
    assert projection.added == D("5000.00")
    assert projection.next_index is None and projection.gap is None


def test_projection_gap_to_a_higher_tier():
    tiers = [Tier(D("100000"), rate=D("5")), Tier(D("200000"), rate=D("7"))]
    projection = project(D("120000"), tiers, measure_document=D("72000"))
    assert projection.projected.amount == D("9600.00")
    assert projection.gap == D("8000")
    assert projection.next_amount == D("14000.00")


def test_projection_on_quantity_uses_the_average_price():
    tiers = [Tier(D("1000"), rate=D("2"))]
    projection = project(D("600"), tiers, amount_to_date=D("6000"), measure_document=D("200"),
                         amount_document=D("2000"))
    assert projection.gap == D("200")
    assert projection.next_amount == D("200.00")  # 1,000 units at 10 each, 2 %
    empty = project(D("0"), tiers, amount_to_date=D("0"))
    assert empty.next_amount is None


money = st.decimals(min_value=D("0"), max_value=D("10000000"), places=2, allow_nan=False)


@st.composite
def tier_lists(draw, fixed=None):
    count = draw(st.integers(min_value=1, max_value=5))
    thresholds = sorted(draw(st.sets(money, min_size=count, max_size=count)))
    is_fixed = draw(st.booleans()) if fixed is None else fixed
    values = sorted(draw(st.lists(
        st.decimals(min_value=D("0"), max_value=D("100") if not is_fixed else D("100000"), places=2),
        min_size=count, max_size=count)))
    if is_fixed:
        return [Tier(t, fixed_amount=v) for t, v in zip(thresholds, values)]
    return [Tier(t, rate=v) for t, v in zip(thresholds, values)]


@given(tiers=tier_lists(), low=money, extra=money,
       mode=st.sampled_from(["retroactive", "incremental"]))
def test_bigger_base_never_earns_less(tiers, low, extra, mode):
    assume(not (mode == "incremental" and tiers[0].is_fixed))
    assert not validate_tiers(tiers, mode)
    assert compute_rebate(low + extra, tiers, mode).amount >= compute_rebate(low, tiers, mode).amount


@given(tiers=tier_lists(), base=money, cap=money,
       mode=st.sampled_from(["retroactive", "incremental"]))
def test_cap_is_never_exceeded(tiers, base, cap, mode):
    assume(not (mode == "incremental" and tiers[0].is_fixed))
    result = compute_rebate(base, tiers, mode, cap=cap)
    assert 0 <= result.amount <= cap
    assert result.amount <= result.uncapped_amount


@given(tiers=tier_lists(fixed=False), base=money)
def test_incremental_never_pays_more_than_retroactive(tiers, base):
    assert compute_rebate(base, tiers, "incremental").amount <= compute_rebate(base, tiers).amount


@given(tiers=tier_lists(fixed=False), base=money, document=money)
def test_projection_adds_up(tiers, base, document):
    projection = project(base, tiers, measure_document=document)
    assert projection.projected == compute_rebate(base + document, tiers)
    assert projection.current.amount + projection.added == projection.projected.amount
    if projection.gap is not None:
        assert projection.gap > 0
        reached = compute_rebate(base + document + projection.gap, tiers)
        assert reached.tier_index == projection.next_index
        assert reached.amount == projection.next_amount
