# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import shutil
import subprocess

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import RebateCommon


def pdf_text(pdf):
    """The text of a PDF as poppler's pdftotext reads it (what a person reading it sees)."""
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def skip_without_pdf_tools(test_class):
    """One clear skip line where wkhtmltopdf or pdftotext is missing, never a silent pass."""
    missing = [tool for tool in ("wkhtmltopdf", "pdftotext") if not shutil.which(tool)]
    if missing:
        test_class.skipTest(test_class, "SKIPPED real PDF rendering: %s not installed (Debian packages "
                                        "wkhtmltopdf, poppler-utils)" % ", ".join(missing))


@tagged("post_install", "-at_install")
class TestReportPdf(RebateCommon, HttpCase):
    """The statement and the invoice with its rebate box as real PDFs (wkhtmltopdf), read back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        skip_without_pdf_tools(cls)

    def render_pdf(self, report, records):
        pdf, report_format = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            report, records.ids)
        self.assertEqual(report_format, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return pdf_text(pdf)

    def test_source_example_statement(self):
        record = self.confirmed_record()  # 120,000 in Q3 2026 at 5 %
        text = self.render_pdf("customer_rebate.action_report_rebate_record", record)
        self.assertIn(self.customer_a.name, text)
        self.assertIn("120,000.00", text)
        self.assertIn("6,000.00", text)
        self.assertIn("5", text)

    @freeze_time("2026-08-20")
    def test_invoice_prints_the_rebate_box(self):
        self.policy.action_activate()
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        invoice = self.invoice(self.customer_a, "2026-08-18", 10000.0)
        text = self.render_pdf("account.account_invoices", invoice)
        self.assertIn("Your rebates", text)
        self.assertIn("6,500.00", text, "130,000 in the quarter at 5 %")
