from odoo import api, fields, models
from odoo.exceptions import UserError

from .rebate_settlement import UNDO_CONTEXT


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "rebate.projection.mixin"]

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The rebate payout that created this credit note or entry.")

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        # an invoice or credit note that enters or leaves the posted state changes the base of its
        # period: queued for the incremental computation (per move, never per line)
        watched = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        posted_before = {
            move.id: (move.company_id.id, move.invoice_date, move.commercial_partner_id.id)
            for move in watched if move.state == "posted"}
        result = super().write(vals)
        changes = []
        for move in watched:
            posted = move.state == "posted"
            if posted != (move.id in posted_before):
                key = posted_before.get(move.id) \
                    or (move.company_id.id, move.invoice_date, move.commercial_partner_id.id)
                changes.append((*key, move.id, posted))
        if changes:
            self.env["rebate.compute.queue"].sudo()._enqueue_changes(changes)
        return result

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
        # a cancelled payout's documents and their reversals stay as they are: undoing the
        # reversal would pay the records again, which may be settled anew
        undone = self.filtered(lambda m: m.rebate_settlement_id.state == "cancelled" and m.state == "posted")
        if undone:
            raise UserError(self.env._(
                "%(document)s belongs to the cancelled rebate settlement %(settlement)s, whose payout it "
                "makes or reverses: it stays as it is.",
                document=undone[0].display_name, settlement=undone[0].rebate_settlement_id.name))

    def button_draft(self):
        self._check_rebate_payout_kept()
        return super().button_draft()

    def button_cancel(self):
        self._check_rebate_payout_kept()
        result = super().button_cancel()
        self._sync_rebate_discounts()
        return result

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._check_rebate_payout_kept()
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._sync_rebate_discounts()
        return posted

    def _sync_rebate_discounts(self):
        """An invoice or credit note that carries rebate balance discount lines moves what they
        stand for: the balance follows (a credit note or a cancelled invoice gives it back, an
        invoice re-issued or edited takes what it needs)."""
        for move in self:
            lines = move.invoice_line_ids.filtered("is_rebate_discount").sale_line_ids
            if not lines:
                continue
            if move.move_type == "out_refund" or move.state == "cancel":
                lines._release_uninvoiced_rebate_discount()
            reason = (self.env._("Given back: %s credited", move.reversed_entry_id.name or move.name)
                      if move.move_type == "out_refund" else self.env._("Given back: %s cancelled", move.name))
            lines._sync_rebate_balance(reason, move=move)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rebate_payout(self):
        self._check_rebate_payout_kept()

    @api.readonly
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
