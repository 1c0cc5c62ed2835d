# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Exclusive (non-combinable) policies meeting on the same invoice line: which one counts it.

Every exclusive policy covering a line gets a key; the line goes to the policy with the highest
key, and only to it. A key is ``(share, priority, -policy id)`` compared as a tuple:

- ``share`` is, for a policy deciding overlaps by "more favourable to the customer", the part of
  the customer's purchases the policy would pay back for its period holding the line, worked out on
  every line of that period in its own scope before any exclusive policy takes lines (its rebate
  divided by that base, in %); it is 0 for a policy deciding by priority;
- then the higher priority;
- then the older policy (the lower id).

Because the key belongs to one policy (and customer-period), the keys order every set of policies
meeting on a line: exactly one of them counts it, whatever the number of policies and however
their rules are set. Policies deciding by priority compare their priorities; policies deciding by
the more favourable compare their shares first.
"""

from datetime import timedelta
from decimal import Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def payback_share(rebate, base_amount):
    """The rebate as a share of the purchases it is paid on, in % (0 without purchases)."""
    base_amount = Decimal(base_amount)
    if base_amount <= 0:
        return ZERO
    return max(Decimal(rebate), ZERO) * HUNDRED / base_amount


def overlap_key(favourable, share, priority, policy_id):
    """The key deciding which exclusive policy counts a line (highest wins)."""
    return (Decimal(share) if favourable else ZERO, int(priority), -int(policy_id))


def split_segments(date_from, date_to, own_period_of, other_period_of):
    """``[(start, end, own period, other period)]`` covering ``[date_from, date_to]``: the pieces
    in which neither policy's period changes (``*_period_of(day)`` returns the period holding the
    day, an object with ``date_start`` and ``date_end``)."""
    segments = []
    day = date_from
    while day <= date_to:
        own, other = own_period_of(day), other_period_of(day)
        end = min(own.date_end, other.date_end, date_to)
        segments.append((day, end, own, other))
        day = end + timedelta(days=1)
    return segments
