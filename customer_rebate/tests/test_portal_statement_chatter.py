# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import HttpCase, new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPortalStatementChatter(RebateCommon, HttpCase):
    """A customer comments on their statement in the portal (the payout's page, portal chatter);
    another customer's payout page is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        records = cls.confirmed_record(amount=120000.0) | cls.confirmed_record(partner=cls.customer_b, amount=300000.0)
        settlements = cls.env["rebate.settlement"]._create_from_records(records)
        settlements.action_done()
        cls.settlement_a = settlements.filtered(lambda s: s.partner_id == cls.customer_a)
        cls.settlement_b = settlements - cls.settlement_a
        cls.portal_user = new_test_user(
            cls.env, login="rebate_chatter_portal", password="rebate_chatter_portal", groups="base.group_portal",
            partner_id=cls.customer_a.id)

    def test_customer_comments_on_their_statement(self):
        self.authenticate("rebate_chatter_portal", "rebate_chatter_portal")
        page = self.url_open(f"/my/rebates/settlement/{self.settlement_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn('data-res_model="rebate.settlement"', page.text)
        self.assertIn("6,000.00", page.text)
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "rebate.settlement", "thread_id": self.settlement_a.id,
            "post_data": {"body": "Which invoices does this cover?", "message_type": "comment"}})
        message = self.settlement_a.message_ids.filtered(lambda m: "Which invoices" in str(m.body))
        self.assertEqual(message.author_id, self.customer_a)
        other = self.url_open(f"/my/rebates/settlement/{self.settlement_b.id}")
        self.assertTrue(other.url.endswith("/my"), other.url)
        self.assertNotIn("15,000.00", other.text)
