# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPortalTerms(RebateCommon, HttpCase):
    """A customer sees, in the portal, the terms of each active policy that applies to them and
    where they stand in the current period — the figures of the projection on their orders — and
    never another customer's policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.policy_b = cls.create_policy(name="Customer B special terms", partner_ids=[cls.customer_b.id])
        cls.policy_b.action_activate()
        cls.today = fields.Date.today()
        # 60,000 bought in the current period: 40,000 short of the 100,000 tier
        cls.invoice(cls.customer_a, cls.today, 60000.0)
        cls.portal_user = new_test_user(
            cls.env, login="rebate_terms_portal", password="rebate_terms_portal", groups="base.group_portal",
            partner_id=cls.customer_a.id)

    def setUp(self):
        super().setUp()
        self.authenticate("rebate_terms_portal", "rebate_terms_portal")

    def test_terms_and_progress_match_the_projection(self):
        response = self.url_open("/my/rebates/policies")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("<title>Rebates</title>", page)
        self.assertIn('<a href="/my/rebates">Rebates</a>', page, "the breadcrumb leads back to the rebates")
        self.assertIn("Quarterly volume rebate", page)
        self.assertIn(self.policy.summary, page, "the terms in the words of the policy form")
        self.assertNotIn("Customer B special terms", page)
        projection = self.env["rebate.projection.mixin"]._project_rebate_policy(
            self.policy, self.customer_a, self.today, [])
        self.assertEqual(projection["to_date_text"], "60,000.00")
        self.assertEqual(projection["projected_amount"], 0)
        for key in ("to_date_text", "reached_text", "projected_text", "next_text"):
            self.assertIn(projection[key], page, key)
        self.assertIn("40,000.00", projection["next_text"])

    def test_the_page_of_another_customers_policy_is_refused(self):
        own = self.url_open(f"/my/rebates/policies/{self.policy.id}")
        self.assertEqual(own.status_code, 200)
        self.assertIn("60,000.00", own.text)
        other = self.url_open(f"/my/rebates/policies/{self.policy_b.id}")
        self.assertNotIn("Customer B special terms", other.text)
        self.assertTrue(other.url.endswith("/my"), other.url)

    def test_the_rebates_page_links_to_the_terms(self):
        response = self.url_open("/my/rebates")
        self.assertIn('href="/my/rebates/policies"', response.text)
        self.assertIn("<title>Rebates</title>", response.text)
        # no rebate earned yet, but one policy applies: the portal home shows the entry
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["rebate_count"]})
        self.assertEqual(counters["rebate_count"], 1)
