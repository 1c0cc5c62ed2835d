# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementQueries(RebateCommon):
    """Settling many customers is batched: the queries per settlement do not grow with the number
    of customers (at most a fixed cost per document, which account.move itself needs)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Settled {i}"} for i in range(24)])
        for customer in cls.customers:
            cls.invoice(customer, "2026-07-10", 150000.0)
        cls.policy.write({"tier_ids": [Command.update(cls.policy.tier_ids.id, {"threshold": 1000.0})]})
        cls.policy.action_activate()
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()
        cls.records = cls.env["rebate.record"].search([("policy_id", "=", cls.policy.id)])
        cls.records.action_confirm()

    def count_queries(self, records):
        self.env.invalidate_all()
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        settlements = self.env["rebate.settlement"]._create_from_records(records)
        settlements.action_done()
        self.env.flush_all()
        self.assertEqual(len(settlements), len(records.partner_id))
        self.assertTrue(all(s.move_id.state == "posted" for s in settlements))
        return self.env.cr.sql_log_count - before

    def test_cash_settlement_queries_per_customer_stay_flat(self):
        records = self.records.sorted("partner_id")
        self.count_queries(records[:1])  # warm-up: caches filled once per process
        small = self.count_queries(records[1:5])
        large = self.count_queries(records[5:21])
        # per settlement, 16 customers cost no more than 4 (measured: 77 queries for 4, 174 for 16)
        self.assertLessEqual(large / 16, small / 4, (small, large))
