# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import random
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon

FIGURES = ("base_amount", "previous_base_amount", "rate", "amount", "pool_base_amount", "pool_member_count")
Q1 = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestRecordPoolIncremental(RebateCommon):
    """The daily run with group volume: a change for one member recomputes its whole group's
    period (every member's rate may change), a change of membership makes the next run complete,
    and the incremental run always ends where a full one does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_accounts = cls.env["res.partner.category"].create({"name": "Key Accounts"})
        cls.holding = cls.env["res.partner"].create({"name": "Holding", "is_company": True})
        cls.customers = cls.env["res.partner"].create([
            {"name": f"Pooled customer {i}", "is_company": True} for i in range(5)])
        cls.customers[:3].category_id = cls.key_accounts
        cls.customers[1:4].parent_id = cls.holding

    def twin_policies(self, **values):
        policies = self.create_policy(**values) | self.create_policy(**values)
        policies.action_activate()
        return policies

    def tag_twins(self):
        return self.twin_policies(pool_mode="tag", pool_category_ids=[Command.set(self.key_accounts.ids)])

    def snapshot(self, policy):
        return {
            (record.partner_id.id, record.date_start, record.revision): (
                record.state, record.tier_id.threshold, record.pool_key, record.pool_name,
                tuple(record.pool_member_ids.ids), *(round(record[name], 2) for name in FIGURES))
            for record in self.records(policy)
        }

    def assert_twins_equal(self, pair, when=""):
        incremental, full = pair
        incremental.action_compute()
        full.action_compute_full()
        self.assertEqual(self.snapshot(incremental), self.snapshot(full), f"incremental and full differ {when}")

    def test_one_member_invoice_in_a_closed_quarter_moves_the_whole_group(self):
        """Q1: 30,000 + 40,000 + 25,000 = 95,000, below 100,000. A late invoice of 10,000 for
        customer 0 dated in Q1 takes the group to 105,000: every member earns 5 %, including
        customers 1 and 2 whose own invoices did not change (2,000 and 1,250)."""
        pair = self.tag_twins()
        for customer, amount in zip(self.customers, (30000.0, 40000.0, 25000.0)):
            self.invoice(customer, "2026-02-10", amount)
        with freeze_time("2026-04-15"):
            self.assert_twins_equal(pair, "after the first run")
            self.assertEqual(set(self.records(pair[0], date_start=Q1).mapped("amount")), {0.0})
            self.invoice(self.customers[0], "2026-03-01", 10000.0)
            self.assert_twins_equal(pair, "after the late invoice")
        amounts = {r.partner_id: r.amount for r in self.records(pair[0], date_start=Q1)}
        self.assertEqual([amounts[c] for c in self.customers[:3]], [2000.0, 2000.0, 1250.0])

    def test_membership_change_makes_the_next_run_complete(self):
        """Customer 3 (20,000, untagged) gets the tag: 95,000 + 20,000 = 115,000, everyone earns
        5 %, although no invoice changed."""
        pair = self.tag_twins()
        for customer, amount in zip(self.customers[:4], (30000.0, 40000.0, 25000.0, 20000.0)):
            self.invoice(customer, "2026-02-10", amount)
        with freeze_time("2026-04-15"):
            self.assert_twins_equal(pair, "after the first run")
            self.assertTrue(pair[0].compute_open_from)
            self.customers[3].category_id = [Command.link(self.key_accounts.id)]
            self.assertFalse(pair[0].compute_open_from, "a new member: the next run is complete")
            self.assert_twins_equal(pair, "after the new member")
        record = self.records(pair[0], date_start=Q1, partner_id=self.customers[3].id)
        self.assertEqual((record.amount, record.pool_base_amount), (1000.0, 115000.0))

    def test_customer_group_membership_change_makes_the_next_run_complete(self):
        group = self.env["rebate.customer.group"].create({
            "name": "Group", "head_id": self.customers[0].id, "member_ids": [Command.set(self.customers[:2].ids)]})
        pair = self.twin_policies(pool_mode="group", pool_group_ids=[Command.set(group.ids)], pool_payout="head")
        with freeze_time("2026-04-15"):
            self.assert_twins_equal(pair)
            group.member_ids = [Command.link(self.customers[2].id)]
            self.assertFalse(pair[0].compute_open_from)

    def test_incremental_equals_full_with_random_changes(self):
        tag_pair = self.tag_twins()
        head_pair = self.twin_policies(pool_mode="parent", pool_payout="head", period="month",
                                       tier_ids=[Command.create({"sequence": 1, "threshold": 1000.0, "rate": 2.0}),
                                                 Command.create({"sequence": 2, "threshold": 5000.0, "rate": 4.0})])
        pairs = (tag_pair, head_pair)
        rng = random.Random(13)
        moves = self.env["account.move"]
        day = date(2026, 2, 1)
        checks = 0
        while day < date(2026, 11, 1):
            with freeze_time(day):
                for _step in range(rng.randint(2, 4)):
                    action = rng.random()
                    posted = moves.filtered(lambda m: m.state == "posted")
                    invoice_date = day - timedelta(days=rng.randint(0, 120))
                    customer = (self.customers | self.holding)[rng.randrange(6)]
                    if action < 0.55 or not posted:
                        moves |= self.invoice(customer, invoice_date,
                                              rng.choice((800.0, 3000.0, 12000.0, 30000.0, 45000.0)))
                    elif action < 0.75:
                        moves |= self.refund(customer, invoice_date, rng.choice((500.0, 5000.0, 20000.0)))
                    elif action < 0.9:
                        posted[rng.randrange(len(posted))].button_draft()
                    elif rng.random() < 0.5:
                        customer.category_id = [Command.link(self.key_accounts.id)] if not customer.category_id \
                            else [Command.clear()]
                    else:
                        customer.parent_id = False if customer.parent_id else self.holding
                if rng.random() < 0.2:
                    for pair in pairs:
                        pair.record_ids.filtered(lambda r: r.state == "draft" and r.date_end < day).action_confirm()
                for pair in pairs:
                    self.assert_twins_equal(pair, f"on {day}")
                    checks += 1
            day += timedelta(days=rng.randint(7, 20))
        self.assertGreater(checks, 20)
        self.assertTrue(tag_pair[0].record_ids.filtered("pool_key"), "groups were exercised")
        self.assertTrue(head_pair[0].record_ids.filtered("pool_member_ids"), "heads were exercised")
