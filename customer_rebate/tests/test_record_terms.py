# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon

Q3 = date(2026, 7, 1)


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordTerms(RebateCommon):
    """Each kind of term, computed from real invoices."""

    def compute(self, policy):
        policy.action_activate()
        policy.action_compute()
        return self.records(policy)

    def test_incremental_tiers(self):
        policy = self.create_policy(tiers=((0.0, 1.0), (100000.0, 2.0), (200000.0, 5.0)), tier_mode="incremental")
        self.invoice(self.customer_a, "2026-07-10", 250000.0)
        record = self.compute(policy)
        self.assertEqual(record.amount, 1000.0 + 2000.0 + 2500.0)
        self.assertEqual(record.tier_id, policy.tier_ids.sorted("threshold")[-1])

    def test_fixed_amount_tiers(self):
        policy = self.create_policy(tiers=((50000.0, 800.0), (100000.0, 2000.0)), amount_type="fixed")
        self.invoice(self.customer_a, "2026-07-10", 75000.0)
        self.invoice(self.customer_b, "2026-07-10", 130000.0)
        records = self.compute(policy)
        self.assertEqual(records.mapped("amount"), [800.0, 2000.0])

    def test_cap(self):
        policy = self.create_policy(cap_amount=5000.0)
        self.invoice(self.customer_a, "2026-07-10", 300000.0)
        self.assertEqual(self.compute(policy).amount, 5000.0)

    def test_quantity_basis_converts_units(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        policy = self.create_policy(tiers=((100.0, 3.0),), basis="quantity", rebate_type="quantity")
        self.invoice(self.customer_a, "2026-07-10", lines=[(self.goods, 60.0, 10.0)])
        self.invoice(self.customer_a, "2026-07-11", lines=[(self.goods, 4.0, 120.0, dozen)])  # 48 units
        self.refund(self.customer_a, "2026-07-12", lines=[(self.goods, 5.0, 10.0)])
        record = self.compute(policy)
        self.assertEqual(record.base_qty, 103.0)
        self.assertEqual(record.base_amount, 600.0 + 480.0 - 50.0)
        self.assertEqual(record.amount, 30.9, "3 % of the amount once 100 units are reached")
        self.assertIn("103 in Q3 2026 reached tier 1 (≥ 100)", record.computation)

    def test_foreign_currency_invoices_count_at_their_booked_value(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self.invoice(self.customer_a, "2026-07-10", 100000.0, currency=eur)  # 50,000 in company currency
        self.invoice(self.customer_a, "2026-07-10", 60000.0)
        record = self.compute(self.policy)
        self.assertEqual((record.base_amount, record.amount), (110000.0, 5500.0))

    def test_product_category_scope_includes_children(self):
        parent = self.env["product.category"].create({"name": "Drinks"})
        child = self.env["product.category"].create({"name": "Tea", "parent_id": parent.id})
        tea = self._create_product(name="Tea", categ_id=child.id, taxes_id=[Command.clear()])
        policy = self.create_policy(product_category_ids=[Command.set(parent.ids)], tiers=((0.0, 10.0),))
        self.invoice(self.customer_a, "2026-07-10", lines=[(tea, 1.0, 500.0), (self.goods, 1.0, 9000.0)])
        record = self.compute(policy)
        self.assertEqual((record.base_amount, record.amount), (500.0, 50.0))

    def test_customer_tag_scope(self):
        self.customer_b.category_id = self.customer_tag
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)], tiers=((0.0, 1.0),))
        self.invoice(self.customer_a, "2026-07-10", 1000.0)
        self.invoice(self.customer_b, "2026-07-10", 1000.0)
        self.assertEqual(self.compute(policy).partner_id, self.customer_b)

    def test_customer_list_scope(self):
        policy = self.create_policy(partner_ids=[Command.set(self.customer_a.ids)], tiers=((0.0, 1.0),))
        self.invoice(self.customer_a, "2026-07-10", 1000.0)
        self.invoice(self.customer_b, "2026-07-10", 1000.0)
        self.assertEqual(self.compute(policy).partner_id, self.customer_a)

    def test_promotion_counts_its_products_inside_its_window(self):
        promoted = self._create_product(name="Promoted", taxes_id=[Command.clear()])
        policy = self.create_policy(
            rebate_type="promotion", period="window", date_start="2026-08-01", date_end="2026-08-31",
            product_ids=[Command.set(promoted.ids)], tiers=((1000.0, 10.0),))
        self.invoice(self.customer_a, "2026-07-31", lines=[(promoted, 1.0, 5000.0)])
        self.invoice(self.customer_a, "2026-08-15", lines=[(promoted, 1.0, 2000.0), (self.goods, 1.0, 7000.0)])
        self.invoice(self.customer_a, "2026-09-01", lines=[(promoted, 1.0, 5000.0)])
        record = self.compute(policy)
        self.assertEqual((record.date_start, record.date_end), (date(2026, 8, 1), date(2026, 8, 31)))
        self.assertEqual((record.base_amount, record.amount), (2000.0, 200.0))

    def test_partnership_needs_seniority_before_the_period(self):
        policy = self.create_policy(rebate_type="partnership", period="year", min_seniority_months=12,
                                    tiers=((0.0, 2.0),))
        self.invoice(self.customer_a, "2024-12-10", 100.0)   # a customer since December 2024
        self.invoice(self.customer_b, "2025-06-10", 100.0)   # only since June 2025
        self.invoice(self.customer_a, "2026-03-10", 10000.0)
        self.invoice(self.customer_b, "2026-03-10", 10000.0)
        records = self.compute(policy)
        self.assertEqual(records.partner_id, self.customer_a)
        self.assertEqual(records.amount, 200.0)


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordScopeDomains(RebateCommon):
    """The scope reaches the aggregate as conditions the ORM turns into SQL (categories through
    ``child_of``, tagged customers through a subquery), not as lists of ids read beforehand."""

    def scope_ids_in(self, domain, field_name):
        """The ids listed in ``domain``'s conditions on ``field_name``."""
        listed = set()
        for condition in domain.iter_conditions():
            if condition.field_expr == field_name and condition.operator in ("in", "not in"):
                listed |= set(condition.value)
        return listed

    def test_tagged_contact_counts_for_its_company_without_listing_ids(self):
        contact = self.env["res.partner"].create({
            "name": "Buyer at B", "parent_id": self.customer_b.id, "category_id": [Command.set(self.customer_tag.ids)]})
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)], tiers=((0.0, 1.0),))
        domain = policy._base_line_domain(Q3, date(2026, 9, 30))
        self.assertNotIn(self.customer_b.id, self.scope_ids_in(domain, "partner_id"),
                         "the tagged customers are a subquery, not a list of ids")
        self.assertNotIn(contact.id, self.scope_ids_in(domain, "partner_id"))
        self.invoice(self.customer_a, "2026-07-10", 1000.0)
        self.invoice(self.customer_b, "2026-07-10", 3000.0)
        policy.action_activate()
        policy.action_compute()
        record = self.records(policy)
        self.assertEqual((record.partner_id, record.base_amount, record.amount), (self.customer_b, 3000.0, 30.0))
        # the customers the scope leaves out: the effect analysis' "outside" figures
        outside = self.env["account.move.line"].search(
            policy._outside_line_domain(Q3, date(2026, 9, 30)))
        self.assertEqual(outside.partner_id, self.customer_a)

    def test_subcategory_and_archived_product_count_without_listing_ids(self):
        drinks = self.env["product.category"].create({"name": "Drinks"})
        tea = self.env["product.category"].create({"name": "Tea", "parent_id": drinks.id})
        green = self.env["product.category"].create({"name": "Green tea", "parent_id": tea.id})
        sencha = self._create_product(name="Sencha", categ_id=green.id, taxes_id=[Command.clear()])
        policy = self.create_policy(product_category_ids=[Command.set(drinks.ids)], tiers=((0.0, 10.0),))
        self.invoice(self.customer_a, "2026-07-10", lines=[(sencha, 1.0, 700.0), (self.goods, 1.0, 9000.0)])
        sencha.action_archive()  # no longer sold, its sales still count
        domain = policy._base_line_domain(Q3, date(2026, 9, 30))
        self.assertNotIn(sencha.id, self.scope_ids_in(domain, "product_id"))
        policy.action_activate()
        policy.action_compute()
        record = self.records(policy)
        self.assertEqual((record.base_amount, record.amount), (700.0, 70.0))


@tagged("post_install", "-at_install")
class TestRecordPeriodLabels(RebateCommon):
    """A period is named as its reader's language names it: "Q3 2026" and "2026年第3季度", not
    "3季度 2026"; the halves of a year by name in Chinese."""

    def label(self, period, date_start, date_end, lang):
        policy = self.create_policy(period=period)
        record = self.env["rebate.record"].new({
            "policy_id": policy.id, "date_start": date_start, "date_end": date_end, "kind": "period"})
        return record.with_context(lang=lang)._period_label()

    def test_labels_in_english_and_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        cases = [
            ("quarter", "2026-07-01", "2026-09-30", "Q3 2026", "2026年第3季度"),
            ("month", "2026-07-01", "2026-07-31", "Jul 2026", "2026年7月"),
            ("half_year", "2026-01-01", "2026-06-30", "H1 2026", "2026年上半年"),
            ("half_year", "2026-07-01", "2026-12-31", "H2 2026", "2026年下半年"),
            ("year", "2026-01-01", "2026-12-31", "2026", "2026年"),
        ]
        for period, start, end, english, chinese in cases:
            self.assertEqual(self.label(period, start, end, "en_US"), english)
            self.assertEqual(self.label(period, start, end, "zh_CN"), chinese)
