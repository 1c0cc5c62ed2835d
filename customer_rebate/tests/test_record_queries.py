# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordQueries(RebateCommon):
    """Computing a policy's periods costs the same number of queries for 3 customers as for 30:
    one aggregate per period, batched creates and writes, no query per customer or line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(30)])
        for index, customer in enumerate(cls.customers):
            # two invoice lines and a credit note per customer, in two quarters
            cls.invoice(customer, "2026-07-10", lines=[(cls.goods, 10.0, 5000.0 + index), (cls.goods, 1.0, 10.0)])
            cls.invoice(customer, "2026-04-10", 1000.0)
            cls.refund(customer, "2026-07-20", 100.0)
        cls.warm_up_customer = cls.env["res.partner"].create({"name": "Warm-up customer"})
        cls.warm_up_outsider = cls.env["res.partner"].create({"name": "Warm-up outsider"})
        cls.invoice(cls.warm_up_customer, "2026-07-10", 50000.0)

    def policy_for(self, customers):
        policy = self.create_policy(partner_ids=[Command.set(customers.ids)], tiers=((10000.0, 5.0),))
        policy.action_activate()
        return policy

    def count_queries(self, policy):
        self.env.invalidate_all()
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        policy.action_compute()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def warm_up(self):
        """Fill the caches that any first compute, create and write fills once (access rules,
        currency, action), with a customer outside both measured policies."""
        policy = self.policy_for(self.warm_up_customer)
        self.count_queries(policy)
        self.invoice(self.warm_up_customer, "2026-07-11", 10.0)
        # a sale outside every measured scope too: the incremental run refreshes the figures of
        # the customers outside a policy (its review's comparison group) for the measured ones
        self.invoice(self.warm_up_outsider, "2026-07-11", 10.0)
        self.count_queries(policy)

    def test_first_compute_queries_do_not_grow_with_customers(self):
        small, large = self.policy_for(self.customers[:3]), self.policy_for(self.customers)
        self.warm_up()
        small_count, large_count = self.count_queries(small), self.count_queries(large)
        self.assertEqual(len(self.records(large)), 60)
        self.assertEqual(small_count, large_count)

    def test_recompute_queries_do_not_grow_with_customers(self):
        small, large = self.policy_for(self.customers[:3]), self.policy_for(self.customers)
        small.action_compute()
        large.action_compute()
        self.invoice(self.customers[0], "2026-07-11", 100.0)  # one estimate changes in both
        self.warm_up()
        self.assertEqual(self.count_queries(small), self.count_queries(large))
