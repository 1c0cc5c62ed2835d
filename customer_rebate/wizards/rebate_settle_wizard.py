# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError


class RebateSettleWizard(models.TransientModel):
    _name = "rebate.settle.wizard"
    _description = "Settle Rebates"

    record_ids = fields.Many2many(
        "rebate.record", string="Rebate Records", required=True,
        domain="[('state', '=', 'confirmed'), ('settlement_id', '=', False)]",
        default=lambda self: self._default_records())
    date = fields.Date(required=True, default=fields.Date.context_today)
    validate = fields.Boolean(
        string="Pay Out Now", default=True,
        help="Create the credit notes, entries and deliveries right away; otherwise the settlements "
             "stay drafts to review.")
    customer_count = fields.Integer(compute="_compute_totals")
    amount = fields.Float(compute="_compute_totals")
    skipped_count = fields.Integer(
        string="Records Skipped", compute="_compute_totals",
        help="Records of customers whose rebates add up to zero or less: nothing to pay them now.")

    @api.model
    def _default_records(self):
        if self.env.context.get("active_model") == "rebate.record":
            return self.env["rebate.record"].browse(self.env.context.get("active_ids")).filtered(
                lambda r: r.state == "confirmed" and not r.settlement_id)
        return self.env["rebate.record"]

    @api.depends("record_ids")
    def _compute_totals(self):
        for wizard in self:
            groups, skipped = self.env["rebate.settlement"]._settlement_groups(wizard.record_ids._origin)
            paid = self.env["rebate.record"].union(*groups.values())
            wizard.customer_count = len(paid.partner_id)
            wizard.amount = sum(paid.mapped("amount"))
            wizard.skipped_count = len(skipped)

    def action_settle(self):
        self.ensure_one()
        if not self.record_ids:
            raise UserError(self.env._("No confirmed rebate waits for a payout among the selected records."))
        settlements = self.env["rebate.settlement"]._create_from_records(self.record_ids, self.date)
        if self.validate:
            settlements.action_done()
        action = settlements._get_records_action(name=self.env._("Rebate Settlements"))
        if not self.skipped_count:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "message": self.env._(
                    "%(settled)s settlement(s) made; %(skipped)s record(s) skipped: their customers' rebates "
                    "add up to zero or less.", settled=len(settlements), skipped=self.skipped_count),
                "next": action,
            },
        }
