# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestEffectReview(RebateCommon):
    """The effect analysis and the policy review on a small known dataset: two customers, two
    quarters, hand-worked figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"date_start": "2026-04-01"})
        cls.policy.action_activate()
        # customer A: Q1 (before the policy) 50,000; Q2 80,000; Q3 120,000
        cls.invoice(cls.customer_a, "2026-02-10", 50000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 80000.0)
        cls.invoice(cls.customer_a, "2026-08-10", 120000.0)
        # customer B: Q2 150,000; Q3 90,000; and a year before Q3, 60,000
        cls.invoice(cls.customer_b, "2025-08-10", 60000.0)
        cls.invoice(cls.customer_b, "2026-05-10", 150000.0)
        cls.invoice(cls.customer_b, "2026-08-10", 90000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()

    def effect(self, partner, day):
        return self.env["rebate.effect.report"].search(
            [("policy_id", "=", self.policy.id), ("partner_id", "=", partner.id), ("date_start", "=", day)])

    def test_effect_rows_equal_hand_worked_values(self):
        a_q2 = self.effect(self.customer_a, date(2026, 4, 1))
        self.assertEqual((a_q2.sales, a_q2.previous_sales, a_q2.rebate, a_q2.uplift), (80000, 50000, 0, 30000))
        a_q3 = self.effect(self.customer_a, date(2026, 7, 1))
        self.assertEqual((a_q3.sales, a_q3.previous_sales, a_q3.rebate, a_q3.uplift), (120000, 80000, 6000, 40000))
        self.assertAlmostEqual(a_q3.cost_share, 5.0)
        self.assertAlmostEqual(a_q3.uplift_per_rebate, 40000 / 6000)
        b_q3 = self.effect(self.customer_b, date(2026, 7, 1))
        self.assertEqual((b_q3.sales, b_q3.previous_sales, b_q3.last_year_sales, b_q3.rebate, b_q3.uplift),
                         (90000, 150000, 60000, 0, -60000))
        self.assertFalse(b_q3.reached_tier)

    def test_pivot_totals_per_policy(self):
        groups = self.env["rebate.effect.report"]._read_group(
            [("policy_id", "=", self.policy.id)], ["date_start:quarter"], ["sales:sum", "rebate:sum", "uplift:sum"])
        totals = {day.month: (sales, rebate, uplift) for day, sales, rebate, uplift in groups}
        # Q2: A 80,000 after 50,000; B 150,000 (earning 7,500) after nothing: B's sales are not
        # growth (no comparable period before), so the uplift is A's alone
        self.assertEqual(totals[4], (230000, 7500, 30000))
        self.assertEqual(totals[7], (210000, 6000, -20000))

    def test_policy_review_figures(self):
        policy = self.policy
        self.records(date_start=date(2026, 7, 1)).action_confirm()
        self.assertEqual(policy.review_customer_count, 2)
        self.assertEqual(policy.review_sales, 440000)
        self.assertEqual(policy.review_earned, 6000)
        self.assertEqual(policy.review_paid, 0)
        self.assertAlmostEqual(policy.review_cost_share, 100 * 13500 / 440000, places=2)
        # A +30,000 (Q2) and +40,000 (Q3), B -60,000 (Q3); B's Q2 after nothing is not growth
        self.assertEqual(policy.review_uplift, 30000 + 40000 - 60000)
        # each customer once, at the highest tier reached: both reached it in some quarter
        self.assertEqual(policy.review_tiers, "≥ 100,000.00: 5 %: 2")
        self.assertEqual(policy.review_compared, "3 of 4 customer periods; 1 without sales in the period before")

    def test_revision_keeps_the_old_versions_records(self):
        self.records(date_start=date(2026, 4, 1)).action_confirm()
        old_records = self.records(date_start=date(2026, 4, 1))
        old_estimate = self.records(date_start=date(2026, 7, 1))
        self.assertTrue(old_estimate)
        old_values = old_records.read(["amount", "base_amount", "state", "date_start"])
        with freeze_time("2026-10-15"):
            action = self.policy.action_revise(date_from="2026-07-01")
            revision = self.env["rebate.policy"].browse(action["res_id"])
            revision.tier_ids.rate = 6.0
            revision.action_activate()
            revision.action_compute()
        self.assertEqual(self.policy.state, "closed")
        self.assertEqual(old_records.read(["amount", "base_amount", "state", "date_start"]), old_values)
        self.assertFalse(old_estimate.exists(), "the new version computes Q3: the old one's estimate goes")
        new_q3 = self.records(revision, partner_id=self.customer_a.id)
        self.assertEqual((new_q3.date_start, new_q3.amount), (date(2026, 7, 1), 7200.0))
        self.assertEqual(self.policy.review_earned, 7500.0, "the old version's figures stay for comparison")


@tagged("post_install", "-at_install")
class TestReviewComparison(RebateCommon):
    """The review compares the policy's customers with comparable customers: those outside a policy
    limited to some customers, or those below the first tier of a policy over everyone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice(cls.customer_a, "2026-02-10", 50000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 80000.0)
        cls.invoice(cls.customer_a, "2026-08-10", 120000.0)
        cls.invoice(cls.customer_b, "2026-05-10", 150000.0)
        cls.invoice(cls.customer_b, "2026-08-10", 90000.0)

    def compute(self, policy):
        policy.action_activate()
        with freeze_time("2026-10-15"):
            policy.action_compute()
        return policy

    def test_policy_for_some_customers_is_compared_with_the_others(self):
        policy = self.compute(self.create_policy(
            date_start="2026-04-01", date_end="2026-09-30", partner_ids=[(6, 0, self.customer_a.ids)]))
        periods = self.env["rebate.policy.period"].search([("policy_id", "=", policy.id)])
        self.assertEqual(periods.mapped("outside_sales"), [150000.0, 90000.0])
        self.assertEqual(periods.mapped("outside_previous_sales"), [0.0, 150000.0])
        self.assertEqual(policy.review_comparison, "Customers outside the policy")
        # A: 200,000 after 130,000 → +53.85 %; B outside: Q2 after nothing is not compared, Q3
        # 90,000 after 150,000 → -40 %
        self.assertAlmostEqual(policy.review_inside_growth, 100 * 70000 / 130000, places=2)
        self.assertAlmostEqual(policy.review_comparison_growth, -40.0, places=2)
        self.assertTrue(policy.review_comparison_measured)

    def test_outside_figures_added_up_from_a_policy_over_everyone(self):
        """Computed in one run after a policy over every customer of the same products, a policy
        for some customers takes its comparison group's figures from that policy's sums per
        customer instead of reading the others' lines again: the same figures."""
        everyone = self.create_policy(date_start="2026-04-01", date_end="2026-09-30")
        scoped = self.create_policy(date_start="2026-04-01", date_end="2026-09-30",
                                    partner_ids=[(6, 0, self.customer_a.ids)])
        (everyone | scoped).action_activate()
        with freeze_time("2026-10-15"), patch(
                "odoo.addons.customer_rebate.models.rebate_policy.RebatePolicy._outside_line_domain",
                side_effect=AssertionError("the others' lines read again")):
            (everyone | scoped)._compute_records()
        periods = self.env["rebate.policy.period"].search([("policy_id", "=", scoped.id)], order="date_start")
        self.assertEqual(periods.mapped("outside_customer_count"), [1, 1])
        self.assertEqual(periods.mapped("outside_sales"), [150000.0, 90000.0])
        self.assertEqual(periods.mapped("outside_previous_sales"), [0.0, 150000.0])

    def test_policy_for_everyone_is_compared_with_customers_below_the_first_tier(self):
        policy = self.compute(self.create_policy(date_start="2026-04-01", date_end="2026-09-30"))
        self.assertFalse(self.env["rebate.policy.period"].search([("policy_id", "=", policy.id)]))
        self.assertEqual(policy.review_comparison, "Customers below the first tier")
        # reached: A Q3 120,000 after 80,000 (B Q2 150,000 after nothing is not compared) → +50 %
        self.assertAlmostEqual(policy.review_inside_growth, 50.0, places=2)
        # below: A Q2 80,000 after 50,000 and B Q3 90,000 after 150,000 → 170,000 after 200,000
        self.assertAlmostEqual(policy.review_comparison_growth, -15.0, places=2)
