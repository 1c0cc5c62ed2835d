# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, index="btree_not_null",
        help="A discount line paid with the customer's rebate balance: no sale, and never part of a rebate base.")

    def write(self, vals):
        # a balance discount stays on the rebates-owed account it was invoiced on: booked on
        # revenue, the balance ledger would say used what the books never took off the liability
        if "account_id" in vals and any(
                line.is_rebate_discount and line.account_id.id != vals["account_id"] for line in self):
            raise UserError(self.env._(
                "A discount paid with the customer's rebate balance stays on the rebates-owed account: "
                "its account cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rebate_discount(self):
        # deleting the whole invoice is fine (its order still has the discount to invoice);
        # removing only the discount would leave the balance used and the liability untouched
        if self.env.context.get("dynamic_unlink"):
            return
        if any(line.is_rebate_discount and line.move_id.is_invoice() for line in self):
            raise UserError(self.env._(
                "A discount paid with the customer's rebate balance is not removed from an invoice line by "
                "line: credit or cancel the invoice, which gives the balance back."))

    def _rebate_sale_lines(self):
        """The order lines of these invoice lines, whoever reads them."""
        return self.env["sale.order.line"].sudo().union(*self._rebate_sale_line_map().values())

    def _rebate_sale_line_map(self):
        """``{invoice line: its order lines}`` in one read, whoever reads them. The cache holds
        what the current user may see, so it is read afresh as superuser and dropped afterwards."""
        self._forget_rebate_sale_lines()
        lines = self.sudo()
        lines.fetch(["sale_line_ids"])
        links = {line: line.sale_line_ids for line in lines}
        self._forget_rebate_sale_lines()
        return links

    def _forget_rebate_sale_lines(self):
        # both sides of the link: the cache is shared by every user of the transaction, and what
        # a superuser read there would be shown to a user who may not see those orders
        self.env["account.move.line"].invalidate_model(["sale_line_ids"])
        self.env["sale.order.line"].invalidate_model(["invoice_lines"])
    rebate_sales_amount = fields.Monetary(
        string="Untaxed Amount", compute="_compute_rebate_sales_figures", currency_field="company_currency_id",
        help="What the line adds to a rebate base: untaxed, in the company currency, negative on a credit note.")
    rebate_sales_qty = fields.Float(
        string="Quantity Bought", compute="_compute_rebate_sales_figures", digits="Product Unit",
        help="The quantity sold, negative on a credit note.")

    @api.depends("balance", "quantity", "move_id.move_type")
    def _compute_rebate_sales_figures(self):
        for line in self:
            sign = -1 if line.move_id.move_type in ("out_refund", "in_invoice") else 1
            line.rebate_sales_amount = -line.balance
            line.rebate_sales_qty = sign * line.quantity
    # The rebate bases read the product lines of posted invoices by company and invoice date, one
    # period at a time: without it every period is a scan of the whole journal item table. (A
    # covering index, INCLUDE every column the aggregate reads, was measured: PostgreSQL reads a
    # period's ranges as a bitmap OR, which an index-only scan cannot do, and forcing one was
    # slower than the parallel bitmap scan; see README, At scale.)
    _rebate_base_idx = models.Index(
        "(company_id, invoice_date) WHERE display_type = 'product' AND parent_state = 'posted'")
    # The same lines of a few customers (the day's changes, the projection): their own lines only,
    # not every customer's lines of the periods.
    _rebate_partner_idx = models.Index(
        "(partner_id, invoice_date) WHERE display_type = 'product' AND parent_state = 'posted'")
