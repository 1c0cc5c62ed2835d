# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPortal(RebateCommon, HttpCase):
    """Customers see their own rebates and statements in the portal, and nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record_a = cls.confirmed_record(amount=120000.0)
        cls.record_b = cls.confirmed_record(partner=cls.customer_b, amount=300000.0)
        cls.portal_user = new_test_user(
            cls.env, login="rebate_portal", password="rebate_portal", groups="base.group_portal",
            partner_id=cls.customer_a.id)

    def test_portal_user_reads_only_their_own_records(self):
        Record = self.env["rebate.record"].with_user(self.portal_user)
        self.assertEqual(Record.search([]), self.record_a)
        self.assertEqual(self.record_a.with_user(self.portal_user).amount, 6000.0)
        with self.assertRaises(AccessError):
            self.record_b.with_user(self.portal_user).read(["amount"])

    def test_rebates_page_lists_the_customers_rebates(self):
        self.authenticate("rebate_portal", "rebate_portal")
        response = self.url_open("/my/rebates")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Quarterly volume rebate", response.text)
        self.assertIn("6,000.00", response.text)
        self.assertNotIn("15,000.00", response.text, "customer B's rebate is not shown")

    def test_statement_of_another_customer_is_refused(self):
        self.authenticate("rebate_portal", "rebate_portal")
        own = self.url_open(f"/my/rebates/record/{self.record_a.id}/statement")
        self.assertEqual(own.status_code, 200)
        self.assertIn("Six Thousand", own.text)
        other = self.url_open(f"/my/rebates/record/{self.record_b.id}/statement")
        self.assertNotIn("Fifteen Thousand", other.text)
        self.assertTrue(other.url.endswith("/my"), other.url)
