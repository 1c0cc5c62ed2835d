# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementErrors(RebateCommon):
    """Bad input gets a clear error and writes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record = cls.confirmed_record()

    def assert_refused(self, message):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        moves_before = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, message):
            settlement.action_done()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertEqual((settlement.state, self.record.state), ("draft", "confirmed"))

    def test_no_journal(self):
        self.policy.journal_id = False
        self.assert_refused("Set the journal")

    def test_journal_of_the_wrong_kind(self):
        self.policy.journal_id = self.company_data["default_journal_sale"]
        self.assert_refused("need a miscellaneous journal")

    def test_no_expense_account(self):
        self.policy.expense_account_id = False
        self.assert_refused("Set the rebate expense account")

    def test_customer_without_receivable_account(self):
        self.customer_a.with_company(self.env.company).property_account_receivable_id = False
        self.assertFalse(self.customer_a.with_company(self.env.company).property_account_receivable_id)
        self.assert_refused("has no receivable account")

    def test_only_confirmed_records_are_settled(self):
        self.record.action_cancel()
        with self.assertRaisesRegex(UserError, "Only confirmed records"):
            self.env["rebate.settlement"]._create_from_records(self.record)

    def test_a_record_is_settled_once(self):
        self.env["rebate.settlement"]._create_from_records(self.record)
        with self.assertRaisesRegex(UserError, "not in a settlement yet"):
            self.env["rebate.settlement"]._create_from_records(self.record)

    def test_nothing_to_pay(self):
        self.refund(self.customer_a, "2026-08-01", 120000.0)
        from freezegun import freeze_time
        with freeze_time("2026-10-15"):
            self.policy.action_compute()
        adjustment = self.records(date_start="2026-07-01", revision=1)
        adjustment.action_confirm()
        self.assertEqual(adjustment.amount, -6000.0)
        with self.assertRaisesRegex(UserError, "Nothing to pay"):
            self.env["rebate.settlement"]._create_from_records(adjustment)

    def test_record_in_a_draft_settlement_cannot_be_cancelled(self):
        self.env["rebate.settlement"]._create_from_records(self.record)
        with self.assertRaisesRegex(UserError, "draft settlement"):
            self.record.action_cancel()

    def test_each_company_is_settled_in_its_own_books(self):
        other = self.setup_other_company()
        company = other["company"]
        self.env.user.company_ids |= company
        policy = self.create_policy(
            company_id=company.id, expense_account_id=other["default_account_expense"].id,
            journal_id=other["default_journal_misc"].id)
        other_record = self.confirmed_record(policy)
        settlements = self.env["rebate.settlement"]._create_from_records(self.record + other_record)
        self.assertEqual(len(settlements), 2)
        settlements.action_done()
        for settlement in settlements:
            self.assertEqual(settlement.move_id.company_id, settlement.company_id)
        other_move = settlements.filtered(lambda s: s.company_id == company).move_id
        self.assertEqual(other_move.journal_id, other["default_journal_misc"])
        self.assertIn(other["default_account_expense"], other_move.line_ids.account_id)
