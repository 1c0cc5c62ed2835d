# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The groups of one pooled policy period (group volume, 集团客户) and what each member earns."""

from dataclasses import dataclass, field

from ..engine import compute_rebate, pooled_rebate
from ..engine.rounding import ZERO


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

    def rebate(self, partner_id, base, measure_index, tiers, mode, cap, rounding):
        group = self.group_of.get(partner_id)
        if group is None or self.head_payout:
            # paid to the head: its base already is the group's
            return compute_rebate(base[measure_index], tiers, mode, base[0], cap, rounding)
        result, pooled = pooled_rebate(base[measure_index], base[0], self.measure(group), tiers, mode, cap, rounding)
        if not pooled:
            self.own_tier.add(partner_id)
        return result

