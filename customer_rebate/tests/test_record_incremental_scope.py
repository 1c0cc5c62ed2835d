# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


class ScopeChangeCommon(RebateCommon):
    """Three customers, two product categories and a product on the first one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Scope customer {i}"} for i in range(3)])
        cls.shelf = cls.env["product.category"].create({"name": "Shelf goods"})
        cls.bulk = cls.env["product.category"].create({"name": "Bulk goods"})
        cls.boxed = cls._create_product(name="Boxed goods", lst_price=100.0, standard_price=60.0,
                                        categ_id=cls.shelf.id, taxes_id=[Command.clear()])

    def amounts(self, policy, partner):
        return [(record.date_start, record.base_amount, record.amount)
                for record in self.records(policy, partner_id=partner.id).sorted("date_start")]


@freeze_time("2026-10-15")
@tagged("post_install", "-at_install")
class TestIncrementalScopeChanges(ScopeChangeCommon):
    """What moves a customer or a product in or out of a policy's scope without a document
    changing — a tag given from the tag's form, a tagged contact moved or deleted, a product put
    in another category, an estimate deleted by hand — leaves the incremental run where a full
    run would be: the same records, computed by the next daily run."""

    def test_tag_given_or_taken_from_the_tag_form(self):
        """Q1 2,000 at 2 % = 40 once tagged from the tag; untagged the same way, the estimate goes."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        newcomer = self.customers[0]
        self.invoice(newcomer, "2026-02-20", 2000.0)
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=newcomer.id))
        self.customer_tag.partner_ids = [Command.link(newcomer.id)]
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, newcomer), [(date(2026, 1, 1), 2000.0, 40.0)])
        self.customer_tag.write({"partner_ids": [Command.unlink(newcomer.id)]})
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=newcomer.id))

    def test_tagged_contact_moved_to_another_company_or_deleted(self):
        """A tagged contact brings its company in; moved to another company, it takes the tag
        there (Q2 6,000 at 4 % = 240, the first company's Q1 estimate goes); deleted, the second
        company leaves too."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        first, second = self.customers[0], self.customers[1]
        self.invoice(first, "2026-02-20", 2000.0)
        self.invoice(second, "2026-05-20", 6000.0)
        buyer = self.env["res.partner"].create({"name": "Tagged buyer", "parent_id": first.id,
                                                "category_id": [Command.set(self.customer_tag.ids)]})
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, first), [(date(2026, 1, 1), 2000.0, 40.0)])
        self.assertFalse(self.records(incremental, partner_id=second.id))
        buyer.parent_id = second
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=first.id))
        self.assertEqual(self.amounts(incremental, second), [(date(2026, 4, 1), 6000.0, 240.0)])
        buyer.unlink()
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=second.id))

    def test_tag_a_policy_names_cannot_be_deleted(self):
        """Deleting the tag would silently widen the policy to every customer."""
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)])
        policy.action_activate()
        with self.assertRaisesRegex(UserError, "Distributor"):
            self.customer_tag.unlink()
        unused = self.env["res.partner.category"].create({"name": "Unused tag"})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_estimate_deleted_by_hand_comes_back_with_the_next_run(self):
        """A closed quarter's estimate deleted by a user is what the full run makes again: Q1
        3,000 at 2 % = 60."""
        incremental, full = self.twins()
        customer = self.customers[0]
        self.invoice(customer, "2026-02-10", 3000.0)
        self.both_computed(incremental, full)
        self.records(incremental, partner_id=customer.id).unlink()  # a rebate manager may
        self.assertFalse(self.records(incremental, partner_id=customer.id))
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 60.0)])

    def test_product_put_in_another_category_recomputes_the_category_policies(self):
        """The boxed goods leave the shelf category (Q1 3,000 at 2 % = 60 goes), then come back
        under it when their new category is moved below the shelf; a policy excluding a category
        follows the same moves; a policy naming no category is left alone."""
        incremental, full = self.twins(product_category_ids=[Command.set(self.shelf.ids)])
        excluding, excluding_full = self.twins(excluded_product_category_ids=[Command.set(self.bulk.ids)])
        unscoped = self.twins()[0]
        customer = self.customers[0]
        self.invoice(customer, "2026-02-10", lines=[(self.boxed, 30.0, 100.0)])
        for pair in ((incremental, full), (excluding, excluding_full)):
            self.both_computed(*pair)
        unscoped.action_compute()
        self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 60.0)])
        self.boxed.categ_id = self.bulk
        self.assertFalse(incremental.compute_open_from, "the next run computes every period")
        self.assertFalse(excluding.compute_open_from)
        self.assertTrue(unscoped.compute_open_from)
        for pair in ((incremental, full), (excluding, excluding_full)):
            self.both_computed(*pair)
        self.assertFalse(self.records(incremental, partner_id=customer.id))
        self.assertFalse(self.records(excluding, partner_id=customer.id))
        self.bulk.parent_id = self.shelf
        self.assertFalse(incremental.compute_open_from)
        self.assertFalse(excluding.compute_open_from)
        for pair in ((incremental, full), (excluding, excluding_full)):
            self.both_computed(*pair)
        self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 60.0)])
        self.assertFalse(self.records(excluding, partner_id=customer.id))
