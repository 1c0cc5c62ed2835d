# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Tier maths: which tier a base reaches and what it earns.

``measure`` is what thresholds are compared with (the sales amount, or the quantity bought);
``amount`` is what rates apply to (always the sales amount). For an amount-based policy the two are
the same number.

- retroactive (the usual volume rebate): the whole amount at the rate of the highest tier reached,
  or that tier's fixed amount;
- incremental: each slice of the measure between two thresholds earns its own tier's rate; for a
  quantity basis a slice's share of the amount is its share of the quantity (the average price).

Rates never fall and fixed amounts never shrink as thresholds rise (``validate_tiers``), which is
what makes a bigger base never earn less, and incremental never pay more than retroactive.
"""

from dataclasses import dataclass
from decimal import Decimal

from .rounding import ZERO, round_money, to_decimal

HUNDRED = Decimal(100)
TIER_MODES = ("retroactive", "incremental")


@dataclass(frozen=True)
class Tier:
    """One tier: reached when the measure is at least ``threshold``; pays ``rate`` percent of the
    amount, or ``fixed_amount``. ``key`` carries the caller's identifier (a tier's database id)."""

    threshold: Decimal
    rate: Decimal = None
    fixed_amount: Decimal = None
    key: object = None

    @property
    def is_fixed(self):
        return self.fixed_amount is not None


@dataclass(frozen=True)
class RebateResult:
    """What a base earns. ``tier_index`` is the 0-based position of the highest tier reached
    (None below the first); ``amount`` is rounded and capped; ``uncapped_amount`` is rounded only."""

    measure: Decimal
    base_amount: Decimal
    tier_index: int
    tier: Tier
    amount: Decimal
    uncapped_amount: Decimal

    @property
    def capped(self):
        return self.amount < self.uncapped_amount

    @property
    def rate(self):
        """The rate of the tier reached (0 below the first tier or for a fixed-amount tier)."""
        return self.tier.rate if self.tier is not None and self.tier.rate is not None else ZERO

    @property
    def effective_rate(self):
        """Rebate as a percentage of the amount: what the customer really gets back."""
        if self.base_amount <= 0:
            return ZERO
        return self.amount * HUNDRED / self.base_amount


def validate_tiers(tiers, mode="retroactive"):
    """Return the problems of a tier list as ``(code, index)`` pairs; empty means valid.

    Codes: ``empty``, ``negative_threshold``, ``not_increasing`` (threshold not above the previous
    one), ``no_amount`` (neither rate nor fixed amount), ``both_amounts``, ``rate_range`` (outside
    0–100), ``negative_amount``, ``mixed`` (rates and fixed amounts in one list), ``decreasing``
    (a higher tier pays less), ``incremental_fixed`` (incremental tiers need rates).
    """
    problems = []
    if not tiers:
        return [("empty", None)]
    for index, tier in enumerate(tiers):
        threshold = to_decimal(tier.threshold)
        if threshold < 0:
            problems.append(("negative_threshold", index))
        if index and threshold <= to_decimal(tiers[index - 1].threshold):
            problems.append(("not_increasing", index))
        if tier.rate is None and tier.fixed_amount is None:
            problems.append(("no_amount", index))
        elif tier.rate is not None and tier.fixed_amount is not None:
            problems.append(("both_amounts", index))
        elif tier.rate is not None and not (to_decimal(tier.rate).is_finite() and ZERO <= to_decimal(tier.rate) <= HUNDRED):
            problems.append(("rate_range", index))
        elif tier.fixed_amount is not None and to_decimal(tier.fixed_amount) < 0:
            problems.append(("negative_amount", index))
    kinds = {tier.is_fixed for tier in tiers if (tier.rate is None) != (tier.fixed_amount is None)}
    if len(kinds) > 1:
        problems.append(("mixed", None))
    elif not problems:
        values = [to_decimal(t.fixed_amount if t.is_fixed else t.rate) for t in tiers]
        problems += [("decreasing", i) for i in range(1, len(values)) if values[i] < values[i - 1]]
    if mode == "incremental" and any(tier.is_fixed for tier in tiers):
        problems.append(("incremental_fixed", None))
    return problems


def reached_tier_index(measure, tiers):
    """0-based index of the highest tier whose threshold ``measure`` reaches, or None.

    A zero or negative measure (no sales, or more credit notes than invoices) reaches nothing.
    """
    measure = to_decimal(measure)
    if measure <= 0:
        return None
    reached = None
    for index, tier in enumerate(tiers):
        if measure >= to_decimal(tier.threshold):
            reached = index
        else:
            break
    return reached


def _incremental_value(measure, amount, tiers, reached):
    value = ZERO
    for index in range(reached + 1):
        low = to_decimal(tiers[index].threshold)
        high = to_decimal(tiers[index + 1].threshold) if index < reached else measure
        value += (min(high, measure) - low) * to_decimal(tiers[index].rate)
    # value is "measure units × percent": bring it to money through the amount per measure unit
    return value * amount / (measure * HUNDRED)


def compute_rebate(measure, tiers, mode="retroactive", amount=None, cap=None,
                   rounding=Decimal("0.01")):
    """What ``measure`` (and ``amount``, defaulting to ``measure``) earns under ``tiers``
    (sorted by threshold, as ``validate_tiers`` accepts them). ``cap`` (None: no cap) bounds the
    rebate; the result is rounded half-up to ``rounding``."""
    if mode not in TIER_MODES:
        raise ValueError(f"unknown tier mode {mode!r}")
    measure = to_decimal(measure)
    amount = measure if amount is None else to_decimal(amount)
    index = reached_tier_index(measure, tiers)
    if index is None:
        value = ZERO
    elif tiers[index].is_fixed:
        value = to_decimal(tiers[index].fixed_amount)
    elif mode == "retroactive":
        value = max(amount, ZERO) * to_decimal(tiers[index].rate) / HUNDRED
    else:
        value = max(_incremental_value(measure, amount, tiers, index), ZERO)
    uncapped = round_money(value, rounding)
    capped = uncapped if cap is None else min(uncapped, round_money(cap, rounding))
    return RebateResult(
        measure=measure,
        base_amount=amount,
        tier_index=index,
        tier=None if index is None else tiers[index],
        amount=capped,
        uncapped_amount=uncapped,
    )
