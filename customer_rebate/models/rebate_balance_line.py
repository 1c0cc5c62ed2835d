# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError


class RebateBalanceLine(models.Model):
    """One change of a rebate balance, with the document that made it: the ledger behind 返利余额."""

    _name = "rebate.balance.line"
    _description = "Rebate Balance Line"
    _order = "date desc, id desc"
    _check_company_auto = True

    balance_id = fields.Many2one("rebate.balance", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="balance_id.partner_id", store=True, index=True, string="Customer")
    policy_id = fields.Many2one(related="balance_id.policy_id", store=True)
    company_id = fields.Many2one(related="balance_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="balance_id.currency_id")
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    name = fields.Char(string="Description", readonly=True)
    kind = fields.Selection(
        [
            ("earned", "Earned"),
            ("used", "Used"),
            ("restored", "Given Back"),
            ("expired", "Expired"),
            ("reversed", "Payout Cancelled"),
        ],
        required=True, readonly=True)
    amount = fields.Monetary(readonly=True, help="Untaxed; positive when the balance grows.")
    expiry_date = fields.Date(readonly=True, help="For a credit: the day what is left of it expires.")
    settlement_id = fields.Many2one("rebate.settlement", readonly=True, index="btree_not_null")
    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True, index="btree_not_null")
    sale_line_id = fields.Many2one("sale.order.line", readonly=True, index="btree_not_null")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null",
                              groups="sales_team.group_sale_salesman")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_ledger(self):
        raise UserError(self.env._("The rebate balance ledger is kept as it is: its lines cannot be deleted."))


