# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Group volume (集团客户): the customers of a group pool their bases for the tier.

A policy's ``pool_mode`` says what a group is: a parent company with its branches (separate
commercial partners linked by ``parent_id``; the group is the top-most parent company's tree), a
customer tag of ``pool_category_ids`` (one group per tag), or an explicit ``rebate.customer.group``
of ``pool_group_ids``. The group's base (the sum of its members' bases, from the period's one
aggregate per customer) decides the tier of every member; each member then earns its own base at
that rate, or, with ``pool_payout`` = ``head``, the whole group is one record of the group's head.
Only the customers in the policy's scope count (their lines are the only ones aggregated).

A customer carrying two of the pooled tags, or in two of the policy's groups, is refused (the
computation stops with a message naming them): its group would otherwise depend on an order no
one chose.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field

from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine import compute_rebate, pooled_rebate, project, to_decimal
from ..engine.rounding import ZERO

# how deep a chain of parent companies is followed (Odoo refuses cycles; this bounds a corrupt one)
MAX_PARENT_DEPTH = 32
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


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    @api.constrains("pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout", "amount_type")
    def _check_pool_terms(self):
        for policy in self:
            if policy.pool_mode == "tag" and not policy.pool_category_ids:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customers by tag: choose the tags whose customers are pooled.",
                    policy=policy.display_name))
            if policy.pool_mode == "group" and not policy.pool_group_ids:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customer groups: choose the groups.", policy=policy.display_name))
            if policy.pool_mode == "tag" and policy.pool_payout == "head":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: a customer tag has no head to pay; pay each member, or pool by "
                    "parent company or by customer groups.", policy=policy.display_name))
            if policy.pool_mode != "none" and policy.pool_payout == "member" and policy.amount_type == "fixed":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: a fixed amount reached by a group is paid once, to the group's head, "
                    "not to each member.", policy=policy.display_name))
        self._check_pool_groups_disjoint()
        self._check_pool_combinations()

    def _check_pool_combinations(self):
        """Group volume is not built together with the terms of issue 13's other parts (they are
        read only where their fields exist): a paid basis, advances within the year, and exclusive
        policies decided by what is more favourable to the customer. Each is refused, not guessed."""
        for policy in self.filtered(lambda p: p.pool_mode != "none"):
            refused = []
            if "invoice_basis" in policy._fields and policy.invoice_basis == "paid":
                refused.append(self.env._("invoices counted once paid"))
            if "advance_period" in policy._fields and policy.advance_period:
                refused.append(self.env._("advances within the year"))
            if "overlap_rule" in policy._fields and "combinable" in policy._fields \
                    and not policy.combinable and policy.overlap_rule == "favourable":
                refused.append(self.env._("exclusive overlaps decided by what is more favourable to the customer"))
            if refused:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customers in groups, which does not combine with %(terms)s yet.",
                    policy=policy.display_name, terms=self._clause_separator().join(refused)))

    def _check_pool_groups_disjoint(self):
        for policy in self.filtered(lambda p: p.pool_mode == "group"):
            seen = {}
            for group in policy.pool_group_ids.filtered("active"):
                for partner in group.member_ids.commercial_partner_id:
                    if partner.id in seen and seen[partner.id] != group:
                        raise ValidationError(self.env._(
                            "Policy %(policy)s: %(customer)s is a member of two of its customer groups "
                            "(%(first)s and %(second)s); a customer pools with one group only.",
                            policy=policy.display_name, customer=partner.display_name,
                            first=seen[partner.id].display_name, second=group.display_name))
                    seen[partner.id] = group

    def write(self, vals):
        pool_terms = {"pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout"} & set(vals)
        result = super().write(vals)
        if {"invoice_basis", "advance_period", "combinable", "overlap_rule"} & set(vals):
            self._check_pool_combinations()
        if pool_terms:
            # other groups: the estimates forget their group until the next (full) run fills it again
            self.env["rebate.record"].flush_model()
            self.env.cr.execute(SQL(
                "UPDATE rebate_record SET %s WHERE policy_id IN %s AND state = 'draft' AND pool_key IS NOT NULL",
                SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in POOL_FIGURES),
                tuple(self.ids)))
            self.env["rebate.record"].invalidate_model(list(POOL_FIGURES))
        return result

    # ------------------------------------------------------------------ the groups

    def _pool_groups(self, partner_ids):
        """``{key: PoolGroup}``: the groups that hold any of the commercial partners
        ``partner_ids``, with all their members."""
        self.ensure_one()
        partner_ids = [p for p in partner_ids if p]
        if self.pool_mode == "parent":
            return self._pool_parent_groups(partner_ids)
        if self.pool_mode == "tag":
            return self._pool_tag_groups()
        if self.pool_mode == "group":
            return self._pool_list_groups()
        return {}

    def _pool_parent_groups(self, partner_ids):
        """A company with its branches: each partner's top-most parent company and, from those,
        every commercial partner below them (two recursive queries for any number of customers).
        A company with neither parent nor branches is no group."""
        if not partner_ids:
            return {}
        self.env["res.partner"].flush_model(["parent_id", "is_company", "commercial_partner_id"])
        self.env.cr.execute(SQL(
            """WITH RECURSIVE up(partner_id, ancestor_id, depth) AS (
                   SELECT id, id, 0 FROM res_partner WHERE id = ANY(%(partners)s)
                    UNION ALL
                   SELECT up.partner_id, partner.parent_id, up.depth + 1
                     FROM up JOIN res_partner partner ON partner.id = up.ancestor_id
                    WHERE partner.parent_id IS NOT NULL AND up.depth < %(depth)s)
               SELECT DISTINCT up.ancestor_id FROM (
                   SELECT DISTINCT ON (up.partner_id) up.ancestor_id
                     FROM up JOIN res_partner ancestor ON ancestor.id = up.ancestor_id
                    WHERE ancestor.is_company
                    ORDER BY up.partner_id, up.depth DESC) up""",
            partners=list(partner_ids), depth=MAX_PARENT_DEPTH))
        tops = [row[0] for row in self.env.cr.fetchall()]
        if not tops:
            return {}
        self.env.cr.execute(SQL(
            """WITH RECURSIVE down(top_id, partner_id, depth) AS (
                   SELECT id, id, 0 FROM res_partner WHERE id = ANY(%(tops)s)
                    UNION ALL
                   SELECT down.top_id, partner.id, down.depth + 1
                     FROM down JOIN res_partner partner ON partner.parent_id = down.partner_id
                    WHERE down.depth < %(depth)s)
               SELECT down.top_id, down.partner_id
                 FROM down JOIN res_partner partner ON partner.id = down.partner_id
                WHERE partner.commercial_partner_id = partner.id""",
            tops=tops, depth=MAX_PARENT_DEPTH))
        members = defaultdict(set)
        for top_id, partner_id in self.env.cr.fetchall():
            members[top_id].add(partner_id)
        heads = self.env["res.partner"].browse(members).with_context(active_test=False)
        return {
            f"parent:{head.id}": PoolGroup(f"parent:{head.id}", head.name or head.display_name, head.id,
                                           members[head.id])
            for head in heads if len(members[head.id]) > 1
        }

    def _pool_tag_groups(self):
        """One group per pooled tag: the commercial partners of the partners carrying it."""
        self.env["res.partner"].flush_model(["category_id", "commercial_partner_id"])
        self.env.cr.execute(SQL(
            """SELECT DISTINCT rel.category_id, partner.commercial_partner_id
                 FROM res_partner_res_partner_category_rel rel
                 JOIN res_partner partner ON partner.id = rel.partner_id
                WHERE rel.category_id = ANY(%s) AND partner.commercial_partner_id IS NOT NULL""",
            self.pool_category_ids.ids))
        groups = {}
        tags = {tag.id: tag for tag in self.pool_category_ids}
        for tag_id, partner_id in self.env.cr.fetchall():
            group = groups.setdefault(f"tag:{tag_id}", PoolGroup(f"tag:{tag_id}", tags[tag_id].display_name, None))
            group.member_ids.add(partner_id)
        self._pool_refuse_double_members(groups)
        return groups

    def _pool_list_groups(self):
        groups = {}
        for group in self.pool_group_ids.filtered("active"):
            key = f"group:{group.id}"
            groups[key] = PoolGroup(key, group.name, group.head_id.commercial_partner_id.id,
                                    set(group.member_ids.commercial_partner_id.ids))
        self._pool_refuse_double_members(groups)
        return groups

    def _pool_refuse_double_members(self, groups):
        owner = {}
        for group in groups.values():
            for partner_id in group.member_ids:
                if partner_id in owner:
                    partner = self.env["res.partner"].browse(partner_id)
                    raise UserError(self.env._(
                        "Policy %(policy)s pools %(customer)s in two groups (%(first)s and %(second)s): a "
                        "customer pools with one group only. Remove one of its tags, or pool by customer "
                        "groups.", policy=self.display_name, customer=partner.display_name,
                        first=owner[partner_id].name, second=group.name))
                owner[partner_id] = group

    def _pool_widen(self, partner_ids):
        """The customers of an incremental run with every other member of their groups: a change
        for one member changes the group's base, hence every member's rate."""
        self.ensure_one()
        partner_ids = set(partner_ids)
        for group in self._pool_groups(partner_ids).values():
            if group.member_ids & partner_ids:
                partner_ids |= group.member_ids
                if group.head_id:
                    partner_ids.add(group.head_id)
        return partner_ids

    def _pool_period(self, figures, bases, partner_ids=None):
        """The groups of a period from the per-customer figures (a sum in Python over one row per
        customer, never over invoice lines). With the head paid, the members' rows are replaced
        by one row for the head holding the group's sums, in ``figures`` and ``bases``. An
        incremental run (``partner_ids``, whole groups by ``_pool_widen``) leaves the other
        groups as they are."""
        self.ensure_one()
        groups = self._pool_groups(list(bases) + list(figures))
        if partner_ids is not None:
            groups = {key: group for key, group in groups.items() if group.member_ids & set(partner_ids)}
        group_of = {}
        for group in groups.values():
            for partner_id in sorted(group.member_ids):
                if partner_id in bases:
                    group.base_amount += bases[partner_id]["base_amount"]
                    group.base_qty += bases[partner_id]["base_qty"]
                    group.contributors.append(partner_id)
                    group.member_bases[partner_id] = (bases[partner_id]["base_amount"], bases[partner_id]["base_qty"])
                group_of[partner_id] = group
        pool = RebatePolicyPool(self, groups, group_of)
        if pool.head_payout:
            for group in groups.values():
                if not group.contributors:
                    continue
                totals = defaultdict(lambda: ZERO)
                for partner_id in group.contributors:
                    for name, value in figures.pop(partner_id).items():
                        totals[name] += value
                    bases.pop(partner_id, None)
                # the other figures (the period before, last year, costs) of the head are its group's
                for partner_id in group.member_ids - set(group.contributors):
                    for name, value in figures.pop(partner_id, {}).items():
                        totals[name] += value
                figures[group.head_id] = bases[group.head_id] = dict(totals)
        return pool

    def _pool_write_records(self, date_start, pool, partner_ids=None):
        """Write each draft record of the period its group, the group's base, and whether the
        member kept its own higher tier (one UPDATE); the head's record lists the members that
        made up its base. The estimates of customers (of ``partner_ids``, None: all) no longer in
        a group forget it."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.flush_model()
        pooled = [partner_id for partner_id, group in pool.group_of.items()
                  if not pool.head_payout or partner_id == group.head_id]
        self.env.cr.execute(SQL(
            """UPDATE rebate_record SET %s
                WHERE policy_id = %s AND date_start = %s AND state = 'draft' AND pool_key IS NOT NULL
                  AND NOT (partner_id = ANY(%s)) %s""",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in POOL_FIGURES),
            self.id, date_start, pooled,
            SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()))
        rows = []
        for partner_id, group in pool.group_of.items():
            if pool.head_payout and partner_id != group.head_id:
                continue
            # a head's record keeps what each member bought: its statement re-adds its base as
            # it was computed, however the members' invoices change after it is confirmed
            member_bases = json.dumps({
                str(member_id): [float(amount), float(qty)]
                for member_id, (amount, qty) in sorted(group.member_bases.items())}) if pool.head_payout else None
            rows.append(SQL("(%s, %s, %s, %s::int, %s::numeric, %s::numeric, %s, %s, %s::jsonb)",
                            partner_id, group.key, group.name, group.head_id, group.base_amount, group.base_qty,
                            len(group.contributors), partner_id in pool.own_tier, member_bases))
        if rows:
            self.env.cr.execute(SQL(
                """UPDATE rebate_record AS record
                      SET pool_key = figures.pool_key, pool_name = figures.pool_name,
                          pool_head_id = figures.pool_head_id, pool_base_amount = figures.pool_base_amount,
                          pool_base_qty = figures.pool_base_qty, pool_member_count = figures.pool_member_count,
                          pool_own_tier = figures.pool_own_tier, pool_member_bases = figures.pool_member_bases
                     FROM (VALUES %s) AS figures(partner_id, pool_key, pool_name, pool_head_id, pool_base_amount,
                                                 pool_base_qty, pool_member_count, pool_own_tier,
                                                 pool_member_bases)
                    WHERE record.policy_id = %s AND record.date_start = %s AND record.state = 'draft'
                      AND record.partner_id = figures.partner_id
                      AND (record.pool_key, record.pool_name, record.pool_head_id, record.pool_base_amount,
                           record.pool_base_qty, record.pool_member_count, record.pool_own_tier,
                           record.pool_member_bases)
                          IS DISTINCT FROM (figures.pool_key, figures.pool_name, figures.pool_head_id,
                                            figures.pool_base_amount, figures.pool_base_qty,
                                            figures.pool_member_count, figures.pool_own_tier,
                                            figures.pool_member_bases)""",
                SQL(", ").join(rows), self.id, date_start))
        if pool.head_payout:
            # which members made up the head's base: the relation rows of the period's head
            # records, rewritten only where they changed
            wanted = {group.head_id: set(group.contributors) for group in pool.groups.values() if group.head_id}
            self.env.cr.execute(SQL(
                """SELECT record.id, record.partner_id, ARRAY_REMOVE(ARRAY_AGG(rel.partner_id), NULL)
                     FROM rebate_record record
                     LEFT JOIN rebate_record_pool_member_rel rel ON rel.record_id = record.id
                    WHERE record.policy_id = %s AND record.date_start = %s AND record.state = 'draft'
                      AND record.partner_id = ANY(%s)
                    GROUP BY record.id, record.partner_id""",
                self.id, date_start, list(wanted)))
            changed = {record_id: wanted[head_id] for record_id, head_id, members in self.env.cr.fetchall()
                       if set(members) != wanted[head_id]}
            if changed:
                self.env.cr.execute(SQL("DELETE FROM rebate_record_pool_member_rel WHERE record_id = ANY(%s)",
                                        list(changed)))
                pairs = [SQL("(%s, %s)", record_id, member)
                         for record_id, members in changed.items() for member in sorted(members)]
                if pairs:
                    self.env.cr.execute(SQL(
                        "INSERT INTO rebate_record_pool_member_rel (record_id, partner_id) VALUES %s",
                        SQL(", ").join(pairs)))
        Record.invalidate_model([*POOL_FIGURES, "pool_member_ids"])

    # ------------------------------------------------------------------ words

    def _pool_summary_text(self, text):
        """"…, with customers of tag Key Accounts pooled" and its other forms."""
        self.ensure_one()
        if self.pool_mode == "parent":
            pooled = self.env._("%(rule)s, with each parent company and its branches pooled", rule=text)
        elif self.pool_mode == "tag":
            pooled = self.env._("%(rule)s, with customers of tag %(tags)s pooled", rule=text,
                                tags=", ".join(self.pool_category_ids.mapped("display_name")))
        elif self.pool_mode == "group":
            pooled = self.env._("%(rule)s, with the customers of group %(groups)s pooled", rule=text,
                                groups=", ".join(self.pool_group_ids.mapped("display_name")))
        else:
            return text
        if self.pool_payout == "head":
            pooled = self.env._("%(rule)s, paid to the group's head", rule=pooled)
        return pooled

    def _pool_projection(self, period, partner, base_amount, base_qty, doc_amount, doc_qty):
        """The projection of a pooled customer: its group's period to date (one aggregate over
        the group's customers) plus the document decides the tier; the rebate is the customer's
        own purchases at that tier, or the group's when the head is paid. None when the customer
        pools with no one."""
        self.ensure_one()
        group = next((g for g in self._pool_groups([partner.id]).values() if partner.id in g.member_ids), None)
        if group is None:
            return None
        bases = self._compute_period_bases(period.date_start, period.date_end, list(group.member_ids))
        group_amount = sum((values[0] for values in bases.values()), ZERO)
        group_qty = sum((values[1] for values in bases.values()), ZERO)
        quantity = self.basis == "quantity"
        head = self.pool_payout == "head"
        result = project(
            group_qty if quantity else group_amount, self._engine_tiers(), self.tier_mode,
            amount_to_date=group_amount if head else base_amount,
            measure_document=doc_qty if quantity else doc_amount, amount_document=doc_amount,
            cap=to_decimal(self.cap_amount) if self.cap_amount else None,
            rounding=to_decimal(self.currency_id.rounding))
        values = self._projection_values(period, result, base_amount, base_qty, doc_amount, doc_qty)
        group_text = self._pool_format_base(group_amount, group_qty)
        if head:
            head_partner = self.env["res.partner"].browse(group.head_id)
            values["pool_text"] = self.env._(
                "Group %(group)s to date: %(base)s; the group's rebate is paid to %(head)s",
                group=group.name, base=group_text, head=head_partner.display_name)
        else:
            values["pool_text"] = self.env._("Group %(group)s to date: %(base)s", group=group.name, base=group_text)
        currency = self.currency_id
        values["pool"] = {
            "key": group.key,
            "name": group.name,
            "head_id": group.head_id or None,
            "payout": self.pool_payout,
            "base_amount": currency.round(float(group_amount)),
            "base_qty": float(group_qty),
        }
        return values

    def _pool_format_base(self, amount, qty):
        """A group's base as the record's computation writes bases: "120,000.00", "600 Units"."""
        self.ensure_one()
        return self._format_measure_unit(float(qty if self.basis == "quantity" else amount))

