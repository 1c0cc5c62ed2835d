# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import subprocess

from odoo.tests import HttpCase, tagged

from odoo.addons.customer_rebate.tests.test_report_pdf import pdf_text, skip_without_pdf_tools

from .common import RebateCnCommon


@tagged("post_install", "-at_install")
class TestCnStatementPdf(RebateCnCommon, HttpCase):
    """The Chinese statement as a real PDF: its Chinese text and capitals can be read back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        skip_without_pdf_tools(cls)
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, check=False).stdout.decode()
        if "WenQuanYi Micro Hei" not in fonts:
            cls.skipTest(cls, "SKIPPED the Chinese PDF read back: font WenQuanYi Micro Hei not installed (Debian "
                              "package fonts-wqy-microhei)")
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.customer_a.lang = "zh_CN"

    def test_source_example_statement_in_chinese(self):
        record = self.confirmed_record()
        pdf, _format = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "customer_rebate.action_report_rebate_record", record.ids)
        text = pdf_text(pdf)
        self.assertIn("人民币陆仟元整", text)
        self.assertIn("120,000.00", text)
        self.assertIn("6,000.00", text)
