# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import random
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon

POLICY_CLASS = "odoo.addons.customer_rebate.models.rebate_policy.RebatePolicy"


@tagged("post_install", "-at_install")
class TestIncrementalEqualsFullDailyJob(RebateCommon):
    """The daily job (every policy incremental, the day's customers' months shared by the policies
    over the same lines) ends with exactly the estimates and comparison-group rows that a full
    recomputation of a twin policy gives, whatever the period kind, clipped periods, scopes,
    seniority, closed versions, exclusions, cancelled and confirmed records, and a second company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.unlink()  # the common draft policy plays no part
        cls.customers = cls.env["res.partner"].create([{"name": f"Review customer {i}"} for i in range(5)])
        cls.customers[:2].category_id = cls.customer_tag
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.promo_categ = cls.env["product.category"].create(
            {"name": "Promotion goods", "parent_id": cls.goods.categ_id.id})
        cls.promo_categ.property_account_income_categ_id = cls.company_data["default_account_revenue"]
        cls.promo = cls._create_product(name="Promo goods", lst_price=80.0, standard_price=33.3,
                                        categ_id=cls.promo_categ.id, taxes_id=[Command.clear()])
        cls.other_goods = cls._create_product(name="Excluded goods", lst_price=10.0, standard_price=7.0,
                                              taxes_id=[Command.clear()])

    def same_on_twins(self, pairs, rng, day):
        """What a manager does to the records, alike on both twins: confirms closed periods,
        cancels an estimate, puts a cancelled one back to estimate."""
        for pair in pairs:
            incremental, full = pair
            action = rng.random()
            drafts = incremental.record_ids.filtered(lambda r: r.state == "draft" and r.date_end < day)
            if action < 0.15 and drafts:
                keys = {(r.partner_id, r.date_start) for r in drafts}
                for policy in pair:
                    policy.record_ids.filtered(
                        lambda r: r.state == "draft" and (r.partner_id, r.date_start) in keys).action_confirm()
            elif action < 0.25 and drafts:
                record = drafts[rng.randrange(len(drafts))]
                for policy in pair:
                    policy.record_ids.filtered(
                        lambda r, rec=record: r.state == "draft" and r.partner_id == rec.partner_id
                        and r.date_start == rec.date_start and r.revision == rec.revision).action_cancel()
            elif action < 0.32:
                cancelled = incremental.record_ids.filtered(lambda r: r.state == "cancelled")
                if cancelled:
                    record = cancelled[rng.randrange(len(cancelled))]
                    for policy in pair:
                        policy.record_ids.filtered(
                            lambda r, rec=record: r.state == "cancelled" and r.partner_id == rec.partner_id
                            and r.date_start == rec.date_start and r.revision == rec.revision).action_draft()

    def random_change(self, rng, day, moves, company=None):
        company = company or self.env.company
        action = rng.random()
        posted = moves.filtered(lambda m: m.state == "posted" and m.company_id == company)
        drafts = moves.filtered(lambda m: m.state == "draft" and m.company_id == company)
        invoice_date = day - timedelta(days=rng.randint(0, 500))
        customer = self.customers[rng.randrange(len(self.customers))]
        if action < 0.45 or not posted:
            lines = [(self.goods, rng.randint(1, 30), rng.choice((50.0, 100.0, 120.0)))]
            if rng.random() < 0.4:
                lines.append((self.promo, rng.randint(1, 20), 80.0))
            if rng.random() < 0.3:
                lines.append((self.goods, rng.randint(1, 3), 1000.0, self.dozen))
            if rng.random() < 0.3:
                lines.append((self.other_goods, rng.randint(1, 50), 10.0))
            return self.invoice(customer, invoice_date, lines=lines, company=company)
        if action < 0.65:
            return self.refund(customer, invoice_date, company=company,
                               lines=[(rng.choice((self.goods, self.promo)), rng.randint(1, 10), 100.0)])
        if action < 0.82:
            posted[rng.randrange(len(posted))].button_draft()
        elif drafts:
            self.post_or_cancel_one(rng, drafts, 0.6)
        return moves.browse()

    def compare(self, pairs, day):
        self.maxDiff = None
        for incremental, full in pairs:
            full.action_compute_full()
            self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full),
                             f"incremental {incremental.name} and its full twin differ on {day}")

    def test_daily_job_equals_full_on_every_period_kind(self):
        pairs = [
            # a quarter clipped by a start on 15 February, an excluded product
            self.twins(name="Clipped quarter", date_start="2025-02-15",
                       excluded_product_ids=[Command.set(self.other_goods.ids)]),
            # half years, one named customer (a comparison group of the others)
            self.twins(name="Named half year", period="half_year", date_start="2025-01-01",
                       partner_ids=[Command.set(self.customers[2].ids)]),
            # years clipped to a start in July, partnership with seniority, tagged customers, quantity
            self.twins(name="Tagged senior year", period="year", date_start="2024-07-01", basis="quantity",
                       rebate_type="partnership", min_seniority_months=4,
                       partner_category_ids=[Command.set(self.customer_tag.ids)],
                       tier_ids=[Command.create({"sequence": 1, "threshold": 10.0, "rate": 1.0}),
                                 Command.create({"sequence": 2, "threshold": 60.0, "rate": 3.0})]),
            # months clipped to a start on the 10th, a product category
            self.twins(name="Promo months", period="month", date_start="2025-03-10",
                       product_category_ids=[Command.set(self.promo_categ.ids)]),
            # one window
            self.twins(name="Window", period="window", date_start="2025-03-01", date_end="2026-02-28"),
            # a version that ends mid-quarter, closed when its end has passed
            self.twins(name="Closed version", date_start="2025-01-01", date_end="2025-11-15",
                       min_seniority_months=2, rebate_type="partnership"),
        ]
        rng = random.Random(1414)
        moves = self.env["account.move"]
        day = date(2025, 9, 1)
        checks = 0
        while day < date(2026, 9, 1):
            with freeze_time(day):
                for _step in range(rng.randint(2, 5)):
                    moves |= self.random_change(rng, day, moves)
                if day > date(2025, 11, 15) and pairs[5][0].state == "active":
                    pairs[5].action_close()
                self.same_on_twins(pairs, rng, day)
                self.env["rebate.policy"]._cron_compute_rebates()
                self.compare(pairs, day)
                checks += 1
            day += timedelta(days=rng.randint(10, 40))
        self.assertGreater(checks, 10)
        self.assertEqual(pairs[5][0].state, "closed")
        self.assertTrue(pairs[0][0].record_ids.filtered(lambda r: r.revision), "adjustments were exercised")

    def test_daily_job_in_the_scheduler_with_two_companies_and_postings_while_it_runs(self):
        """Inside the scheduler (committing as it goes) the job takes on the changes queued when
        it began; documents posted while it runs are taken on by the next run, and a job stopped
        when its time is up is resumed by the next: after a run that finishes, every policy of
        both companies equals its full twin."""
        self.other = self.setup_other_company()
        company_2 = self.other["company"]
        self.env.user.company_ids |= company_2
        pairs = [
            self.twins(name="Main quarter", date_start="2025-01-01"),
            self.twins(name="Main months tagged", period="month", date_start="2025-01-01",
                       partner_category_ids=[Command.set(self.customer_tag.ids)]),
            self.twins(company=company_2, name="Second quarter", date_start="2025-01-01"),
            self.twins(company=company_2, name="Second months named", period="month", date_start="2025-01-01",
                       partner_ids=[Command.set(self.customers[0].ids)]),
        ]
        rng = random.Random(2614)
        moves = self.env["account.move"]
        policy_class = self.registry["rebate.policy"]
        compute_records = policy_class._compute_records
        state = {"during": 0}

        def compute_and_post(self_, *args, **kwargs):
            result = compute_records(self_, *args, **kwargs)
            if state["during"]:
                # a user posts documents of both companies between two policies of the job
                state["during"] -= 1
                for company in (self.env.company, company_2):
                    state["moves"] |= self.random_change(rng, state["day"], state["moves"], company=company)
            return result

        state["moves"] = moves
        day = date(2025, 6, 1)
        checks = 0
        cron = self.env["rebate.policy"].with_context(ir_cron_progress_id=1)
        def commit_progress(*args, **kwargs):
            # sometimes Odoo says the job's time is up: the next run resumes
            return 0.0 if state["interrupt"] and rng.random() < 0.15 else 100.0

        state["interrupt"] = False
        with patch.object(self.registry["ir.cron"], "_commit_progress", commit_progress), \
                patch.object(policy_class, "_compute_records", compute_and_post):
            while day < date(2026, 6, 1):
                with freeze_time(day):
                    state["day"] = day
                    for company in (self.env.company, company_2):
                        for _step in range(rng.randint(1, 4)):
                            state["moves"] |= self.random_change(rng, day, state["moves"], company=company)
                    state["during"] = rng.randint(0, 3)
                    state["interrupt"] = True
                    cron._cron_compute_rebates()
                    cron._cron_compute_rebates()
                    state["during"], state["interrupt"] = 0, False
                    # what was posted while it ran is still queued, and taken on now
                    cron._cron_compute_rebates()
                    self.compare(pairs, day)
                    checks += 1
                day += timedelta(days=rng.randint(15, 45))
        self.assertGreater(checks, 6)
        self.assertTrue(self.env["rebate.record"].search([("company_id", "=", company_2.id)]))

    def test_daily_job_equals_full_on_a_paid_basis(self):
        """Paid basis: payments made (partly, dated back) and undone, invoices reset, credit
        notes; clipped months scoped to a tag, quarters of everyone."""
        pairs = [
            self.twins(name="Paid tagged months", period="month", date_start="2025-03-10", invoice_basis="paid",
                       partner_category_ids=[Command.set(self.customer_tag.ids)]),
            self.twins(name="Paid quarters", date_start="2025-02-15", invoice_basis="paid"),
        ]
        rng = random.Random(1314)
        moves, payments = self.env["account.move"], self.env["account.payment"]
        day = date(2025, 6, 1)
        checks = 0
        while day < date(2026, 6, 1):
            with freeze_time(day):
                for _step in range(rng.randint(2, 5)):
                    action = rng.random()
                    open_invoices = moves.filtered(
                        lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial"))
                    if action < 0.35 or not moves:
                        moves |= self.random_change(rng, day, moves)
                    elif action < 0.7 and open_invoices:
                        invoice = open_invoices[rng.randrange(len(open_invoices))]
                        payment_date = invoice.invoice_date + timedelta(
                            days=rng.randint(0, max(0, (day - invoice.invoice_date).days)))
                        values = {"payment_date": payment_date}
                        if rng.random() < 0.5:
                            values.update(amount=round(invoice.amount_residual * rng.choice((0.3, 0.5)), 2),
                                          payment_difference_handling="open")
                        payments |= self._register_payment(invoice, **values)
                    elif action < 0.85 and payments:
                        payment = payments[rng.randrange(len(payments))]
                        payment.move_id.line_ids.remove_move_reconcile()
                    else:
                        moves |= self.random_change(rng, day, moves)
                self.same_on_twins(pairs, rng, day)
                self.env["rebate.policy"]._cron_compute_rebates()
                self.compare(pairs, day)
                checks += 1
            day += timedelta(days=rng.randint(10, 40))
        self.assertGreater(checks, 8)
        self.assertTrue(pairs[1][0].record_ids.filtered("base_amount"), "payments counted")


@tagged("post_install", "-at_install")
class TestComparisonGroupChangesReadOnce(RebateCommon):
    """The comparison group (rebate.policy.period) adds what newly posted documents bring only
    when its row does not hold them yet: a document a full read of the period already counted —
    because it was posted after the job began (the scheduler takes on the changes queued then), or
    the period was computed with dates meanwhile — is counted once, and a customer whose documents
    all came after the row's last read counts as one more customer once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tagged_customer = cls.env["res.partner"].create(
            {"name": "Tagged company", "is_company": True, "category_id": [Command.set(cls.customer_tag.ids)]})
        cls.outsider = cls.env["res.partner"].create({"name": "Outside company", "is_company": True})
        cls.newcomer = cls.env["res.partner"].create({"name": "New outside company", "is_company": True})
        cls.scoped = cls.create_policy(partner_category_ids=[Command.set(cls.customer_tag.ids)],
                                       date_start="2026-01-01")

    def rows(self):
        return [(row.date_start, row.outside_customer_count, row.outside_sales, row.outside_previous_sales)
                for row in self.env["rebate.policy.period"].search([("policy_id", "=", self.scoped.id)],
                                                                   order="date_start")]

    def queue_ids(self):
        self.env.cr.execute("SELECT id FROM rebate_compute_queue")
        return frozenset(row[0] for row in self.env.cr.fetchall())

    def test_document_posted_after_the_job_began_in_a_new_period(self):
        from ..tools.compute_run import daily_job

        self.invoice(self.tagged_customer, "2026-02-10", 120000.0)
        self.invoice(self.outsider, "2026-05-15", 50000.0)
        self.scoped.action_activate()
        with freeze_time("2026-06-20"):
            self.scoped.action_compute()
        with freeze_time("2026-07-10"):
            began = self.queue_ids()
            # a user posts while the job runs: Q3, new since the last run, is read in full with it
            self.invoice(self.outsider, "2026-07-05", 10000.0)
            with daily_job(began):
                self.scoped._compute_records(incremental=True)
            self.assertEqual(self.rows()[-1], (date(2026, 7, 1), 1, 10000.0, 50000.0))
            # the next run takes on its queued change: Q3 holds it already
            self.scoped.action_compute()
        self.assertEqual(self.rows(), [(date(2026, 1, 1), 0, 0.0, 0.0), (date(2026, 4, 1), 1, 50000.0, 0.0),
                                       (date(2026, 7, 1), 1, 10000.0, 50000.0)])

    def test_period_computed_with_dates_then_incrementally(self):
        self.invoice(self.tagged_customer, "2026-02-10", 120000.0)
        self.invoice(self.outsider, "2026-02-15", 50000.0)
        self.scoped.action_activate()
        with freeze_time("2026-06-20"):
            self.scoped.action_compute()
            self.invoice(self.outsider, "2026-03-10", 10000.0)
            # Q1 computed in full for its dates (the wizard's dates): its group holds the invoice
            self.scoped._compute_records("2026-01-01", "2026-03-31")
            self.assertEqual(self.rows()[0], (date(2026, 1, 1), 1, 60000.0, 0.0))
            self.scoped.action_compute()
        self.assertEqual(self.rows(), [(date(2026, 1, 1), 1, 60000.0, 0.0), (date(2026, 4, 1), 0, 0.0, 60000.0)])

    def test_new_customer_with_documents_before_and_after_the_job_began(self):
        from ..tools.compute_run import daily_job

        self.invoice(self.tagged_customer, "2026-02-10", 120000.0)
        self.invoice(self.outsider, "2026-02-15", 50000.0)
        self.scoped.action_activate()
        with freeze_time("2026-06-20"):
            self.scoped.action_compute()
            # a customer new to Q1's group: one invoice queued before the job began, one after
            self.invoice(self.newcomer, "2026-03-01", 7000.0)
            began = self.queue_ids()
            self.invoice(self.newcomer, "2026-03-02", 3000.0)
            with daily_job(began):
                self.scoped._compute_records(incremental=True)
            self.scoped.action_compute()
        self.assertEqual(self.rows(), [(date(2026, 1, 1), 2, 60000.0, 0.0), (date(2026, 4, 1), 0, 0.0, 60000.0)])


@tagged("post_install", "-at_install")
class TestPaidInvoiceResetKeepsItsPayments(RebateCommon):
    """Odoo 19 keeps an invoice's reconciliations when it is reset to draft (and finds them again
    when it is posted anew): its payments stop or start counting on their own dates, which the
    incremental run must recompute as the full one does."""

    @freeze_time("2026-10-15")
    def test_paid_invoice_reset_and_posted_again(self):
        policies = self.create_policy(tiers=((1000.0, 2.0),), invoice_basis="paid") \
            | self.create_policy(tiers=((1000.0, 2.0),), invoice_basis="paid")
        policies.action_activate()
        incremental, full = policies
        invoice = self.invoice(self.customer_a, "2026-02-10", 6000.0)
        self._register_payment(invoice, payment_date="2026-08-15")
        policies.action_compute()
        self.assertEqual(self.records(incremental).mapped(lambda r: (r.date_start, r.base_amount, r.amount)),
                         [(date(2026, 7, 1), 6000.0, 120.0)])
        invoice.button_draft()
        self.assertTrue(invoice.line_ids.matched_debit_ids | invoice.line_ids.matched_credit_ids,
                        "Odoo keeps the reconciliation of a draft invoice")
        incremental.action_compute()
        full.action_compute_full()
        # paid in Q3 (not a period its invoice date makes the run read), the invoice no longer
        # posted: nothing counts
        self.assertFalse(self.records(incremental).filtered("base_amount"))
        self.assertFalse(self.records(full).filtered("base_amount"))
        invoice.action_post()
        incremental.action_compute()
        self.assertEqual(self.records(incremental).mapped(lambda r: (r.date_start, r.base_amount, r.amount)),
                         [(date(2026, 7, 1), 6000.0, 120.0)])


@tagged("post_install", "-at_install")
class TestComparisonGroupAfterInterruptedRun(RebateCommon):
    """A run the scheduler stops after it brought a period's comparison group up to date (and
    committed it) leaves the day's changes queued: the run that resumes counts them once."""

    def test_run_stopped_after_the_day_changes_then_resumed(self):
        tagged_customer = self.env["res.partner"].create(
            {"name": "Tagged company", "is_company": True, "category_id": [Command.set(self.customer_tag.ids)]})
        outsider = self.env["res.partner"].create({"name": "Outside company", "is_company": True})
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)])
        self.invoice(tagged_customer, "2026-02-10", 120000.0)
        self.invoice(outsider, "2026-02-15", 50000.0)
        policy.action_activate()
        with freeze_time("2026-06-20"):
            policy.action_compute()
            self.invoice(outsider, "2026-03-10", 10000.0)
            # the scheduler's time is up after the day's changes: nothing dequeued
            policy._compute_records(incremental=True, progress=lambda: False)
            self.assertTrue(self.env["rebate.compute.queue"].search([("policy_id", "=", policy.id)]))
            policy._compute_records(incremental=True, progress=lambda: True)
        rows = self.env["rebate.policy.period"].search([("policy_id", "=", policy.id)], order="date_start")
        self.assertEqual([(row.outside_customer_count, row.outside_sales, row.outside_previous_sales) for row in rows],
                         [(1, 60000.0, 0.0), (0, 0.0, 60000.0)])
