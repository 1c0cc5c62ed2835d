# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import formatLang


class RebateRecord(models.Model):
    """Group volume (集团客户) on a record: which group the customer pooled with, the group's base
    and, for a record paid to the group's head, which members made that base up. Written by the
    computation (rebate_policy_pool.py) in one UPDATE per period."""

    _inherit = "rebate.record"  # pylint: disable=consider-merging-classes-inherited

    pool_key = fields.Char(string="Group Key", readonly=True, copy=False)
    pool_name = fields.Char(string="Customer Group", readonly=True, copy=False,
                            help="The group whose purchases decided the tier.")
    pool_head_id = fields.Many2one("res.partner", string="Group Head", readonly=True, copy=False)
    # the group's figures are what other customers bought: not for the customer's own portal
    # access (its statement says what it may read, see _pool_statement_text)
    pool_base_amount = fields.Monetary(
        string="Group Base", readonly=True, copy=False, groups="base.group_user",
        help="The purchases of every customer of the group in the period, which decided the tier.")
    pool_base_qty = fields.Float(string="Group Base Quantity", digits="Product Unit", readonly=True, copy=False,
                                 groups="base.group_user")
    pool_member_count = fields.Integer(
        string="Group Customers", readonly=True, copy=False, groups="base.group_user",
        help="Customers of the group who bought in scope in the period.")
    pool_own_tier = fields.Boolean(
        string="Own Tier Kept", readonly=True, copy=False,
        help="The customer's own purchases reached a higher tier than its group's: pooling never lowers a rate.")
    pool_member_ids = fields.Many2many(
        "res.partner", "rebate_record_pool_member_rel", "record_id", "partner_id", string="Group Members Paid Here",
        readonly=True, copy=False,
        help="The customers whose purchases make up this record's base: the group's, paid to its head.")
    pool_member_bases = fields.Json(
        string="Group Base by Customer (as Computed)", readonly=True, copy=False,
        help="What each member of a group paid to its head bought, as the record was computed.")
    pool_breakdown = fields.Text(
        string="Group Base by Customer", compute="_compute_pool_breakdown",
        help="The base of a record paid to the group's head, customer by customer, from the invoice lines.")

    @api.depends("pool_member_ids", "pool_member_bases", "base_amount")
    def _compute_pool_breakdown(self):
        for record in self:
            record.pool_breakdown = record._pool_breakdown_text() if record.pool_member_ids else False

    def _pool_breakdown_rows(self):
        """``[(customer, amount, quantity)]`` behind a head's record (one aggregate by customer)."""
        self.ensure_one()
        # the head's customer reads its statement: the names of its group's members come with it
        record = self.sudo()
        if record.pool_member_bases:
            # as computed: a confirmed record's statement keeps adding up to its group base
            # after a member's late invoice (which its adjustment counts)
            bases = {int(member_id): tuple(figures) for member_id, figures in record.pool_member_bases.items()}
        else:
            bases = record.policy_id._compute_period_bases(self.date_start, self.date_end, record.pool_member_ids.ids)
        return [
            (partner, bases.get(partner.id, (0, 0))[0], bases.get(partner.id, (0, 0))[1])
            for partner in record.pool_member_ids.sorted("display_name")
        ]

    def _pool_breakdown_text(self):
        self.ensure_one()
        policy = self.policy_id
        return "\n".join(
            self.env._("%(customer)s: %(base)s", customer=partner.display_name,
                       base=policy._pool_format_base(amount, qty))
            for partner, amount, qty in self._pool_breakdown_rows())

    def _pool_text(self):
        """"Group Key Accounts (3 customers): 120,000.00 reached tier 1 (≥ 100,000.00)"."""
        self.ensure_one()
        if not self.pool_key:
            return ""
        policy = self.policy_id
        values = {
            "group": self.pool_name,
            "count": self.pool_member_count,
            "base": policy._pool_format_base(self.pool_base_amount, self.pool_base_qty),
        }
        if self.pool_own_tier:
            return self.env._(
                "Group %(group)s (%(count)s customers): %(base)s; the customer's own purchases reached a "
                "higher tier", **values)
        if self.tier_id:
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            return self.env._(
                "Group %(group)s (%(count)s customers): %(base)s reached tier %(number)s (≥ %(threshold)s)",
                number=list(tiers).index(self.tier_id) + 1 if self.tier_id in tiers else "?",
                threshold=policy._format_measure(self.tier_id.threshold), **values)
        return self.env._("Group %(group)s (%(count)s customers): %(base)s, below the first tier", **values)

    def _pool_statement_text(self):
        """The group line of the customer's statement. A tag pools customers that are not one
        company (no head, no contract between them): a member is told that its group's
        purchases decided its tier, never how much the others bought nor how many they are."""
        self.ensure_one()
        record = self.sudo()
        if not record.pool_key or record.pool_member_ids or not record.pool_key.startswith("tag:"):
            return record._pool_text()
        policy = record.policy_id
        if record.pool_own_tier:
            return self.env._("Pooled with the customers of %(group)s; your own purchases reached a higher tier",
                              group=record.pool_name)
        if record.tier_id:
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            return self.env._(
                "Pooled with the customers of %(group)s: together they reached tier %(number)s (≥ %(threshold)s)",
                group=record.pool_name, number=list(tiers).index(record.tier_id) + 1 if record.tier_id in tiers else "?",
                threshold=policy._format_measure(record.tier_id.threshold))
        return self.env._("Pooled with the customers of %(group)s: together below the first tier",
                          group=record.pool_name)

    def _computation_text(self):
        """A pooled member's rebate reads as its own base at the group's rate: "30,000.00 in Q1
        2026 at 5 % → 1,500.00; group Key Accounts (3 customers): 120,000.00 reached tier 1"."""
        self.ensure_one()
        if not self.pool_key or self.pool_member_ids or self.pool_own_tier or not self.tier_id \
                or self.policy_id.amount_type == "fixed":
            text = super()._computation_text()
            return self.env._("%(rule)s; %(group)s", rule=text, group=self._pool_text()) if self.pool_key else text
        policy = self.policy_id
        text = self.env._(
            "%(base)s in %(period)s at the group's %(rate)s %% → %(amount)s; %(group)s",
            base=policy._format_measure(self.base_qty if policy.basis == "quantity" else self.base_amount),
            period=self.period_label, rate=policy._format_rate(self.rate),
            amount=formatLang(self.env, self.amount, digits=self.currency_id.decimal_places),
            group=self._pool_text())
        if self.revision:
            text = self.env._("Change since the confirmed record: %s", text)
        return text

    def _invoice_line_domain(self):
        """A record paid to the group's head is made of its members' lines."""
        if self.pool_member_ids:
            return self.policy_id._base_line_domain(self.date_start, self.date_end, self.pool_member_ids.ids)
        return super()._invoice_line_domain()

    @api.readonly
    def action_view_pool_records(self):
        """The records of the same group, policy and period: their bases add up to the group's."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = list(Domain("policy_id", "=", self.policy_id.id) & Domain("date_start", "=", self.date_start)
                                & Domain("pool_key", "=", self.pool_key))
        action["context"] = {}
        action["display_name"] = action["name"] = self.env._("Group %s", self.pool_name)
        return action
