# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time
from lxml import etree

from odoo.tools.safe_eval import safe_eval

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestRecordWorklist(RebateCommon):
    """Records of ended periods wait for confirmation in a worklist; open periods cannot be confirmed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.invoice(cls.customer_a, "2026-07-10", 120000.0)
        cls.invoice(cls.customer_a, "2026-10-05", 30000.0)
        cls.refund(cls.customer_a, "2026-07-20", 2000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()
        cls.q3 = cls.records(cls, date_start="2026-07-01")
        cls.q4 = cls.records(cls, date_start="2026-10-01")

    @freeze_time("2026-10-15")
    def test_to_confirm_filter_and_count(self):
        to_confirm = self.env["rebate.record"].search([("state", "=", "draft"), ("period_ended", "=", True),
                                                       ("policy_id", "=", self.policy.id)])
        self.assertEqual(to_confirm, self.q3)
        self.assertEqual(self.policy.to_confirm_count, 1)
        self.assertTrue(self.q3.period_ended)
        self.assertFalse(self.q4.period_ended)
        self.q3.action_confirm()
        self.policy.invalidate_recordset(["to_confirm_count"])
        self.assertEqual(self.policy.to_confirm_count, 0)

    @freeze_time("2026-10-15")
    def test_to_confirm_filter_of_the_search_view(self):
        arch = self.env["rebate.record"].get_views([(False, "search")])["views"]["search"]["arch"]
        domain = etree.fromstring(arch).xpath("//filter[@name='to_confirm']")[0].get("domain")
        records = self.env["rebate.record"].search(
            [*safe_eval(domain), ("policy_id", "=", self.policy.id)])
        self.assertEqual(records, self.q3, "Q3 has ended and waits; Q4 is still open")
        action = self.policy.action_view_records_to_confirm()
        self.assertEqual(action["context"]["search_default_to_confirm"], 1)

    @freeze_time("2026-10-15")
    def test_confirm_refused_on_an_open_period(self):
        with self.assertRaisesRegex(UserError, "still open"):
            self.q4.action_confirm()
        self.assertEqual(self.q4.state, "draft")

    @freeze_time("2026-10-15")
    def test_owner_reminded_once_per_period(self):
        self.policy.user_id = self.rebate_user
        self.env["rebate.policy"]._cron_compute_rebates()
        self.env["rebate.policy"]._cron_compute_rebates()
        activities = self.policy.activity_ids
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.rebate_user)
        self.assertIn("2026-09-30", activities.summary)

    def test_invoice_lines_open_as_sales(self):
        action = self.q3.action_view_invoice_lines()
        self.assertEqual(action["views"][0][0],
                         self.env.ref("customer_rebate.account_move_line_view_list_rebate_sales").id)
        lines = self.env["account.move.line"].search(action["domain"], order="invoice_date")
        self.assertEqual(lines.mapped("rebate_sales_amount"), [120000.0, -2000.0])
        self.assertEqual(lines.mapped("rebate_sales_qty"), [1.0, -1.0])
        self.assertEqual(sum(lines.mapped("rebate_sales_amount")), self.q3.base_amount)
