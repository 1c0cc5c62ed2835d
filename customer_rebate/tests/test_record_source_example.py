# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordSourceExample(RebateCommon):
    """The source text's example: a quarter of at least 100,000 earns 5 % cash; customer A buys
    120,000 in the quarter, so the record says 6,000, booked later as a sales expense."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.invoice(cls.customer_a, "2026-07-10", 70000.0)
        cls.invoice(cls.customer_a, "2026-09-30", 50000.0)
        cls.invoice(cls.customer_a, "2026-10-01", 90000.0)  # next quarter

    def q3(self):
        return self.records(partner_id=self.customer_a.id, date_start=date(2026, 7, 1))

    def test_120000_in_the_quarter_earns_6000(self):
        self.policy.action_compute()
        record = self.q3()
        self.assertEqual(len(record), 1)
        self.assertEqual((record.date_start, record.date_end), (date(2026, 7, 1), date(2026, 9, 30)))
        self.assertEqual(record.base_amount, 120000.0, "the invoice of 1 October is in the next quarter")
        self.assertEqual(record.tier_id, self.policy.tier_ids)
        self.assertEqual(record.rate, 5.0)
        self.assertEqual(record.amount, 6000.0)
        self.assertEqual(record.state, "draft")
        self.assertEqual(record.computation,
                         "120,000.00 in Q3 2026 reached tier 1 (≥ 100,000.00) at 5 % → 6,000.00")

    def test_next_quarter_has_its_own_record(self):
        self.policy.action_compute()
        q4 = self.records(partner_id=self.customer_a.id, date_start=date(2026, 10, 1))
        self.assertEqual((q4.base_amount, q4.amount, q4.date_end), (90000.0, 0.0, date(2026, 12, 31)))
        self.assertIn("below the first tier", q4.computation)

    def test_credit_notes_lower_the_base_and_the_rebate(self):
        self.refund(self.customer_a, "2026-08-20", 20000.0)
        self.policy.action_compute()
        self.assertEqual((self.q3().base_amount, self.q3().amount), (100000.0, 5000.0))
        self.refund(self.customer_a, "2026-09-01", 1.0)
        self.policy.action_compute()
        record = self.q3()
        self.assertEqual((record.base_amount, record.amount), (99999.0, 0.0))
        self.assertFalse(record.tier_id)

    def test_invoice_lines_are_exactly_the_base(self):
        self.refund(self.customer_a, "2026-08-20", 20000.0)
        self.policy.action_compute()
        record = self.q3()
        action = record.action_view_invoice_lines()
        lines = self.env["account.move.line"].search(action["domain"])
        self.assertEqual(len(lines), 3)
        self.assertEqual(set(lines.move_id.mapped("move_type")), {"out_invoice", "out_refund"})
        self.assertAlmostEqual(-sum(lines.mapped("balance")), record.base_amount)
        self.assertTrue(all(line.display_type == "product" for line in lines), "no tax or receivable line")
