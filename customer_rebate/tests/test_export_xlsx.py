import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestExportXlsx(RebateCommon):
    """返利明细报表 and 返利汇总报表: the files are opened again and their cells checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record_a = cls.confirmed_record()
        cls.record_b = cls.confirmed_record(partner=cls.customer_b, amount=250000.0)
        cls.invoice(cls.customer_a, "2026-10-05", 150000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()  # an estimate for Q4
        settlement = cls.env["rebate.settlement"]._create_from_records(cls.record_a)
        settlement.action_done()
        cls.settlement = settlement
        cls.records = cls.env["rebate.record"].search([("policy_id", "=", cls.policy.id)])

    def export(self, data_only=True, **values):
        """The exported workbook; ``data_only`` reads formulas' cached values, as a spreadsheet shows them."""
        wizard = self.env["rebate.export.wizard"].create(values)
        action = wizard.action_export()
        self.assertIn(f"id={wizard.id}", action["url"])
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=data_only)

    def test_detail_has_one_row_per_record_and_totals_equal_the_records(self):
        book = self.export(report="detail")
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:6], ["Customer", "Policy", "Period", "Start", "End", "Base Amount"])
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        data, total = rows[:-1], rows[-1]
        self.assertEqual(len(data), len(self.records))
        self.assertEqual(total[0], "Total")
        self.assertEqual(sum(row[9] for row in data), sum(self.records.mapped("amount")))
        self.assertEqual(total[9], sum(self.records.mapped("amount")))
        formulas = self.export(data_only=False, report="detail").worksheets[0]
        self.assertTrue(str(formulas.cell(len(rows) + 1, 10).value).startswith("=SUBTOTAL(9,J2:J"),
                        "the total follows the autofilter")
        row_a = next(row for row in data if row[0] == self.customer_a.display_name and row[2] == "Q3 2026")
        self.assertEqual((row_a[5], row_a[8], row_a[9], row_a[11], row_a[12]),
                         (120000.0, 5.0, 6000.0, self.settlement.name, self.settlement.move_id.name))
        self.assertEqual(row_a[3].date().isoformat(), "2026-07-01")
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertTrue(sheet.auto_filter.ref)
        self.assertEqual(sheet.cell(2, 6).number_format, "#,##0.00")
        self.assertEqual(sheet.cell(2, 4).number_format, "yyyy-mm-dd")

    def test_detail_without_estimates_and_for_one_customer(self):
        book = self.export(report="detail", include_estimates=False, partner_ids=[(6, 0, self.customer_b.ids)])
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[:-1]
        self.assertEqual([(row[0], row[9]) for row in rows], [(self.customer_b.display_name, 12500.0)])

    def test_summary_totals_and_subtotals(self):
        book = self.export(report="summary")
        customers = book["By Customer"]
        rows = list(customers.iter_rows(min_row=2, values_only=True))
        by_name = {row[0]: row for row in rows[:-1]}
        self.assertEqual(by_name[self.customer_a.display_name][3:6], (6000.0 + 7500.0, 6000.0, 0.0))
        self.assertEqual(by_name[self.customer_b.display_name][3:6], (12500.0, 0.0, 12500.0))
        self.assertEqual(rows[-1][3], sum(self.records.mapped("amount")))
        policy_rows = list(book["By Policy and Period"].iter_rows(min_row=2, values_only=True))
        subtotal = next(row for row in policy_rows if str(row[0]).startswith("Subtotal"))
        self.assertEqual(subtotal[4], sum(self.records.mapped("amount")))
        self.assertEqual(policy_rows[-1][0], "Total")
        self.assertEqual(policy_rows[-1][4], sum(self.records.mapped("amount")))
        q3 = next(row for row in policy_rows if row[1] == "Q3 2026")
        self.assertEqual((q3[2], q3[4]), (2, 18500.0))

    def test_selected_records_only(self):
        wizard_values = {"report": "detail"}
        wizard = self.env["rebate.export.wizard"].with_context(
            active_model="rebate.record", active_ids=self.record_b.ids).create(wizard_values)
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[:-1]
        self.assertEqual(len(rows), 1)
