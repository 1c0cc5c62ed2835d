from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "rebate.projection.mixin"]

    @api.depends("partner_id", "date_order", "order_line.price_subtotal", "order_line.product_uom_qty",
                 "order_line.qty_invoiced", "order_line.product_id", "state", "company_id")
    def _compute_rebate_projection_html(self):
        return super()._compute_rebate_projection_html()

    def _rebate_partner(self):
        return self.partner_id

    def _rebate_date(self):
        return fields.Date.context_today(self, self.date_order) if self.date_order else fields.Date.context_today(self)

    def _rebate_document_lines(self):
        """The part of the order not invoiced yet: invoiced quantities are in the base already."""
        if self.state == "cancel":
            return []
        items = []
        for line in self.order_line.filtered(lambda l: l.product_id and not l.display_type):
            ordered = line.product_uom_qty
            if not ordered:
                continue
            share = max(ordered - line.qty_invoiced, 0.0) / ordered
            amount = self.currency_id._convert(
                line.price_subtotal * share, self.company_id.currency_id, self.company_id, self._rebate_date())
            qty = line.product_uom_id._compute_quantity(
                (ordered - line.qty_invoiced) if share else 0.0, line.product_id.uom_id, round=False)
            items.append((line.product_id, amount, qty))
        return self._group_rebate_lines(items)
