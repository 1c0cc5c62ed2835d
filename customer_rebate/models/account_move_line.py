from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, index="btree_not_null",
        help="A discount line paid with the customer's rebate balance: no sale, and never part of a rebate base.")

    # The rebate bases read the product lines of posted invoices by company and invoice date, one
    # period at a time: without it every period is a scan of the whole journal item table.
    _rebate_base_idx = models.Index(
        "(company_id, invoice_date) WHERE display_type = 'product' AND parent_state = 'posted'")
