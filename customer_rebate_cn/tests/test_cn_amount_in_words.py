# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import RebateCnCommon


@tagged("post_install", "-at_install")
class TestCnAmountInWords(RebateCnCommon):
    """金额大写 on the statement of a Chinese customer, as banks write it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.customer_a.lang = "zh_CN"

    def statement(self, record):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", record.ids)
        return html.decode()

    def test_source_example_in_capitals(self):
        self.assertEqual(self.env.company.currency_id.name, "CNY")
        html = self.statement(self.confirmed_record())
        self.assertIn("人民币陆仟元整", html)

    def test_jiao_without_zheng(self):
        policy = self.create_policy(tiers=((0.0, 5.0),), name="From the first yuan")
        record = self.confirmed_record(policy=policy, amount=25050.0)
        self.assertEqual(record.amount, 1252.5)
        self.assertIn("人民币壹仟贰佰伍拾贰元伍角", self.statement(record))

    def test_other_languages_keep_amount_to_text(self):
        self.customer_a.lang = "en_US"
        html = self.statement(self.confirmed_record())
        self.assertNotIn("人民币", html)
        self.assertIn(self.env.company.currency_id.with_context(lang="en_US").amount_to_text(6000.0), html)

    def test_rate_written_as_chinese_readers_write_it(self):
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        html = self.statement(self.confirmed_record())
        self.assertIn(">5%<", html.replace(" ", "").replace("\n", ""))
        self.assertNotIn("5 %", html, "no space between the number and % in Chinese")
