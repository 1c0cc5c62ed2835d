# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.customer_rebate.wizards import rebate_export_wizard

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestExportSheetLimit(RebateCommon):
    """The detail report continues on a new sheet before Excel's last row, where xlsxwriter would
    silently drop the rest. The limit is lowered here to a few rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        for partner in (cls.customer_a, cls.customer_b):
            cls.invoice(partner, "2026-02-10", 110000.0)
            cls.invoice(partner, "2026-05-10", 120000.0)
            cls.invoice(partner, "2026-08-10", 130000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()
        cls.records = cls.env["rebate.record"].search([("policy_id", "=", cls.policy.id)])

    def export(self):
        wizard = self.env["rebate.export.wizard"].create({"report": "detail"})
        wizard.action_export()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)

    def test_rows_past_the_last_row_of_a_sheet_continue_on_the_next(self):
        self.assertEqual(len(self.records), 6)
        # a header, 2 records, the sheet's total and the grand total's row: 5 rows per sheet
        with patch.object(rebate_export_wizard, "MAX_SHEET_ROWS", 5):
            book = self.export()
        self.assertEqual(book.sheetnames, ["Rebate Detail", "Rebate Detail (2)", "Rebate Detail (3)"])
        data = []
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            self.assertEqual(rows[0][0], "Customer", "each sheet has its header")
            self.assertLessEqual(sheet.max_row, 5)
            records = [row for row in rows[1:] if row[0] not in ("Total of this sheet", "Total")]
            sheet_total = next(row for row in rows if row[0] == "Total of this sheet")
            self.assertEqual(sheet_total[9], sum(row[9] for row in records))
            data += records
        self.assertEqual(len(data), len(self.records), "no record is dropped")
        self.assertEqual(sorted(row[9] for row in data), sorted(self.records.mapped("amount")))
        last = list(book.worksheets[-1].iter_rows(values_only=True))[-1]
        self.assertEqual((last[0], last[9]), ("Total", sum(self.records.mapped("amount"))))
