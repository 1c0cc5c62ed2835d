from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, index="btree_not_null",
        help="A discount line paid with the customer's rebate balance: no sale, and never part of a rebate base.")
