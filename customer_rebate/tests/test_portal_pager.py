# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.portal.controllers.portal import CustomerPortal

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPortalPager(RebateCommon, HttpCase):
    """A customer with many rebates reads them page by page, as core's portal lists go; the
    rebates page shows the latest payouts and leads to all of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Q1, Q2 and Q3 2026: 110,000, 120,000 and 130,000 → 5,500, 6,000 and 6,500
        cls.invoice(cls.customer_a, "2026-02-10", 110000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 120000.0)
        cls.invoice(cls.customer_a, "2026-08-10", 130000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_activate()
            cls.policy.action_compute()
        cls.quarters = cls.env["rebate.record"].search(
            [("policy_id", "=", cls.policy.id), ("partner_id", "=", cls.customer_a.id)], order="date_start")
        cls.quarters.action_confirm()
        cls.payouts = cls.env["rebate.settlement"]
        for record in cls.quarters:
            payout = cls.env["rebate.settlement"]._create_from_records(record)
            payout.action_done()
            cls.payouts |= payout
        cls.portal_user = new_test_user(
            cls.env, login="rebate_pager_customer", password="rebate_pager_customer",
            groups="base.group_portal", partner_id=cls.customer_a.id)

    def setUp(self):
        super().setUp()
        self.authenticate("rebate_pager_customer", "rebate_pager_customer")

    def test_records_come_page_by_page(self):
        self.assertEqual(self.quarters.mapped("amount"), [5500.0, 6000.0, 6500.0])
        with patch.object(CustomerPortal, "_items_per_page", 2):
            first = self.url_open("/my/rebates").text
            second = self.url_open("/my/rebates/page/2").text
        # newest first: Q3 and Q2 on the first page, Q1 on the second
        self.assertIn("6,500.00", first)
        self.assertIn("6,000.00", first)
        self.assertNotIn("5,500.00", first.split("o_rebate_portal_settlement")[0], "Q1 is on the next page")
        self.assertIn('href="/my/rebates/page/2"', first, "the pager links the next page")
        self.assertIn("5,500.00", second.split("o_rebate_portal_settlement")[0])
        self.assertNotIn("6,500.00", second.split("o_rebate_portal_settlement")[0])

    def test_latest_payouts_and_all_payouts_page(self):
        with patch("odoo.addons.customer_rebate.controllers.portal.RebatePortal._rebate_latest_payouts", 2):
            home = self.url_open("/my/rebates").text
        self.assertEqual(home.count("o_rebate_portal_settlement"), 2, "only the latest payouts on the rebates page")
        self.assertIn('href="/my/rebates/payouts"', home, "a link leads to every payout")
        with patch.object(CustomerPortal, "_items_per_page", 2):
            page_1 = self.url_open("/my/rebates/payouts").text
            page_2 = self.url_open("/my/rebates/payouts/page/2").text
        names = self.payouts.sorted("id", reverse=True).mapped("name")
        self.assertEqual(page_1.count("o_rebate_portal_settlement"), 2)
        self.assertEqual(page_2.count("o_rebate_portal_settlement"), 1)
        self.assertIn(names[-1], page_2, "the oldest payout is on the second page")
        self.assertNotIn(names[-1], page_1)

    def test_statement_check_goes_through_the_portal_access_check(self):
        """Another customer's statement and a missing one lead back to /my, through core's
        ``_document_check_access`` (which the pages now call)."""
        other = self.confirmed_record(partner=self.customer_b, amount=300000.0)
        calls = []
        original = CustomerPortal._document_check_access

        def spy(portal, model_name, document_id, access_token=None):
            calls.append((model_name, document_id))
            return original(portal, model_name, document_id, access_token)

        with patch.object(CustomerPortal, "_document_check_access", spy):
            refused = self.url_open(f"/my/rebates/record/{other.id}/statement")
            missing = self.url_open("/my/rebates/settlement/999999999/statement")
            own = self.url_open(f"/my/rebates/settlement/{self.payouts[0].id}")
        self.assertTrue(refused.url.endswith("/my"), refused.url)
        self.assertTrue(missing.url.endswith("/my"), missing.url)
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.payouts[0].name, own.text)
        self.assertEqual(calls, [("rebate.record", other.id), ("rebate.settlement", 999999999),
                                 ("rebate.settlement", self.payouts[0].id)])
