# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What a policy's terms may hold: the limits within which the rules stay exact and fast.

Money and thresholds are floats in the database and Decimals here. A float keeps 15 significant
digits, so above a trillion with two decimals it no longer holds the cents (a threshold of 10^15
prints as 1,000,000,000,000,001.00); and Decimal's 28 digits overflow in the rounding step around
10^26. Dates outside a few centuries make the period arithmetic leave ``datetime``'s range (the
period before year 1, the period after 9999). A policy with thousands of tiers is a typing accident
that would be printed on every statement and notice.
"""

from datetime import date
from decimal import Decimal

from .rounding import to_decimal

MAX_AMOUNT = Decimal(10) ** 12
MAX_TIERS = 50
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
MAX_SENIORITY_MONTHS = 1200


def is_number(value):
    """True unless ``value`` is NaN or infinite (which JSON-RPC lets through into float fields);
    None counts as zero."""
    return to_decimal(value).is_finite()


def amount_in_bounds(value):
    """True when ``value`` (an amount, a quantity or a threshold) is a number at most
    ``MAX_AMOUNT`` either way; None counts as zero."""
    return is_number(value) and abs(to_decimal(value)) <= MAX_AMOUNT


def date_in_bounds(day):
    """True when ``day`` lies between ``MIN_DATE`` and ``MAX_DATE`` (None: no date, accepted)."""
    return day is None or MIN_DATE <= day <= MAX_DATE


def validate_bounds(tiers=(), cap=None, date_start=None, date_end=None, seniority_months=0):
    """Return the problems of a policy's terms against the bounds as ``(code, index)`` pairs
    (``index``: the tier's position, or None); empty means within bounds.

    Codes: ``not_a_number`` (NaN or infinity in a threshold, rate, fixed amount or the cap),
    ``too_many_tiers``, ``threshold_too_large``, ``amount_too_large`` (a tier's fixed amount),
    ``cap_too_large``, ``date_out_of_range``, ``seniority_too_long``.
    """
    problems = []
    if len(tiers) > MAX_TIERS:
        problems.append(("too_many_tiers", None))
    for index, tier in enumerate(tiers):
        values = (tier.threshold, tier.rate, tier.fixed_amount)
        if not all(is_number(value) for value in values):
            problems.append(("not_a_number", index))
            continue
        if not amount_in_bounds(tier.threshold):
            problems.append(("threshold_too_large", index))
        if tier.fixed_amount is not None and not amount_in_bounds(tier.fixed_amount):
            problems.append(("amount_too_large", index))
    if cap is not None and not is_number(cap):
        problems.append(("not_a_number", None))
    elif cap is not None and not amount_in_bounds(cap):
        problems.append(("cap_too_large", None))
    if not (date_in_bounds(date_start) and date_in_bounds(date_end)):
        problems.append(("date_out_of_range", None))
    if (seniority_months or 0) > MAX_SENIORITY_MONTHS:
        problems.append(("seniority_too_long", None))
    return problems
