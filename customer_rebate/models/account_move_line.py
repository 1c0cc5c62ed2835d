from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, index="btree_not_null",
        help="A discount line paid with the customer's rebate balance: no sale, and never part of a rebate base.")

    def _rebate_sale_lines(self):
        """The order lines of these invoice lines, whoever reads them. The cache holds what the
        current user may see, so it is read afresh as superuser and dropped afterwards."""
        self._forget_rebate_sale_lines()
        sale_lines = self.sudo().sale_line_ids
        self._forget_rebate_sale_lines()
        return sale_lines

    def _forget_rebate_sale_lines(self):
        # both sides of the link: the cache is shared by every user of the transaction, and what
        # a superuser read there would be shown to a user who may not see those orders
        self.env["account.move.line"].invalidate_model(["sale_line_ids"])
        self.env["sale.order.line"].invalidate_model(["invoice_lines"])
