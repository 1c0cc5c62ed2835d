# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementCreditNote(RebateCommon):
    """折扣返利: the rebate paid as a customer credit note that lowers what the customer owes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"settlement_method": "credit_note", "journal_id": cls.company_data["default_journal_sale"].id})
        cls.record = cls.confirmed_record()

    def settle(self):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        return settlement

    def test_posted_credit_note_on_the_expense_account(self):
        settlement = self.settle()
        refund = settlement.move_id
        self.assertEqual((refund.move_type, refund.state, refund.partner_id), ("out_refund", "posted", self.customer_a))
        self.assertEqual((refund.amount_untaxed, refund.amount_total), (6000.0, 6000.0))
        line = refund.invoice_line_ids
        self.assertEqual(line.account_id, self.expense_account)
        self.assertIn(self.policy.code, line.name)
        self.assertIn("Q3 2026", line.name)
        self.assertEqual(refund.ref, settlement.name)

    def test_credit_note_is_taxed_only_where_the_policy_says(self):
        self.policy.credit_note_tax_ids = [Command.set(self.tax_sale_a.ids)]
        refund = self.settle().move_id
        self.assertEqual(refund.amount_untaxed, 6000.0)
        self.assertAlmostEqual(refund.amount_total, 6000.0 * (1 + self.tax_sale_a.amount / 100))

    def test_credit_note_reconciles_with_an_open_invoice(self):
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer_a.id), ("move_type", "=", "out_invoice")], limit=1)
        refund = self.settle().move_id
        receivable = (invoice + refund).line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
        receivable.reconcile()
        self.assertEqual(invoice.amount_residual, 114000.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(refund.payment_state, "paid")
