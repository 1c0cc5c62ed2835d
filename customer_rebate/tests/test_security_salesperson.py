# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecuritySalesperson(RebateCommon):
    """Salespeople get a policy's terms (in words, on their orders and in the list of policies) and
    nothing more: no internal notes, accounts, cap figure, records or review."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({
            "cap_amount": 20000.0,
            "note": "<p>Negotiated by the sales director; do not go above 5 %</p>",
        })
        cls.record = cls.confirmed_record()
        cls.salesman = new_test_user(
            cls.env, login="rebate_salesman", groups="sales_team.group_sale_salesman",
            company_id=cls.env.company.id)

    def test_internal_fields_of_a_policy_are_not_readable(self):
        policy = self.policy.with_user(self.salesman)
        for field in ("note", "cap_amount", "expense_account_id", "accrual_account_id", "journal_id",
                      "record_ids", "record_amount", "review_sales", "review_earned", "review_tiers"):
            with self.subTest(field), self.assertRaises(AccessError):
                policy.read([field])
        self.assertNotIn("note", policy.fields_get())
        self.assertNotIn("review_sales", policy.fields_get())

    def test_salesperson_opens_the_policy_form_and_reads_the_terms(self):
        form = Form(self.policy.with_user(self.salesman))
        self.assertEqual(
            form.summary, "5 % of quarterly purchases once they reach 100,000.00, at most $\N{NO-BREAK SPACE}20,000.00")
        self.assertEqual(form.period, "quarter")
        self.assertEqual(len(form.tier_ids), 1)
        for field in ("note", "cap_amount", "journal_id", "review_sales", "record_count"):
            self.assertNotIn(field, form._view["fields"], field)

    def test_salesperson_finds_the_policies_in_the_sales_menu(self):
        menus = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        self.assertIn(self.env.ref("customer_rebate.menu_rebate_root").id, menus)
        self.assertIn(self.env.ref("customer_rebate.menu_rebate_policy").id, menus)
        self.assertNotIn(self.env.ref("customer_rebate.menu_rebate_record").id, menus)
        self.assertNotIn(self.env.ref("customer_rebate.menu_rebate_reporting").id, menus)

    @freeze_time("2026-11-20")
    def test_the_projection_on_their_order_states_the_terms_in_words(self):
        order = self.env["sale.order"].with_user(self.salesman).create({
            "partner_id": self.customer_a.id,
            "order_line": [Command.create({"product_id": self.goods.id, "price_unit": 1000.0, "tax_ids": []})],
        })
        self.assertIn("5 % of quarterly purchases once they reach 100,000.00", order.rebate_projection_html)
