# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Money rounding without float drift.

Odoo stores monetary values as floats; rules are computed on ``Decimal`` built from the float's
shortest ``repr`` (so 0.1 stays 0.1), and rounded once, at the end, to the currency's rounding
step with half-up, which is what ``res.currency.round`` does.
"""

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)

# {rounding step: the step itself when it is a power of ten not above one, else False}
_DECIMAL_STEPS = {}


def to_decimal(value):
    """Return ``value`` (int, float, str, Decimal or None) as a Decimal; None is zero."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_money(value, rounding=Decimal("0.01")):
    """Round ``value`` half-up to a multiple of ``rounding`` (a currency's rounding step).

    ``rounding`` may be any positive step: 0.01, 1 (JPY), 0.05 (CHF cash rounding).
    """
    value = to_decimal(value)
    rounding = to_decimal(rounding)
    if rounding <= 0:
        raise ValueError("rounding step must be positive")
    step = _DECIMAL_STEPS.get(rounding)
    if step is None:
        normal = rounding.normalize()
        # a step of 1, 0.1, 0.01...: rounding to it is one quantize (the same result, a third of the time)
        step = _DECIMAL_STEPS[rounding] = normal if normal.as_tuple().digits == (1,) and normal <= 1 else False
    if step:
        return value.quantize(step, rounding=ROUND_HALF_UP)
    steps = (value / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    # quantize to the step's exponent so 6000 prints as 6000.00, not 6.000E+3
    return (steps * rounding).quantize(rounding.normalize() if rounding < 1 else Decimal(1))
