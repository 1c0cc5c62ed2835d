from odoo import api, fields, models
from odoo.exceptions import UserError

from .rebate_settlement import UNDO_CONTEXT


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "rebate.projection.mixin"]

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The rebate payout that created this credit note or entry.")

    def _check_rebate_payout_kept(self):
        """A payout's documents stand as long as its settlement does: undoing one behind it would
        leave the records settled and the books saying otherwise."""
        if self.env.context.get(UNDO_CONTEXT):
            return
        paid = self.filtered(lambda m: m.rebate_settlement_id.state == "done")
        if paid:
            raise UserError(self.env._(
                "%(document)s pays out rebate settlement %(settlement)s: cancel the settlement instead, "
                "which reverses its documents and puts its rebates back to confirmed.",
                document=paid[0].display_name, settlement=paid[0].rebate_settlement_id.name))

    def button_draft(self):
        self._check_rebate_payout_kept()
        return super().button_draft()

    def button_cancel(self):
        self._check_rebate_payout_kept()
        # an invoice that was posted with balance discount lines and is now cancelled gives them back
        was_posted = self.filtered(lambda m: m.posted_before and m.state == "draft")
        result = super().button_cancel()
        was_posted._give_back_rebate_discounts()
        return result

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type == "out_refund")._give_back_rebate_discounts()
        return posted

    def _give_back_rebate_discounts(self):
        """Cancelling or crediting an invoice gives its rebate balance discount back."""
        for move in self:
            lines = move.invoice_line_ids.filtered("is_rebate_discount").sale_line_ids
            if lines:
                reason = (self.env._("Given back: %s credited", move.reversed_entry_id.name or move.name)
                          if move.move_type == "out_refund" else self.env._("Given back: %s cancelled", move.name))
                lines._give_back_rebate_balance(reason, move=move)

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._check_rebate_payout_kept()
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rebate_payout(self):
        self._check_rebate_payout_kept()

    def action_view_rebate_settlement(self):
        self.ensure_one()
        return self.rebate_settlement_id._get_records_action(name=self.rebate_settlement_id.name)

    @api.depends("partner_id", "invoice_date", "invoice_line_ids.balance", "invoice_line_ids.quantity",
                 "invoice_line_ids.product_id", "state", "move_type", "company_id", "rebate_settlement_id")
    def _compute_rebate_projection_html(self):
        return super()._compute_rebate_projection_html()

    def _rebate_partner(self):
        # a payout's own credit note or invoice earns nothing and shows no projection
        if self.move_type not in ("out_invoice", "out_refund") or self.rebate_settlement_id:
            return self.env["res.partner"]
        return self.partner_id

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
            for line in self.invoice_line_ids.filtered(
                lambda l: l.display_type == "product" and l.product_id and not l.is_rebate_discount)
        ]
        return self._group_rebate_lines(items)
