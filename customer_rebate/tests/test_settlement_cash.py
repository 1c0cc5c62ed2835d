# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementCash(RebateCommon):
    """现金返利: the source example paid in cash, booked as a sales expense against the customer's
    receivable, then paid out with a standard outbound customer payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record = cls.confirmed_record()
        cls.receivable = cls.customer_a.property_account_receivable_id

    def test_settle_creates_one_draft_settlement_per_customer(self):
        action = self.record.action_settle()
        settlement = self.record.settlement_id
        self.assertEqual((action["res_model"], action["res_id"]), ("rebate.settlement", settlement.id))
        self.assertEqual((settlement.partner_id, settlement.method, settlement.amount, settlement.state),
                         (self.customer_a, "cash", 6000.0, "draft"))
        self.assertEqual(self.record.settlement_id, settlement)
        self.assertTrue(settlement.name.startswith("RS/"))

    def test_cash_entry_debits_the_expense_and_credits_the_receivable(self):
        expense_before = self.account_balance(self.expense_account)
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        move = settlement.move_id
        self.assertEqual((move.state, move.move_type, move.journal_id), ("posted", "entry", self.misc_journal))
        self.assertEqual(move.rebate_settlement_id, settlement)
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 6000.0)
        receivable_line = move.line_ids.filtered(lambda l: l.account_id == self.receivable)
        self.assertEqual((receivable_line.credit, receivable_line.partner_id), (6000.0, self.customer_a))
        self.assertEqual((self.record.state, settlement.state), ("settled", "done"))

    def test_outbound_payment_clears_the_rebate(self):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        payment = self.env["account.payment"].create({
            "payment_type": "outbound", "partner_type": "customer", "partner_id": self.customer_a.id,
            "amount": 6000.0, "journal_id": self.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        lines = (payment.move_id.line_ids + settlement.move_id.line_ids).filtered(
            lambda l: l.account_id == self.receivable)
        lines.reconcile()
        self.assertTrue(all(line.reconciled for line in lines))
        self.assertEqual(sum(lines.mapped("amount_residual")), 0.0)

    def test_customer_totals_follow_the_payout(self):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        self.customer_a.invalidate_recordset()
        self.assertEqual((self.customer_a.rebate_settled, self.customer_a.rebate_outstanding), (6000.0, 0.0))
