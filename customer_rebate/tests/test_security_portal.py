# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecurityPortal(RebateCommon, HttpCase):
    """Through a portal customer's own session (the pages, the statements and the JSON-RPC the
    web client uses): what is final only, and no internal field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice(cls.customer_a, "2026-02-10", 110000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 120000.0)
        cls.settled = cls.confirmed_record(amount=130000.0)
        cls.invoice(cls.customer_a, "2026-10-05", 150000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()
        records = {
            record.date_start.month: record for record in cls.env["rebate.record"].search(
                [("policy_id", "=", cls.policy.id), ("partner_id", "=", cls.customer_a.id)])
        }
        cls.cancelled, cls.confirmed, cls.estimate = records[1], records[4], records[10]
        cls.cancelled.action_cancel()
        cls.confirmed.action_confirm()
        cls.paid = cls.env["rebate.settlement"]._create_from_records(cls.settled)
        cls.paid.note = "<p>Paid early: margin agreement with their buyer</p>"
        cls.paid.action_done()
        cls.draft_payout = cls.env["rebate.settlement"]._create_from_records(cls.confirmed)
        cls.draft_payout.note = "<p>Hold until they pay invoice 42</p>"
        cls.portal_user = new_test_user(
            cls.env, login="rebate_portal_customer", password="rebate_portal_customer",
            groups="base.group_portal", partner_id=cls.customer_a.id)

    def setUp(self):
        super().setUp()
        self.authenticate("rebate_portal_customer", "rebate_portal_customer")

    def call_kw(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def test_only_confirmed_and_settled_records_are_readable(self):
        self.assertEqual(
            (self.cancelled.state, self.confirmed.state, self.settled.state, self.estimate.state),
            ("cancelled", "confirmed", "settled", "draft"))
        rows = self.call_kw("rebate.record", "search_read", [], fields=["state"])
        self.assertEqual({row["id"] for row in rows}, {self.confirmed.id, self.settled.id})
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.call_kw("rebate.record", "read", self.estimate.ids, fields=["amount"])
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.call_kw("rebate.record", "read", self.cancelled.ids, fields=["amount"])

    def test_only_paid_settlements_are_readable(self):
        rows = self.call_kw("rebate.settlement", "search_read", [], fields=["state", "amount"])
        self.assertEqual([row["id"] for row in rows], self.paid.ids)
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.call_kw("rebate.settlement", "read", self.draft_payout.ids, fields=["amount"])

    def test_internal_fields_are_not_readable(self):
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.call_kw("rebate.settlement", "read", self.paid.ids, fields=["note"])
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.call_kw("rebate.record", "read", self.settled.ids, fields=["previous_base_amount"])
        self.assertNotIn("note", self.call_kw("rebate.settlement", "fields_get"))
        self.assertNotIn("previous_base_amount", self.call_kw("rebate.record", "fields_get"))
        rows = self.call_kw("rebate.settlement", "read", self.paid.ids, fields=["name", "amount", "date"])
        self.assertEqual(rows[0]["amount"], self.paid.amount)

    def test_statements_of_estimates_and_unpaid_payouts_are_refused(self):
        for url in (f"/my/rebates/record/{self.estimate.id}/statement",
                    f"/my/rebates/record/{self.cancelled.id}/statement",
                    f"/my/rebates/settlement/{self.draft_payout.id}/statement"):
            response = self.url_open(url)
            self.assertTrue(response.url.endswith("/my"), url)
        own = self.url_open(f"/my/rebates/settlement/{self.paid.id}/statement")
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.paid.name, own.text)
        self.assertNotIn("Paid early", own.text)
