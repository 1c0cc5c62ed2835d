# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.tools import formatLang


class RebateRecordOverlap(models.Model):
    """Purchases in a record's scope that an exclusive competitor counts instead (overlap13): how
    much, which policy, over which days, and the facts that decided it, so the accountant can
    re-add the record's base and the competitor's."""

    _name = "rebate.record.overlap"
    _description = "Rebate Record: Purchases Counted by Another Policy"
    _order = "record_id, date_from, policy_id"
    _log_access = False

    record_id = fields.Many2one("rebate.record", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    currency_id = fields.Many2one(related="record_id.currency_id")
    policy_id = fields.Many2one("rebate.policy", string="Counted By", required=True, ondelete="cascade")
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="Until", required=True)
    base_amount = fields.Monetary(string="Purchases")
    base_qty = fields.Float(string="Quantity", digits="Product Unit")
    rule = fields.Selection(
        [("priority", "Higher priority"), ("favourable", "More favourable to the customer")],
        string="Decided By", required=True)
    own_share = fields.Float(string="Share Paid Back Here (%)", digits=(16, 4))
    winner_share = fields.Float(string="Share Paid Back There (%)", digits=(16, 4))
    own_priority = fields.Integer(string="Priority Here")
    winner_priority = fields.Integer(string="Priority There")
    reason = fields.Char(string="Why", compute="_compute_reason")

    @api.depends("rule", "own_share", "winner_share", "own_priority", "winner_priority", "policy_id")
    @api.depends_context("lang")
    def _compute_reason(self):
        for overlap in self:
            overlap.reason = overlap._reason_text()

    def _reason_text(self):
        """Why the other policy counts these purchases, from the figures stored when it was decided."""
        self.ensure_one()
        policy = self.record_id.policy_id

        def share(value):
            return self.env._("%(rate)s %%", rate=formatLang(self.env, value, digits=2))

        if self.rule == "favourable" and round(self.winner_share, 4) != round(self.own_share, 4):
            return self.env._(
                "more favourable to the customer: %(policy)s pays back %(theirs)s of the purchases, this "
                "policy %(ours)s", policy=self.policy_id.name, theirs=share(self.winner_share),
                ours=share(self.own_share))
        prefix = self.env._("same share paid back (%(share)s), ", share=share(self.own_share)) \
            if self.rule == "favourable" else ""
        if self.winner_priority != self.own_priority:
            return self.env._(
                "%(prefix)spriority %(theirs)s of %(policy)s above %(ours)s", prefix=prefix,
                theirs=self.winner_priority, policy=self.policy_id.name, ours=self.own_priority)
        return self.env._(
            "%(prefix)ssame priority %(priority)s: %(policy)s is the older policy", prefix=prefix,
            priority=self.own_priority, policy=self.policy_id.name)

    def _summary_text(self):
        """"12,000.00 counted by Spring promotion (1 Jan – 31 Mar): priority 20 above 10"."""
        self.ensure_one()
        policy = self.record_id.policy_id
        figure = self.base_qty if policy.basis == "quantity" else self.base_amount
        return self.env._(
            "%(amount)s counted by %(policy)s: %(reason)s", amount=policy._format_measure(figure),
            policy=self.policy_id.name, reason=self.reason)
