# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecurityExports(RebateCommon, HttpCase):
    """An export's file, and any wizard row, is its creator's alone; a plain rebate user can export
    the detail of paid rebates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.record = cls.confirmed_record()
        cls.settlement = cls.env["rebate.settlement"]._create_from_records(cls.record)
        cls.settlement.action_done()
        cls.exporter = new_test_user(
            cls.env, login="rebate_exporter", password="rebate_exporter",
            groups="customer_rebate.group_rebate_manager", company_id=cls.env.company.id)
        cls.plain_user = new_test_user(
            cls.env, login="rebate_plain_user", groups="customer_rebate.group_rebate_user",
            company_id=cls.env.company.id)
        cls.other_user = new_test_user(
            cls.env, login="rebate_other_company", password="rebate_other_company",
            groups="customer_rebate.group_rebate_user", company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)])
        cls.other_manager = new_test_user(
            cls.env, login="rebate_other_manager", password="rebate_other_manager",
            groups="customer_rebate.group_rebate_manager", company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)])

    def export_as(self, user, report="summary"):
        # as in a request, nothing read before is in the cache
        self.env.invalidate_all()
        wizard = self.env["rebate.export.wizard"].with_user(user).create({"report": report})
        return wizard, wizard.action_export()

    def test_another_users_export_is_not_listed_nor_readable(self):
        wizard, _action = self.export_as(self.exporter)
        Wizard = self.env["rebate.export.wizard"].with_user(self.other_user)
        self.assertFalse(Wizard.search([]))
        self.assertFalse(Wizard.search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            wizard.with_user(self.other_user).read(["file_data", "file_name"])
        self.assertTrue(wizard.with_user(self.exporter).file_data, "its creator reads it")

    def test_another_users_export_cannot_be_downloaded_through_web_content(self):
        _wizard, action = self.export_as(self.exporter)
        self.authenticate("rebate_other_company", "rebate_other_company")
        with mute_logger("odoo.http"):
            response = self.url_open(action["url"])
        self.assertIn(response.status_code, (403, 404))
        self.assertFalse(response.content.startswith(b"PK"), "no XLSX file in the answer")

        self.authenticate("rebate_exporter", "rebate_exporter")
        response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"), "its creator downloads the XLSX file")

    def test_compute_and_settle_wizards_are_their_creators_only(self):
        compute = self.env["rebate.compute.wizard"].create({"policy_ids": [Command.set(self.policy.ids)]})
        settle = self.env["rebate.settle.wizard"].create({"record_ids": [Command.set(self.record.ids)]})
        for wizard in (compute, settle):
            other = self.env[wizard._name].with_user(self.other_manager)
            self.assertFalse(other.search([("id", "=", wizard.id)]), wizard._name)
            with self.assertRaises(AccessError, msg=wizard._name):
                wizard.with_user(self.other_manager).read(["create_uid"])

    def test_rebate_user_exports_the_detail_of_paid_rebates(self):
        """The detail names the payout's journal entry, which a plain rebate user may not open."""
        self.assertFalse(self.settlement.move_id.with_user(self.plain_user).has_access("read"))
        wizard, _action = self.export_as(self.plain_user, report="detail")
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[:-1]
        paid = [row for row in rows if row[11] == self.settlement.name]
        self.assertEqual(len(paid), 1)
        self.assertEqual(paid[0][12], self.settlement.move_id.name)
