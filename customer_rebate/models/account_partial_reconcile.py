# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.tools import SQL

from .rebate_policy import PAID_MOVE_TYPES


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._enqueue_rebate_payments()
        return partials

    def unlink(self):
        # read before the rows go: unreconciling a payment, resetting or cancelling an invoice
        # (which unreconciles it) all come through here
        self._enqueue_rebate_payments()
        return super().unlink()

    def _enqueue_rebate_payments(self):
        """A reconciliation made or undone on a customer invoice or credit note changes what it
        has paid on that date: queue (policy, date, customer, document) for every paid-basis policy
        of its company that runs on that date, in one INSERT ... SELECT (nothing when no policy is
        on a paid basis). ``posted`` is False: the document did not enter the posted state, so the
        review's comparison group is read again rather than added to."""
        if not self:
            return
        self.flush_recordset(["debit_move_id", "credit_move_id", "max_date"])
        self.env["rebate.policy"].flush_model(["company_id", "state", "date_end", "invoice_basis"])
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_compute_queue (policy_id, date, partner_id, move_id, posted)
               SELECT DISTINCT policy.id, part.max_date, move.commercial_partner_id, move.id, FALSE
                 FROM account_partial_reconcile part
                 JOIN account_move_line receivable
                   ON receivable.id = part.debit_move_id OR receivable.id = part.credit_move_id
                 JOIN account_move move ON move.id = receivable.move_id
                 JOIN rebate_policy policy ON policy.company_id = move.company_id
                WHERE part.id IN %(ids)s
                  AND receivable.display_type = 'payment_term'
                  AND move.move_type IN %(types)s AND move.rebate_settlement_id IS NULL
                  AND policy.invoice_basis = 'paid' AND policy.state IN ('active', 'closed')
                  AND (policy.date_end IS NULL OR policy.date_end >= part.max_date)""",
            ids=tuple(self.ids), types=PAID_MOVE_TYPES))
