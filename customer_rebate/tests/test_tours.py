# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import unittest

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import _find_executable

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestTours(RebateCommon, HttpCase):
    """What people see, in a real browser (Odoo tours in Chromium): approving and activating a
    policy, a salesperson's quotation with the projection, a portal customer's rebates."""

    @classmethod
    def setUpClass(cls):
        # one line for the whole class where no browser can run, before any fixture is built
        try:
            _find_executable()
            import websocket  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
        except (unittest.SkipTest, ImportError) as missing:
            raise unittest.SkipTest(
                f"browser tours of customer_rebate skipped: Chromium or websocket-client missing ({missing})") from None
        super().setUpClass()
        cls.today = fields.Date.today()
        # 60,000 bought in the current period: 40,000 short of the 100,000 tier
        cls.invoice(cls.customer_a, cls.today, 60000.0)

    def test_approve_and_activate_a_policy(self):
        self.env.company.rebate_approval = True
        approver = new_test_user(
            self.env, login="rebate_tour_approver", password="rebate_tour_approver",
            groups="customer_rebate.group_rebate_manager,customer_rebate.group_rebate_finance_approver",
            company_id=self.env.company.id)
        marketing = new_test_user(
            self.env, login="rebate_tour_marketing", groups="customer_rebate.group_rebate_marketing_approver",
            company_id=self.env.company.id)
        self.policy.action_request_approval()
        # two people approve: marketing here, finance in the browser
        self.policy.with_user(marketing).action_approve_marketing()
        self.start_tour(f"/odoo/action-customer_rebate.rebate_policy_action/{self.policy.id}",
                        "customer_rebate_policy_approval", login=approver.login)
        self.assertEqual(self.policy.state, "active")
        self.assertEqual((self.policy.finance_approver_id, self.policy.marketing_approver_id), (approver, marketing))

    def test_salesperson_sees_the_projection_on_a_quotation(self):
        self.policy.action_activate()
        salesperson = new_test_user(
            self.env, login="rebate_tour_salesman", password="rebate_tour_salesman",
            groups="sales_team.group_sale_salesman", company_id=self.env.company.id)
        order = self.env["sale.order"].sudo().create({
            "partner_id": self.customer_a.id,
            "user_id": salesperson.id,
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": 10, "price_unit": 100.0})],
        })
        self.start_tour(f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}",
                        "customer_rebate_quotation_projection", login=salesperson.login)

    def test_portal_customer_opens_their_rebates(self):
        self.policy.action_activate()
        new_test_user(self.env, login="rebate_tour_portal", password="rebate_tour_portal",
                      groups="base.group_portal", partner_id=self.customer_a.id)
        self.start_tour("/my/rebates", "customer_rebate_portal_rebates", login="rebate_tour_portal")
