# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The groups of one pooled policy period (group volume, 集团客户) and what each member earns."""

from dataclasses import dataclass, field

from ..engine import compute_rebate, pooled_rebate
from ..engine.rounding import ZERO

# the group figures of a record, written by the computation
POOL_FIGURES = ("pool_key", "pool_name", "pool_head_id", "pool_base_amount", "pool_base_qty", "pool_member_count",
                "pool_own_tier", "pool_member_bases")


@dataclass
class PoolGroup:
    """One group of a period: its key (``parent:<id>``, ``tag:<id>``, ``group:<id>``), name, head
    (a partner id, or None for a tag), every member (commercial partner ids), and the sums of the
    members' bases in the period."""

    key: str
    name: str
    head_id: int
    member_ids: set = field(default_factory=set)
    base_amount: object = ZERO
    base_qty: object = ZERO
    contributors: list = field(default_factory=list)
    member_bases: dict = field(default_factory=dict)  # {partner id: (base amount, base quantity)}


class RebatePolicyPool:
    """The groups of one policy period and what they reached; ``rebate()`` computes a customer's
    result as the policy's terms say."""

    def __init__(self, policy, groups, group_of):
        self.policy = policy
        self.groups = groups
        self.group_of = group_of  # {member partner id: PoolGroup}
        self.head_payout = policy.pool_payout == "head"
        self.own_tier = set()
        self.to_date_members = {}  # {(group key, advance index): {member id: (amount, quantity)}}

    def record_values(self, partner_id):
        """The group figures of ``partner_id``'s record (none for a member whose head is paid)."""
        group = self.group_of.get(partner_id)
        if group is None or (self.head_payout and partner_id != group.head_id):
            return {}
        return {
            "pool_key": group.key,
            "pool_name": group.name,
            "pool_head_id": group.head_id,
            "pool_base_amount": group.base_amount,
            "pool_base_qty": group.base_qty,
            "pool_member_count": len(group.contributors),
            "pool_own_tier": partner_id in self.own_tier,
        }

    def measure(self, group):
        return group.base_qty if self.policy.basis == "quantity" else group.base_amount

    def year_record_values(self, partner_id, group_to_date, member_to_date, index=None, own_tier=False):
        """The group figures (every ``POOL_FIGURES``, None outside a group) of a record of a year
        paid in advances: the year-end settlement's (``index`` None: the group's year) or the
        advance's of the ``index``-th advance period (the group's year to date at its end, from
        ``group_to_date``; the members who bought by then, from ``member_to_date``). A record
        paid to the head keeps what each member bought, as computed."""
        group = self.group_of.get(partner_id)
        if group is None or (self.head_payout and partner_id != group.head_id):
            return dict.fromkeys(POOL_FIGURES)
        if index is None:
            amount, qty, members = group.base_amount, group.base_qty, group.member_bases
        else:
            _lines, amount, qty = group_to_date[group.key][index]
            members = self.to_date_members.get((group.key, index))
            if members is None:  # once per group and advance period, not per member
                members = self.to_date_members[(group.key, index)] = {
                    member_id: (member_to_date[member_id][index][1], member_to_date[member_id][index][2])
                    for member_id in group.contributors
                    if member_to_date.get(member_id) and member_to_date[member_id][index][0]
                }
        return {
            "pool_key": group.key,
            "pool_name": group.name,
            "pool_head_id": group.head_id or None,
            "pool_base_amount": float(amount),
            "pool_base_qty": float(qty),
            "pool_member_count": len(members),
            "pool_own_tier": bool(own_tier),
            "pool_member_bases": {
                str(member_id): [float(figures[0]), float(figures[1])] for member_id, figures in sorted(members.items())
            } if self.head_payout else None,
        }

    def rebate(self, partner_id, base, measure_index, tiers, mode, cap, rounding):
        group = self.group_of.get(partner_id)
        if group is None or self.head_payout:
            # paid to the head: its base already is the group's
            return compute_rebate(base[measure_index], tiers, mode, base[0], cap, rounding)
        result, pooled = pooled_rebate(base[measure_index], base[0], self.measure(group), tiers, mode, cap, rounding)
        if not pooled:
            self.own_tier.add(partner_id)
        return result

