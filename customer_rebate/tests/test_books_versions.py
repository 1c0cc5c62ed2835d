# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestBooksVersions(RebateCommon):
    """One customer-period is payable once across the versions of a policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.invoice(cls.customer_a, "2026-05-10", 120000.0)

    def revise_from(self, date_from, today):
        with freeze_time(today):
            self.policy.action_compute()
            action = self.policy.action_revise(date_from=date_from)
            revision = self.env["rebate.policy"].browse(action["res_id"])
            revision.action_activate()
            revision.action_compute()
        return revision

    def test_revision_takes_over_the_open_period_without_paying_it_twice(self):
        with freeze_time("2026-06-15"):
            self.policy.action_compute()
        v1_q2 = self.records(partner_id=self.customer_a.id, date_start=date(2026, 4, 1))
        self.assertEqual(v1_q2.amount, 6000.0)
        revision = self.revise_from("2026-04-01", "2026-06-15")
        self.assertFalse(v1_q2.exists(), "v1's estimate of the period v2 takes over is gone")
        self.assertEqual(self.policy.date_end, date(2026, 3, 31))
        with freeze_time("2026-07-05"):
            revision.action_compute()
            records = self.env["rebate.record"].search([
                ("policy_id", "in", (self.policy | revision).ids), ("partner_id", "=", self.customer_a.id)])
            records.action_confirm()
            settlement = self.env["rebate.settlement"]._create_from_records(records)
            settlement.action_done()
        self.assertEqual(settlement.amount, 6000.0, "6,000 due, 6,000 paid")

    def test_closing_mid_period_recomputes_the_period_on_its_shortened_dates(self):
        self.invoice(self.customer_a, "2026-06-20", 30000.0)
        with freeze_time("2026-06-15"):
            self.policy.action_compute()
            self.policy.action_close()
        record = self.records(partner_id=self.customer_a.id, date_start=date(2026, 4, 1))
        self.assertEqual((record.date_end, record.base_amount, record.amount),
                         (date(2026, 6, 15), 120000.0, 6000.0), "the sale of 20 June is after the end")

    def test_a_closed_version_keeps_following_its_own_periods(self):
        with freeze_time("2026-07-05"):
            self.policy.action_compute()
            self.revise_from("2026-07-01", "2026-07-05")
        q2 = self.records(partner_id=self.customer_a.id, date_start=date(2026, 4, 1))
        self.assertEqual((self.policy.state, q2.amount), ("closed", 6000.0))
        self.refund(self.customer_a, "2026-06-20", 30000.0)
        with freeze_time("2026-07-06"):
            self.env["rebate.policy"]._cron_compute_rebates()
        self.assertEqual((q2.base_amount, q2.amount), (90000.0, 0.0), "the estimate follows the late credit note")

    def test_ending_a_version_before_its_confirmed_records_is_refused(self):
        with freeze_time("2026-07-05"):
            self.policy.action_compute()
            self.records(date_start=date(2026, 4, 1)).action_confirm()
            action = self.policy.action_revise(date_from="2026-04-01")
            revision = self.env["rebate.policy"].browse(action["res_id"])
            with self.assertRaisesRegex(UserError, "already confirmed"):
                revision.action_activate()
        self.assertEqual((self.policy.state, revision.state), ("active", "draft"))
        self.assertFalse(self.policy.date_end)
