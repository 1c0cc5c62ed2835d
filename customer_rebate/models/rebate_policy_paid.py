# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The paid basis of a policy (issue 13): an invoice or credit note counts only as it is paid, in
the period of each reconciliation of its receivable, for the share of the document that
reconciliation settles.

For a customer invoice or credit note ``m`` and each partial reconciliation ``p`` of one of its
receivable lines (``display_type = 'payment_term'``)::

    share(m, p) = reconciled amount of p on m's side, in m's currency / m's total in its currency
    counted(m, p) = share(m, p) × m's untaxed product lines in scope (company currency), at p's date

``p``'s date is Odoo's ``max_date``: the later of the two documents' dates (a payment dated before
its invoice counts when the invoice exists). The reconciled amount is read in the document's own
currency, where the shares of a fully paid document add up to exactly 1: the company-currency
amount of a foreign-currency payment differs from the invoice's by the exchange difference, which
Odoo books as an entry of its own (reconciled with no amount in currency: it counts nothing).
A credit note matched against an invoice is one partial with both on it: the invoice's share and
the credit note's (negative) share count at the same date and net. Everything stays one aggregate
per policy and period (the shares are a subquery joined to the moves), no loop over lines."""

from collections import defaultdict

from odoo import models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import to_decimal

PAID_MOVE_TYPES = ("out_invoice", "out_refund")


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    def _paid_measure_phrase(self):
        """What the thresholds are compared with on a paid basis, in words."""
        self.ensure_one()
        if self.basis == "quantity":
            return {
                "month": self.env._("units bought and paid in the month"),
                "quarter": self.env._("units bought and paid in the quarter"),
                "half_year": self.env._("units bought and paid in the half-year"),
                "year": self.env._("units bought and paid in the year"),
                "window": self.env._("units bought and paid during the campaign"),
            }[self.period]
        return {
            "month": self.env._("purchases paid in the month"),
            "quarter": self.env._("purchases paid in the quarter"),
            "half_year": self.env._("purchases paid in the half-year"),
            "year": self.env._("purchases paid in the year"),
            "window": self.env._("purchases paid during the campaign"),
        }[self.period]

    def _paid_dates_domain(self, ranges, moves=True):
        """The date condition of a paid-basis line domain: the line's move has a receivable line
        reconciled in one of the ``ranges``. The aggregate (``moves=False``) joins the shares of
        those ranges itself and needs no condition here."""
        if not moves:
            return Domain.TRUE
        dates = Domain.OR(
            Domain([("max_date", ">=", start), ("max_date", "<=", end)]) for start, end in ranges)
        return Domain("move_id", "any", Domain("line_ids", "any", Domain("display_type", "=", "payment_term") & (
            Domain("matched_debit_ids", "any", dates) | Domain("matched_credit_ids", "any", dates))))

    def _paid_shares_sql(self, ranges):
        """SQL of the rows (move_id, date, paid, total): for every customer invoice or credit note of
        the policy's company that no payout made, what of it was reconciled on each date of the
        ``ranges`` (a payment and a credit note on the same day add up) and its total, both in the
        document's currency."""
        self.ensure_one()
        for model in ("account.partial.reconcile", "account.move.line", "account.move"):
            self.env[model].flush_model()
        dates = SQL("(%s)", SQL(" OR ").join(
            SQL("part.max_date BETWEEN %s AND %s", start, end) for start, end in ranges))
        sides = SQL(" UNION ALL ").join(
            SQL("""SELECT receivable.move_id, part.max_date AS date, part.%(amount)s AS amount
                     FROM account_partial_reconcile part
                     JOIN account_move_line receivable ON receivable.id = part.%(side)s
                    WHERE receivable.display_type = 'payment_term' AND receivable.company_id = %(company)s
                      AND %(dates)s""",
                amount=SQL.identifier(amount), side=SQL.identifier(side), company=self.company_id.id, dates=dates)
            for side, amount in (("debit_move_id", "debit_amount_currency"),
                                 ("credit_move_id", "credit_amount_currency")))
        return SQL(
            """SELECT paid.move_id, paid.date, SUM(paid.amount)::numeric AS paid,
                      NULLIF(ABS(paid_move.amount_total_in_currency_signed), 0)::numeric AS total
                 FROM (%(sides)s) paid
                 JOIN account_move paid_move ON paid_move.id = paid.move_id
                WHERE paid_move.move_type IN %(types)s AND paid_move.state = 'posted'
                  AND paid_move.rebate_settlement_id IS NULL
             GROUP BY paid.move_id, paid.date, paid_move.amount_total_in_currency_signed""",
            sides=sides, types=PAID_MOVE_TYPES)

    def _join_paid_shares(self, query, move, ranges, terms):
        """Join the paid shares of ``ranges`` to the aggregate's ``query`` (on its ``move``
        alias) and return its ``terms`` on a paid basis: the date is the reconciliation's, the
        amount (rounded to the currency), quantity and cost are the line's times paid / total (a
        line reconciled on two dates is one row per date)."""
        paid = query.join(move, "id", SQL("(%s)", self._paid_shares_sql(ranges)), "move_id", "rebate_paid")
        amount_paid, total = SQL.identifier(paid, "paid"), SQL.identifier(paid, "total")

        def share(term):
            # multiplied before dividing: a share that settles a whole amount comes out whole
            return SQL("(%s * %s / %s)", term, amount_paid, total)

        return dict(
            terms,
            date=SQL.identifier(paid, "date"),
            # each line's paid share to the cent, as an accountant re-adds it
            amount=SQL("ROUND(%s, %s)", share(terms["amount"]), self.currency_id.decimal_places),
            qty=share(terms["qty"]),
            cost=share(terms["cost"]),
        )

    def _paid_period_bases(self, date_start, date_end, partner_ids=None):
        """``{partner id: (base amount, base quantity)}`` paid between the two dates (what
        ``_compute_period_bases`` gives on a paid basis), from one aggregate."""
        self.ensure_one()
        ranges = [(date_start, date_end)]
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)

        def build(terms):
            return SQL("%s.partner_id, SUM(%s), SUM(%s)", terms["line"], terms["amount"], terms["qty"]), \
                SQL("%s.partner_id", terms["line"])

        bases = defaultdict(lambda: (to_decimal(0), to_decimal(0)))
        for partner_id, amount, qty in self._line_figures_query(domain, ranges, build):
            if partner_id:
                bases[partner_id] = (to_decimal(amount or 0), to_decimal(qty or 0) if self.basis == "quantity"
                                     else to_decimal(0))
        return dict(bases)
