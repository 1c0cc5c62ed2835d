# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicySummary(RebateCommon):

    def test_source_example_reads_as_a_sentence(self):
        self.assertEqual(self.policy.summary, "5 % of quarterly purchases once they reach 100,000.00")

    def test_tiers_incremental_cap_and_seniority(self):
        policy = self.create_policy(
            tiers=((0.0, 1.0), (500000.0, 2.5)), tier_mode="incremental", period="year",
            rebate_type="partnership", min_seniority_months=12, cap_amount=20000.0)
        self.assertEqual(
            policy.summary.replace("\N{NO-BREAK SPACE}", " "),
            "On yearly purchases: 1 % from 0.00; 2.5 % from 500,000.00, each slice at its own rate, "
            f"at most {policy.currency_id.symbol} 20,000.00, for customers of at least 12 months"
            if policy.currency_id.position == "before" else
            "On yearly purchases: 1 % from 0.00; 2.5 % from 500,000.00, each slice at its own rate, "
            f"at most 20,000.00 {policy.currency_id.symbol}, for customers of at least 12 months")

    def test_quantity_and_fixed_amounts(self):
        policy = self.create_policy(tiers=((500.0, 300.0),), amount_type="fixed", basis="quantity",
                                    period="month")
        amount = policy.summary.replace("\N{NO-BREAK SPACE}", " ")
        self.assertIn("300.00", amount)
        self.assertTrue(amount.endswith("once monthly units bought reach 500"), amount)

    def test_summary_follows_the_user_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        summary = self.policy.with_context(lang="zh_CN").summary
        self.assertIn("100,000.00", summary)
        self.assertIn("季度", summary)

    def test_tier_display_name(self):
        self.assertEqual(self.policy.tier_ids.display_name, "≥ 100,000.00: 5 %")

    def test_no_tier_says_so(self):
        self.assertIn("No tier yet", self.create_policy(tiers=()).summary)
