# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.tools import SQL


class RebateComputeQueue(models.Model):
    """What changed in the closed periods since a policy's last run: one row per policy, invoice
    date and customer, written when an invoice or credit note is posted, reset or cancelled (or a
    record is reset to estimate). The incremental run recomputes only the periods these rows fall
    into, for their customers, and deletes the rows it read; rows written meanwhile wait for the
    next run. A period that began after the last run is computed in full, whatever the queue says."""

    _name = "rebate.compute.queue"
    _description = "Rebate Computation Queue"
    _log_access = False

    policy_id = fields.Many2one("rebate.policy", required=True, index=True, ondelete="cascade")
    date = fields.Date(required=True)
    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="cascade")
    # which document changed and how: the comparison group of the review is brought up to date
    # from the documents posted since the last run, without reading the whole period again
    move_id = fields.Many2one("account.move", ondelete="set null")
    posted = fields.Boolean(help="The document entered the posted state (otherwise it left it).")

    @api.model
    def _enqueue_changes(self, changes):
        """Queue ``changes``, a collection of (company id, invoice date, commercial partner id,
        move id, whether it is now posted), for every policy of the company that may compute them,
        in one INSERT."""
        changes = [change for change in set(changes) if change[1]]
        if not changes:
            return
        self.env["rebate.policy"].flush_model(["company_id", "state", "date_end"])
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_compute_queue (policy_id, date, partner_id, move_id, posted)
               SELECT policy.id, change.day, change.partner_id, change.move_id, change.posted
                 FROM rebate_policy policy
                 JOIN (VALUES %s) AS change(company_id, day, partner_id, move_id, posted)
                   ON change.company_id = policy.company_id
                WHERE policy.state IN ('active', 'closed')
                  AND (policy.date_end IS NULL OR policy.date_end >= change.day)""",
            SQL(", ").join(SQL("(%s, %s::date, %s::int, %s::int, %s)", company_id, day, partner_id or None, move_id,
                               posted)
                           for company_id, day, partner_id, move_id, posted in changes)))

    @api.model
    def _enqueue_records(self, records):
        """Queue the periods of rebate records a person put back to estimate."""
        self._enqueue_periods({(record.policy_id.id, record.date_start, record.partner_id.id) for record in records})

    @api.model
    def _enqueue_periods(self, rows):
        """Queue periods of customers whatever their documents: ``rows`` of (policy id, period
        start, customer id), a row without a document (its period and comparison group are read
        again, not brought up to date from documents)."""
        rows = set(rows)
        if rows:
            self.env.cr.execute(SQL(
                "INSERT INTO rebate_compute_queue (policy_id, date, partner_id) VALUES %s",
                SQL(", ").join(SQL("(%s, %s, %s)", *row) for row in rows)))
