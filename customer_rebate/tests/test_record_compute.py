# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from odoo.tests import tagged

from .common import RebateCommon

Q1 = date(2026, 1, 1)
Q3 = date(2026, 7, 1)


@tagged("post_install", "-at_install")
@freeze_time("2026-10-15")
class TestRecordCompute(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()

    def test_only_posted_invoices_count_and_untaxed(self):
        self.invoice(self.customer_a, "2026-07-10", 100000.0, post=False)
        cancelled = self.invoice(self.customer_a, "2026-07-11", 100000.0)
        cancelled.button_draft()
        cancelled.button_cancel()
        taxed_product = self._create_product(name="Taxed", lst_price=10.0, taxes_id=[Command.set(self.tax_sale_a.ids)])
        taxed = self.invoice(self.customer_a, "2026-07-12", lines=[(taxed_product, 1.0, 110000.0)])
        self.assertGreater(taxed.amount_total, taxed.amount_untaxed)
        self.policy.action_compute()
        record = self.records(partner_id=self.customer_a.id, date_start=Q3)
        self.assertEqual((record.base_amount, record.amount), (110000.0, 5500.0))

    def test_vendor_bills_and_other_companies_do_not_count(self):
        self.invoice(self.customer_a, "2026-07-10", 150000.0, move_type="in_invoice")
        other = self.setup_other_company()
        self.invoice(self.customer_a, "2026-07-10", 150000.0, company=other["company"])
        self.policy.action_compute()
        self.assertFalse(self.records(partner_id=self.customer_a.id))

    def test_contacts_count_for_their_company(self):
        contact = self.env["res.partner"].create({"name": "Buyer at A", "parent_id": self.customer_a.id})
        self.invoice(contact, "2026-07-10", 60000.0)
        self.invoice(self.customer_a, "2026-07-20", 60000.0)
        self.policy.action_compute()
        record = self.records(date_start=Q3)
        self.assertEqual(record.partner_id, self.customer_a)
        self.assertEqual(record.amount, 6000.0)

    def test_no_sales_no_record_and_progress_only_when_tracked(self):
        self.invoice(self.customer_a, "2026-07-10", 30000.0)
        self.policy.action_compute()
        self.assertEqual(self.records(date_start=Q3).partner_id, self.customer_a, "B bought nothing")
        self.assertEqual(self.records(date_start=Q3).amount, 0.0)
        untracked = self.create_policy(track_progress=False)
        untracked.action_activate()
        untracked.action_compute()
        self.assertFalse(self.records(untracked))

    def test_recompute_is_idempotent(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.invoice(self.customer_b, "2026-02-10", 10000.0)
        self.policy.action_compute()
        first = self.records()
        values = first.read(["base_amount", "amount", "write_date"])
        self.policy.action_compute()
        self.assertEqual(self.records(), first)
        self.assertEqual(first.read(["base_amount", "amount", "write_date"]), values, "nothing rewritten")

    def test_estimate_follows_new_invoices_and_disappears_without_sales(self):
        invoice = self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.policy.action_compute()
        record = self.records(date_start=Q3)
        second = self.invoice(self.customer_a, "2026-07-11", 80000.0)
        self.policy.action_compute()
        self.assertEqual((record.base_amount, record.amount), (200000.0, 10000.0), "same record, updated")
        (invoice + second).button_draft()
        self.policy.action_compute()
        self.assertFalse(record.exists(), "no sales left in scope: the estimate goes")

    def test_confirmed_record_is_frozen_and_a_late_credit_note_is_an_adjustment(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.policy.action_compute()
        record = self.records(date_start=Q3)
        record.action_confirm()
        self.refund(self.customer_a, "2026-09-15", 20000.0)
        self.policy.action_compute()
        self.assertEqual((record.base_amount, record.amount, record.state), (120000.0, 6000.0, "confirmed"))
        adjustment = self.records(date_start=Q3) - record
        self.assertEqual(len(adjustment), 1)
        self.assertEqual((adjustment.revision, adjustment.state), (1, "draft"))
        self.assertEqual((adjustment.base_amount, adjustment.amount), (-20000.0, -1000.0))
        self.assertIn("Change since the confirmed record", adjustment.computation)
        self.refund(self.customer_a, "2026-09-16", 1.0)
        self.policy.action_compute()
        self.assertEqual(adjustment.amount, -6000.0, "the open adjustment is updated, not duplicated")
        self.assertEqual(len(self.records(date_start=Q3)), 2)
        adjustment.action_confirm()
        self.policy.action_compute()
        self.assertEqual(len(self.records(date_start=Q3)), 2, "nothing left to adjust")

    def test_confirm_only_closed_periods(self):
        self.invoice(self.customer_a, "2026-10-02", 120000.0)
        self.policy.action_compute()
        with self.assertRaisesRegex(UserError, "still open"):
            self.records(date_start=date(2026, 10, 1)).action_confirm()

    def test_cancelled_record_stays_cancelled(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.policy.action_compute()
        record = self.records(date_start=Q3)
        record.action_cancel()
        self.invoice(self.customer_a, "2026-07-11", 1000.0)
        self.policy.action_compute()
        self.assertEqual(self.records(date_start=Q3), record)
        self.assertEqual((record.state, record.amount), ("cancelled", 6000.0))

    def test_terms_are_frozen_once_a_record_is_confirmed(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.policy.action_compute()
        self.records(date_start=Q3).action_confirm()
        with self.assertRaisesRegex(UserError, "cannot change"):
            self.policy.tier_ids.rate = 6.0
        with self.assertRaisesRegex(UserError, "cannot change"):
            self.policy.period = "month"
        with self.assertRaisesRegex(UserError, "revise it instead"):
            self.policy.action_draft()
        self.policy.name = "Renamed"  # not a term
        action = self.policy.action_revise(date_from="2026-10-01")
        self.assertEqual(self.env["rebate.policy"].browse(action["res_id"]).date_start, date(2026, 10, 1))

    def test_one_record_per_policy_customer_and_period(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.policy.action_compute()
        record = self.records(date_start=Q3)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            record.copy()

    def test_all_begun_periods_are_computed(self):
        self.invoice(self.customer_a, "2026-02-10", 10.0)
        self.invoice(self.customer_a, "2026-05-10", 10.0)
        self.invoice(self.customer_a, "2026-12-10", 10.0, post=False)
        self.policy.action_compute()
        self.assertEqual(self.records().mapped("date_start"), [Q1, date(2026, 4, 1)])

    def test_only_active_policies_compute(self):
        draft = self.create_policy()
        with self.assertRaisesRegex(UserError, "Only active policies"):
            draft.action_compute()

    def test_compute_wizard_limits_the_periods(self):
        self.invoice(self.customer_a, "2026-02-10", 10.0)
        self.invoice(self.customer_a, "2026-07-10", 10.0)
        wizard = self.env["rebate.compute.wizard"].with_context(
            active_model="rebate.policy", active_ids=self.policy.ids).create(
            {"date_from": "2026-07-01", "date_to": "2026-09-30"})
        self.assertEqual(wizard.policy_ids, self.policy)
        action = wizard.action_compute()
        self.assertEqual(self.records().mapped("date_start"), [Q3])
        self.assertEqual(self.env["rebate.record"].search(action["domain"]), self.records())

    def test_cron_computes_active_policies(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.env["rebate.policy"]._cron_compute_rebates()
        self.assertEqual(self.records(date_start=Q3).amount, 6000.0)

    def test_policy_and_customer_totals(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        self.invoice(self.customer_a, "2026-04-10", 200000.0)
        self.policy.action_compute()
        self.assertEqual((self.policy.record_count, self.policy.record_amount), (2, 16000.0))
        self.records(date_start=Q3).action_confirm()
        partner = self.customer_a
        partner.invalidate_recordset()
        self.assertEqual((partner.rebate_earned, partner.rebate_outstanding, partner.rebate_settled),
                         (6000.0, 6000.0, 0.0))
        action = partner.action_view_rebate_records()
        self.assertEqual(len(self.env["rebate.record"].search(action["domain"])), 2)
