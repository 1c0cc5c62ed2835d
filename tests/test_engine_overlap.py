# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, strategies as st

from rebate_engine.overlap import overlap_key, payback_share, split_segments
from rebate_engine import period_containing

policies = st.lists(
    st.tuples(st.booleans(), st.decimals(min_value=0, max_value=100, places=2), st.integers(0, 50)),
    min_size=1, max_size=6)


@given(policies)
def test_exactly_one_policy_counts_a_line(terms):
    """However rules, shares and priorities are set, one policy's key beats every other's."""
    keys = [overlap_key(favourable, share, priority, index + 1)
            for index, (favourable, share, priority) in enumerate(terms)]
    best = max(keys)
    assert keys.count(best) == 1
    for key in keys:
        assert key == best or key < best


def test_priority_decides_between_policies_by_priority():
    assert overlap_key(False, Decimal(9), 20, 2) > overlap_key(False, Decimal(1), 10, 1)
    # same priority: the older policy
    assert overlap_key(False, 0, 10, 1) > overlap_key(False, 0, 10, 2)


def test_favourable_compares_shares_then_priority_then_age():
    assert overlap_key(True, Decimal(5), 1, 2) > overlap_key(True, Decimal(3), 20, 1)
    assert overlap_key(True, Decimal(5), 20, 2) > overlap_key(True, Decimal(5), 10, 1)
    assert overlap_key(True, Decimal(5), 10, 1) > overlap_key(True, Decimal(5), 10, 2)


def test_payback_share():
    assert payback_share(Decimal(6000), Decimal(120000)) == Decimal(5)
    assert payback_share(Decimal(10), Decimal(0)) == 0
    assert payback_share(Decimal(10), Decimal(-5)) == 0


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 800),
       st.sampled_from(["month", "quarter", "half_year", "year"]),
       st.sampled_from(["month", "quarter", "half_year", "year"]))
def test_segments_cover_the_range_without_gap_or_overlap(start, days, own, other):
    end = start + timedelta(days=days)
    origin = date(2019, 1, 1)
    segments = split_segments(start, end, lambda d: period_containing(own, d, origin),
                              lambda d: period_containing(other, d, origin))
    assert segments[0][0] == start and segments[-1][1] == end
    for (_s, e, _o, _p), (s2, _e2, _o2, _p2) in zip(segments, segments[1:]):
        assert s2 == e + timedelta(days=1)
    for s, e, own_period, other_period in segments:
        assert s in own_period and e in own_period and s in other_period and e in other_period
