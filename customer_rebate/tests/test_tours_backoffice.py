# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
import unittest

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import _find_executable

from .common import RebateCommon

_logger = logging.getLogger(__name__)


def require_chromium(test):
    """Browser tours run in Chromium; where it is missing, the test is skipped with one line that
    says so, never passed silently."""
    try:
        _find_executable()
    except unittest.SkipTest:
        test.skipTest("Chromium not found: browser tour skipped")


@tagged("post_install", "-at_install")
class TestToursBackOffice(RebateCommon, HttpCase):
    """What a sales assistant and an accountant do in the web client, in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env.user)
        cls.last_quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1) - relativedelta(months=3)
        cls.policy.write({"name": "Tour volume rebate", "date_start": cls.last_quarter - relativedelta(years=1)})
        cls.earner = cls.env["res.partner"].create({"name": "Tour Earner", "is_company": True})
        cls.policy.action_activate()
        cls.invoice(cls.earner, cls.last_quarter + relativedelta(days=9), 120000.0)
        cls.policy.action_compute()
        cls.record = cls.env["rebate.record"].search(
            [("policy_id", "=", cls.policy.id), ("partner_id", "=", cls.earner.id),
             ("date_start", "=", cls.last_quarter)])
        cls.assistant = new_test_user(
            cls.env, login="tour_assistant",
            groups="sales_team.group_sale_salesman_all_leads,customer_rebate.group_rebate_user",
            company_id=cls.env.company.id)
        cls.accountant = new_test_user(
            cls.env, login="tour_accountant", groups="customer_rebate.group_rebate_user,account.group_account_invoice",
            company_id=cls.env.company.id)

    def setUp(self):
        super().setUp()
        require_chromium(self)

    def test_sales_assistant_finds_last_quarters_earners_and_their_invoice_lines(self):
        self.assertEqual(self.record.amount, 6000.0)
        self.start_tour("/odoo/action-customer_rebate.rebate_record_action", "customer_rebate_sales_assistant",
                        login="tour_assistant")

    def test_accountant_opens_the_payout_document_from_the_settlement(self):
        self.record.action_confirm()
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        self.assertTrue(settlement.move_id.name.startswith("MISC/"))
        self.start_tour("/odoo/action-customer_rebate.rebate_settlement_action", "customer_rebate_accountant",
                        login="tour_accountant")
