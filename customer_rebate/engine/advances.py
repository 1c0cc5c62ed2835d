# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Annual rebates paid in advances (年度返利，季度预返) with a year-end true-up.

The year's terms decide the year's rebate. During the year, at the end of each advance period
(a quarter, say), the customer is advanced the year-to-date rebate at the advance terms — a
provisional rate on the year-to-date amount, or the year's tiers applied to what was reached so
far — minus what was already advanced. At year end the true-up pays the year's rebate minus the
advances, or, when it is negative (the customer fell back below a tier), recovers the difference.

So, advance by advance, what has been advanced is the year-to-date rebate at the advance terms,
never more; and the advances plus the true-up are the year's rebate, to the cent.
"""

from dataclasses import dataclass
from decimal import Decimal

from .pooling import pooled_rebate
from .rounding import ZERO, round_money, to_decimal
from .tiers import HUNDRED, RebateResult, compute_rebate

ADVANCE_MODES = ("rate", "tier")


def advance_target(measure, tiers, mode="retroactive", amount=None, cap=None, advance_mode="rate",
                   advance_rate=ZERO, rounding=Decimal("0.01")):
    """The year-to-date rebate the advances reach: ``advance_rate`` percent of the year-to-date
    ``amount`` (``advance_mode`` "rate", whatever tier is reached: a provisional rate), or the
    year's ``tiers`` applied to the year to date ("tier", the tier reached so far). Capped by the
    year's ``cap``. Returns a ``RebateResult`` (its ``tier`` is None for a provisional rate)."""
    if advance_mode not in ADVANCE_MODES:
        raise ValueError(f"unknown advance mode {advance_mode!r}")
    measure = to_decimal(measure)
    amount = measure if amount is None else to_decimal(amount)
    if advance_mode == "tier":
        return compute_rebate(measure, tiers, mode, amount, cap, rounding)
    uncapped = round_money(max(amount, ZERO) * to_decimal(advance_rate) / HUNDRED, rounding)
    capped = uncapped if cap is None else min(uncapped, round_money(cap, rounding))
    return RebateResult(measure=measure, base_amount=amount, tier_index=None, tier=None,
                        amount=capped, uncapped_amount=uncapped)


def pooled_advance_targets(own_to_date, group_to_date, tiers, mode="retroactive", cap=None, advance_mode="rate",
                           advance_rate=ZERO, rounding=Decimal("0.01")):
    """The year-to-date targets of a member of a group (集团客户), one per advance period:
    ``[(result, pooled)]``. ``own_to_date`` are the member's ``(measure, amount)`` to the end of
    each advance period, ``group_to_date`` the group's measure at the same dates. With the tier
    reached so far ("tier") the group's year to date decides the tier and the member earns its
    own year to date at that rate, never less than its own tier would give (``pooled_rebate``);
    a provisional rate ("rate") is the member's own year to date at that rate, whatever the group
    reached (``pooled`` is then True: nothing of the member's own decided it)."""
    if len(own_to_date) != len(group_to_date):
        raise ValueError("one group figure per advance period")
    results = []
    for (own_measure, own_amount), group_measure in zip(own_to_date, group_to_date):
        if advance_mode == "tier" and to_decimal(own_measure) <= to_decimal(group_measure):
            # the member's own measure reaches no higher tier than its group's: the group's tier
            results.append((compute_rebate(group_measure, tiers, mode, own_amount, cap, rounding), True))
        elif advance_mode == "tier":
            results.append(pooled_rebate(own_measure, own_amount, group_measure, tiers, mode, cap, rounding))
        else:
            results.append((advance_target(own_measure, tiers, mode, own_amount, cap, advance_mode, advance_rate,
                                           rounding), True))
    return results


@dataclass(frozen=True)
class AdvanceStep:
    """One advance: the year-to-date ``target`` at its period's end, what was ``advanced_before``
    it and its ``amount`` (negative when the year to date fell: the customer owes it back).
    ``frozen`` says the amount was given (already confirmed or paid), not computed."""

    target: Decimal
    advanced_before: Decimal
    amount: Decimal
    frozen: bool = False


def plan_advances(targets, frozen_amounts=None):
    """The advances of a year, in order: ``targets`` are the year-to-date rebates at the end of
    each advance period (``advance_target``); ``frozen_amounts`` (same length, None where free)
    are advances already confirmed or paid, kept as they are, or ``False`` for an advance that
    was cancelled (it counts for nothing and is not recomputed). A free advance is its target
    minus everything advanced before it, so after it exactly the target has been advanced."""
    frozen_amounts = list(frozen_amounts) if frozen_amounts is not None else [None] * len(targets)
    if len(frozen_amounts) != len(targets):
        raise ValueError("one frozen amount (or None) per target")
    steps, advanced = [], ZERO
    for target, frozen in zip(targets, frozen_amounts):
        target = to_decimal(target)
        if frozen is False:
            steps.append(AdvanceStep(target, advanced, ZERO, frozen=True))
            continue
        amount = to_decimal(frozen) if frozen is not None else target - advanced
        steps.append(AdvanceStep(target, advanced, amount, frozen=frozen is not None))
        advanced += amount
    return steps


def advanced_total(steps):
    """What the ``steps`` advanced altogether (cancelled ones count nothing)."""
    return sum((step.amount for step in steps), ZERO)


def true_up(year_rebate, steps):
    """The year-end settlement: the year's rebate minus the advances; negative when the customer
    was advanced more than the year earned and owes the difference back."""
    return to_decimal(year_rebate) - advanced_total(steps)
