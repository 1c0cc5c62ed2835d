# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestBooksNegativeAdjustments(RebateCommon):
    """Goods returned after a payout: the customer owes the rebate back, netted or recovered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR993", "account_type": "liability_current"})
        cls.policy.accrual_account_id = cls.accrual_account
        cls.record = cls.confirmed_record()
        settlement = cls.env["rebate.settlement"]._create_from_records(cls.record)
        settlement.action_done()
        cls.refund(cls.customer_a, "2026-09-25", 120000.0)
        with freeze_time("2026-10-20"):
            cls.policy.action_compute()
        cls.negative = cls.env["rebate.record"].search([("policy_id", "=", cls.policy.id), ("revision", "=", 1)])
        cls.negative.action_confirm()

    def test_the_debt_is_visible(self):
        self.assertEqual(self.negative.amount, -6000.0)
        self.assertEqual(self.customer_a.rebate_to_recover, 6000.0)
        with self.assertRaisesRegex(UserError, "Nothing to pay"):
            self.env["rebate.settlement"]._create_from_records(self.negative)

    def test_netted_against_the_next_payout(self):
        self.invoice(self.customer_a, "2026-11-10", 200000.0)
        with freeze_time("2027-01-10"):
            self.policy.action_compute()
            q4 = self.records(date_start=date(2026, 10, 1))
            q4.action_confirm()
        settlement = self.env["rebate.settlement"]._create_from_records(q4)
        settlement.action_done()
        self.assertEqual(settlement.record_ids, q4 | self.negative)
        self.assertEqual(settlement.amount, 4000.0)
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(settlement.move_id.line_ids.filtered(lambda l: l.account_id == receivable).credit, 4000.0)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        self.assertEqual(self.customer_a.rebate_to_recover, 0.0)

    def test_recovered_on_demand_with_an_invoice(self):
        expense_before = self.account_balance(self.expense_account)
        self.negative.action_recover()
        settlement = self.negative.settlement_id
        settlement.action_done()
        invoice = settlement.move_id
        self.assertEqual((invoice.move_type, invoice.amount_total, invoice.rebate_settlement_id),
                         ("out_invoice", 6000.0, settlement))
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 0.0,
                         "the expense went back when the negative adjustment was accrued")
        self.assertEqual(self.negative.state, "settled")
        with freeze_time("2027-01-10"):
            self.policy.action_compute()
        self.assertFalse(self.records(date_start=date(2026, 10, 1)), "the recovery invoice is no Q4 sale")

    def test_or_written_off_by_cancelling_it(self):
        self.negative.action_cancel()
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        self.assertEqual(self.customer_a.rebate_to_recover, 0.0)
