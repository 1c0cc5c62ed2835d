# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .test_balance_discount import BalanceCommon


@tagged("post_install", "-at_install")
class TestBalanceFollowsInvoices(BalanceCommon):
    """The balance ledger and the rebates-owed account agree whatever happens to the invoices."""

    def invoiced_order(self, partner=None):
        order = self.order((self.goods_13, 20, 1000.0), partner=partner)
        order.action_apply_rebate_balance()
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        return order, invoice

    def assert_ledger_matches_books(self, expected):
        self.assertEqual(self.balance(), expected)
        self.assertEqual(-self.account_balance(self.owed_account), expected, "ledger and rebates owed agree")

    def credit_note(self, invoice, **values):
        wizard = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": invoice.journal_id.id, "reason": "return", **values})
        return wizard

    def test_partial_credit_note_gives_back_what_it_credits(self):
        _order, invoice = self.invoiced_order()
        self.assert_ledger_matches_books(0.0)
        refund = invoice._reverse_moves()
        refund.write({"invoice_line_ids": [
            Command.update(line.id, {"price_unit": -1500.0} if line.is_rebate_discount else {"quantity": 5})
            for line in refund.invoice_line_ids]})
        refund.action_post()
        self.assert_ledger_matches_books(1500.0)

    def test_reverse_and_reinvoice_does_not_use_the_balance_twice(self):
        _order, invoice = self.invoiced_order()
        action = self.credit_note(invoice).modify_moves()
        new_invoice = self.env["account.move"].browse(action["res_id"])
        new_invoice.action_post()
        self.assert_ledger_matches_books(0.0)

    def test_cancelling_the_credit_note_takes_the_balance_again(self):
        _order, invoice = self.invoiced_order()
        refund = invoice._reverse_moves()
        refund.action_post()
        self.assert_ledger_matches_books(6000.0)
        refund.button_draft()
        refund.button_cancel()
        self.assert_ledger_matches_books(0.0)

    def test_invoice_edited_in_draft(self):
        _order, invoice = self.invoiced_order()
        invoice.button_draft()
        invoice.write({"invoice_line_ids": [
            Command.update(line.id, {"price_unit": -1000.0}) for line in invoice.invoice_line_ids if line.is_rebate_discount]})
        invoice.action_post()
        self.assert_ledger_matches_books(5000.0)

    def test_discount_line_of_a_confirmed_order_is_not_edited_by_hand(self):
        order = self.order((self.goods_13, 20, 1000.0))
        order.action_apply_rebate_balance()
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "cannot be changed on a confirmed order"):
            self.discount_lines(order).price_unit = -9000.0

    def test_share_is_checked_again_at_confirmation(self):
        order = self.order((self.goods_13, 20, 1000.0))
        order.action_apply_rebate_balance()  # 30 % of 20,000
        # one machine left (at its list price, 5,000): 30 % of it is 1,500, not 6,000
        order.order_line.filtered(lambda l: not l.is_rebate_discount).product_uom_qty = 1
        with self.assertRaisesRegex(UserError, "the goods changed since the balance was applied"):
            order.action_confirm()
        self.assertEqual(self.balance(), 6000.0)

    def test_two_policies_do_not_add_up_their_shares(self):
        second = self.create_policy(name="Second balance", settlement_method="discount",
                                    balance_account_id=self.owed_account.id, balance_max_share=30.0)
        second.action_activate()
        Balance = self.env["rebate.balance"].sudo()
        balance = Balance._get_or_create(self.customer_a, second)
        Balance._add_lines([{"balance_id": balance.id, "kind": "earned", "amount": 6000.0, "name": "second"}])
        order = self.order((self.goods_13, 20, 1000.0))
        order.action_apply_rebate_balance()
        self.assertEqual(order.rebate_discount_amount, 6000.0, "30 % of 20,000, not 60 %")

    def test_balance_keeps_its_account_when_the_policy_changes(self):
        new_owed = self.owed_account.copy({"code": "RB2242"})
        self.policy.balance_account_id = new_owed
        self.invoiced_order()
        self.assertEqual(self.account_balance(self.owed_account), 0.0)
        self.assertEqual(self.account_balance(new_owed), 0.0)


@tagged("post_install", "-at_install")
class TestBalanceFollowsInvoicesForAnAccountant(BalanceCommon):
    """An accountant who sees only their own sales orders (the rebate user's implied salesperson
    rights) credits and cancels invoices of another salesperson's order: the balance still follows."""

    invoiced_order = TestBalanceFollowsInvoices.invoiced_order
    assert_ledger_matches_books = TestBalanceFollowsInvoices.assert_ledger_matches_books

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="balance_accountant", company_id=cls.env.company.id,
            groups="account.group_account_invoice,customer_rebate.group_rebate_user")
        cls.salesman = new_test_user(cls.env, login="balance_salesman", groups="sales_team.group_sale_salesman")

    def as_accountant(self, invoice):
        invoice.invoice_line_ids.sale_line_ids.order_id.user_id = self.salesman
        self.env.invalidate_all()
        invoice = invoice.with_user(self.accountant)
        self.assertFalse(invoice.invoice_line_ids.sale_line_ids, "the order is someone else's")
        return invoice

    def credit_note(self, invoice, **values):
        return self.env["account.move.reversal"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": invoice.journal_id.id, "reason": "return", **values})

    def test_accountant_credit_note_gives_the_balance_back(self):
        _order, invoice = self.invoiced_order()
        wizard = self.credit_note(self.as_accountant(invoice))
        refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        refund.with_user(self.accountant).action_post()
        self.assertEqual(refund.invoice_line_ids.filtered("is_rebate_discount")._rebate_sale_lines(),
                         invoice.invoice_line_ids.filtered("is_rebate_discount")._rebate_sale_lines())
        self.assert_ledger_matches_books(6000.0)

    def test_accountant_cancelling_the_invoice_gives_the_balance_back(self):
        _order, invoice = self.invoiced_order()
        invoice = self.as_accountant(invoice)
        invoice.button_draft()
        invoice.button_cancel()
        self.assert_ledger_matches_books(6000.0)

    def test_accountant_reverse_and_reinvoice_uses_the_balance_once(self):
        _order, invoice = self.invoiced_order()
        wizard = self.credit_note(self.as_accountant(invoice))
        new_invoice = self.env["account.move"].browse(wizard.modify_moves()["res_id"])
        self.assert_ledger_matches_books(6000.0)
        new_invoice.with_user(self.accountant).action_post()
        self.assertTrue(new_invoice.invoice_line_ids.filtered("is_rebate_discount")._rebate_sale_lines())
        self.assert_ledger_matches_books(0.0)


    def test_accountant_posts_two_credit_notes_at_once(self):
        _order, first = self.invoiced_order()
        self.record_b_balance()
        _order_b, second = self.invoiced_order(partner=self.customer_b)
        self.as_accountant(first)
        self.as_accountant(second)
        wizard = self.credit_note(first + second)
        refunds = self.env["account.move"].browse(wizard.refund_moves()["domain"][0][2])
        refunds.with_user(self.accountant).action_post()
        self.assertEqual(self.partner_ledger_and_books(self.customer_a), (6000.0, 6000.0))
        self.assertEqual(self.partner_ledger_and_books(self.customer_b), (6000.0, 6000.0))

    def test_reissuing_two_customers_invoices_at_once_keeps_each_balance(self):
        """Reverse and re-issue invoices of two customers in one go: each new invoice takes its own
        customer's balance, whatever order the wizard and the database list them in."""
        self.record_b_balance()
        _order, first = self.invoiced_order()
        _order_b, second = self.invoiced_order(partner=self.customer_b)
        for user in (self.env.user, self.accountant):
            with self.subTest(user=user.login):
                for invoice in (first, second):
                    self.as_accountant(invoice)
                wizard = self.credit_note(second + first).with_user(user)
                new_invoices = wizard.modify_moves()
                new_invoices = self.env["account.move"].browse(
                    new_invoices.get("res_id") or new_invoices["domain"][0][2])
                for invoice in new_invoices:
                    invoice.with_user(user).action_post()
                self.assertEqual(self.partner_ledger_and_books(self.customer_a), (0.0, 0.0))
                self.assertEqual(self.partner_ledger_and_books(self.customer_b), (0.0, 0.0))
                first, second = new_invoices.sorted(lambda m: m.partner_id != self.customer_a)

    def test_discount_line_keeps_its_account_and_its_place(self):
        _order, invoice = self.invoiced_order()
        invoice.button_draft()
        discount = invoice.invoice_line_ids.filtered("is_rebate_discount")
        income = invoice.invoice_line_ids.filtered(lambda l: not l.is_rebate_discount)[:1].account_id
        with self.assertRaisesRegex(UserError, "stays on the rebates-owed account"):
            discount.with_user(self.accountant).account_id = income
        with self.assertRaisesRegex(UserError, "not removed from an invoice line by line"):
            invoice.with_user(self.accountant).write({"invoice_line_ids": [Command.delete(discount.id)]})
        invoice.action_post()
        self.assert_ledger_matches_books(0.0)

    def test_a_sale_marked_by_hand_as_paid_with_a_balance_is_refused(self):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer_b.id, "invoice_date": "2026-11-02",
            "invoice_line_ids": [Command.create({"product_id": self.goods_13.id, "quantity": 6, "price_unit": 5000.0,
                                                 "is_rebate_discount": True})],
        })
        with self.assertRaisesRegex(UserError, "comes from no order's balance"):
            invoice.with_user(self.accountant).action_post()

    def record_b_balance(self):
        """Customer B earns the source example's 6,000 too, paid into their balance."""
        record = self.confirmed_record(partner=self.customer_b, amount=120000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record, date="2026-10-15")
        settlement.action_done()
        self.assertEqual(self.partner_ledger_and_books(self.customer_b), (6000.0, 6000.0))

    def partner_ledger_and_books(self, partner):
        partner.invalidate_recordset(["rebate_balance"])
        return partner.rebate_balance, -self.account_balance(self.owed_account, partner=partner)
