# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestBooksBase(RebateCommon):
    """A payout's own documents are not sales: the credit note that pays a rebate, the invoice
    that reverses it, never enter any later base, projection or seniority."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"settlement_method": "credit_note", "journal_id": cls.company_data["default_journal_sale"].id})

    def pay(self, record, date_paid):
        settlement = self.env["rebate.settlement"]._create_from_records(record, date=date_paid)
        settlement.action_done()
        return settlement

    def test_next_quarter_base_ignores_the_credit_note_that_paid_the_last(self):
        record = self.confirmed_record()
        settlement = self.pay(record, "2026-10-15")
        self.assertEqual(settlement.move_id.invoice_date, date(2026, 10, 15))
        self.invoice(self.customer_a, "2026-11-10", 103000.0)
        with freeze_time("2027-01-05"):
            self.policy.action_compute()
        q4 = self.records(partner_id=self.customer_a.id, date_start=date(2026, 10, 1))
        self.assertEqual((q4.base_amount, q4.amount), (103000.0, 5150.0))

    def test_cancelling_a_payout_later_gives_the_next_quarter_no_sales(self):
        record = self.confirmed_record()
        settlement = self.pay(record, "2026-10-15")
        with freeze_time("2027-02-10"):
            settlement.action_cancel()
            self.assertEqual(settlement.reversal_move_id.move_type, "out_invoice")
            self.assertEqual(settlement.reversal_move_id.rebate_settlement_id, settlement)
            self.policy.action_compute()
        self.assertFalse(self.records(partner_id=self.customer_a.id, date_start=date(2027, 1, 1)),
                         "the reversal of the credit note is no sale of Q1 2027")

    def test_a_payout_dated_in_its_own_period_makes_no_adjustment(self):
        record = self.confirmed_record()
        self.pay(record, "2026-09-30")
        with freeze_time("2026-10-20"):
            self.policy.action_compute()
        q3 = self.records(partner_id=self.customer_a.id, date_start=date(2026, 7, 1))
        self.assertEqual(q3, record, "no -300 adjustment on the settled quarter")
        self.assertEqual(record.base_amount, 120000.0)

    def test_projection_and_seniority_ignore_payout_documents(self):
        record = self.confirmed_record()
        self.pay(record, "2026-10-15")
        with freeze_time("2026-11-01"):
            order = self.env["sale.order"].create({
                "partner_id": self.customer_a.id,
                "order_line": [(0, 0, {"product_id": self.goods.id, "product_uom_qty": 1, "price_unit": 1000.0})],
            })
            [projection] = order._get_rebate_projections()
        self.assertEqual(projection["base_amount"], 0, "the Q4 credit note is not a negative sale")
        refund = self.env["account.move"].search([("rebate_settlement_id", "=", record.settlement_id.id)])
        self.assertFalse(refund._get_rebate_projections() if refund._rebate_partner() else [],
                         "a payout's credit note shows no projection")
        first = self.policy._first_invoice_dates([self.customer_b.id])
        self.assertFalse(first, "customer B has bought nothing: no payout document makes them senior")
