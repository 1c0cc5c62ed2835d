# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestBooksAccruals(RebateCommon):
    """An accrual is cleared on the accounts it was booked on, in full, and dated by its period."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR991", "account_type": "liability_current"})
        cls.other_accrual = cls.env["account.account"].create(
            {"name": "Accrued rebates (new)", "code": "AR992", "account_type": "liability_current"})
        cls.policy.accrual_account_id = cls.accrual_account

    def pay(self, records):
        settlement = self.env["rebate.settlement"]._create_from_records(records)
        settlement.action_done()
        return settlement

    def test_payout_clears_the_account_the_accrual_was_booked_on(self):
        record = self.confirmed_record()
        self.policy.accrual_account_id = self.other_accrual
        self.pay(record)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        self.assertEqual(self.account_balance(self.other_accrual), 0.0)

    def test_clearing_the_policys_accrual_account_breaks_neither_payout_nor_cancel(self):
        record = self.confirmed_record()
        self.policy.accrual_account_id = False
        settlement = self.pay(record)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        settlement.action_cancel()
        record.action_cancel()
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        self.assertEqual(record.accrual_reversal_move_id.state, "posted")

    def test_one_accrual_entry_per_period_end(self):
        self.invoice(self.customer_a, "2026-05-10", 120000.0)
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        self.policy.action_activate()
        with freeze_time("2026-10-15"):
            self.policy.action_compute()
        records = self.records()
        records.action_confirm()
        self.assertEqual(sorted(records.accrual_move_id.mapped("date")), [date(2026, 6, 30), date(2026, 9, 30)])

    def test_credit_note_taxes_follow_the_fiscal_position(self):
        self.policy.write({
            "settlement_method": "credit_note", "journal_id": self.company_data["default_journal_sale"].id,
            "credit_note_tax_ids": [Command.set(self.tax_sale_a.ids)],
        })
        export_tax = self.tax_sale_a.copy({
            "name": "Export 0 %", "amount": 0.0, "original_tax_ids": [Command.set(self.tax_sale_a.ids)]})
        export = self.env["account.fiscal.position"].create({"name": "Export", "tax_ids": [Command.set(export_tax.ids)]})
        self.customer_a.property_account_position_id = export
        refund = self.pay(self.confirmed_record()).move_id
        self.assertEqual(refund.invoice_line_ids.tax_ids, export_tax)
        self.assertEqual((refund.amount_untaxed, refund.amount_total), (6000.0, 6000.0))

    def test_tax_included_credit_note_leaves_nothing_on_the_accrual(self):
        included = self.tax_sale_a.copy({"name": "15 % included", "price_include_override": "tax_included"})
        self.policy.write({
            "settlement_method": "credit_note", "journal_id": self.company_data["default_journal_sale"].id,
            "credit_note_tax_ids": [Command.set(included.ids)],
        })
        expense_before = self.account_balance(self.expense_account)
        settlement = self.pay(self.confirmed_record())
        self.assertEqual(settlement.move_id.amount_total, 6000.0)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0, "cleared in full")
        self.assertAlmostEqual(self.account_balance(self.expense_account) - expense_before,
                               settlement.move_id.amount_untaxed, places=2, msg="the tax part goes back to the expense")
        self.assertEqual(settlement.clearing_move_id.rebate_settlement_id, settlement)
        settlement.action_cancel()
        self.assertEqual(self.account_balance(self.accrual_account), -6000.0, "the accrual stands again")
