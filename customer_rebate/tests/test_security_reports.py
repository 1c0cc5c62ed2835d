# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecurityReports(RebateCommon, HttpCase):
    """Each statement is printed from the back end's report route for the document asked for: the
    record's for a record, the settlement's for a settlement, never the other model's row of the
    same id."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record_a = cls.confirmed_record(amount=120000.0)
        cls.record_b = cls.confirmed_record(partner=cls.customer_b, amount=300000.0)
        cls.settlement_b = cls.env["rebate.settlement"]._create_from_records(cls.record_b)
        cls.settlement_b.action_done()
        cls.manager = new_test_user(
            cls.env, login="rebate_report_manager", password="rebate_report_manager",
            groups="customer_rebate.group_rebate_manager", company_id=cls.env.company.id)
        cls.report_user = new_test_user(
            cls.env, login="rebate_report_user", password="rebate_report_user",
            groups="customer_rebate.group_rebate_user", company_id=cls.env.company.id)

    def print_statement(self, report_xmlid, document):
        report = self.env.ref(report_xmlid)
        response = self.url_open(f"/report/pdf/{report.report_name}/{document.id}")
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_each_statement_has_its_own_report_name(self):
        record_report = self.env.ref("customer_rebate.action_report_rebate_record")
        settlement_report = self.env.ref("customer_rebate.action_report_rebate_settlement")
        self.assertNotEqual(record_report.report_name, settlement_report.report_name)
        Report = self.env["ir.actions.report"]
        self.assertEqual(Report._get_report_from_name(settlement_report.report_name), settlement_report)
        self.assertEqual(Report._get_report_from_name(record_report.report_name), record_report)

    def test_each_statement_printed_from_its_route_is_its_own_customers(self):
        self.authenticate("rebate_report_manager", "rebate_report_manager")
        text = self.print_statement("customer_rebate.action_report_rebate_settlement", self.settlement_b)
        self.assertIn(self.settlement_b.name, text)
        self.assertIn(self.customer_b.name, text)
        self.assertNotIn(self.customer_a.name, text)
        self.assertIn("15,000.00", text)
        text = self.print_statement("customer_rebate.action_report_rebate_record", self.record_a)
        self.assertIn(self.customer_a.name, text)
        self.assertNotIn(self.customer_b.name, text)
        self.assertIn("6,000.00", text)

    def test_rebate_user_prints_a_paid_settlements_statement(self):
        """The statement names the payout's entry, which a plain rebate user may not open."""
        self.authenticate("rebate_report_user", "rebate_report_user")
        text = self.print_statement("customer_rebate.action_report_rebate_settlement", self.settlement_b)
        self.assertIn(self.settlement_b.move_id.name, text)

    def test_a_statement_of_no_document_is_not_a_server_error(self):
        self.authenticate("rebate_report_manager", "rebate_report_manager")
        for report_xmlid in ("customer_rebate.action_report_rebate_record", "customer_rebate.action_report_rebate_settlement"):
            report = self.env.ref(report_xmlid)
            with self.subTest(report=report_xmlid):
                with mute_logger("odoo.http"):  # "Record does not exist", the expected answer
                    response = self.url_open(f"/report/pdf/{report.report_name}/987654321")
                self.assertIn(response.status_code, (400, 403, 404), response.text[:300])

    def test_an_estimate_statement_says_it_is_not_final(self):
        self.invoice(self.customer_a, "2026-10-05", 150000.0)
        with freeze_time("2026-10-15"):
            self.policy.action_compute()
        estimate = self.records(partner_id=self.customer_a.id, date_start="2026-10-01")
        self.assertEqual(estimate.state, "draft")
        self.authenticate("rebate_report_manager", "rebate_report_manager")
        text = self.print_statement("customer_rebate.action_report_rebate_record", estimate)
        self.assertIn("Estimate: the period is still open", text)
        final = self.print_statement("customer_rebate.action_report_rebate_record", self.record_a)
        self.assertNotIn("Estimate: the period is still open", final)
