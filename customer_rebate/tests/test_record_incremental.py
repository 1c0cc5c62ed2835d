# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import random
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from ..tools.compute_run import daily_job
from .common import RebateCommon

POLICY_CLASS = "odoo.addons.customer_rebate.models.rebate_policy.RebatePolicy"


@tagged("post_install", "-at_install")
class TestRecordIncremental(RebateCommon):
    """The daily run computes only the periods that can have changed (the open ones, and the
    closed ones an invoice or credit note posted, reset or cancelled since falls into, for its
    customer), and ends with exactly the records a full recomputation makes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Incremental customer {i}"} for i in range(4)])
        cls.customers[:2].category_id = cls.customer_tag
        cls.dozen = cls.env.ref("uom.product_uom_dozen")

    def spy_periods(self):
        """The (period start, customers) each run computes, and the patch that records them."""
        calls = []
        # every period is planned here, alone or with the other periods of its run's changes
        original = type(self.env["rebate.policy"])._plan_period_records

        def spy(self_, period, partner_ids, queued, existing, **options):
            calls.append((period.date_start, partner_ids))
            return original(self_, period, partner_ids, queued, existing, **options)

        return calls, patch(f"{POLICY_CLASS}._plan_period_records", spy)

    def test_incremental_equals_full_after_random_changes_in_old_periods(self):
        amount_pair = self.twins(date_start="2025-04-01")
        scoped_pair = self.twins(
            date_start="2025-04-01", basis="quantity", rebate_type="partnership", min_seniority_months=3,
            tier_ids=[Command.create({"sequence": 1, "threshold": 10.0, "rate": 1.0}),
                      Command.create({"sequence": 2, "threshold": 40.0, "rate": 3.0})],
            partner_category_ids=[Command.set(self.customer_tag.ids)], period="month")
        pairs = (amount_pair, scoped_pair)
        rng = random.Random(14)
        moves = self.env["account.move"]
        day = date(2025, 9, 1)
        checks = 0
        while day < date(2026, 11, 20):
            with freeze_time(day):
                for _step in range(rng.randint(2, 5)):
                    action = rng.random()
                    posted = moves.filtered(lambda m: m.state == "posted")
                    drafts = moves.filtered(lambda m: m.state == "draft")
                    invoice_date = day - timedelta(days=rng.randint(0, 400))
                    customer = self.customers[rng.randrange(4)]
                    if action < 0.45 or not posted:
                        lines = [(self.goods, rng.randint(1, 30), rng.choice((50.0, 100.0, 120.0)))]
                        if rng.random() < 0.3:
                            lines.append((self.goods, rng.randint(1, 3), 1000.0, self.dozen))
                        moves |= self.invoice(customer, invoice_date, lines=lines)
                    elif action < 0.7:
                        moves |= self.refund(customer, invoice_date, lines=[(self.goods, rng.randint(1, 10), 100.0)])
                    elif action < 0.85:
                        posted[rng.randrange(len(posted))].button_draft()
                    elif drafts:
                        self.post_or_cancel_one(rng, drafts, 0.5)
                if rng.random() < 0.2:
                    # a manager confirms the closed periods of both twins alike
                    for pair in pairs:
                        pair.record_ids.filtered(
                            lambda r: r.state == "draft" and r.date_end < day).action_confirm()
                for incremental, full in pairs:
                    incremental.action_compute()
                    full.action_compute_full()
                    self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full),
                                     f"incremental and full computations differ on {day}")
                    checks += 1
            day += timedelta(days=rng.randint(5, 25))
        self.assertGreater(checks, 40)
        self.assertTrue(amount_pair[0].record_ids.filtered(lambda r: r.revision), "adjustments were exercised")
        self.assertFalse(self.env["rebate.compute.queue"].search([("policy_id", "in", amount_pair.ids)]))

    @freeze_time("2026-10-15")
    def test_tag_given_or_taken_brings_the_customer_into_every_period_or_out(self):
        """A customer tagged (or a tagged contact added to it) enters a tag-scoped policy in every
        period it bought in, untagged it leaves them — and the comparison group moves with it —
        as a full recomputation says: every period the policy computed is queued for it."""
        incremental, full = self.twins(
            date_start="2026-01-01", partner_category_ids=[Command.set(self.customer_tag.ids)])
        tagged, newcomer, other = self.customers[0], self.customers[2], self.customers[3]
        self.invoice(tagged, "2026-02-10", 3000.0)
        self.invoice(newcomer, "2026-02-20", 2000.0)
        self.invoice(newcomer, "2026-05-20", 6000.0)
        self.invoice(other, "2026-08-05", 1500.0)
        incremental.action_compute()
        full.action_compute_full()
        self.assertFalse(self.records(incremental, partner_id=newcomer.id))

        def both_computed():
            calls, spy = self.spy_periods()
            with spy:
                incremental.action_compute()
            full.action_compute_full()
            self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full))
            return calls

        newcomer.category_id = self.customer_tag
        calls = both_computed()
        self.assertIn((date(2026, 1, 1), {newcomer.id}), calls, "its first quarter, closed, computed for it")
        # Q1 2,000 at 2 %, Q2 6,000 at 4 %; Q1 leaves the comparison group: only the other customer
        # outside (none in Q1), 2,000 less
        self.assertRecordValues(self.records(incremental, partner_id=newcomer.id), [
            {"date_start": date(2026, 1, 1), "base_amount": 2000.0, "previous_base_amount": 0.0, "amount": 40.0},
            {"date_start": date(2026, 4, 1), "base_amount": 6000.0, "previous_base_amount": 2000.0, "amount": 240.0},
        ])
        q1 = self.env["rebate.policy.period"].search([("policy_id", "=", incremental.id),
                                                      ("date_start", "=", date(2026, 1, 1))])
        self.assertEqual((q1.outside_customer_count, q1.outside_sales), (0, 0.0))
        newcomer.category_id = False
        both_computed()
        self.assertFalse(self.records(incremental, partner_id=newcomer.id), "out of scope again: its estimates go")
        # a tagged contact brings its company in
        self.env["res.partner"].create({"name": "Buyer of the other", "parent_id": other.id,
                                        "category_id": [Command.set(self.customer_tag.ids)]})
        both_computed()
        self.assertRecordValues(self.records(incremental, partner_id=other.id), [
            {"date_start": date(2026, 7, 1), "base_amount": 1500.0, "amount": 30.0}])

    @freeze_time("2026-10-15")
    def test_credit_note_in_old_quarter_recomputes_its_quarter_and_the_next_for_its_customer(self):
        """Hand-worked: Q1 120,000 − 20,000 = 100,000 at 5 % = 5,000."""
        policy = self.create_policy(date_start="2026-01-01")
        policy.action_activate()
        self.invoice(self.customers[0], "2026-02-10", 120000.0)
        self.invoice(self.customers[1], "2026-05-10", 150000.0)
        policy.action_compute()
        self.assertEqual(policy.compute_open_from, date(2026, 10, 15))
        self.refund(self.customers[0], "2026-03-05", 20000.0)
        calls, spy = self.spy_periods()
        with spy:
            policy.action_compute()
        # Q1 (the credit note) and Q2 (Q1 is its previous quarter) for customer 0 only; Q3 and
        # the open Q4, where nothing changed, not at all
        self.assertEqual(calls, [(date(2026, 1, 1), {self.customers[0].id}),
                                 (date(2026, 4, 1), {self.customers[0].id})])
        q1 = self.records(policy, partner_id=self.customers[0].id, date_start=date(2026, 1, 1))
        self.assertEqual((q1.base_amount, q1.amount), (100000.0, 5000.0))
        q2 = self.records(policy, partner_id=self.customers[1].id, date_start=date(2026, 4, 1))
        self.assertEqual(q2.previous_base_amount, 0.0)
        # a change of terms makes the next run compute everything again
        policy.tier_ids.threshold = 90000.0
        calls.clear()
        with spy:
            policy.action_compute()
        self.assertEqual([call[1] for call in calls], [None] * 4)

    @freeze_time("2026-10-15")
    def test_interrupted_run_resumes_where_it_stopped(self):
        policy = self.create_policy(date_start="2026-01-01")
        policy.action_activate()
        self.invoice(self.customers[0], "2026-02-10", 120000.0)
        self.invoice(self.customers[0], "2026-08-10", 110000.0)
        calls, spy = self.spy_periods()
        with spy:
            # the scheduler says stop after the first period (as when its time is up)
            policy._compute_records(incremental=True, progress=lambda: False)
            self.assertEqual(policy.compute_resume_date, date(2026, 4, 1))
            self.assertFalse(policy.compute_open_from)
            self.refund(self.customers[0], "2026-03-01", 20000.0)  # in the period already done
            policy._compute_records(incremental=True, progress=lambda: True)
        self.assertEqual(calls, [(date(2026, 1, 1), None), (date(2026, 1, 1), {self.customers[0].id}),
                                 (date(2026, 4, 1), None), (date(2026, 7, 1), None), (date(2026, 10, 1), None)])
        self.assertEqual((policy.compute_open_from, policy.compute_resume_date), (date(2026, 10, 15), False))
        self.assertEqual(self.records(policy).mapped("base_amount"), [100000.0, 110000.0])

    @freeze_time("2026-10-15")
    def test_record_reset_to_estimate_is_recomputed_incrementally(self):
        policy = self.create_policy(date_start="2026-01-01")
        policy.action_activate()
        self.invoice(self.customers[0], "2026-02-10", 120000.0)
        policy.action_compute()
        record = self.records(policy, partner_id=self.customers[0].id)
        record.action_cancel()
        self.invoice(self.customers[0], "2026-02-11", 10000.0)
        policy.action_compute()
        self.assertEqual(record.base_amount, 120000.0, "a cancelled record is left as it is")
        record.action_draft()
        policy.action_compute()
        self.assertEqual((record.base_amount, record.amount), (130000.0, 6500.0))

    @freeze_time("2026-10-15")
    def test_compute_wizard_without_dates_is_incremental_unless_asked(self):
        policy = self.create_policy(date_start="2026-01-01")
        policy.action_activate()
        self.invoice(self.customers[0], "2026-02-10", 120000.0)
        policy.action_compute()
        calls, spy = self.spy_periods()
        Wizard = self.env["rebate.compute.wizard"]
        with spy:
            self.invoice(self.customers[1], "2026-10-02", 100.0)
            Wizard.create({"policy_ids": [Command.set(policy.ids)]}).action_compute()
            self.assertEqual([call[0] for call in calls], [date(2026, 10, 1)])
            Wizard.create({"policy_ids": [Command.set(policy.ids)], "recompute_all": True}).action_compute()
        self.assertEqual(len(calls), 1 + 4)


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordCostOfSales(RebateCommon):
    """The record's cost of sales: the quantity of the base, in the product's unit, at the
    product's cost in the policy's company; the period before's alongside. All from the one
    aggregate that gives the base."""

    def test_cost_of_sales_hand_worked(self):
        other_company = self.env["res.company"].create({"name": "Other rebate company"})
        self.goods.with_company(other_company).standard_price = 999.0  # never read for this policy
        dozen = self.env.ref("uom.product_uom_dozen")
        customer = self.customer_a
        self.policy.action_activate()
        # Q3: 10 units at 100 (cost 10 × 60 = 600), 2 dozen at 1,000 (24 units: cost 1,440),
        # a credit note of 3 units at 100 (cost −180): base 2,700, cost 1,860
        self.invoice(customer, "2026-07-10", lines=[(self.goods, 10.0, 100.0), (self.goods, 2.0, 1000.0, dozen)])
        self.refund(customer, "2026-08-01", lines=[(self.goods, 3.0, 100.0)])
        # Q2: 5 units at 100 (cost 300); Q3 2025: 7 units at 100
        self.invoice(customer, "2026-05-10", lines=[(self.goods, 5.0, 100.0)])
        self.invoice(customer, "2025-08-10", lines=[(self.goods, 7.0, 100.0)])
        self.policy.with_context(rebate_policy_revision=True).track_progress = True
        self.policy.action_compute()
        q3 = self.records(partner_id=customer.id, date_start=date(2026, 7, 1))
        self.assertRecordValues(q3, [{
            "base_amount": 2700.0, "cost_amount": 1860.0, "previous_base_amount": 500.0,
            "previous_cost_amount": 300.0, "last_year_base_amount": 700.0, "amount": 0.0,
        }])
        q2 = self.records(partner_id=customer.id, date_start=date(2026, 4, 1))
        self.assertRecordValues(q2, [{"base_amount": 500.0, "cost_amount": 300.0, "previous_cost_amount": 0.0}])
        # the cost changes: the estimates follow it at the next full computation
        self.goods.with_company(self.env.company).standard_price = 50.0
        self.policy.action_compute_full()
        self.assertEqual((q3.cost_amount, q3.previous_cost_amount), (1550.0, 250.0))

    def test_one_aggregate_per_period(self):
        self.policy.action_activate()
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        original = type(self.policy)._line_figures_query
        calls = []

        def spy(self_, domain, ranges, build, **options):
            calls.append(ranges)
            return original(self_, domain, ranges, build, **options)

        with patch(f"{POLICY_CLASS}._line_figures_query", spy), \
                patch(f"{POLICY_CLASS}._compute_period_bases", side_effect=AssertionError("a second scan")):
            self.policy._compute_period_records(date(2026, 7, 1), date(2026, 9, 30))
        # one query over the lines of Q3, Q2 and Q3 2025
        self.assertEqual(calls, [[(date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30)),
                                  (date(2025, 7, 1), date(2025, 9, 30))]])
        self.assertEqual(self.records().base_amount, 120000.0)


def quarter(year, number):
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1) - timedelta(days=1)
    return (start, end)


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordScans(RebateCommon):
    """A run reads each range of journal items once: a full computation reuses what the earlier
    periods of the same run read (a quarter is the next quarter's period before and next year's
    last year), and an incremental run reads the day's changes of all its periods in one
    aggregate per policy. The figures are those of one aggregate per period."""

    def spy_ranges(self):
        calls = []
        original = type(self.policy)._line_figures_query

        def spy(self_, domain, ranges, build, **options):
            calls.append(list(ranges))
            return original(self_, domain, ranges, build, **options)

        return calls, patch(f"{POLICY_CLASS}._line_figures_query", spy)

    def test_full_run_reads_each_range_once(self):
        customer = self.customer_a
        self.invoice(customer, "2025-05-10", 50000.0)  # Q2 2025: Q2 2026's last year
        self.invoice(customer, "2025-11-10", 10000.0)  # Q4 2025: Q1 2026's period before
        self.invoice(customer, "2026-02-10", 120000.0)  # Q1 2026: 120,000 at 5 % = 6,000
        self.invoice(customer, "2026-05-10", 130000.0)  # Q2 2026: 130,000 at 5 % = 6,500
        self.policy.action_activate()
        calls, spy = self.spy_ranges()
        with spy:
            self.policy.action_compute_full()
        # Q1 reads itself, Q4 2025 and Q1 2025; Q2 reuses Q1 as its period before; Q4 reuses
        # Q4 2025 (read for Q1) as its last year
        self.assertEqual(calls, [[quarter(2026, 1), quarter(2025, 4), quarter(2025, 1)],
                                 [quarter(2026, 2), quarter(2025, 2)],
                                 [quarter(2026, 3), quarter(2025, 3)],
                                 [quarter(2026, 4)]])
        self.assertRecordValues(self.records(partner_id=customer.id), [
            {"date_start": date(2026, 1, 1), "base_amount": 120000.0, "previous_base_amount": 10000.0,
             "last_year_base_amount": 0.0, "amount": 6000.0},
            {"date_start": date(2026, 4, 1), "base_amount": 130000.0, "previous_base_amount": 120000.0,
             "last_year_base_amount": 50000.0, "amount": 6500.0},
        ])

    def test_policies_of_the_same_lines_share_their_reads(self):
        """A second policy over the same journal items (company, products), here limited to one
        customer, takes its sums per customer from what the first policy read in the same run."""
        customer_a, customer_b = self.customer_a, self.customer_b
        self.invoice(customer_a, "2026-02-10", 120000.0)  # 5 % of 120,000 = 6,000
        self.invoice(customer_b, "2026-02-20", 110000.0)  # 5 % of 110,000 = 5,500
        self.invoice(customer_a, "2025-11-10", 10000.0)  # Q4 2025: Q1's period before
        scoped = self.create_policy(name="Customer A only", partner_ids=[Command.set(customer_a.ids)])
        policies = self.policy | scoped
        policies.action_activate()
        calls = []
        original = type(self.policy)._range_figures

        def spy(self_, needs, partner_ids=None):
            calls.append((self_.id, list(needs)))
            return original(self_, needs, partner_ids)

        with patch(f"{POLICY_CLASS}._range_figures", spy):
            policies._compute_records("2026-01-01", "2026-03-31")
        self.assertEqual(calls, [(self.policy.id, [quarter(2026, 1), quarter(2025, 4), quarter(2025, 1)])],
                         "the scoped policy reads no sums of its own")
        self.assertRecordValues(self.records(scoped), [
            {"partner_id": customer_a.id, "base_amount": 120000.0, "previous_base_amount": 10000.0,
             "amount": 6000.0},
        ])
        self.assertRecordValues(self.records(), [
            {"partner_id": customer_a.id, "base_amount": 120000.0, "previous_base_amount": 10000.0,
             "amount": 6000.0},
            {"partner_id": customer_b.id, "base_amount": 110000.0, "previous_base_amount": 0.0, "amount": 5500.0},
        ])

    def test_statistics_refreshed_after_many_inserts(self):
        """A transaction that inserted many records (at least ``ANALYZE_MIN_ROWS`` and a fifth of
        the table) refreshes the planner's statistics of the table, which autovacuum cannot see
        before the commit; below that it only counts them."""
        Record, cr = self.env["rebate.record"], self.env.cr
        key = "customer_rebate.records_inserted"
        cr.postcommit.data.pop(key, None)
        cr.postcommit.data.pop("customer_rebate.records_next_analyze", None)
        Record._analyze_after_inserts(Record.ANALYZE_MIN_ROWS - 1)
        self.assertEqual(cr.postcommit.data[key], Record.ANALYZE_MIN_ROWS - 1, "counted, no ANALYZE yet")
        self.invoice(self.customer_a, "2026-02-10", 120000.0)
        self.policy.action_activate()
        self.policy._compute_records("2026-01-01", "2026-03-31")  # one record: the minimum reached
        self.assertEqual(cr.postcommit.data[key], 0, "the statistics were refreshed")
        cr.execute("SELECT reltuples::int, (SELECT COUNT(*) FROM rebate_record) FROM pg_class "
                   "WHERE oid = 'rebate_record'::regclass")
        reltuples, count = cr.fetchone()
        self.assertEqual(reltuples, count, "the statistics count the rows this transaction inserted")

    def computed_then_credit_note_of_a(self):
        """A's Q1 120,000 and B's Q2 110,000 computed, then a 20,000 credit note of A in Q1."""
        self.invoice(self.customer_a, "2026-02-10", 120000.0)
        self.invoice(self.customer_b, "2026-05-10", 110000.0)
        self.policy.action_activate()
        self.policy.action_compute()
        self.refund(self.customer_a, "2026-02-20", 20000.0)

    def test_day_of_changes_read_in_one_aggregate(self):
        customer_a, customer_b = self.customer_a, self.customer_b
        self.computed_then_credit_note_of_a()
        # a credit note in Q1 (customer A: Q1 and Q2, whose period before is Q1) and an invoice
        # in Q2 (customer B: Q2 and Q3)
        self.invoice(customer_b, "2026-05-20", 10000.0)
        calls, spy = self.spy_ranges()
        with spy:
            self.policy.action_compute()
        self.assertEqual(len(calls), 1, "one aggregate for every period the changes touch")
        # the customers' months: A's Q1 and B's Q2 alone (the changes are in them; their estimates
        # hold the period before and last year), A's Q2 and B's Q3 with theirs (Q1 and Q2 changed,
        # and they have no estimate): Q1 2026 to Q3 2026, Q2 and Q3 2025 — not Q1 and Q4 2025
        self.assertEqual(calls[0], [(quarter(2025, 2)[0], quarter(2025, 3)[1]),
                                    (quarter(2026, 1)[0], quarter(2026, 3)[1])])
        self.assertRecordValues(self.records(partner_id=customer_a.id), [
            {"date_start": date(2026, 1, 1), "base_amount": 100000.0, "amount": 5000.0},
        ])
        self.assertRecordValues(self.records(partner_id=customer_b.id), [
            {"date_start": date(2026, 4, 1), "base_amount": 120000.0, "previous_base_amount": 0.0, "amount": 6000.0},
        ])

    def test_estimate_put_back_reads_its_period_before_again(self):
        """The figures of the period before and last year come from a customer's estimate only
        while no change can have moved them: a confirmed record missed the credit note of its
        period before (no adjustment for a comparison figure alone), and put back to estimate
        it is read again — the incremental run then equals the full one."""
        customer = self.customer_a
        self.invoice(customer, "2025-11-10", 50000.0)
        self.invoice(customer, "2026-02-10", 120000.0)
        self.policy.action_activate()
        self.policy.action_compute()
        record = self.records(partner_id=customer.id, date_start=date(2026, 1, 1))
        self.assertRecordValues(record, [{"base_amount": 120000.0, "previous_base_amount": 50000.0, "amount": 6000.0}])
        record.action_confirm()
        self.refund(customer, "2025-12-05", 10000.0)
        self.policy.action_compute()
        self.assertRecordValues(record, [{"state": "confirmed", "previous_base_amount": 50000.0}])
        self.assertFalse(self.records(partner_id=customer.id, date_start=date(2026, 1, 1)) - record,
                         "no adjustment: the base and the rebate stand")
        record.action_draft()
        calls, spy = self.spy_ranges()
        with spy:
            self.policy.action_compute()
        self.assertRecordValues(record, [{"state": "draft", "base_amount": 120000.0,
                                          "previous_base_amount": 40000.0, "amount": 6000.0}])
        q4_start, q4_end = quarter(2025, 4)
        self.assertTrue(any(start <= q4_start and q4_end <= end for start, end in calls[0]),
                        "Q4 2025 read, not taken from the estimate")
        self.policy.action_compute_full()
        self.assertRecordValues(record, [{"previous_base_amount": 40000.0}])

    def test_day_of_changes_written_together(self):
        """The periods a day's changes touch are read by one query of their records and written
        by one DELETE, one UPDATE and one INSERT, with the figures each period computed alone
        gives: each line summed in the one quarter its date falls in."""
        customer_a, customer_b = self.customer_a, self.customer_b
        self.invoice(customer_a, "2025-02-10", 100000.0)  # Q1 2025: 5,000
        self.invoice(customer_a, "2026-02-10", 120000.0)  # Q1 2026: 6,000
        self.invoice(customer_b, "2026-05-10", 110000.0)  # Q2 2026: 5,500
        self.policy.date_start = "2025-01-01"
        self.policy.action_activate()
        self.policy.action_compute()
        # customer A: Q1 2025 falls to 80,000 (no rebate, its progress kept), which is also Q2 2025's period before
        # and Q1 2026's last year; customer B: Q2 2026 rises to 130,000 (6,500) and Q3 2026 starts
        # with 100,000 (5,000)
        self.refund(customer_a, "2025-03-20", 20000.0)
        self.invoice(customer_b, "2026-06-20", 20000.0)
        self.invoice(customer_b, "2026-08-20", 100000.0)
        writes, planned = [], []
        policy_class = type(self.policy)
        write_plans, plan_period = policy_class._write_period_plans, policy_class._plan_period_records

        def spy_write(self_, plans):
            writes.append(sum(len(plan["create"]) + len(plan["write"]) + len(plan["unlink"]) for plan in plans))
            return write_plans(self_, plans)

        def spy_plan(self_, period, partner_ids, queued, existing, **options):
            planned.append(period.date_start)
            return plan_period(self_, period, partner_ids, queued, existing, **options)

        calls, spy = self.spy_ranges()
        with spy, patch(f"{POLICY_CLASS}._write_period_plans", spy_write), \
                patch(f"{POLICY_CLASS}._plan_period_records", spy_plan), \
                patch(f"{POLICY_CLASS}._period_record_rows", side_effect=AssertionError("a query per period")):
            self.policy.action_compute()
        # A: Q1 2025, Q2 2025 (its period before) and Q1 2026 (its last year); B: Q2 2026, Q3 2026
        # and Q4 2026 (their periods before): each once
        self.assertEqual(planned, sorted(set(planned)))
        self.assertEqual(planned, [quarter(2025, 1)[0], quarter(2025, 2)[0], quarter(2026, 1)[0],
                                   quarter(2026, 2)[0], quarter(2026, 3)[0], quarter(2026, 4)[0]])
        # one aggregate of both customers over every range, one write of A's Q1 2025 and Q1 2026 (last
        # year 100,000 -> 80,000) rewritten, B's Q2 rewritten and its Q3 created
        self.assertEqual(len(calls), 1)
        self.assertEqual(writes, [4])
        self.assertRecordValues(self.records(partner_id=customer_a.id), [
            {"date_start": date(2025, 1, 1), "base_amount": 80000.0, "last_year_base_amount": 0.0, "amount": 0.0},
            {"date_start": date(2026, 1, 1), "base_amount": 120000.0, "last_year_base_amount": 80000.0,
             "amount": 6000.0},
        ])
        self.assertRecordValues(self.records(partner_id=customer_b.id), [
            {"date_start": date(2026, 4, 1), "base_amount": 130000.0, "previous_base_amount": 0.0, "amount": 6500.0},
            {"date_start": date(2026, 7, 1), "base_amount": 100000.0, "previous_base_amount": 130000.0,
             "amount": 5000.0},
        ])

    def test_daily_job_adds_up_the_months_of_the_day_customers(self):
        """The policies of the daily job over the same journal items — a quarterly and a monthly
        one here — take the day's customers' figures from one aggregate of their sums per month."""
        customer = self.customer_a
        monthly = self.create_policy(tiers=((30000.0, 2.0),), period="month", name="Monthly volume rebate")
        self.invoice(customer, "2026-02-10", 120000.0)
        self.invoice(customer, "2026-03-05", 10000.0)
        policies = self.policy | monthly
        policies.action_activate()
        self.env["rebate.policy"]._cron_compute_rebates()
        self.refund(customer, "2026-02-20", 20000.0)
        months, ranges = [], []
        policy_class = type(self.policy)
        month_figures, range_figures = policy_class._month_figures, policy_class._range_figures

        def spy_months(self_, missing):
            months.append((self_.id, {partner_id: set(read) for read, partner_ids in missing.items()
                                      for partner_id in partner_ids}))
            return month_figures(self_, missing)

        def spy_ranges(self_, needs, partner_ids=None):
            ranges.append(self_.id)
            return range_figures(self_, needs, partner_ids)

        with patch(f"{POLICY_CLASS}._month_figures", spy_months), \
                patch(f"{POLICY_CLASS}._range_figures", spy_ranges):
            self.env["rebate.policy"]._cron_compute_rebates()
        ours = [call[1] for call in months if call[0] in policies.ids]
        read = [month for call in ours for month in call[customer.id]]
        self.assertEqual(len(read), len(set(read)), "no month of the customer read twice for the two policies")
        # the quarterly policy reads Q1 (its estimate holds Q4 2025 and Q1 2025) and Q2 with Q1 and
        # Q2 2025 (no estimate); the monthly one adds them up, and reads only March 2025, the last
        # year of March (whose period before changed): February's estimate holds February's
        self.assertEqual(ours[1:], [{customer.id: {date(2025, 3, 1)}}])
        self.assertEqual(set(read), {date(2026, month, 1) for month in range(1, 7)}
                         | {date(2025, month, 1) for month in range(3, 7)})
        self.assertFalse(set(ranges) & set(policies.ids))
        # Q1: 120,000 - 20,000 + 10,000 = 110,000 at 5 % = 5,500; February 100,000 at 2 % = 2,000,
        # March 10,000 (below 30,000) with February as its month before
        self.assertRecordValues(self.records(self.policy, partner_id=customer.id), [
            {"date_start": date(2026, 1, 1), "base_amount": 110000.0, "amount": 5500.0},
        ])
        self.assertRecordValues(self.records(monthly, partner_id=customer.id).filtered("amount"), [
            {"date_start": date(2026, 2, 1), "base_amount": 100000.0, "amount": 2000.0},
        ])
        self.assertRecordValues(self.records(monthly, partner_id=customer.id, date_start=date(2026, 3, 1)), [
            {"base_amount": 10000.0, "previous_base_amount": 100000.0, "amount": 0.0}])

    def test_scheduler_takes_on_the_changes_queued_when_it_began(self):
        """Committing as it goes, the daily job works on the changes queued when it began: one
        queued after (a user's commit while it runs) stays queued for the next run."""
        customer_a, customer_b = self.customer_a, self.customer_b
        self.computed_then_credit_note_of_a()
        self.env.cr.execute("SELECT id FROM rebate_compute_queue")
        began = frozenset(row[0] for row in self.env.cr.fetchall())
        self.refund(customer_b, "2026-05-20", 10000.0)  # queued after the job began
        with daily_job(began):
            self.policy._compute_records(incremental=True)
        self.assertRecordValues(self.records(partner_id=customer_a.id), [
            {"date_start": date(2026, 1, 1), "base_amount": 100000.0, "amount": 5000.0}])
        self.assertRecordValues(self.records(partner_id=customer_b.id), [
            {"date_start": date(2026, 4, 1), "base_amount": 110000.0, "amount": 5500.0}])
        self.env.cr.execute("SELECT DISTINCT partner_id FROM rebate_compute_queue WHERE policy_id = %s",
                            [self.policy.id])
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], [customer_b.id])
        self.policy.action_compute()
        self.assertRecordValues(self.records(partner_id=customer_b.id), [
            {"date_start": date(2026, 4, 1), "base_amount": 100000.0, "amount": 5000.0}])

    def test_comparison_group_of_the_day_of_changes_in_two_aggregates(self):
        """A policy scoped to a tag: a day of new documents of a customer outside it, in several
        periods, brings the comparison group of each period up to date from what those documents
        add — their customers' months, the documents' lines; the customers they may make new are
        counted from those months — whatever the number of periods."""
        tagged = self.env["res.partner"].create({"name": "Tagged company", "is_company": True,
                                                 "category_id": [Command.set(self.customer_tag.ids)]})
        outsider = self.env["res.partner"].create({"name": "Outside company", "is_company": True})
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)])
        self.invoice(tagged, "2026-02-10", 120000.0)
        self.invoice(outsider, "2026-02-15", 50000.0)
        self.invoice(outsider, "2026-05-15", 60000.0)
        policy.action_activate()
        policy.action_compute()
        # Q1 +10,000; Q3 30,000, where the customer had nothing: one more customer in the group
        self.invoice(outsider, "2026-03-10", 10000.0)
        self.invoice(outsider, "2026-08-10", 30000.0)
        calls, spy = self.spy_ranges()
        with spy, patch(f"{POLICY_CLASS}._write_outside_period", side_effect=AssertionError("a period read again")):
            policy.action_compute()
        self.assertEqual(len(calls), 2)
        periods = self.env["rebate.policy.period"].search([("policy_id", "=", policy.id)], order="date_start")
        self.assertEqual([(row.outside_customer_count, row.outside_sales, row.outside_previous_sales) for row in periods],
                         [(1, 60000.0, 0.0), (1, 60000.0, 60000.0), (1, 30000.0, 60000.0), (0, 0.0, 30000.0)])

    def test_scope_of_a_few_customers_without_the_whole_scope(self):
        company = self.env["res.partner"].create({"name": "Scoped company", "is_company": True})
        self.env["res.partner"].create({"name": "Its buyer", "parent_id": company.id,
                                        "category_id": [Command.set(self.customer_tag.ids)]})
        outsider = self.env["res.partner"].create({"name": "Untagged company", "is_company": True})
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)],
                                    partner_ids=[Command.set(self.customer_b.ids)])
        self.assertEqual(policy._partners_in_scope([outsider.id, company.id, self.customer_b.id]),
                         [company.id, self.customer_b.id])
        scope = set(policy._scope_partner_ids())
        self.assertEqual({company.id, self.customer_b.id} & scope, {company.id, self.customer_b.id})
        self.assertNotIn(outsider.id, scope)
