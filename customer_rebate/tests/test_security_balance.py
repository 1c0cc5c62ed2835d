# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_balance_discount import BalanceCommon


@tagged("post_install", "-at_install")
class TestSecurityBalance(BalanceCommon):
    """Tried as an attacker would: a balance moves only through the balance, for its customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.rebate_own_customers_only = True
        # the test's own user prepares orders for every salesperson
        cls.env.user.group_ids |= cls.env.ref("sales_team.group_sale_salesman_all_leads")
        cls.seller = new_test_user(cls.env, login="balance_seller", groups="sales_team.group_sale_salesman",
                                   company_id=cls.env.company.id)
        cls.other_seller = new_test_user(cls.env, login="other_seller", groups="customer_rebate.group_rebate_user",
                                         company_id=cls.env.company.id)
        cls.customer_a.user_id = cls.seller
        cls.customer_b.user_id = cls.seller

    def test_balance_lines_are_not_typed_in(self):
        balance = self.env["rebate.balance"].search([("partner_id", "=", self.customer_a.id)])
        order = self.order((self.goods_13, 2, 5000.0)).with_user(self.seller)
        with self.assertRaisesRegex(UserError, "added with Use Rebate Balance"):
            order.write({"order_line": [Command.create({
                "product_id": self.goods_13.id, "price_unit": 5000.0, "is_rebate_discount": True,
                "rebate_balance_id": balance.id})]})
        order.action_apply_rebate_balance(1000.0)
        order.action_confirm()
        other = self.env["rebate.balance"].sudo()._get_or_create(self.customer_b, self.policy)
        with self.assertRaisesRegex(UserError, "added with Use Rebate Balance"):
            self.discount_lines(order).with_user(self.seller).write({"rebate_balance_id": other.id})
        with self.assertRaisesRegex(UserError, "added with Use Rebate Balance"):
            self.discount_lines(order).with_user(self.seller).write({"is_rebate_discount": False})

    def test_the_customer_of_an_order_using_a_balance_does_not_change(self):
        order = self.order((self.goods_13, 2, 5000.0))
        order.action_apply_rebate_balance(1000.0)
        order.partner_invoice_id = self.customer_b
        with self.assertRaisesRegex(UserError, "pays only its own customer's orders"):
            order.action_confirm()
        order.partner_invoice_id = self.customer_a
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "cannot change"):
            order.partner_id = self.customer_b

    def test_discount_is_never_invoiced_without_goods_that_carry_it(self):
        self.goods_13.write({"type": "consu", "invoice_policy": "delivery"})
        order = self.order((self.goods_13, 2, 5000.0))
        order.action_apply_rebate_balance(3000.0)
        order.action_confirm()
        with self.assertRaises(UserError):  # nothing to invoice: the discount waits for the goods
            order._create_invoices()
        order.order_line.filtered(lambda l: not l.is_rebate_discount).qty_delivered = 2
        invoice = order._create_invoices()
        self.assertEqual((invoice.move_type, invoice.amount_untaxed), ("out_invoice", 7000.0))

    def test_balances_follow_the_own_customers_setting(self):
        self.assertEqual(self.env["rebate.balance"].with_user(self.seller).search_count([]), 1)
        self.assertFalse(self.env["rebate.balance"].with_user(self.other_seller).search([]),
                         "a rebate user sees the balances of their own customers only")
        self.assertEqual(self.customer_a.with_user(self.other_seller).rebate_balance, 0.0)

    def test_projection_only_for_customers_the_user_may_see(self):
        order = self.order((self.goods_13, 2, 5000.0))
        self.assertTrue(order.with_user(self.seller).rebate_projection_html)
        self.assertEqual(order.with_user(self.seller).rebate_balance_available, 6000.0)
        foreign = self.env["sale.order"].with_user(self.other_seller).new({
            "partner_id": self.customer_a.id, "company_id": self.env.company.id,
            "order_line": [Command.create({"product_id": self.goods_13.id, "product_uom_qty": 2})]})
        self.assertFalse(foreign.rebate_projection_html)
        self.assertEqual(foreign.rebate_balance_available, 0.0)

    def test_statement_of_another_customer_is_not_printed_behind_an_allowed_one(self):
        self.customer_b.user_id = self.other_seller
        self.invoice(self.customer_b, "2026-07-10", 200000.0)
        from freezegun import freeze_time  # noqa: PLC0415
        with freeze_time("2026-10-15"):
            self.policy.action_compute()
        theirs = self.records(partner_id=self.customer_b.id)
        mine = self.record
        Report = self.env["ir.actions.report"].with_user(self.seller)
        with self.assertRaises(AccessError):
            Report._render_qweb_html("customer_rebate.action_report_rebate_record", (mine | theirs).ids)
