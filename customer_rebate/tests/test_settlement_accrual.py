# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementAccrual(RebateCommon):
    """Accrual at confirmation, cleared by the payout: the expense is booked exactly once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create({
            "name": "Accrued rebates", "code": "AR999", "account_type": "liability_current"})
        cls.policy.accrual_account_id = cls.accrual_account

    def test_confirm_accrues_and_the_payout_clears_the_accrual(self):
        expense_before = self.account_balance(self.expense_account)
        record = self.confirmed_record()
        accrual = record.accrual_move_id
        self.assertEqual(accrual.state, "posted")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 6000.0)
        self.assertEqual(self.account_balance(self.accrual_account), -6000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 6000.0, "booked once")
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(settlement.move_id.line_ids.filtered(lambda l: l.account_id == receivable).credit, 6000.0)

    def test_cancelled_record_reverses_its_accrual(self):
        expense_before = self.account_balance(self.expense_account)
        record = self.confirmed_record()
        record.action_cancel()
        self.assertEqual(record.accrual_reversal_move_id.state, "posted")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 0.0)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
