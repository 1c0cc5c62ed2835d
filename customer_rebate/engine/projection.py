# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Projection: where a customer stands in the current period, what a document in progress adds,
and how much more reaches the next tier. Shown on orders and invoices while customers still buy."""

from dataclasses import dataclass
from decimal import Decimal

from .rounding import ZERO, round_money, to_decimal
from .tiers import RebateResult, compute_rebate


@dataclass(frozen=True)
class Projection:
    """``current``: the period to date; ``projected``: with the document added; ``added``: the
    rebate the document adds. ``next_index``/``next_threshold``: the next tier above the projected
    measure (None at the top); ``gap``: how much more measure reaches it; ``next_amount``: the
    rebate the customer would earn there (None when it can't be valued: a quantity basis with no
    amount to take an average price from)."""

    current: RebateResult
    projected: RebateResult
    added: Decimal
    next_index: int
    next_threshold: Decimal
    gap: Decimal
    next_amount: Decimal


def project(measure_to_date, tiers, mode="retroactive", amount_to_date=None, measure_document=0,
            amount_document=None, cap=None, rounding=Decimal("0.01")):
    """Project a rebate for a customer who has ``measure_to_date`` (and ``amount_to_date``) in the
    period and a document adding ``measure_document`` (and ``amount_document``).

    With ``amount_*`` left None the measure is the amount (an amount-based policy)."""
    amount_basis = amount_to_date is None
    measure_to_date = to_decimal(measure_to_date)
    measure_document = to_decimal(measure_document)
    amount_to_date = measure_to_date if amount_to_date is None else to_decimal(amount_to_date)
    amount_document = measure_document if amount_document is None else to_decimal(amount_document)
    current = compute_rebate(measure_to_date, tiers, mode, amount_to_date, cap, rounding)
    measure = measure_to_date + measure_document
    amount = amount_to_date + amount_document
    projected = compute_rebate(measure, tiers, mode, amount, cap, rounding)
    next_index = next((i for i, t in enumerate(tiers) if to_decimal(t.threshold) > measure), None)
    next_threshold = gap = next_amount = None
    if next_index is not None:
        next_threshold = to_decimal(tiers[next_index].threshold)
        gap = next_threshold - max(measure, ZERO)
        if amount_basis:
            next_amount_base = next_threshold
        elif measure > 0 and amount > 0:
            next_amount_base = amount * next_threshold / measure
        else:
            next_amount_base = None
        if next_amount_base is not None:
            next_amount = compute_rebate(
                next_threshold, tiers, mode, round_money(next_amount_base, rounding), cap, rounding
            ).amount
    return Projection(
        current=current,
        projected=projected,
        added=projected.amount - current.amount,
        next_index=next_index,
        next_threshold=next_threshold,
        gap=gap,
        next_amount=next_amount,
    )
