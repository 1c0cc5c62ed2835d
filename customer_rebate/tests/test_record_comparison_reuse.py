# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The daily run takes a customer's figures of the period before and of last year from its
estimate when no queued change can have moved them (``_comparisons_kept``): these tests try what
an accountant closing the month and the scheduler's operator do to the records and the documents
behind them, and check that the incremental run still ends with what a full one computes."""

import random
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon

POLICY_CLASS = "odoo.addons.customer_rebate.models.rebate_policy.RebatePolicy"


class ReuseCommon(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.unlink()  # the common draft policy plays no part
        cls.customers = cls.env["res.partner"].create([{"name": f"Reuse customer {i}"} for i in range(5)])
        cls.customers[:2].category_id = cls.customer_tag
        cls.other_goods = cls._create_product(name="Other goods", lst_price=10.0, standard_price=4.0,
                                              taxes_id=[Command.clear()])

    def twins(self, company=None, **values):
        values.setdefault("date_start", "2025-01-01")
        return super().twins(company, **values)

    def assert_twins_equal(self, pair, message=""):
        incremental, full = pair
        full.action_compute_full()
        self.maxDiff = None
        (records, periods), (full_records, full_periods) = self.computed_snapshot(incremental), \
            self.computed_snapshot(full)
        # the records that differ, each with its twin's (the whole snapshots would be unreadable)
        self.assertEqual(
            {key: value for key, value in records.items() if full_records.get(key) != value},
            {key: value for key, value in full_records.items() if records.get(key) != value},
            f"incremental {incremental.name} and its full twin differ {message}")
        self.assertEqual(periods, full_periods, f"comparison groups of {incremental.name} differ {message}")

    def figures(self, policy, partner, date_start, revision=0):
        record = self.records(policy, partner_id=partner.id, date_start=date_start, revision=revision)
        self.assertEqual(len(record), 1, f"one record of {partner.name} on {date_start} (revision {revision})")
        return (record.state, record.base_amount, record.previous_base_amount, record.last_year_base_amount,
                record.amount)

    def spy_kept(self):
        """The comparisons each run takes from the estimates, and the patch that records them."""
        kept = []
        original = getattr(type(self.env["rebate.policy"]), "_comparisons_kept", lambda *args: {})

        def spy(self_, items, queued, run):
            result = original(self_, items, queued, run)
            kept.append((self_.id, dict(result)))
            return result

        # create: the same tests run on the code before the reuse (nothing is kept there)
        return kept, patch(f"{POLICY_CLASS}._comparisons_kept", spy, create=True)

    def kept_keys(self, kept, policy):
        return {key for policy_id, result in kept if policy_id == policy.id for key in result}


@tagged("post_install", "-at_install")
class TestComparisonReuseRandom(ReuseCommon):
    """Random days of a month-end close, each followed by the daily job: documents dated in the
    period before and last year's period of the customers' estimates (invoices, credit notes,
    resets, re-dated invoices), and what a manager does to the records alike on both twins —
    confirm, cancel (estimates and confirmed), put back, settle and cancel the settlement. After
    every job each incremental policy equals its full twin, record by record and in its
    comparison group."""

    def same_on_twins(self, pairs, rng, day):
        def alike(pair, record, state):
            # the twin's record of the same customer, period and revision
            return [policy.record_ids.filtered(
                lambda r, rec=record: r.state == state and r.partner_id == rec.partner_id
                and r.date_start == rec.date_start and r.revision == rec.revision) for policy in pair]

        for pair in pairs:
            incremental = pair[0]
            action = rng.random()
            records = incremental.record_ids
            drafts = records.filtered(lambda r: r.state == "draft" and r.date_end < day)
            confirmed = records.filtered(lambda r: r.state == "confirmed" and not r.settlement_id)
            cancelled = records.filtered(lambda r: r.state == "cancelled")
            if action < 0.2 and drafts:
                keys = {(r.partner_id, r.date_start, r.revision) for r in drafts if rng.random() < 0.6}
                for policy in pair:
                    policy.record_ids.filtered(
                        lambda r: r.state == "draft" and (r.partner_id, r.date_start, r.revision) in keys
                    ).action_confirm()
            elif action < 0.3 and drafts:
                for twin in alike(pair, drafts[rng.randrange(len(drafts))], "draft"):
                    twin.action_cancel()
            elif action < 0.4 and confirmed:
                record = confirmed[rng.randrange(len(confirmed))]
                twins = alike(pair, record, "confirmed")
                if rng.random() < 0.5:
                    for twin in twins:
                        twin.action_draft()  # back to estimate (no accrual booked)
                else:
                    for twin in twins:
                        twin.action_cancel()
            elif action < 0.5 and cancelled:
                for twin in alike(pair, cancelled[rng.randrange(len(cancelled))], "cancelled"):
                    twin.action_draft()
            elif action < 0.6 and confirmed.filtered(lambda r: r.amount > 0):
                payable = confirmed.filtered(lambda r: r.amount > 0)
                record = payable[rng.randrange(len(payable))]
                first, second = alike(pair, record, "confirmed")
                try:
                    with self.env.cr.savepoint():
                        self.env["rebate.settlement"]._create_from_records(first, date=day).action_done()
                except UserError:
                    continue  # nothing to pay once its negative adjustments are netted
                self.env["rebate.settlement"]._create_from_records(second, date=day).action_done()
            elif action < 0.68:
                settled = records.filtered(lambda r: r.state == "settled" and r.settlement_id.state == "done")
                if settled:
                    record = settled[rng.randrange(len(settled))]
                    for twin in alike(pair, record, "settled"):
                        twin.settlement_id.action_cancel()  # its records back to confirmed

    def put_back_on_twins(self, pairs, rng):
        """While the job runs (one twin computed, the other not yet): a manager puts a cancelled
        or confirmed record back to estimate on both twins — figures frozen alike since the last
        check, so the twins stay comparable."""
        pair = pairs[rng.randrange(len(pairs))]
        frozen = pair[0].record_ids.filtered(lambda r: r.state in ("cancelled", "confirmed") and not r.settlement_id)
        if not frozen or rng.random() < 0.4:
            return
        record = frozen[rng.randrange(len(frozen))]
        twins = [policy.record_ids.filtered(
            lambda r, rec=record: r.state == rec.state and r.partner_id == rec.partner_id
            and r.date_start == rec.date_start and r.revision == rec.revision) for policy in pair]
        self.assertEqual([len(twin) for twin in twins], [1, 1])
        for twin in twins:
            twin.action_draft()

    def random_change(self, rng, day, moves, company=None):
        """A document dated back into the customers' earlier periods (the period before, last
        year's), a reset, a re-dated invoice, a posting or a cancellation."""
        company = company or self.env.company
        action = rng.random()
        posted = moves.filtered(lambda m: m.state == "posted" and m.company_id == company)
        drafts = moves.filtered(lambda m: m.state == "draft" and m.company_id == company)
        # mostly the open period, the one before and last year's
        invoice_date = day - timedelta(days=rng.choice((rng.randint(0, 40), rng.randint(60, 200),
                                                         rng.randint(330, 460))))
        customer = self.customers[rng.randrange(len(self.customers))]
        if action < 0.4 or not posted:
            lines = [(self.goods, rng.randint(1, 30), rng.choice((50.0, 100.0, 120.0)))]
            if rng.random() < 0.3:
                lines.append((self.other_goods, rng.randint(1, 50), 10.0))
            return self.invoice(customer, invoice_date, lines=lines, company=company)
        if action < 0.6:
            return self.refund(customer, invoice_date, company=company,
                               lines=[(self.goods, rng.randint(1, 10), 100.0)])
        if action < 0.75:
            posted[rng.randrange(len(posted))].button_draft()
        elif action < 0.85 and posted:
            # the accountant re-dates an invoice: reset, new date, posted again
            move = posted[rng.randrange(len(posted))]
            move.button_draft()
            new_date = invoice_date if rng.random() < 0.7 else move.invoice_date - timedelta(days=rng.randint(30, 120))
            values = {"invoice_date": new_date, "date": new_date}
            if new_date.year != move.date.year:
                values["name"] = False  # numbered again in its new year's sequence
            move.write(values)
            move.action_post()
        elif drafts:
            self.post_or_cancel_one(rng, drafts, 0.7)
        return moves.browse()

    def test_daily_job_with_close_operations_equals_full(self):
        pairs = [
            self.twins(name="Quarters"),
            self.twins(name="Tagged months", period="month",
                       partner_category_ids=[Command.set(self.customer_tag.ids)]),
            self.twins(name="Senior half years", period="half_year", rebate_type="partnership",
                       min_seniority_months=5),
            self.twins(name="Clipped quarters", date_start="2025-02-15",
                       excluded_product_ids=[Command.set(self.other_goods.ids)]),
        ]
        rng = random.Random(6181)
        moves = self.env["account.move"]
        day = date(2025, 7, 1)
        checks = 0
        kept, spy = self.spy_kept()
        with spy:
            while day < date(2026, 10, 1):
                with freeze_time(day):
                    for _step in range(rng.randint(2, 6)):
                        moves |= self.random_change(rng, day, moves)
                    self.same_on_twins(pairs, rng, day)
                    self.env["rebate.policy"]._cron_compute_rebates()
                    for pair in pairs:
                        self.assert_twins_equal(pair, f"on {day}")
                    checks += 1
                day += timedelta(days=rng.randint(8, 30))
        self.assertGreater(checks, 15)
        # the reuse was exercised on every kind, adjustments and settlements were made
        for incremental, _full in pairs:
            self.assertTrue(self.kept_keys(kept, incremental), f"{incremental.name}: comparisons kept")
        every = pairs[0][0].record_ids | pairs[3][0].record_ids
        self.assertTrue(every.filtered("revision"), "adjustments were exercised")
        self.assertTrue(every.filtered(lambda r: r.state == "settled"), "settlements were exercised")
        self.assertTrue(every.filtered(lambda r: r.state == "cancelled"), "cancellations were exercised")

    def test_scheduler_interrupted_with_two_companies(self):
        """Inside the scheduler, stopped at random when its time is up and resumed, documents
        posted and records put back to estimate while it runs (taken on by the next run: this one
        may still take that estimate's comparisons as they were); a second company's quarters over
        the same customers."""
        self.other = self.setup_other_company()
        company_2 = self.other["company"]
        self.env.user.company_ids |= company_2
        pairs = [
            self.twins(name="Main quarters"),
            self.twins(name="Main tagged months", period="month",
                       partner_category_ids=[Command.set(self.customer_tag.ids)]),
            self.twins(company=company_2, name="Second quarters"),
        ]
        rng = random.Random(2718)
        policy_class = self.registry["rebate.policy"]
        compute_records = policy_class._compute_records
        state = {"during": 0, "interrupt": False, "moves": self.env["account.move"], "day": None}

        def compute_and_post(self_, *args, **kwargs):
            result = compute_records(self_, *args, **kwargs)
            if state["during"]:
                state["during"] -= 1
                for company in (self.env.company, company_2):
                    state["moves"] |= self.random_change(rng, state["day"], state["moves"], company=company)
                self.put_back_on_twins(pairs, rng)
            return result

        def commit_progress(*args, **kwargs):
            return 0.0 if state["interrupt"] and rng.random() < 0.2 else 100.0

        cron = self.env["rebate.policy"].with_context(ir_cron_progress_id=1)
        day = date(2025, 7, 1)
        checks = 0
        kept, spy = self.spy_kept()
        with spy, patch.object(self.registry["ir.cron"], "_commit_progress", commit_progress), \
                patch.object(policy_class, "_compute_records", compute_and_post):
            while day < date(2026, 8, 1):
                with freeze_time(day):
                    state["day"] = day
                    for company in (self.env.company, company_2):
                        for _step in range(rng.randint(1, 4)):
                            state["moves"] |= self.random_change(rng, day, state["moves"], company=company)
                    self.same_on_twins(pairs, rng, day)
                    state["during"], state["interrupt"] = rng.randint(0, 2), True
                    cron._cron_compute_rebates()
                    cron._cron_compute_rebates()
                    state["during"], state["interrupt"] = 0, False
                    cron._cron_compute_rebates()
                    for pair in pairs:
                        self.assert_twins_equal(pair, f"on {day}")
                    checks += 1
                day += timedelta(days=rng.randint(10, 35))
        self.assertGreater(checks, 10)
        for incremental, _full in pairs:
            self.assertTrue(self.kept_keys(kept, incremental), f"{incremental.name}: comparisons kept")


def quarter_start(year, number):
    return date(year, 3 * number - 2, 1)


@tagged("post_install", "-at_install")
class TestComparisonReuseHandWorked(ReuseCommon):
    """Hand-worked: 2 % from 1,000, 4 % from 5,000 a quarter. Customer A bought 3,000 in Q1 2025,
    2,000 in Q4 2025 and 6,000 in Q1 2026: computed on 15 April 2026, its Q1 2026 estimate is
    6,000 at 4 % = 240, with 2,000 the quarter before and 3,000 last year."""

    Q1_2025, Q4_2025, Q1_2026 = quarter_start(2025, 1), quarter_start(2025, 4), quarter_start(2026, 1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customers[0]

    def setUp(self):
        super().setUp()
        freezer = freeze_time("2026-04-15")
        freezer.start()
        self.addCleanup(freezer.stop)

    def history(self, pair, company=None):
        for day, amount in (("2025-02-10", 3000.0), ("2025-11-10", 2000.0), ("2026-02-10", 6000.0)):
            self.invoice(self.customer, day, amount, company=company)
        pair.action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2000.0, 3000.0, 240.0))

    def on_twins(self, pair, method, date_start, revision=0, state=None):
        for policy in pair:
            records = self.records(policy, partner_id=self.customer.id, date_start=date_start, revision=revision)
            if state:
                records = records.filtered(lambda r: r.state == state)
            self.assertEqual(len(records), 1)
            getattr(records, method)()

    def spy_months(self):
        """The months read for each customer (``_month_figures``), and the patch that records them."""
        read = []
        original = type(self.env["rebate.policy"])._month_figures

        def spy(self_, missing):
            for months, partner_ids in missing.items():
                read.extend((partner_id, month) for partner_id in partner_ids for month in months)
            return original(self_, missing)

        return read, patch(f"{POLICY_CLASS}._month_figures", spy)

    def test_change_in_the_period_takes_the_comparisons_from_the_estimate(self):
        pair = self.twins()
        self.history(pair)
        self.refund(self.customer, "2026-03-05", 1000.0)
        kept, spy = self.spy_kept()
        read, months_spy = self.spy_months()
        with spy, months_spy:
            pair[0].action_compute()
        # 6,000 - 1,000 = 5,000 at 4 % = 200; the quarter before and last year as they were
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 5000.0, 2000.0, 3000.0, 200.0))
        self.assertEqual(kept[0][1], {(self.Q1_2026, self.customer.id): {
            "previous_base_amount": 2000, "previous_cost_amount": 60, "last_year_base_amount": 3000}})
        # Q1 2026 alone for its estimate; Q2 2026 (whose quarter before is Q1) has none: its three
        # ranges, Q1 and Q2 2026 and Q2 2025 — never Q4 2025 nor Q1 2025
        self.assertEqual({month for partner_id, month in read if partner_id == self.customer.id},
                         {date(2026, month, 1) for month in range(1, 7)} | {date(2025, month, 1) for month in (4, 5, 6)})
        self.assert_twins_equal(pair)

    def test_confirmed_estimate_then_its_quarter_before_changes_with_and_without_its_base(self):
        pair = self.twins()
        self.history(pair)
        self.on_twins(pair, "action_confirm", self.Q1_2026)
        # the quarter before alone: the confirmed rebate stands, no adjustment for a comparison
        self.refund(self.customer, "2025-12-05", 500.0)
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026),
                         ("confirmed", 6000.0, 2000.0, 3000.0, 240.0))
        self.assertFalse(self.records(pair[0], partner_id=self.customer.id, date_start=self.Q1_2026, revision=1))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q4_2025), ("draft", 1500.0, 0.0, 0.0, 30.0))
        self.assert_twins_equal(pair, "after the credit note of Q4")
        # then its own base: the adjustment carries the quarter before's difference too
        self.invoice(self.customer, "2026-03-20", 1000.0)
        pair[0].action_compute()
        # 7,000 at 4 % = 280, less the 240 confirmed; 1,500 - 2,000 before
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026, revision=1),
                         ("draft", 1000.0, -500.0, 0.0, 40.0))
        self.assert_twins_equal(pair, "after the invoice of Q1")
        self.invoice(self.customer, "2026-03-25", 500.0)
        pair[0].action_compute()
        # 7,500 at 4 % = 300 - 240
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026, revision=1),
                         ("draft", 1500.0, -500.0, 0.0, 60.0))
        self.assert_twins_equal(pair, "after the second invoice of Q1")

    def test_estimate_cancelled_then_put_back_after_changes_before_and_last_year(self):
        pair = self.twins()
        self.history(pair)
        self.on_twins(pair, "action_cancel", self.Q1_2026)
        self.refund(self.customer, "2025-12-05", 500.0)
        self.refund(self.customer, "2025-03-05", 1000.0)
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026),
                         ("cancelled", 6000.0, 2000.0, 3000.0, 240.0))
        self.assert_twins_equal(pair, "while cancelled")
        self.on_twins(pair, "action_draft", self.Q1_2026)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertFalse(kept[0][1], "an estimate put back is read again")
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 1500.0, 2000.0, 240.0))
        self.assert_twins_equal(pair, "put back")

    def test_confirmed_record_put_back_beside_its_draft_adjustment(self):
        """A confirmed record with a draft adjustment, put back to estimate: one estimate of the
        whole period is left (two would each count), the same whatever order the rows come in."""
        pair = self.twins()
        self.history(pair)
        self.on_twins(pair, "action_confirm", self.Q1_2026)
        self.invoice(self.customer, "2026-03-20", 1000.0)
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026, revision=1),
                         ("draft", 1000.0, 0.0, 0.0, 40.0))
        self.assert_twins_equal(pair, "with its adjustment")
        self.on_twins(pair, "action_draft", self.Q1_2026, state="confirmed")
        self.refund(self.customer, "2025-12-05", 500.0)
        for policy in pair:
            policy.action_compute()
            records = self.records(policy, partner_id=self.customer.id, date_start=self.Q1_2026)
            # 7,000 at 4 % = 280, the quarter before 1,500: the whole period on revision 0
            self.assertEqual(records.mapped(lambda r: (r.revision, r.state, r.base_amount, r.previous_base_amount,
                                                       r.last_year_base_amount, r.amount)),
                             [(0, "draft", 7000.0, 1500.0, 3000.0, 280.0)])
        self.assert_twins_equal(pair, "put back")

    def test_settlement_cancelled_then_record_cancelled_and_put_back(self):
        pair = self.twins()
        self.history(pair)
        self.on_twins(pair, "action_confirm", self.Q1_2026)
        for policy in pair:
            record = self.records(policy, partner_id=self.customer.id, date_start=self.Q1_2026)
            self.env["rebate.settlement"]._create_from_records(record, date="2026-04-15").action_done()
            self.assertEqual(record.state, "settled")
        # last year's quarter changes while the rebate is paid: no adjustment for it
        self.refund(self.customer, "2025-03-05", 1000.0)
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("settled", 6000.0, 2000.0, 3000.0, 240.0))
        self.assert_twins_equal(pair, "settled")
        for policy in pair:
            record = self.records(policy, partner_id=self.customer.id, date_start=self.Q1_2026)
            record.settlement_id.action_cancel()
            self.assertEqual(record.state, "confirmed")
            record.action_cancel()
            record.action_draft()
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2000.0, 2000.0, 240.0))
        self.assert_twins_equal(pair, "put back")

    def test_invoice_of_the_quarter_before_redated(self):
        pair = self.twins()
        self.history(pair)
        invoice = self.env["account.move"].search([("partner_id", "=", self.customer.id),
                                                   ("invoice_date", "=", "2025-11-10")])
        invoice.button_draft()
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 0.0, 3000.0, 240.0))
        self.assertFalse(self.records(pair[0], partner_id=self.customer.id, date_start=self.Q4_2025))
        self.assert_twins_equal(pair, "reset")
        invoice.write({"invoice_date": "2025-08-10", "date": "2025-08-10"})
        invoice.action_post()
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, quarter_start(2025, 3)), ("draft", 2000.0, 0.0, 0.0, 40.0))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 0.0, 3000.0, 240.0))
        self.assert_twins_equal(pair, "re-dated")
        # the estimate read after the reset holds the new comparisons: kept from it now
        self.invoice(self.customer, "2026-03-20", 1000.0)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertIn((self.Q1_2026, self.customer.id), kept[0][1])
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 7000.0, 0.0, 3000.0, 280.0))
        self.assert_twins_equal(pair, "after an invoice of Q1")

    def test_two_companies_keep_their_own_comparisons(self):
        self.other = self.setup_other_company()
        company_2 = self.other["company"]
        self.env.user.company_ids |= company_2
        pair = self.twins()
        second = self.twins(company=company_2)
        for day, amount in (("2025-11-10", 4000.0), ("2026-02-10", 5000.0)):
            self.invoice(self.customer, day, amount, company=company_2)
        self.history(pair)
        second.action_compute()
        self.assertEqual(self.figures(second[0], self.customer, self.Q1_2026), ("draft", 5000.0, 4000.0, 0.0, 200.0))
        # the second company's quarter before, the first company's quarter
        self.refund(self.customer, "2025-12-05", 1000.0, company=company_2)
        self.invoice(self.customer, "2026-03-20", 1000.0)
        kept, spy = self.spy_kept()
        with spy:
            self.env["rebate.policy"]._cron_compute_rebates()
        self.assertIn((self.Q1_2026, self.customer.id), self.kept_keys(kept, pair[0]))
        # the second company's Q4 2025 (its credit note) keeps its own comparisons, not its Q1 2026
        self.assertEqual(self.kept_keys(kept, second[0]), {(self.Q4_2025, self.customer.id)})
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 7000.0, 2000.0, 3000.0, 280.0))
        self.assertEqual(self.figures(second[0], self.customer, self.Q1_2026), ("draft", 5000.0, 3000.0, 0.0, 200.0))
        self.assert_twins_equal(pair, "first company")
        self.assert_twins_equal(second, "second company")

    def test_seniority_first_invoice_moved(self):
        """Six months of seniority: A's first invoice of 10 February 2025 makes it senior from Q4
        2025; an invoice dated March 2024 makes it senior from Q4 2024 (Q1 2025 earns), and reset
        again it is not."""
        pair = self.twins(rebate_type="partnership", min_seniority_months=6)
        self.history(pair)
        self.assertFalse(self.records(pair[0], partner_id=self.customer.id, date_start=self.Q1_2025))
        early = self.invoice(self.customer, "2024-03-01", 500.0)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertIn((self.Q1_2026, self.customer.id), kept[0][1], "the seniority moved, not its comparisons")
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2025), ("draft", 3000.0, 0.0, 500.0, 60.0))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2000.0, 3000.0, 240.0))
        self.assert_twins_equal(pair, "first invoice earlier")
        early.button_draft()
        pair[0].action_compute()
        self.assertFalse(self.records(pair[0], partner_id=self.customer.id, date_start=self.Q1_2025))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q4_2025), ("draft", 2000.0, 0.0, 0.0, 40.0))
        self.assert_twins_equal(pair, "first invoice back")

    def test_paid_basis_payment_undone_in_the_quarter_before(self):
        pair = self.twins(invoice_basis="paid")
        december = self.invoice(self.customer, "2025-11-10", 2000.0)
        payment = self._register_payment(december, payment_date="2025-12-01")
        self._register_payment(self.invoice(self.customer, "2026-01-10", 6000.0), payment_date="2026-02-01")
        pair.action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2000.0, 0.0, 240.0))
        payment.move_id.line_ids.remove_move_reconcile()
        pair[0].action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 0.0, 0.0, 240.0))
        self.assertFalse(self.records(pair[0], partner_id=self.customer.id, date_start=self.Q4_2025))
        self.assert_twins_equal(pair, "payment undone")
        self._register_payment(self.invoice(self.customer, "2026-03-01", 1000.0), payment_date="2026-03-10")
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertIn((self.Q1_2026, self.customer.id), kept[0][1])
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 7000.0, 0.0, 0.0, 280.0))
        self.assert_twins_equal(pair, "paid in Q1")

    def test_clipped_period_without_whole_months(self):
        """A policy from 15 February 2025: its first quarter, 15 February - 31 March, compares with
        15 November - 31 December 2024 and 15 February - 31 March 2024 (no whole months: read by
        date ranges, the comparisons still kept)."""
        pair = self.twins(date_start="2025-02-15")
        for day, amount in (("2024-11-10", 700.0), ("2024-12-01", 800.0), ("2024-03-01", 900.0),
                            ("2024-02-10", 400.0), ("2025-02-20", 3000.0), ("2025-02-10", 5000.0)):
            self.invoice(self.customer, day, amount)
        start = date(2025, 2, 15)
        pair.action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, start), ("draft", 3000.0, 800.0, 900.0, 60.0))
        self.invoice(self.customer, "2025-03-20", 3000.0)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertIn((start, self.customer.id), kept[0][1])
        self.assertEqual(self.figures(pair[0], self.customer, start), ("draft", 6000.0, 800.0, 900.0, 240.0))
        # Q2 2025 compares with the whole Q1 2025: 5,000 + 3,000 + 3,000
        self.assert_twins_equal(pair)

    def test_closed_version_then_changes_in_its_shortened_quarter(self):
        """A version ending on 15 November 2025: its last quarter, 1 October - 15 November,
        compares with 1 July - 15 August and 1 October - 15 November 2024."""
        pair = self.twins(date_end="2025-11-15")
        for day, amount in (("2025-08-10", 2000.0), ("2025-08-20", 900.0), ("2024-10-05", 500.0),
                            ("2025-10-20", 3000.0)):
            self.invoice(self.customer, day, amount)
        pair.action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q4_2025), ("draft", 3000.0, 2000.0, 500.0, 60.0))
        pair.action_close()
        self.assertFalse(pair[0].compute_open_from, "closing makes the next run a complete one")
        pair[0].action_compute()
        self.invoice(self.customer, "2025-11-01", 2500.0)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertIn((self.Q4_2025, self.customer.id), kept[0][1])
        self.assertEqual(self.figures(pair[0], self.customer, self.Q4_2025), ("draft", 5500.0, 2000.0, 500.0, 220.0))
        self.assert_twins_equal(pair)

    def test_scheduler_stopped_then_resumed_with_an_estimate_put_back(self):
        pair = self.twins()
        self.history(pair)
        self.on_twins(pair, "action_cancel", self.Q1_2026)
        self.on_twins(pair, "action_draft", self.Q1_2026)
        self.refund(self.customer, "2025-12-05", 500.0)
        self.invoice(self.customer, "2026-03-20", 1000.0)
        # the scheduler's time is up after the day's changes: committed, nothing dequeued
        pair[0]._compute_records(incremental=True, progress=lambda: False)
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 7000.0, 1500.0, 3000.0, 280.0))
        self.assertTrue(self.env["rebate.compute.queue"].search([("policy_id", "=", pair[0].id)]))
        kept, spy = self.spy_kept()
        with spy:
            pair[0]._compute_records(incremental=True, progress=lambda: True)
        self.assertFalse(kept[0][1], "the put back still queued: read again")
        self.assertFalse(self.env["rebate.compute.queue"].search([("policy_id", "=", pair[0].id)]))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 7000.0, 1500.0, 3000.0, 280.0))
        self.assert_twins_equal(pair)

    def test_terms_changed_reads_every_comparison(self):
        pair = self.twins()
        for day, lines in (("2025-02-10", [(self.goods, 1.0, 3000.0)]), ("2025-11-10", [(self.goods, 1.0, 2000.0)]),
                           ("2025-11-20", [(self.other_goods, 50.0, 10.0)]), ("2026-02-10", [(self.goods, 1.0, 6000.0)])):
            self.invoice(self.customer, day, lines=lines)
        pair.action_compute()
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2500.0, 3000.0, 240.0))
        # the other goods no longer count: every period computed again, its comparisons read
        pair.write({"excluded_product_ids": [Command.set(self.other_goods.ids)]})
        self.assertFalse(pair[0].compute_open_from)
        kept, spy = self.spy_kept()
        with spy:
            pair[0].action_compute()
        self.assertEqual(kept, [(pair[0].id, {})])
        self.assertEqual(self.figures(pair[0], self.customer, self.Q1_2026), ("draft", 6000.0, 2000.0, 3000.0, 240.0))
        self.assertEqual(self.figures(pair[0], self.customer, self.Q4_2025), ("draft", 2000.0, 0.0, 0.0, 40.0))
        self.assert_twins_equal(pair)

    def test_comparison_group_new_customers_counted_from_the_months_kept(self):
        """A policy scoped to a tag and one over everyone on the same goods, in the daily job:
        the outside customers' months read once serve the group's count of new customers. An
        outside customer who had bought in Q1 is not new; one whose only document of Q1 is the
        day's is."""
        tagged_pair = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        everyone = self.twins()
        known, newcomer = self.customers[2], self.customers[3]
        self.invoice(self.customer, "2026-02-10", 6000.0)
        self.invoice(known, "2026-02-15", 2000.0)
        self.env["rebate.policy"]._cron_compute_rebates()
        rows = self.env["rebate.policy.period"].search([("policy_id", "=", tagged_pair[0].id)], order="date_start")
        self.assertEqual([(row.date_start, row.outside_customer_count, row.outside_sales, row.outside_previous_sales)
                          for row in rows][-2:], [(self.Q1_2026, 1, 2000.0, 0.0), (date(2026, 4, 1), 0, 0.0, 2000.0)])
        self.invoice(known, "2026-03-01", 500.0)
        self.invoice(newcomer, "2026-03-02", lines=[(self.goods, 1.0, 400.0), (self.goods, 2.0, 150.0)])
        counted = []
        original = type(self.env["rebate.policy"])._outside_line_counts

        def spy(self_, changes):
            result = original(self_, changes)
            counted.append((self_.id, result))
            return result

        with patch(f"{POLICY_CLASS}._outside_line_counts", spy):
            self.env["rebate.policy"]._cron_compute_rebates()
        # the lines of Q1 of each: 2 of the known customer (1 new), 2 of the newcomer (both new)
        self.assertEqual([result for policy_id, result in counted if policy_id == tagged_pair[0].id],
                         [({(self.Q1_2026, known.id): 2, (self.Q1_2026, newcomer.id): 2}, set())])
        rows = self.env["rebate.policy.period"].search([("policy_id", "=", tagged_pair[0].id)], order="date_start")
        self.assertEqual([(row.date_start, row.outside_customer_count, row.outside_sales, row.outside_previous_sales)
                          for row in rows][-2:], [(self.Q1_2026, 2, 3200.0, 0.0), (date(2026, 4, 1), 0, 0.0, 3200.0)])
        self.assert_twins_equal(tagged_pair)
        self.assert_twins_equal(everyone)

    def test_policies_writing_more_than_records_keep_nothing(self):
        """Group volume, advances and exclusive policies read their comparisons every time."""
        pooled = self.create_policy(tiers=((1000.0, 2.0),), pool_mode="tag",
                                    pool_category_ids=[Command.set(self.customer_tag.ids)])
        advanced = self.create_policy(tiers=((1000.0, 2.0),), period="year", advance_period="quarter",
                                      advance_mode="rate", advance_rate=1.0)
        exclusive = self.create_policy(tiers=((1000.0, 2.0),), combinable=False)
        policies = pooled | advanced | exclusive
        policies.action_activate()
        for day, amount in (("2025-02-10", 3000.0), ("2025-11-10", 2000.0), ("2026-02-10", 6000.0)):
            self.invoice(self.customer, day, amount)
        policies.action_compute()
        for policy in pooled | exclusive:
            self.assertEqual(self.figures(policy, self.customer, self.Q1_2026)[1:4], (6000.0, 2000.0, 3000.0))
        self.invoice(self.customer, "2026-03-20", 1000.0)
        kept, spy = self.spy_kept()
        with spy:
            policies.action_compute()
        self.assertEqual([result for _policy_id, result in kept], [{}, {}, {}])
        for policy in pooled | exclusive:
            self.assertEqual(self.figures(policy, self.customer, self.Q1_2026)[1:4], (7000.0, 2000.0, 3000.0))


@tagged("post_install", "-at_install")
class TestRecordPutBackBesideItsAdjustment(RebateCommon):
    """A confirmed record that has a draft adjustment, put back to estimate: the period keeps one
    estimate of what the settled rows do not hold — each of two would count."""

    def test_year_end_settlement_put_back_beside_its_adjustment(self):
        """5 % of a year from 400,000, advanced quarterly at 3 %: 480,000 bought in February
        2026, the year-end settlement 24,000 less the 14,400 advanced (Q1 to Q4) = 9,600."""
        policy = self.create_policy(tiers=((400000.0, 5.0),), name="Yearly target", period="year",
                                    advance_period="quarter", advance_mode="rate", advance_rate=3.0,
                                    date_start="2026-01-01")
        policy.action_activate()
        self.invoice(self.customer_a, "2026-02-10", 480000.0)
        with freeze_time("2027-01-10"):
            policy.action_compute()
            final = self.records(policy, kind="final")
            self.assertEqual((final.year_rebate_amount, final.advanced_amount, final.amount), (24000.0, 14400.0, 9600.0))
            final.action_confirm()
            # 20,000 more in December: the adjustment adds 1,000 to the year's rebate
            self.invoice(self.customer_a, "2026-12-20", 20000.0)
            policy.action_compute()
            adjustment = self.records(policy, kind="final", revision=1)
            self.assertEqual((adjustment.state, adjustment.base_amount, adjustment.amount), ("draft", 20000.0, 1000.0))
            final.action_draft()
            policy.action_compute()
            finals = self.records(policy, kind="final")
            self.assertEqual(finals.mapped(lambda r: (r.revision, r.state, r.base_amount, r.year_rebate_amount,
                                                      r.advanced_amount, r.amount)),
                             [(0, "draft", 500000.0, 25000.0, 14400.0, 10600.0)])
            self.assertEqual(sum(self.records(policy).mapped("amount")), 25000.0, "the year's rebate, once")
