# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..models.rebate_guard import POLICY_REVISION, lifted
from .common import RebateCommon


class BalanceCommon(RebateCommon):
    """The source example paid as a rebate balance (返利抵扣): 6,000 owed to customer A."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owed_account = cls.env["account.account"].create(
            {"name": "Rebates owed to customers", "code": "RB2241", "account_type": "liability_current"})
        # copies of the company's sales tax keep its tax accounts
        cls.vat_13 = cls.tax_sale_a.copy({"name": "VAT 13 %", "amount": 13.0})
        cls.vat_9 = cls.tax_sale_a.copy({"name": "VAT 9 %", "amount": 9.0})
        cls.goods_13 = cls._create_product(name="Washing machine", lst_price=5000.0, taxes_id=[Command.set(cls.vat_13.ids)])
        cls.goods_9 = cls._create_product(name="Rice", lst_price=100.0, taxes_id=[Command.set(cls.vat_9.ids)])
        cls.policy.write({"settlement_method": "discount", "balance_account_id": cls.owed_account.id,
                          "balance_max_share": 30.0})
        cls.record = cls.confirmed_record()
        cls.settlement = cls.env["rebate.settlement"]._create_from_records(cls.record, date="2026-10-15")
        cls.settlement.action_done()

    def order(self, *lines, partner=None):
        return self.env["sale.order"].create({
            "partner_id": (partner or self.customer_a).id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": qty, "price_unit": price})
                           for product, qty, price in lines],
        })

    def balance(self):
        self.customer_a.invalidate_recordset(["rebate_balance"])
        return self.customer_a.rebate_balance

    def discount_lines(self, order):
        return order.order_line.filtered("is_rebate_discount")


@tagged("post_install", "-at_install")
class TestBalanceDiscount(BalanceCommon):

    def test_payout_credits_the_balance_and_the_liability(self):
        self.assertEqual(self.balance(), 6000.0)
        self.assertEqual(self.account_balance(self.owed_account), -6000.0)
        self.assertEqual(self.account_balance(self.expense_account), 6000.0)
        line = self.env["rebate.balance.line"].search([("partner_id", "=", self.customer_a.id)])
        self.assertEqual((line.kind, line.amount, line.settlement_id), ("earned", 6000.0, self.settlement))

    def test_statement_and_notice_show_the_balance_and_its_lines(self):
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_apply_rebate_balance(2000.0)
        order.action_confirm()
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_settlement", self.settlement.ids)
        html = html.decode()
        self.assertIn("Rebate balance:", html)
        self.assertIn("4,000.00", html, "6,000 earned, 2,000 used")
        self.assertIn(order.name, html)
        self.settlement.action_notify()
        self.assertIn("rebate balance", self.settlement.message_ids[0].body)

    def test_amount_that_is_not_a_number_is_refused(self):
        order = self.order((self.goods_13, 10, 5000.0))
        for amount in ("abc", float("nan"), float("inf"), [1], True):
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, "must be a number"):
                order.action_apply_rebate_balance(amount)
        self.assertFalse(self.discount_lines(order))

    def test_statement_of_another_policy_shows_no_balance(self):
        cash = self.create_policy(name="Cash policy", settlement_method="cash")
        record = self.confirmed_record(policy=cash)
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", record.ids)
        self.assertNotIn("Rebate balance:", html.decode(), "the balance is the discount policy's, not this one's")

    def test_source_example_used_on_a_taxed_order_lowers_the_vat(self):
        order = self.order((self.goods_13, 10, 5000.0))
        self.assertEqual(order.rebate_balance_available, 6000.0)
        order.action_apply_rebate_balance()
        discount = self.discount_lines(order)
        self.assertEqual((discount.price_unit, discount.tax_ids), (-6000.0, self.vat_13))
        self.assertEqual((order.amount_untaxed, order.amount_tax, order.amount_total), (44000.0, 5720.0, 49720.0))
        order.action_confirm()
        self.assertEqual(self.balance(), 0.0)
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual((invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total), (44000.0, 5720.0, 49720.0))
        self.assertEqual(self.account_balance(self.owed_account), 0.0, "the liability is used up")
        self.assertEqual(self.account_balance(self.expense_account), 6000.0)
        tax_account = invoice.line_ids.filtered("tax_line_id").account_id
        self.assertEqual(sum(invoice.line_ids.filtered(lambda l: l.account_id == tax_account).mapped("balance")), -5720.0)
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(invoice.line_ids.filtered(lambda l: l.account_id == receivable).balance, 49720.0)
        payment = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({})._create_payments()
        self.assertTrue(payment)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.account_balance(receivable, self.customer_a) - 120000.0, 0.0,
                         "the customer owes nothing more for the order (the 120,000 of the example aside)")
        with freeze_time(invoice.invoice_date + (date(2027, 1, 10) - date(2026, 11, 27))):
            self.policy.action_compute()
        record = self.records(date_start=invoice.invoice_date.replace(day=1, month=(invoice.invoice_date.month - 1) // 3 * 3 + 1))
        self.assertEqual(record.base_amount, 50000.0, "the goods count, the discount line does not")

    def test_wizard_offers_what_the_order_can_take(self):
        order = self.order((self.goods_13, 2, 5000.0))  # 30 % of 10,000
        action = order.action_open_rebate_balance_wizard()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual((wizard.available, wizard.usable, wizard.amount), (6000.0, 3000.0, 3000.0))
        wizard.amount = 2500.0
        wizard.action_apply()
        self.assertEqual(order.rebate_discount_amount, 2500.0)

    def test_discount_is_split_per_tax_like_the_goods(self):
        order = self.order((self.goods_13, 3, 5000.0), (self.goods_9, 50, 100.0))  # 15,000 + 5,000
        order.action_apply_rebate_balance(4000.0)
        lines = {line.tax_ids: line.price_unit for line in self.discount_lines(order)}
        self.assertEqual(lines, {self.vat_13: -3000.0, self.vat_9: -1000.0})
        self.assertAlmostEqual(order.amount_tax, 12000 * 0.13 + 4000 * 0.09, places=2)

    def test_partial_use_over_three_orders(self):
        for amount, left in ((2000.0, 4000.0), (2500.0, 1500.0), (1500.0, 0.0)):
            order = self.order((self.goods_13, 2, 5000.0))
            order.action_apply_rebate_balance(amount)
            order.action_confirm()
            self.assertEqual(self.balance(), left)
        kinds = self.env["rebate.balance.line"].search([("partner_id", "=", self.customer_a.id)]).mapped("kind")
        self.assertEqual(sorted(kinds), ["earned", "used", "used", "used"])

    def test_cancelled_order_gives_the_balance_back(self):
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_apply_rebate_balance()
        order.action_confirm()
        order._action_cancel()
        self.assertEqual(self.balance(), 6000.0)
        restored = self.env["rebate.balance.line"].search([("kind", "=", "restored")])
        self.assertEqual((restored.amount, restored.sale_order_id), (6000.0, order))

    def test_credited_invoice_gives_the_balance_back(self):
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_apply_rebate_balance()
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        refund = invoice._reverse_moves()
        refund.action_post()
        self.assertEqual(self.balance(), 6000.0)
        self.assertEqual(self.account_balance(self.owed_account), -6000.0, "owed again, as the balance says")
        self.assertEqual(self.discount_lines(order).qty_to_invoice, 0.0, "not invoiced again without its balance")

    def test_cancelled_invoice_gives_the_balance_back(self):
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_apply_rebate_balance()
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        invoice.button_draft()
        invoice.button_cancel()
        self.assertEqual(self.balance(), 6000.0)

    def test_what_is_left_expires_back_to_the_expense(self):
        with lifted(POLICY_REVISION):
            self.policy.balance_validity_months = 3
        self.settlement.action_cancel()
        settlement = self.env["rebate.settlement"]._create_from_records(self.record, date="2026-10-15")
        settlement.action_done()
        order = self.order((self.goods_13, 2, 5000.0))
        order.action_apply_rebate_balance(2000.0)
        order.action_confirm()
        with freeze_time("2027-01-16"):
            order = self.order((self.goods_13, 2, 5000.0))
            with self.assertRaisesRegex(UserError, "none of it can be used"):
                order.action_apply_rebate_balance()
            self.env["rebate.balance"]._cron_expire_balances()
        self.assertEqual(self.balance(), 0.0)
        self.assertEqual(self.account_balance(self.owed_account), -2000.0, "only what the confirmed order used")
        self.assertEqual(self.account_balance(self.expense_account), 2000.0, "4,000 went back to the expense")

    def test_cancelling_a_payout_takes_back_an_unused_balance_only(self):
        order = self.order((self.goods_13, 2, 5000.0))
        order.action_apply_rebate_balance(1000.0)
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "already used part of the balance"):
            self.settlement.action_cancel()
        order._action_cancel()
        self.settlement.action_cancel()
        self.assertEqual(self.balance(), 0.0)
        self.assertEqual(self.account_balance(self.owed_account), 0.0)


@tagged("post_install", "-at_install")
class TestBalanceDiscountErrors(BalanceCommon):
    """Bad input gets a clear error and writes nothing."""

    def test_more_than_the_balance(self):
        order = self.order((self.goods_13, 10, 5000.0))
        with self.assertRaisesRegex(UserError, "6,000.00 of rebate balance|6000.0 of rebate balance"):
            order.action_apply_rebate_balance(7000.0)
        self.assertFalse(self.discount_lines(order))

    def test_more_than_the_policys_share(self):
        order = self.order((self.goods_13, 2, 5000.0))  # 30 % of 10,000 = 3,000
        with self.assertRaisesRegex(UserError, "At most .*3,000.00"):
            order.action_apply_rebate_balance(4000.0)
        order.action_apply_rebate_balance()
        self.assertEqual(order.rebate_discount_amount, 3000.0)

    def test_excluded_products_are_not_discounted(self):
        self.policy.balance_excluded_product_ids = [Command.set(self.goods_9.ids)]
        order = self.order((self.goods_13, 1, 5000.0), (self.goods_9, 100, 100.0))
        order.action_apply_rebate_balance()
        self.assertEqual(self.discount_lines(order).tax_ids, self.vat_13)
        self.assertEqual(order.rebate_discount_amount, 1500.0, "30 % of the 5,000 it may discount")

    def test_another_customer_or_company_or_currency(self):
        order = self.order((self.goods_13, 10, 5000.0), partner=self.customer_b)
        with self.assertRaisesRegex(UserError, "no rebate balance"):
            order.action_apply_rebate_balance()
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_apply_rebate_balance()
        order.partner_id = self.customer_b
        with self.assertRaisesRegex(UserError, "pays only its own customer's orders"):
            order.action_confirm()
        self.assertEqual(self.balance(), 6000.0)
        other = self.setup_other_company()["company"]
        order = self.env["sale.order"].with_company(other).create({
            "partner_id": self.customer_a.id, "company_id": other.id,
            "order_line": [Command.create({"product_id": self.goods_13.id, "product_uom_qty": 1, "price_unit": 5000.0})]})
        with self.assertRaisesRegex(UserError, "no rebate balance"):
            order.action_apply_rebate_balance()
        foreign = self.order((self.goods_13, 10, 5000.0))
        foreign.currency_id = self.setup_other_currency("EUR")
        with self.assertRaisesRegex(UserError, "Rebate balances are in"):
            foreign.action_apply_rebate_balance()

    def test_confirmed_order_and_negative_amount(self):
        order = self.order((self.goods_13, 10, 5000.0))
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            order.action_apply_rebate_balance(-10.0)
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "before they are confirmed"):
            order.action_apply_rebate_balance()


@tagged("post_install", "-at_install")
class TestBalancePortal(BalanceCommon, HttpCase):
    """The customer uses their balance on the quotation they were sent, in the portal."""

    def test_customer_uses_the_balance_on_their_quotation(self):
        portal_user = self.env["res.users"].create({
            "name": "Customer A portal", "login": "customer_a_portal", "password": "customer_a_portal",
            "partner_id": self.customer_a.id, "group_ids": [Command.set(self.env.ref("base.group_portal").ids)]})
        order = self.order((self.goods_13, 10, 5000.0))
        order.action_quotation_sent()
        self.authenticate(portal_user.login, "customer_a_portal")
        page = self.url_open(order.get_portal_url())
        self.assertIn("Use my rebate balance", page.text)
        response = self.url_open(f"/my/orders/{order.id}/rebate_balance?access_token={order.access_token}",
                                 data={"csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(order.rebate_discount_amount, 6000.0)
        self.assertNotIn("Use my rebate balance", response.text)
        # another customer's quotation is refused
        other = self.order((self.goods_13, 10, 5000.0), partner=self.customer_b)
        response = self.url_open(f"/my/orders/{other.id}/rebate_balance",
                                 data={"csrf_token": http.Request.csrf_token(self)})
        self.assertTrue(response.url.endswith("/my"), response.url)
        self.assertFalse(self.discount_lines(other))
