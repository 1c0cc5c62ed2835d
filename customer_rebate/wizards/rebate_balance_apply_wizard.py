# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class RebateBalanceApplyWizard(models.TransientModel):
    _name = "rebate.balance.apply.wizard"
    _description = "Use Rebate Balance"

    order_id = fields.Many2one("sale.order", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="order_id.currency_id")
    available = fields.Monetary(string="Balance", compute="_compute_limits")
    usable = fields.Monetary(string="Usable on This Order", compute="_compute_limits",
                             help="The policies' share of the order, and no more than what has not expired.")
    amount = fields.Monetary(string="Amount to Use", help="Untaxed; the discount lines carry the goods' taxes.")

    @api.depends("order_id")
    def _compute_limits(self):
        for wizard in self:
            _plan, wizard.available, wizard.usable = wizard.order_id._rebate_balance_limits()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("order_id") and "amount" in fields_list:
            order = self.env["sale.order"].browse(values["order_id"])
            values["amount"] = order._rebate_balance_limits()[2]
        return values

    def action_apply(self):
        self.ensure_one()
        self.order_id.action_apply_rebate_balance(self.amount)
        return {"type": "ir.actions.act_window_close"}
