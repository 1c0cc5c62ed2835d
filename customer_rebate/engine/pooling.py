# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Group volume (集团客户): several customers pool their bases to reach a tier together.

The group's base is the sum of its members' bases (a member's credit notes lower it). The tier the
group reaches is every member's tier; each member's rebate is its own base at that tier
(``pooled_rebate``), or the whole group is paid to its head (``compute_rebate`` on the group's
base). Pooling never lowers a member: a member whose own base reaches a higher tier than the group
(possible only when another member's credit notes exceed its purchases) keeps its own tier.

In whole-base (retroactive) mode the members' rebates before rounding add up exactly to the group's
base at the group's rate when no member's base is negative; in slice (incremental) mode each member
gets the group's slice rebate in proportion to its share of the group's amount.
"""

from collections import defaultdict

from .rounding import ZERO, to_decimal
from .tiers import compute_rebate


def group_totals(member_values, group_of):
    """``{group: sum}`` of ``member_values`` (``{member: Decimal}``) by ``group_of`` (``{member:
    group}``); a member without a group is its own group."""
    totals = defaultdict(lambda: ZERO)
    for member, value in member_values.items():
        totals[group_of.get(member, member)] += to_decimal(value)
    return dict(totals)


def pooled_rebate(own_measure, own_amount, group_measure, tiers, mode="retroactive", cap=None,
                  rounding=None):
    """What a member earns when its group's base decides the tier: ``(result, pooled)``, where
    ``pooled`` says the group's tier was used (False: the member's own tier was higher).

    ``own_*`` are the member's measure and amount, ``group_measure`` the group's; the rebate is the
    member's amount at the group's rate (retroactive), or its share of the group's slice rebate
    (incremental: the group's effective rate on the member's amount)."""
    kwargs = {"cap": cap} if rounding is None else {"cap": cap, "rounding": rounding}
    own_measure, own_amount, group_measure = to_decimal(own_measure), to_decimal(own_amount), to_decimal(group_measure)
    alone = compute_rebate(own_measure, tiers, mode, own_amount, **kwargs)
    # incremental: the group's slice rebate per unit of measure, on the member's amount, which is
    # the member's share (by amount) of what the group's slices earn
    together = compute_rebate(group_measure, tiers, mode, own_amount, **kwargs)
    own_rank = -1 if alone.tier_index is None else alone.tier_index
    group_rank = -1 if together.tier_index is None else together.tier_index
    if own_rank > group_rank:
        return alone, False
    return together, True
