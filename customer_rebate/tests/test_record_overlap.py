# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""overlap13: products never counted, and exclusive policies on the same invoice lines."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordOverlap(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        no_tax = [Command.clear()]
        cls.widget = cls._create_product(name="Widget", lst_price=100.0, standard_price=50.0, taxes_id=no_tax)
        cls.service = cls._create_product(name="Installation service", type="service", lst_price=500.0,
                                          taxes_id=no_tax)
        cls.deposits = cls.env["product.category"].create({"name": "Deposits"})
        cls.pallets = cls.env["product.category"].create({"name": "Pallets", "parent_id": cls.deposits.id})
        cls.deposit = cls._create_product(name="Pallet deposit", categ_id=cls.pallets.id, lst_price=50.0,
                                          taxes_id=no_tax)

    def exclusive(self, tiers, priority=10, rule="priority", **values):
        policy = self.create_policy(tiers=tiers, combinable=False, overlap_priority=priority,
                                    overlap_rule=rule, **values)
        policy.action_activate()
        return policy

    def record(self, policy, partner, date_start="2026-01-01"):
        return self.records(policy, partner_id=partner.id, date_start=date(*map(int, date_start.split("-"))))

    # ------------------------------------------------------------------ exclusions

    def test_service_line_and_deposit_category_are_never_counted(self):
        """Q1: goods 10 × 100 + a service 500 + two deposits 50 (a subcategory of Deposits):
        only the goods count, 1,000.00 at 5 % = 50.00."""
        policy = self.create_policy(
            tiers=((1000.0, 5.0),), excluded_product_ids=[Command.set(self.service.ids)],
            excluded_product_category_ids=[Command.set(self.deposits.ids)])
        policy.action_activate()
        self.invoice(self.customer_a, "2026-02-10", lines=[
            (self.goods, 10.0, 100.0), (self.service, 1.0, 500.0), (self.deposit, 2.0, 50.0)])
        policy.action_compute()
        record = self.record(policy, self.customer_a)
        self.assertEqual((record.base_amount, record.amount), (1000.0, 50.0))
        lines = self.env["account.move.line"].search(record.action_view_invoice_lines()["domain"])
        self.assertEqual(lines.product_id, self.goods)
        self.assertIn("Installation service, Deposits never counted", policy.summary)
        # an order adding the same products projects the goods only
        self.assertEqual(policy._document_products_counted(self.customer_a, date(2026, 10, 15),
                                                           {self.goods, self.service, self.deposit}), {self.goods})

    # ------------------------------------------------------------------ exclusive policies

    def test_higher_priority_counts_the_shared_lines(self):
        """Q1, customer A: goods 2,000 and widgets 1,000. Policy LOW (every product, priority 10,
        2 % from 1,000) and HIGH (goods only, priority 20, 3 % from 1,000), both exclusive: HIGH
        counts the goods, 2,000 × 3 % = 60; LOW keeps the widgets, 1,000 × 2 % = 20, and says
        2,000 went to HIGH by priority."""
        low = self.exclusive(((1000.0, 2.0),), priority=10, name="Low")
        high = self.exclusive(((1000.0, 3.0),), priority=20, name="High",
                              product_ids=[Command.set(self.goods.ids)])
        self.invoice(self.customer_a, "2026-02-10", lines=[(self.goods, 20.0, 100.0), (self.widget, 10.0, 100.0)])
        (low | high).action_compute()
        self.assertEqual((self.record(high, self.customer_a).base_amount, self.record(high, self.customer_a).amount),
                         (2000.0, 60.0))
        record = self.record(low, self.customer_a)
        self.assertEqual((record.base_amount, record.amount, record.overlap_amount), (1000.0, 20.0, 2000.0))
        self.assertEqual(record.overlap_ids.policy_id, high)
        self.assertEqual(record.overlap_ids.reason, "priority 20 of High above 10")
        self.assertIn("2,000.00 counted by High: priority 20 of High above 10", record.overlap_text)
        self.assertFalse(self.record(high, self.customer_a).overlap_ids)
        self.assertEqual(high.overlap_text, "Not combined with other policies (priority 20)")
        self.assertIn("Not combined with other policies (priority 20)", high.summary)
        self.assertEqual(low.overlapping_policy_ids, high)
        # a quotation's goods would count for HIGH only: LOW projects the widgets
        self.assertEqual(low._document_products_counted(self.customer_a, date(2026, 10, 15), {self.goods, self.widget}),
                         {self.widget})
        self.assertEqual(high._document_products_counted(self.customer_a, date(2026, 10, 15),
                                                         {self.goods, self.widget}), {self.goods})
        # the invoice lines button opens what the base adds up
        lines = self.env["account.move.line"].search(record.action_view_invoice_lines()["domain"])
        self.assertEqual(lines.product_id, self.widget)
        # the statement and the XLSX detail say it
        html = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.report_rebate_record_statement", record.ids)[0].decode()
        self.assertIn("2,000.00 counted by High: priority 20 of High above 10", html)
        sheet = self.export_detail(record)
        self.assertEqual(sheet[0][14:16], ("Counted by Other Policies", "Why"))
        self.assertEqual(sheet[1][14:16], (2000.0, "2,000.00 counted by High: priority 20 of High above 10"))

    def export_detail(self, records):
        import base64
        import io

        import openpyxl
        wizard = self.env["rebate.export.wizard"].create({"report": "detail", "record_ids": [Command.set(records.ids)]})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        return list(book.worksheets[0].iter_rows(values_only=True))

    def test_more_favourable_to_each_customer_counts_the_shared_lines(self):
        """Both exclusive, decided by the more favourable. SCALE (every product, priority 10): 2 %
        from 1,000, 6 % from 5,000. FLAT (goods only, priority 20): 4 % from 1,000.
        A: goods 6,000 + widgets 500 → SCALE pays back 6 % of 6,500, FLAT 4 % of 6,000: SCALE
        counts everything, 6,500 × 6 % = 390; FLAT has nothing of A.
        B: goods 2,000 + widgets 500 → SCALE 2 % of 2,500, FLAT 4 % of 2,000: FLAT counts the
        goods, 80; SCALE keeps the widgets, 500 (below its first tier: 0)."""
        scale = self.exclusive(((1000.0, 2.0), (5000.0, 6.0)), priority=10, rule="favourable", name="Scale")
        flat = self.exclusive(((1000.0, 4.0),), priority=20, rule="favourable", name="Flat",
                              product_ids=[Command.set(self.goods.ids)])
        self.invoice(self.customer_a, "2026-02-10", lines=[(self.goods, 60.0, 100.0), (self.widget, 5.0, 100.0)])
        self.invoice(self.customer_b, "2026-03-10", lines=[(self.goods, 20.0, 100.0), (self.widget, 5.0, 100.0)])
        (scale | flat).action_compute()
        a_scale = self.record(scale, self.customer_a)
        self.assertEqual((a_scale.base_amount, a_scale.amount), (6500.0, 390.0))
        self.assertFalse(a_scale.overlap_ids)
        self.assertFalse(self.record(flat, self.customer_a))
        b_flat = self.record(flat, self.customer_b)
        self.assertEqual((b_flat.base_amount, b_flat.amount), (2000.0, 80.0))
        b_scale = self.record(scale, self.customer_b)
        self.assertEqual((b_scale.base_amount, b_scale.amount, b_scale.overlap_amount), (500.0, 0.0, 2000.0))
        self.assertEqual(b_scale.overlap_ids.reason,
                         "more favourable to the customer: Flat pays back 4.00 % of the purchases, this policy 2.00 %")
        self.assertIn("the one more favourable to the customer counts", scale.summary)

    def test_exclusive_and_combinable_policies_both_count(self):
        """A combinable policy (1 % from 1,000) and an exclusive one (2 % from 1,000) on A's 3,000:
        both count every line, 30 and 60."""
        combined = self.create_policy(tiers=((1000.0, 1.0),))
        combined.action_activate()
        alone = self.exclusive(((1000.0, 2.0),))
        self.invoice(self.customer_a, "2026-02-10", 3000.0)
        (combined | alone).action_compute()
        self.assertEqual(self.record(combined, self.customer_a).amount, 30.0)
        self.assertEqual(self.record(alone, self.customer_a).amount, 60.0)
        self.assertFalse(self.record(alone, self.customer_a).overlap_ids)

    def test_no_invoice_line_earns_twice_from_exclusive_policies(self):
        """Three exclusive policies meeting on some lines (a tag, a product list, every line),
        by priority and by the more favourable, months and quarters, with a credit note: every
        line of the quarter is in some policy's scope, and the exclusive records' bases add up to
        the lines exactly once; each policy's base and what it left to others add up to its scope."""
        self.customer_a.category_id = self.customer_tag
        tagged_policy = self.exclusive(((100.0, 3.0),), priority=5, rule="favourable", name="Tagged",
                                       partner_category_ids=[Command.set(self.customer_tag.ids)], period="month")
        goods_policy = self.exclusive(((1000.0, 2.0), (4000.0, 5.0)), priority=10, rule="favourable",
                                      name="Goods", product_ids=[Command.set(self.goods.ids)])
        # exclusive policies that meet decide the same way (mixed rules are refused)
        everything = self.exclusive(((500.0, 1.0),), priority=1, rule="favourable", name="Everything")
        self.invoice(self.customer_a, "2026-01-20", lines=[(self.goods, 50.0, 100.0), (self.widget, 4.0, 100.0)])
        self.invoice(self.customer_a, "2026-02-20", lines=[(self.goods, 3.0, 100.0)])
        self.invoice(self.customer_b, "2026-02-05", lines=[(self.goods, 15.0, 100.0), (self.widget, 30.0, 100.0)])
        self.refund(self.customer_b, "2026-03-05", lines=[(self.goods, 2.0, 100.0)])
        self.invoice(self.partner_a.copy({"name": "Customer C"}), "2026-03-15", lines=[(self.widget, 7.0, 100.0)])
        policies = tagged_policy | goods_policy | everything
        policies.action_compute()
        records = self.env["rebate.record"].search([("policy_id", "in", policies.ids), ("date_start", "<", "2026-04-01")])
        lines = self.env["account.move.line"].search([
            ("move_id.move_type", "in", ("out_invoice", "out_refund")), ("parent_state", "=", "posted"),
            ("display_type", "=", "product"), ("invoice_date", ">=", "2026-01-01"),
            ("invoice_date", "<=", "2026-03-31"), ("company_id", "=", self.env.company.id)])
        total = -sum(lines.mapped("balance"))
        self.assertEqual(total, 5000 + 400 + 300 + 1500 + 3000 - 200 + 700)
        self.assertAlmostEqual(sum(records.mapped("base_amount")), total, places=2)
        self.assertTrue(records.overlap_ids, "the policies did meet on lines")
        for policy in policies:
            gross = policy.with_context(rebate_gross_base=True)
            for record in records.filtered(lambda r, p=policy: r.policy_id == p):
                scope = gross._compute_period_bases(record.date_start, record.date_end, record.partner_id.ids)
                self.assertAlmostEqual(record.base_amount + record.overlap_amount,
                                       float(scope[record.partner_id.id][0]), places=2)

    # ------------------------------------------------------------------ changes and the incremental run

    def test_changing_an_exclusive_policy_makes_its_competitors_compute_in_full(self):
        first = self.exclusive(((1000.0, 2.0),), priority=10)
        second = self.exclusive(((1000.0, 3.0),), priority=20)
        combined = self.create_policy(tiers=((1000.0, 1.0),))
        combined.action_activate()
        everyone = first | second | combined

        def computed():
            everyone.action_compute()
            self.assertTrue(all(everyone.mapped("compute_open_from")))

        computed()
        second.overlap_priority = 5
        self.assertEqual(everyone.filtered(lambda p: not p.compute_open_from), first | second)
        computed()
        second.combinable = True  # no longer exclusive: the other one counts what it took
        self.assertEqual(everyone.filtered(lambda p: not p.compute_open_from), first | second)
        computed()
        third = self.exclusive(((1000.0, 4.0),), priority=30)
        self.assertEqual(everyone.filtered(lambda p: not p.compute_open_from), first)
        computed()
        third.action_close()
        self.assertEqual(everyone.filtered(lambda p: not p.compute_open_from), first)

    def test_incremental_run_follows_a_competitor_share_moved_by_a_later_invoice(self):
        """QUARTER (quarterly, 3 % from 1,000) and YEAR (yearly, 2 % from 1,000, 5 % from 10,000),
        both exclusive by the more favourable. Q1: A buys 4,000: QUARTER 3 % > YEAR 2 %, QUARTER
        counts it, 120. In August A buys 8,000: the year reaches 12,000, YEAR pays back 5 % >
        3 %, and counts the whole year, 600; QUARTER's Q1 estimate goes. The incremental run
        gives what a full run gives."""
        quarter = self.exclusive(((1000.0, 3.0),), rule="favourable", name="Quarter")
        year = self.exclusive(((1000.0, 2.0), (10000.0, 5.0)), rule="favourable", name="Year", period="year")
        self.invoice(self.customer_a, "2026-02-10", 4000.0)
        (quarter | year).action_compute()
        self.assertEqual(self.record(quarter, self.customer_a).amount, 120.0)
        self.invoice(self.customer_a, "2026-08-10", 8000.0)
        (quarter | year).action_compute()
        incremental = self.snapshot(quarter | year)
        self.assertFalse(self.record(quarter, self.customer_a))
        self.assertEqual(self.record(year, self.customer_a).amount, 600.0)
        (quarter | year).action_compute_full()
        self.assertEqual(self.snapshot(quarter | year), incremental)

    def snapshot(self, policies):
        return sorted(
            (record.policy_id.id, record.partner_id.id, record.date_start, record.revision, record.base_amount,
             record.amount, tuple((o.policy_id.id, o.date_from, o.base_amount) for o in record.overlap_ids))
            for record in self.env["rebate.record"].search([("policy_id", "in", policies.ids)]))

    # ------------------------------------------------------------------ refusals

    def test_exclusive_policy_with_minimum_seniority_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "both exclusive and limited to customers of a minimum"):
            self.create_policy(combinable=False, rebate_type="partnership", period="year", min_seniority_months=12)

    def test_exclusivity_is_a_term_frozen_by_confirmed_records(self):
        record = self.confirmed_record(amount=120000.0)
        with self.assertRaisesRegex(UserError, "cannot change"):
            record.policy_id.combinable = False

    def test_shared_attribution_equals_each_policys_own(self):
        """Three exclusive policies deciding by the more favourable on the same quarters, and two
        customers: what each record lost, read from the one aggregate they
        share, is what each policy's own aggregate of its takers says, competitor by competitor."""
        wide = self.exclusive(((0.0, 2.0), (3000.0, 6.0)), priority=10, rule="favourable", name="Wide")
        goods = self.exclusive(((0.0, 4.0),), priority=20, rule="favourable", name="Goods",
                               product_ids=[Command.set(self.goods.ids)])
        widgets = self.exclusive(((0.0, 3.0),), priority=30, rule="favourable", name="Widgets",
                                 product_ids=[Command.set((self.goods | self.widget).ids)])
        self.invoice(self.customer_a, "2026-02-10", lines=[(self.goods, 20.0, 100.0), (self.widget, 15.0, 100.0)])
        self.invoice(self.customer_b, "2026-02-11", lines=[(self.goods, 5.0, 100.0), (self.widget, 1.0, 100.0)])
        self.refund(self.customer_a, "2026-03-01", lines=[(self.widget, 2.0, 100.0)])
        policies = wide | goods | widgets
        policies.action_compute()
        period = wide._period_of(date(2026, 1, 1))
        self.env.cr.cache["rebate_overlap_shares"] = {}
        try:
            compared = 0
            for policy in policies:
                takers = policy._overlap_takers([(period.date_start, period.date_end)])
                if not takers:
                    continue
                shared = policy._overlap_attribution(period, None, takers)
                own = policy._overlap_attribution_of_takers(period, None, takers)
                self.assertEqual(
                    {partner: {index: tuple(map(float, figures)) for index, figures in by_taker.items()}
                     for partner, by_taker in shared.items()},
                    {partner: {index: tuple(map(float, figures)) for index, figures in by_taker.items()}
                     for partner, by_taker in own.items()}, policy.name)
                compared += sum(len(by_taker) for by_taker in own.values())
            self.assertGreaterEqual(compared, 3, "lines taken from at least three records were compared")
        finally:
            self.env.cr.cache.pop("rebate_overlap_shares", None)
        # and the records say it: every line of the quarter counted once across the three
        total = sum(self.env["rebate.record"].search([
            ("policy_id", "in", policies.ids), ("date_start", "=", period.date_start)]).mapped("base_amount"))
        self.assertEqual(total, 2000.0 + 1500.0 - 200.0 + 500.0 + 100.0)
