from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, copy=False,
        help="A discount line paid with the customer's rebate balance (返利抵扣).")
    rebate_balance_id = fields.Many2one("rebate.balance", readonly=True, copy=False, index="btree_not_null")

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.is_rebate_discount:
            # the discount uses up what the company owes the customer: the liability, not income
            values.update(is_rebate_discount=True,
                          account_id=self.rebate_balance_id.policy_id.balance_account_id.id)
        return values

    def _rebate_balance_used(self):
        """``{line: untaxed amount the line took from its balance, net of what came back}``."""
        groups = self.env["rebate.balance.line"].sudo()._read_group(
            [("sale_line_id", "in", self.ids)], ["sale_line_id"], ["amount:sum"])
        return {line: -amount for line, amount in groups if amount < 0}

    def _give_back_rebate_balance(self, reason, move=None):
        """Put back into the balance what these discount lines used, and take the lines off the
        order (quantity 0), so the discount is not invoiced again without the balance."""
        used = self._rebate_balance_used()
        if not used:
            return
        lines = self.browse([line.id for line in used])
        lines.rebate_balance_id.sudo()._lock()
        self.env["rebate.balance"].sudo()._add_lines([
            {"balance_id": line.rebate_balance_id.id, "kind": "restored", "amount": amount,
             "sale_order_id": line.order_id.id, "sale_line_id": line.id, "move_id": move.id if move else False,
             "name": reason}
            for line, amount in used.items()
        ])
        lines.filtered(lambda l: l.order_id.state != "cancel").with_context(skip_procurement=True).write(
            {"product_uom_qty": 0.0})
