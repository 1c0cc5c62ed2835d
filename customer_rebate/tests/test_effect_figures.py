# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestEffectFigures(RebateCommon):
    """The effect analysis and the review, figure by figure, on hand-worked numbers.

    Customer A: 50,000 on 10 Feb, 80,000 on 10 May, 120,000 on 10 Aug, 40,000 on 5 Oct.
    Customer B: 20,000 on 10 Feb and a 30,000 credit note on 10 Mar (Q1: -10,000), 150,000 on 10 May,
    90,000 on 10 Aug. Read on 15 October 2026: Q2 and Q3 have ended, Q4 is running.

    - ``policy``: from 1 April, every customer, 5 % from 100,000.
    - ``second``: from 1 April, A and B, 2 % from 50,000: the same sales as ``policy``.
    - ``mid_quarter``: from 1 May, A only, 1 % from 10,000.
    Costs are written on ``policy``'s records (60 % of sales): A Q2 48,000 (Q1 30,000), A Q3 72,000
    (Q2 48,000), A Q4 24,000 (Q3 72,000), B Q2 90,000 (Q1 -6,000), B Q3 54,000 (Q2 90,000).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"date_start": "2026-04-01"})
        cls.second = cls.create_policy(
            tiers=((50000.0, 2.0),), date_start="2026-04-01", name="Second",
            partner_ids=[(6, 0, (cls.customer_a | cls.customer_b).ids)])
        cls.mid_quarter = cls.create_policy(
            tiers=((10000.0, 1.0),), date_start="2026-05-01", name="Mid-quarter",
            partner_ids=[(6, 0, cls.customer_a.ids)])
        cls.invoice(cls.customer_a, "2026-02-10", 50000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 80000.0)
        cls.invoice(cls.customer_a, "2026-08-10", 120000.0)
        cls.invoice(cls.customer_a, "2026-10-05", 40000.0)
        cls.invoice(cls.customer_b, "2026-02-10", 20000.0)
        cls.refund(cls.customer_b, "2026-03-10", 30000.0)
        cls.invoice(cls.customer_b, "2026-05-10", 150000.0)
        cls.invoice(cls.customer_b, "2026-08-10", 90000.0)
        with freeze_time("2026-10-15"):
            for policy in cls.policy | cls.second | cls.mid_quarter:
                policy.action_activate()
                policy.action_compute()
        costs = {
            (cls.customer_a, "2026-04-01"): (48000.0, 30000.0),
            (cls.customer_a, "2026-07-01"): (72000.0, 48000.0),
            (cls.customer_a, "2026-10-01"): (24000.0, 72000.0),
            (cls.customer_b, "2026-04-01"): (90000.0, -6000.0),
            (cls.customer_b, "2026-07-01"): (54000.0, 90000.0),
        }
        Record = cls.env["rebate.record"]
        for (partner, day), (cost, previous_cost) in costs.items():
            record = Record.search([("policy_id", "=", cls.policy.id), ("partner_id", "=", partner.id),
                                    ("date_start", "=", day)])
            record.ensure_one()
            record.write({"cost_amount": cost, "previous_cost_amount": previous_cost})

    def setUp(self):
        super().setUp()
        frozen = freeze_time("2026-10-15")  # what "ended" and "running" mean
        frozen.start()
        self.addCleanup(frozen.stop)

    def row(self, policy, partner, day):
        row = self.env["rebate.effect.report"].search(
            [("policy_id", "=", policy.id), ("partner_id", "=", partner.id), ("date_start", "=", day)])
        row.ensure_one()
        return row

    def totals(self, domain, groupby, aggregates):
        return self.env["rebate.effect.report"]._read_group(domain, groupby, aggregates)

    def test_two_policies_over_the_same_sales_are_not_added_up(self):
        both = [("policy_id", "in", (self.policy | self.second).ids)]
        per_policy = dict(self.totals(both, ["policy_id"], ["sales:sum"]))
        # 80,000 + 120,000 + 40,000 (A) + 150,000 + 90,000 (B) under each policy
        self.assertEqual(per_policy, {self.policy: 480000.0, self.second: 480000.0})
        # over both: no sales total (960,000 would count each sale twice); rebates do add up:
        # 7,500 + 6,000 under the first, 1,600 + 3,000 + 2,400 + 1,800 under the second
        [(sales, previous, uplift, net_effect, rebate)] = self.totals(
            both, [], ["sales:sum", "previous_sales:sum", "uplift:sum", "net_effect:sum", "rebate:sum"])
        self.assertEqual((sales, previous, uplift, net_effect), (False, False, False, False))
        self.assertEqual(rebate, 13500.0 + 8800.0)
        q3 = dict((day, (sales, rebate)) for day, sales, rebate in self.totals(
            both, ["date_start:quarter"], ["sales:sum", "rebate:sum"]))[date(2026, 7, 1)]
        self.assertEqual(q3, (False, 6000.0 + 2400.0 + 1800.0))
        [(sales_a,)] = self.totals(both + [("partner_id", "=", self.customer_a.id), ("date_start", "=", "2026-04-01")],
                                   [], ["sales:sum"])
        self.assertFalse(sales_a, "one customer's quarter under two policies: not 160,000")
        [(sales_one,)] = self.totals([("policy_id", "=", self.policy.id), ("date_start", "=", "2026-07-01")],
                                     [], ["sales:sum"])
        self.assertEqual(sales_one, 210000.0)

    def test_negative_or_no_previous_period_is_not_growth(self):
        b_q2 = self.row(self.policy, self.customer_b, "2026-04-01")
        self.assertEqual((b_q2.sales, b_q2.previous_sales, b_q2.rebate), (150000.0, -10000.0, 7500.0))
        self.assertEqual((b_q2.comparison, b_q2.comparable), ("no_previous", False))
        [(uplift, compared)] = self.totals([("id", "=", b_q2.id)], [], ["uplift:sum", "compared_sales:sum"])
        self.assertEqual((uplift, compared), (False, False), "not 160,000 of growth")
        # the policy: A +30,000 (Q2 over Q1) and +40,000 (Q3), B -60,000 (Q3) over 50,000 + 80,000
        # + 150,000 before; B's Q2 (after returns) and A's running Q4 are left out
        [(uplift, previous, growth)] = self.totals(
            [("policy_id", "=", self.policy.id)], [], ["uplift:sum", "compared_previous_sales:sum", "growth:avg"])
        self.assertEqual((uplift, previous), (10000.0, 280000.0))
        self.assertAlmostEqual(growth, 100 * 10000 / 280000)

    def test_running_period_is_not_compared(self):
        a_q4 = self.row(self.policy, self.customer_a, "2026-10-01")
        self.assertEqual((a_q4.sales, a_q4.previous_sales, a_q4.comparison), (40000.0, 120000.0, "open"))
        [(uplift, net_effect, margin)] = self.totals(
            [("id", "=", a_q4.id)], [], ["uplift:sum", "net_effect:sum", "margin:sum"])
        self.assertEqual((uplift, net_effect, margin), (False, False, 16000.0))

    def test_policy_started_today_is_credited_with_nothing(self):
        new = self.create_policy(date_start="2026-10-01", name="New")
        new.action_activate()
        new.action_compute()
        row = self.row(new, self.customer_a, "2026-10-01")
        self.assertEqual((row.sales, row.comparison), (40000.0, "open"))
        self.assertEqual((new.review_uplift, new.review_net_effect, new.review_growth_measured), (0.0, 0.0, False))
        self.assertEqual(new.review_compared, "0 of 1 customer periods; 1 in a running period")

    def test_policy_started_mid_quarter_is_compared_with_the_same_days_before(self):
        first = self.row(self.mid_quarter, self.customer_a, "2026-05-01")
        # 1 May - 30 June against 1 February - 31 March: 80,000 after 50,000, before the policy
        self.assertEqual((first.date_end, first.sales, first.previous_sales, first.rebate),
                         (date(2026, 6, 30), 80000.0, 50000.0, 800.0))
        self.assertEqual((first.comparison, first.uplift), ("baseline", 30000.0))
        q3 = self.row(self.mid_quarter, self.customer_a, "2026-07-01")
        # Q3 against the whole of Q2, a month of which was before the policy: still the baseline
        self.assertEqual((q3.previous_sales, q3.comparison, q3.uplift), (80000.0, "baseline", 40000.0))
        # the first policy covered all of Q2
        self.assertEqual(self.row(self.policy, self.customer_a, "2026-07-01").comparison, "policy")
        self.assertEqual(self.row(self.policy, self.customer_a, "2026-04-01").comparison, "baseline")

    def test_revision_is_compared_with_the_earlier_version(self):
        action = self.policy.action_revise(date_from="2026-07-01")
        revision = self.env["rebate.policy"].browse(action["res_id"])
        revision.action_activate()
        revision.action_compute()
        row = self.row(revision, self.customer_a, "2026-07-01")
        # Q2 was under the first version: not a baseline before the policy
        self.assertEqual((row.previous_sales, row.comparison, row.uplift), (80000.0, "policy", 40000.0))

    def test_margin_and_net_effect(self):
        a_q3 = self.row(self.policy, self.customer_a, "2026-07-01")
        # margin 120,000 - 72,000 = 48,000 after 80,000 - 48,000 = 32,000: +16,000, less 6,000 rebate
        self.assertEqual((a_q3.margin, a_q3.previous_margin, a_q3.margin_gain, a_q3.rebate, a_q3.net_effect),
                         (48000.0, 32000.0, 16000.0, 6000.0, 10000.0))
        b_q3 = self.row(self.policy, self.customer_b, "2026-07-01")
        # 36,000 after 60,000: -24,000, no rebate
        self.assertEqual((b_q3.margin, b_q3.margin_gain, b_q3.net_effect), (36000.0, -24000.0, -24000.0))
        b_q2 = self.row(self.policy, self.customer_b, "2026-04-01")
        # no comparable period before: its 7,500 rebate counts, no gain
        self.assertEqual((b_q2.margin, b_q2.net_effect), (60000.0, -7500.0))
        [(margin, gain, net_effect)] = self.totals(
            [("policy_id", "=", self.policy.id)], [], ["margin:sum", "margin_gain:sum", "net_effect:sum"])
        # 480,000 - 288,000; A Q2 +12,000, A Q3 +16,000, B Q3 -24,000; 4,000 - 13,500 of rebates
        self.assertEqual((margin, gain, net_effect), (192000.0, 4000.0, -9500.0))

    def test_review_of_one_period(self):
        policy = self.policy
        policy.review_date = "2026-08-15"
        self.assertIn("2026", policy.review_period_label)
        self.assertEqual(policy.review_net_effect, 10000.0 - 24000.0, "the headline: A +10,000, B -24,000")
        self.assertEqual((policy.review_sales, policy.review_rebate, policy.review_margin, policy.review_margin_gain),
                         (210000.0, 6000.0, 84000.0, -8000.0))
        self.assertEqual(policy.review_customer_count, 2)
        self.assertEqual(policy.review_tiers, "≥ 100,000.00: 5 %: 1; below the first tier: 1")
        self.assertEqual(policy.review_compared, "2 of 2 customer periods")
        # A reached the tier: 120,000 after 80,000; B stayed below: 90,000 after 150,000
        self.assertTrue(policy.review_growth_measured and policy.review_comparison_measured)
        self.assertAlmostEqual(policy.review_inside_growth, 50.0)
        self.assertAlmostEqual(policy.review_comparison_growth, -40.0)
        action = policy.action_view_effect()
        self.assertIn(("date_start", "=", date(2026, 7, 1)), action["domain"])
        rows = self.env["rebate.effect.report"].search(action["domain"])
        self.assertEqual(sum(rows.mapped("net_effect")), policy.review_net_effect, "the link shows the same figures")

    def test_review_of_every_period_counts_each_customer_once(self):
        policy = self.policy
        self.assertFalse(policy.review_date)
        self.assertEqual(policy.review_net_effect, -9500.0)
        self.assertEqual((policy.review_margin_gain, policy.review_uplift), (4000.0, 10000.0))
        # A reached the tier in Q3, B in Q2: each counted once, at the highest tier reached
        self.assertEqual(policy.review_customer_count, 2)
        self.assertEqual(policy.review_tiers, "≥ 100,000.00: 5 %: 2")
        self.assertEqual(policy.review_compared,
                         "3 of 5 customer periods; 1 in a running period; 1 without sales in the period before")
        # reached and compared: A Q3 (+50 %); below and compared: A Q2 and B Q3, 170,000 after 200,000
        self.assertAlmostEqual(policy.review_inside_growth, 50.0)
        self.assertAlmostEqual(policy.review_comparison_growth, -15.0)

    def test_review_growth_is_not_zero_when_it_cannot_be_measured(self):
        self.second.review_date = "2026-05-01"
        # Q2: A 80,000 after 50,000 measured; B after -10,000 not; no customer outside A and B
        self.assertTrue(self.second.review_growth_measured)
        self.assertAlmostEqual(self.second.review_inside_growth, 60.0)
        self.assertFalse(self.second.review_comparison_measured)
