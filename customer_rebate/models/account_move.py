from odoo import api, fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "rebate.projection.mixin"]

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The rebate payout that created this credit note or entry.")

    def action_view_rebate_settlement(self):
        self.ensure_one()
        return self.rebate_settlement_id._get_records_action(name=self.rebate_settlement_id.name)

    @api.depends("partner_id", "invoice_date", "invoice_line_ids.balance", "invoice_line_ids.quantity",
                 "invoice_line_ids.product_id", "state", "move_type", "company_id")
    def _compute_rebate_projection_html(self):
        return super()._compute_rebate_projection_html()

    def _rebate_partner(self):
        return self.partner_id if self.move_type in ("out_invoice", "out_refund") else self.env["res.partner"]

    def _rebate_date(self):
        return self.invoice_date or fields.Date.context_today(self)

    def _rebate_document_lines(self):
        """A draft invoice or credit note adds its product lines; a posted one is in the base."""
        if self.state != "draft":
            return []
        sign = -1 if self.move_type == "out_refund" else 1
        items = [
            (line.product_id, -line.balance,
             sign * line.product_uom_id._compute_quantity(line.quantity, line.product_id.uom_id, round=False))
            for line in self.invoice_line_ids.filtered(lambda l: l.display_type == "product" and l.product_id)
        ]
        return self._group_rebate_lines(items)
