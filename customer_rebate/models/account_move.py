# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .rebate_guard import MOVE_LINK_LATER, SETTLEMENT_UNDO, is_lifted, lifted
from .rebate_policy import PAID_MOVE_TYPES


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "rebate.projection.mixin"]

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The rebate payout that created this credit note or entry.")
    # A customer's first invoice (the seniority of a partnership policy) for a few customers at
    # a time: the daily run and the projection would otherwise read every move of the company.
    _rebate_first_invoice_idx = models.Index(
        "(commercial_partner_id, invoice_date) WHERE move_type = 'out_invoice' AND state = 'posted'")

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
            # Odoo keeps a document's reconciliations when it leaves the posted state (and meets
            # them again when it is posted anew): its payments stop or start counting on their own
            # dates, which no reconciliation made or undone queues
            self.browse({change[3] for change in changes})._enqueue_rebate_payment_dates()
        return result

    def _enqueue_rebate_payment_dates(self):
        """Queue the dates of the reconciliations the documents' receivables already have, for
        every paid-basis policy of their company that runs on those dates, in one INSERT ...
        SELECT (nothing when no policy is on a paid basis). ``posted`` is False, as for a
        reconciliation made or undone."""
        if not self or not self.env["rebate.policy"].sudo().search_count(
                [("invoice_basis", "=", "paid"), ("state", "in", ("active", "closed"))], limit=1):
            return
        for model in ("account.partial.reconcile", "account.move.line", "account.move"):
            self.env[model].flush_model()
        self.env["rebate.policy"].flush_model(["company_id", "state", "date_end", "invoice_basis"])
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_compute_queue (policy_id, date, partner_id, move_id, posted)
               SELECT DISTINCT policy.id, part.max_date, move.commercial_partner_id, move.id, FALSE
                 FROM account_move move
                 JOIN account_move_line receivable
                   ON receivable.move_id = move.id AND receivable.display_type = 'payment_term'
                 JOIN account_partial_reconcile part
                   ON part.debit_move_id = receivable.id OR part.credit_move_id = receivable.id
                 JOIN rebate_policy policy ON policy.company_id = move.company_id
                WHERE move.id IN %(ids)s
                  AND move.move_type IN %(types)s AND move.rebate_settlement_id IS NULL
                  AND policy.invoice_basis = 'paid' AND policy.state IN ('active', 'closed')
                  AND (policy.date_end IS NULL OR policy.date_end >= part.max_date)""",
            ids=tuple(self.ids), types=PAID_MOVE_TYPES))

    def _check_rebate_payout_kept(self):
        """A payout's documents stand as long as its settlement does: undoing one behind it would
        leave the records settled and the books saying otherwise."""
        if is_lifted(SETTLEMENT_UNDO):
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
        # linked once the reversal is posted and reconciled: sale's paid hook would otherwise
        # post on orders the user may not see
        with lifted(MOVE_LINK_LATER):
            reverses = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        self._link_copied_rebate_discounts(reverses)
        return reverses

    def copy(self, default=None):
        copies = super().copy(default=default)
        if not is_lifted(MOVE_LINK_LATER):
            self._link_copied_rebate_discounts(copies)
        return copies

    def _link_copied_rebate_discounts(self, copied_moves):
        """Sale copies to a credit note or a re-issued invoice the order lines its user can read:
        an accountant who sees only their own orders would carry a balance discount without its
        order line, and the balance would not follow. The link belongs to the balance: a copy
        without it takes its original's, found by what the copy repeats (the customer, account,
        product, label, price and quantity), never by the order the moves come in."""

        def key(line):
            return (line.move_id.commercial_partner_id.id, line.account_id.id, line.product_id.id, line.name,
                    line.currency_id.round(line.price_unit), abs(line.quantity))

        originals = self.line_ids.filtered("is_rebate_discount")._rebate_sale_line_map()
        copies = copied_moves.line_ids.filtered("is_rebate_discount")
        copy_links = copies._rebate_sale_line_map()
        unlinked = []
        for copy in copies:
            sale_lines = copy_links[copy]
            if not sale_lines:
                unlinked.append(copy)
                continue
            # linked by sale already: its original is no longer to be matched
            original = next((line for line, links in originals.items() if links == sale_lines), None)
            originals.pop(original, None)
        for copy in unlinked:
            original = next((line for line in originals if key(line) == key(copy)), None)
            if original is not None:
                copy.sudo().sale_line_ids = originals.pop(original)
                copy._forget_rebate_sale_lines()
        copied_moves.filtered(lambda move: move.state == "posted")._sync_rebate_discounts()
        self.line_ids._forget_rebate_sale_lines()

    def _post(self, soft=True):
        self._check_rebate_discount_lines()
        posted = super()._post(soft=soft)
        posted._sync_rebate_discounts()
        return posted

    def _check_rebate_discount_lines(self):
        """A line marked as paid with a rebate balance takes a sale out of every rebate base: it
        must come from an order's balance discount (or credit one), not be marked by hand."""
        for move in self:
            lines = move.line_ids.filtered("is_rebate_discount")
            if not lines or move.reversed_entry_id.line_ids.filtered("is_rebate_discount"):
                continue
            links = lines._rebate_sale_line_map()
            orphans = lines.filtered(lambda line: not links[line].filtered("is_rebate_discount"))
            if orphans:
                raise UserError(self.env._(
                    "%(move)s: line %(line)s is marked as paid with a rebate balance but comes from no order's "
                    "balance. Balance discounts are added with Use Rebate Balance on the quotation.",
                    move=move.display_name, line=orphans[0].name or orphans[0].display_name))

    def _invoice_paid_hook(self):
        # sale posts "Invoice paid" on the orders of the invoice's lines, and a balance discount
        # keeps its order line for the balance even when the accountant may not see that order
        if not self.env.su and self.line_ids.filtered("is_rebate_discount"):
            return super(AccountMove, self.sudo())._invoice_paid_hook()
        return super()._invoice_paid_hook()

    def _sync_rebate_discounts(self):
        """An invoice or credit note that carries rebate balance discount lines moves what they
        stand for: the balance follows (a credit note or a cancelled invoice gives it back, an
        invoice re-issued or edited takes what it needs)."""
        for move in self.sudo():
            # the balance follows the documents whoever posts them: an accountant may not see the
            # order (own-documents sales rights) whose discount the invoice carries
            lines = move.invoice_line_ids.filtered("is_rebate_discount")._rebate_sale_lines()
            if not lines:
                continue
            if move.move_type == "out_refund" or move.state == "cancel":
                lines._release_uninvoiced_rebate_discount()
            reason = (self.env._("Given back: %s credited", move.reversed_entry_id.name or move.name)
                      if move.move_type == "out_refund" else self.env._("Given back: %s cancelled", move.name))
            lines._sync_rebate_balance(reason, move=move)
            move.line_ids._forget_rebate_sale_lines()

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
