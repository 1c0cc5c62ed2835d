# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestRecordPaid(RebateCommon):
    """A policy on a paid basis: an invoice counts only as it is paid, in the period of each
    payment (the date of the reconciliation of its receivable), for the share of it the payment
    settles; credit notes matched against an invoice net at the same date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paid_policy = cls.create_policy(name="Quarterly rebate on paid invoices", invoice_basis="paid")
        cls.paid_policy.action_activate()
        cls.taxed_goods = cls._create_product(name="Taxed rebate goods", lst_price=100.0, standard_price=60.0,
                                              taxes_id=[Command.set(cls.tax_sale_a.ids)])

    def pay(self, move, payment_date, amount=None):
        """A customer payment of ``amount`` (default: what is left) on ``payment_date``, reconciled
        with ``move`` through Odoo's payment wizard; returns the payment."""
        values = {"payment_date": payment_date}
        if amount is not None:
            values.update(amount=amount, payment_difference_handling="open")
        return self._register_payment(move, **values)

    @staticmethod
    def receivable(move):
        return move.line_ids.filtered(lambda line: line.display_type == "payment_term")

    def paid_records(self, partner=None, policy=None):
        """{period start: (base amount, rebate)} of ``partner``'s records under ``policy``."""
        return {
            record.date_start: (record.base_amount, record.amount)
            for record in self.records(policy or self.paid_policy, partner_id=(partner or self.customer_a).id)
        }

    @freeze_time("2026-10-15")
    def test_invoice_of_q1_paid_in_q2_counts_in_q2(self):
        """120,000 invoiced on 10 February, paid on 15 April: nothing in Q1, 120,000 × 5 % = 6,000
        in Q2. The posted basis (the source policy) keeps it in Q1."""
        self.policy.action_activate()
        invoice = self.invoice(self.customer_a, "2026-02-10", 120000.0)
        self.pay(invoice, "2026-04-15")
        self.assertEqual(invoice.payment_state, "paid")
        (self.policy | self.paid_policy).action_compute()
        self.assertEqual(self.paid_records(), {date(2026, 4, 1): (120000.0, 6000.0)})
        self.assertEqual(self.paid_records(policy=self.policy), {date(2026, 1, 1): (120000.0, 6000.0)})
        q2 = self.records(self.paid_policy, partner_id=self.customer_a.id)
        # the lines a user opens are the paid invoice's, in the period of its payment
        lines = self.env["account.move.line"].search(q2._invoice_line_domain())
        self.assertEqual(lines.move_id, invoice)
        self.assertEqual(sum(lines.mapped("balance")), -120000.0)

    @freeze_time("2026-10-15")
    def test_open_invoice_counts_nothing(self):
        self.invoice(self.customer_a, "2026-05-10", 150000.0)
        self.paid_policy.action_compute()
        self.assertEqual(self.paid_records(), {})

    @freeze_time("2026-10-15")
    def test_partial_payment_counts_its_share_of_the_untaxed_lines(self):
        """250,000 untaxed + 15 % tax = 287,500. Paid 115,000 (40 %) on 20 March: Q1 counts
        40 % × 250,000 = 100,000 → 5 % = 5,000; the other 172,500 (60 %) on 5 May: Q2 counts
        150,000 → 7,500. Together the invoice's 250,000 and 12,500, as when posted."""
        invoice = self.invoice(self.customer_a, "2026-02-10", lines=[(self.taxed_goods, 2500.0, 100.0)])
        self.assertEqual(self.tax_sale_a.amount, 15.0)
        self.assertEqual((invoice.amount_untaxed, invoice.amount_total), (250000.0, 287500.0))
        self.pay(invoice, "2026-03-20", 115000.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.paid_policy.action_compute()
        self.assertEqual(self.paid_records(), {date(2026, 1, 1): (100000.0, 5000.0)})
        self.pay(invoice, "2026-05-05")
        self.paid_policy.action_compute()
        self.assertEqual(self.paid_records(), {date(2026, 1, 1): (100000.0, 5000.0),
                                               date(2026, 4, 1): (150000.0, 7500.0)})

    @freeze_time("2026-10-15")
    def test_credit_note_reconciled_against_the_invoice_nets_at_the_same_date(self):
        """Invoice 120,000 on 10 June, credit note 20,000 on 20 June matched against it (the
        partial's date is 20 June: both count their share then, +20,000 − 20,000 = 0), the other
        100,000 paid on 5 July: Q2 0, Q3 100,000 → 5,000."""
        invoice = self.invoice(self.customer_a, "2026-06-10", 120000.0)
        credit_note = self.refund(self.customer_a, "2026-06-20", 20000.0)
        (self.receivable(invoice) | self.receivable(credit_note)).reconcile()
        self.assertEqual(invoice.amount_residual, 100000.0)
        self.pay(invoice, "2026-07-05")
        self.paid_policy.action_compute()
        records = self.paid_records()
        self.assertEqual(records[date(2026, 7, 1)], (100000.0, 5000.0))
        self.assertEqual(records[date(2026, 4, 1)], (0.0, 0.0), "the customer bought in Q2: tracked at 0")

    @freeze_time("2026-10-15")
    def test_invoice_1000_credit_note_200_paid_800_nets_to_800(self):
        policy = self.create_policy(tiers=((500.0, 10.0),), invoice_basis="paid")
        policy.action_activate()
        invoice = self.invoice(self.customer_a, "2026-04-10", 1000.0)
        credit_note = self.refund(self.customer_a, "2026-04-12", 200.0)
        (self.receivable(invoice) | self.receivable(credit_note)).reconcile()
        self.pay(invoice, "2026-05-02")
        self.assertEqual(invoice.payment_state, "paid")
        policy.action_compute()
        self.assertEqual(self.paid_records(self.customer_a, policy), {date(2026, 4, 1): (800.0, 80.0)})

    @freeze_time("2026-10-15")
    def test_worked_example_on_a_paid_basis(self):
        """The source's example, paid: 70,000 and 50,000 invoiced in Q3 and paid in Q3 reach
        100,000: 120,000 × 5 % = 6,000; the 90,000 of 1 October, unpaid, counts nothing yet."""
        first = self.invoice(self.customer_a, "2026-07-10", 70000.0)
        second = self.invoice(self.customer_a, "2026-09-30", 50000.0)
        self.invoice(self.customer_a, "2026-10-01", 90000.0)
        self.pay(first, "2026-08-01")
        self.pay(second, "2026-09-30")
        self.paid_policy.action_compute()
        self.assertEqual(self.paid_records(), {date(2026, 7, 1): (120000.0, 6000.0)})
        record = self.records(self.paid_policy, partner_id=self.customer_a.id)
        self.assertEqual((record.rate, record.tier_id), (5.0, self.paid_policy.tier_ids))
        self.assertEqual(record.computation, "120,000.00 paid in Q3 2026 reached tier 1 (≥ 100,000.00) at 5 % → 6,000.00")
        self.assertEqual(self.paid_policy.summary,
                         "5 % of purchases paid in the quarter once they reach 100,000.00")
        # the XLSX detail says on which basis the invoices counted
        wizard = self.env["rebate.export.wizard"].create({"report": "detail"})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data))).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        column = header.index("Invoices Count")
        rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == self.paid_policy.display_name]
        self.assertEqual([(row[5], row[column]) for row in rows], [(120000.0, "Once Paid")])
        # and the statement
        html = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", record.ids)[0].decode()
        self.assertIn("purchases paid in the quarter", html)
        self.assertIn("Invoices count once paid", html)

    @freeze_time("2026-09-20")
    def test_projection_counts_the_paid_base_and_not_the_open_document(self):
        """Q3 to date: 70,000 paid of 120,000 invoiced; a draft invoice of 40,000 adds nothing
        until it is paid, and the box says so."""
        first = self.invoice(self.customer_a, "2026-07-10", 70000.0)
        self.invoice(self.customer_a, "2026-08-10", 50000.0)
        self.pay(first, "2026-08-01")
        draft = self.invoice(self.customer_a, "2026-09-20", 40000.0, post=False)
        projections = {p["policy"]: p for p in draft._get_rebate_projections()}
        figures = projections[self.paid_policy]
        self.assertEqual((figures["base_amount"], figures["document_amount"]), (70000, 0))
        self.assertIsNone(figures["tier_index"])
        self.assertIn("adds nothing until it is paid", figures["paid_basis_text"])
        data = next(d for d in draft.rebate_projection_json if d["policy_id"] == self.paid_policy.id)
        self.assertEqual((data["invoice_basis"], data["base_amount"], data["document_amount"]),
                         ("paid", 70000.0, 0.0))
        self.assertIn("adds nothing until it is paid", draft.rebate_projection_html)

    def test_payout_credit_note_reconciled_with_the_invoice_counts_nothing(self):
        """The source example paid out by a credit note of 6,000 (posted basis), matched against
        the invoice of 120,000 on 5 November, the other 114,000 paid on 10 November: on the paid
        basis the invoice counts whole in Q4 (6,000 + 114,000 = 120,000 → 6,000), and the
        payout's own credit note counts nothing, as on the posted basis."""
        self.policy.write({"settlement_method": "credit_note",
                           "journal_id": self.company_data["default_journal_sale"].id})
        record = self.confirmed_record()
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer_a.id), ("move_type", "=", "out_invoice")])
        with freeze_time("2026-11-05"):
            settlement = self.env["rebate.settlement"]._create_from_records(record)
            settlement.action_done()
        payout = settlement.move_id
        self.assertEqual((payout.move_type, payout.amount_total), ("out_refund", 6000.0))
        (self.receivable(invoice) | self.receivable(payout)).reconcile()
        self.assertEqual(invoice.amount_residual, 114000.0)
        self.pay(invoice, "2026-11-10")
        with freeze_time("2026-12-15"):
            self.paid_policy.action_compute()
        self.assertEqual(self.paid_records(), {date(2026, 10, 1): (120000.0, 6000.0)})

    def test_invoice_basis_is_a_term(self):
        """Once records are confirmed the basis cannot change (it would change them): revise."""
        record = self.confirmed_record()
        with self.assertRaisesRegex(Exception, "Use Revise"):
            self.policy.invoice_basis = "paid"
        self.assertEqual(record.policy_id.invoice_basis, "posted")


@tagged("post_install", "-at_install")
class TestRecordPaidIncremental(RebateCommon):
    """Payments made or undone after a run (a payment dated in an old quarter, an unreconciled
    payment, an invoice reset to draft, a credit note matched later) are queued: the incremental
    run recomputes those periods and gives what a full computation gives."""

    def twins(self):
        policies = self.create_policy(tiers=((1000.0, 2.0), (5000.0, 4.0)), invoice_basis="paid") \
            | self.create_policy(tiers=((1000.0, 2.0), (5000.0, 4.0)), invoice_basis="paid")
        policies.action_activate()
        return policies

    def snapshot(self, policy):
        return {
            (record.partner_id.id, record.date_start, record.revision): (
                record.state, *(round(record[name], 4) for name in self.COMPUTED_FIGURES))
            for record in self.records(policy)
        }

    def check(self, incremental, full):
        incremental.action_compute()
        full.action_compute_full()
        snapshot = self.snapshot(incremental)
        self.assertEqual(snapshot, self.snapshot(full), "incremental and full computations differ")
        return {(partner, start): values[1] for (partner, start, _rev), values in snapshot.items()}

    @freeze_time("2026-10-15")
    def test_payments_made_and_undone_after_the_run(self):
        incremental, full = self.twins()
        a, b = self.customer_a, self.customer_b
        invoice_a = self.invoice(a, "2026-02-10", 6000.0)
        invoice_b = self.invoice(b, "2026-03-10", 3000.0)
        payment_a = self._register_payment(invoice_a, payment_date="2026-04-15")
        self.assertEqual(self.check(incremental, full), {(a.id, date(2026, 4, 1)): 6000.0})
        self.assertEqual(incremental.compute_open_from, date(2026, 10, 15))

        # a payment dated in an old quarter, registered today: Q1 of customer B
        self._register_payment(invoice_b, payment_date="2026-03-25", amount=1200.0,
                               payment_difference_handling="open")
        self.assertTrue(self.env["rebate.compute.queue"].search([("policy_id", "=", incremental.id)]))
        self.assertEqual(self.check(incremental, full),
                         {(a.id, date(2026, 4, 1)): 6000.0, (b.id, date(2026, 1, 1)): 1200.0})

        # the payment of A unreconciled: its Q2 base is gone
        payment_a.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(invoice_a.payment_state, "not_paid")
        self.assertEqual(self.check(incremental, full), {(b.id, date(2026, 1, 1)): 1200.0})

        # paid again on 2 May, half of it: 3,000 in Q2; then a credit note of 1,000 matched
        # against it on 5 August (Q3: +1,000 − 1,000)
        self._register_payment(invoice_a, payment_date="2026-05-02", amount=3000.0,
                               payment_difference_handling="open")
        credit_note = self.refund(a, "2026-08-05", 1000.0)
        receivables = (invoice_a | credit_note).line_ids.filtered(lambda line: line.display_type == "payment_term")
        receivables.reconcile()
        self.assertEqual(self.check(incremental, full),
                         {(a.id, date(2026, 4, 1)): 3000.0, (b.id, date(2026, 1, 1)): 1200.0,
                          (a.id, date(2026, 7, 1)): 0.0})

        # B's invoice reset to draft: Odoo unreconciles it, its Q1 payment no longer counts
        invoice_b.button_draft()
        figures = self.check(incremental, full)
        self.assertNotIn((b.id, date(2026, 1, 1)), figures)
        self.assertFalse(self.env["rebate.compute.queue"].search([("policy_id", "=", incremental.id)]))

    @freeze_time("2026-10-15")
    def test_posted_basis_policies_are_not_queued_for_payments(self):
        policy = self.create_policy()
        policy.action_activate()
        invoice = self.invoice(self.customer_a, "2026-02-10", 6000.0)
        policy.action_compute()
        self._register_payment(invoice, payment_date="2026-04-15")
        self.assertFalse(self.env["rebate.compute.queue"].search([("policy_id", "=", policy.id)]))
