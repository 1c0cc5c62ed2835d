# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .test_record_incremental_scope import ScopeChangeCommon


@freeze_time("2026-10-15")
@tagged("post_install", "-at_install")
class TestIncrementalScopeReview(ScopeChangeCommon):
    """The scope changes without a document, as their hardest user makes them: a company made a
    contact and a company again, a tag given where another tag of the policy already covers the
    customer, several contacts and archived ones tagged from the tag, another company's policy,
    exclusive competitors, an advance deleted by hand, users without rebate rights, and the cost
    of the hooks to every other write of the database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second_tag = cls.env["res.partner.category"].create({"name": "Wholesaler"})

    def queued(self, policy):
        return self.env["rebate.compute.queue"].search_count([("policy_id", "=", policy.id)])

    def test_company_made_a_contact_then_a_company_again(self):
        """A tagged company with an invoice (Q1 2,000 at 2 % = 40) made a contact of an untagged
        company: its journal items follow it to that company (Odoo's commercial partner), which
        its tag brings in (40 there); made a company again (no parent), it takes its tag with it
        and leaves the items behind: nobody is in scope with them any more."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        mover, holder = self.customers[0], self.customers[1]
        mover.category_id = self.customer_tag
        self.invoice(mover, "2026-02-20", 2000.0)
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, mover), [(date(2026, 1, 1), 2000.0, 40.0)])
        mover.parent_id = holder
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=mover.id))
        self.assertEqual(self.amounts(incremental, holder), [(date(2026, 1, 1), 2000.0, 40.0)])
        mover.parent_id = False
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=mover.id))
        self.assertFalse(self.records(incremental, partner_id=holder.id))

    def test_tag_given_where_another_tag_of_the_policy_covers_queues_nothing(self):
        """The company already carries a tag of the policy: the second tag, given from the
        contact or from the tag's form, or taken off again, changes nothing and queues nothing;
        a policy naming only the second tag does take the customer in."""
        incremental, full = self.twins(partner_category_ids=[Command.set((self.customer_tag | self.second_tag).ids)])
        second_only, second_only_full = self.twins(partner_category_ids=[Command.set(self.second_tag.ids)])
        company = self.customers[0]
        contact = self.env["res.partner"].create({"name": "Review buyer", "parent_id": company.id})
        company.category_id = self.customer_tag
        self.invoice(company, "2026-02-20", 2000.0)
        for pair in ((incremental, full), (second_only, second_only_full)):
            self.both_computed(*pair)
        self.assertEqual(self.queued(incremental), 0)
        contact.category_id = self.second_tag
        self.assertEqual(self.queued(incremental), 0, "the company was covered already")
        self.assertEqual(self.queued(second_only), 4, "the customer's four quarters")
        self.second_tag.partner_ids = [Command.unlink(contact.id)]
        self.second_tag.partner_ids = [Command.link(company.id)]
        self.assertEqual(self.queued(incremental), 0, "the company was covered all along")
        for pair in ((incremental, full), (second_only, second_only_full)):
            self.both_computed(*pair)
        self.assertEqual(self.amounts(incremental, company), [(date(2026, 1, 1), 2000.0, 40.0)])
        self.assertEqual(self.amounts(second_only, company), [(date(2026, 1, 1), 2000.0, 40.0)])

    def test_tag_set_from_the_form_on_contacts_and_archived_contacts(self):
        """Command.set from the tag's form on a contact, an archived contact and a company at once,
        then on another set: every customer in or out as a full run has them."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        first, second, third = self.customers
        contact = self.env["res.partner"].create({"name": "Review contact", "parent_id": first.id})
        archived = self.env["res.partner"].create({"name": "Review archived", "parent_id": second.id,
                                                   "active": False})
        self.invoice(first, "2026-02-20", 2000.0)
        self.invoice(second, "2026-05-20", 6000.0)
        self.invoice(third, "2026-08-20", 1500.0)
        self.both_computed(incremental, full)
        self.customer_tag.write({"partner_ids": [Command.set((contact | archived | third).ids)]})
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, second), [(date(2026, 4, 1), 6000.0, 240.0)])
        self.assertEqual(self.amounts(incremental, third), [(date(2026, 7, 1), 1500.0, 30.0)])
        # Command.set from the form leaves the archived contact its tag (the ORM's set keeps the
        # archived records it does not show): the second company stays
        self.customer_tag.write({"partner_ids": [Command.set(first.ids)]})
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, first), [(date(2026, 1, 1), 2000.0, 40.0)])
        self.assertEqual(self.amounts(incremental, second), [(date(2026, 4, 1), 6000.0, 240.0)])
        self.assertFalse(self.records(incremental, partner_id=third.id))

    def test_other_company_policy_follows_a_tag_given_in_this_company(self):
        """A customer shared by two companies, tagged from this company: the other company's
        policy naming the tag takes it in (its Q2 6,000 at 4 % = 240 there)."""
        self.other = self.setup_other_company()
        company_2 = self.other["company"]
        incremental, full = self.twins(company=company_2, partner_category_ids=[Command.set(self.customer_tag.ids)])
        customer = self.customers[0]
        self.invoice(customer, "2026-05-20", 6000.0, company=company_2)
        self.both_computed(incremental, full)
        self.assertFalse(self.records(incremental, partner_id=customer.id))
        self.customer_tag.partner_ids = [Command.link(customer.id)]
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, customer), [(date(2026, 4, 1), 6000.0, 240.0)])

    def test_category_moved_recomputes_exclusive_competitors(self):
        """An exclusive policy on the shelf category and an exclusive competitor on every product:
        the boxed goods leaving the shelf move their lines to the competitor, whose next run
        computes every period too."""
        shelf_policy = self.create_policy(tiers=((1000.0, 2.0),), name="Shelf exclusive", combinable=False,
                                          product_category_ids=[Command.set(self.shelf.ids)])
        every_policy = self.create_policy(tiers=((1000.0, 1.0),), name="Every exclusive", combinable=False)
        (shelf_policy | every_policy).action_activate()
        self.invoice(self.customers[0], "2026-02-10", lines=[(self.boxed, 30.0, 100.0)])
        (shelf_policy | every_policy).action_compute()
        self.assertTrue(every_policy.compute_open_from)
        self.boxed.categ_id = self.bulk
        self.assertFalse(shelf_policy.compute_open_from)
        self.assertFalse(every_policy.compute_open_from, "its competitor's lines came to it")

    def test_advance_deleted_by_hand_comes_back_with_the_daily_job(self):
        """A yearly target with quarterly advances at 3 %: Q1 advance 50,000 × 3 % = 1,500,
        deleted by a manager, is made again by the daily job as by a full run."""
        values = dict(tiers=((400000.0, 5.0),), name="Yearly advance", period="year", advance_period="quarter",
                      advance_mode="rate", advance_rate=3.0,
                      accrual_account_id=self.env["account.account"].create(
                          {"name": "Accrued review", "code": "AR914", "account_type": "liability_current"}).id)
        incremental, full = self.create_policy(**values), self.create_policy(**values)
        (incremental | full).action_activate()
        customer = self.customers[0]
        self.invoice(customer, "2026-02-10", 50000.0)
        self.both_computed(incremental, full)
        advance = self.records(incremental, partner_id=customer.id, kind="advance", date_start=date(2026, 1, 1))
        self.assertEqual(advance.amount, 1500.0)
        advance.unlink()
        self.env["rebate.policy"]._cron_compute_rebates()
        full.action_compute_full()
        self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full))
        self.assertEqual(self.records(incremental, partner_id=customer.id, kind="advance",
                                      date_start=date(2026, 1, 1)).amount, 1500.0)

    def test_users_without_rebate_rights_move_products_and_tags(self):
        """A product manager without rebate rights moves a product and a category, a contact
        manager tags a contact from the tag's form and from the contact: no access error, and the
        policies follow."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        by_category = self.twins(product_category_ids=[Command.set(self.shelf.ids)])[0]
        self.invoice(self.customers[0], "2026-02-20", 2000.0)
        (incremental | full | by_category).action_compute()
        products = new_test_user(self.env, login="review_products", groups="base.group_user,product.group_product_manager")
        contacts = new_test_user(self.env, login="review_contacts", groups="base.group_user,base.group_partner_manager")
        self.boxed.with_user(products).categ_id = self.bulk
        self.bulk.with_user(products).parent_id = self.shelf
        self.assertFalse(by_category.compute_open_from)
        self.customer_tag.with_user(contacts).partner_ids = [Command.link(self.customers[0].id)]
        self.customers[1].with_user(contacts).category_id = self.customer_tag
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, self.customers[0]), [(date(2026, 1, 1), 2000.0, 40.0)])

    def test_hooks_read_nothing_when_no_policy_names_tags_or_categories(self):
        """Partners moved or retagged, products put in another category, categories moved: when no
        policy names a tag or a category, the rebate hooks add no query to those writes."""
        # the demo's campaign (another company's) names a product category: out of the way
        # (archived policies do not compute)
        self.env["rebate.policy"].sudo().search([
            "|", ("partner_category_ids", "!=", False), "|", ("product_category_ids", "!=", False),
            "|", ("excluded_product_category_ids", "!=", False), ("pool_mode", "!=", "none")]).active = False
        self.assertEqual(self.env["rebate.policy"]._rebate_named_scope(), (frozenset(), frozenset(), frozenset(), False))
        partner = self.customers[0]
        self.env["res.partner"]._rebate_scope_tags()  # warm whatever is kept between writes
        self.shelf._rebate_policies_over()
        self.env.invalidate_all()
        with self.assertQueryCount(0):
            partner._rebate_scope_tags()
        with self.assertQueryCount(0):
            (self.shelf | self.bulk)._rebate_policies_over()
        with self.assertQueryCount(0):
            self.customer_tag._rebate_tagged_companies()
            self.customer_tag._rebate_pooled_members()
            partner._rebate_pool_moved({"parent_id": self.customers[1].id, "category_id": [Command.clear()]})
        # and a policy naming them is seen at once, by the same worker
        policy = self.create_policy(partner_category_ids=[Command.set(self.customer_tag.ids)],
                                    product_category_ids=[Command.set(self.bulk.ids)])
        policy.action_activate()
        self.assertEqual(self.env["rebate.policy"]._rebate_named_scope(),
                         (frozenset(self.customer_tag.ids), frozenset(self.bulk.ids), frozenset(), False))
        self.bulk.parent_id = self.shelf
        self.assertEqual((self.shelf | self.bulk)._rebate_policies_over(), policy)

    def test_tag_deletion_refused_without_naming_policies_the_user_cannot_read(self):
        """A contact manager without rebate rights, or a rebate user of this company only, is
        refused the deletion of a tag another company's policy names, without that policy's name."""
        self.other = self.setup_other_company()
        hidden = self.twins(company=self.other["company"], partner_category_ids=[Command.set(self.second_tag.ids)],
                            name="Hidden campaign")[0]
        contacts = new_test_user(self.env, login="review_tags", groups="base.group_user,base.group_partner_manager")
        with self.assertRaisesRegex(UserError, "a rebate manager must take it off") as caught:
            self.second_tag.with_user(contacts).unlink()
        self.assertNotIn(hidden.name, str(caught.exception))
        mine = self.create_policy(partner_category_ids=[Command.set(self.second_tag.ids)], name="Visible campaign")
        self.rebate_user.group_ids |= self.env.ref("base.group_partner_manager")
        with self.assertRaisesRegex(UserError, "Visible campaign") as caught:
            self.second_tag.with_user(self.rebate_user).unlink()
        self.assertNotIn(hidden.name, str(caught.exception))
        self.assertTrue(self.second_tag.exists() and mine.exists())

    def test_adjustment_deleted_by_hand_comes_back_with_the_daily_job(self):
        """Q1 2,000 at 2 % = 40 confirmed; a late invoice of 4,000 brings the quarter to 6,000 at
        4 % = 240: the adjustment (revision 1) of 200, deleted by hand, is made again by the daily
        job as by a full run."""
        incremental, full = self.twins()
        customer = self.customers[0]
        self.invoice(customer, "2026-02-10", 2000.0)
        self.both_computed(incremental, full)
        (self.records(incremental, partner_id=customer.id) | self.records(full, partner_id=customer.id)).action_confirm()
        self.invoice(customer, "2026-03-10", 4000.0)
        self.both_computed(incremental, full)
        adjustment = self.records(incremental, partner_id=customer.id, revision=1)
        self.assertEqual((adjustment.state, adjustment.amount), ("draft", 200.0))
        adjustment.unlink()
        self.env["rebate.policy"]._cron_compute_rebates()
        full.action_compute_full()
        self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full))
        self.assertEqual(self.records(incremental, partner_id=customer.id, revision=1).amount, 200.0)

    def test_tag_given_from_the_tag_form_moves_a_pooled_group(self):
        """Group volume by tag: two customers of 3,000 each in Q1. Alone, each earns 2 % = 60;
        the second given the pooled tag from the tag's form, the group's 6,000 earns both 4 % =
        120; taken off again, 60 each."""
        incremental, full = self.twins(pool_mode="tag", pool_category_ids=[Command.set(self.second_tag.ids)])
        first, second = self.customers[0], self.customers[1]
        first.category_id = self.second_tag
        self.invoice(first, "2026-02-10", 3000.0)
        self.invoice(second, "2026-02-20", 3000.0)
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, second), [(date(2026, 1, 1), 3000.0, 60.0)])
        self.second_tag.partner_ids = [Command.link(second.id)]
        self.both_computed(incremental, full)
        for customer in first | second:
            self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 120.0)])
        self.second_tag.write({"partner_ids": [Command.unlink(second.id)]})
        self.both_computed(incremental, full)
        for customer in first | second:
            self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 60.0)])

    def test_contact_with_a_pooled_tag_deleted_moves_its_group(self):
        """Group volume by tag: the second customer in the group by its contact's tag (both 4 %
        = 120 on the group's 6,000); the contact deleted, each is alone again: 60."""
        incremental, full = self.twins(pool_mode="tag", pool_category_ids=[Command.set(self.second_tag.ids)])
        first, second = self.customers[0], self.customers[1]
        first.category_id = self.second_tag
        buyer = self.env["res.partner"].create({"name": "Pooled buyer", "parent_id": second.id,
                                                "category_id": [Command.set(self.second_tag.ids)]})
        self.invoice(first, "2026-02-10", 3000.0)
        self.invoice(second, "2026-02-20", 3000.0)
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, second), [(date(2026, 1, 1), 3000.0, 120.0)])
        buyer.unlink()
        self.both_computed(incremental, full)
        for customer in first | second:
            self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 3000.0, 60.0)])

    def test_policy_archived_while_a_tag_is_given_computes_in_full_once_restored(self):
        """Archived, the policy is not followed by the tag hooks: restored, its next run is full
        (Q1 2,000 at 2 % = 40 for the customer tagged meanwhile)."""
        incremental, full = self.twins(partner_category_ids=[Command.set(self.customer_tag.ids)])
        customer = self.customers[0]
        self.invoice(customer, "2026-02-20", 2000.0)
        self.both_computed(incremental, full)
        incremental.active = False
        self.customer_tag.partner_ids = [Command.link(customer.id)]
        incremental.active = True
        self.assertFalse(incremental.compute_open_from)
        self.both_computed(incremental, full)
        self.assertEqual(self.amounts(incremental, customer), [(date(2026, 1, 1), 2000.0, 40.0)])
