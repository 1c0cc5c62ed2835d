# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-08-20")
class TestCustomerSide(RebateCommon):
    """客户档案: the customer form shows the policies that apply, in words, with the same figures
    as the order projection; salespeople open them from the customer and from the quotation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()  # every customer, every product
        cls.b_policy = cls.create_policy(
            name="B's rebate", partner_ids=[Command.set(cls.customer_b.ids)], tiers=((10000.0, 2.0),))
        cls.b_policy.action_activate()
        cls.invoice(cls.customer_a, "2026-07-10", 80000.0)
        cls.salesman = new_test_user(cls.env, login="salesman_ux", groups="sales_team.group_sale_salesman",
                                     company_id=cls.env.company.id)

    def test_applicable_policies_include_every_customer_policy(self):
        self.assertEqual(self.customer_a._rebate_applicable_policies(), self.policy)
        self.assertEqual(self.customer_b._rebate_applicable_policies(), self.policy | self.b_policy)

    def test_standing_equals_the_order_projection(self):
        standing, = self.customer_a._rebate_standings()
        # 80,000 bought in Q3, below the 100,000 tier: nothing yet, 20,000 to go
        self.assertEqual((standing["base_amount"], standing["projected_amount"], standing["gap"]), (80000, 0, 20000))
        order = self.env["sale.order"].create({"partner_id": self.customer_a.id, "date_order": "2026-08-20 09:00:00"})
        projection, = order._get_rebate_projections()
        for key in ("base_amount", "projected_amount", "gap", "next_amount", "period_start", "period_end", "next_text"):
            self.assertEqual(standing[key], projection[key], key)
        html = str(self.customer_a.rebate_policy_html)
        self.assertIn("5 % of quarterly purchases once they reach 100,000.00", html)
        self.assertIn("80,000.00", html)
        self.assertEqual(self.customer_a.rebate_policy_count, 1)

    def test_search_by_customer_finds_every_customer_policies(self):
        Policy = self.env["rebate.policy"]
        self.assertEqual(Policy.search([("applies_to_partner_id", "=", self.customer_a.id)]), self.policy)
        self.assertEqual(Policy.search([("applies_to_partner_id", "ilike", self.customer_b.name)]),
                         self.policy | self.b_policy)

    def test_empty_scope_reads_all_customers(self):
        self.assertEqual((self.policy.customer_scope_text, self.policy.product_scope_text),
                         ("All customers", "All products"))
        self.assertEqual(self.b_policy.customer_scope_text, self.customer_b.display_name)

    def test_salesperson_opens_the_policies_from_the_quotation(self):
        order = self.env["sale.order"].with_user(self.salesman).create({"partner_id": self.customer_b.id})
        self.assertEqual(order.rebate_policy_count, 2)
        action = order.action_view_rebate_policies()
        self.assertEqual(action["context"], {"create": False, "edit": False, "delete": False})
        policies = self.env["rebate.policy"].with_user(self.salesman).search(action["domain"])
        self.assertEqual(policies, self.policy | self.b_policy)
        self.assertEqual(policies.mapped("summary")[0][:3], "5 %")
        from_customer = self.customer_b.with_user(self.salesman).action_view_rebate_policies()
        self.assertEqual(from_customer["domain"], action["domain"])
        self.assertEqual(self.customer_b.with_user(self.salesman).rebate_policy_count, 2)
