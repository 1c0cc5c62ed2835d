# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestBooksGuards(RebateCommon):
    """A payout's documents are undone only through its settlement, and what it paid stays on record."""

    def paid(self, method="credit_note"):
        if method == "credit_note":
            self.policy.write({"settlement_method": "credit_note",
                               "journal_id": self.company_data["default_journal_sale"].id})
        settlement = self.env["rebate.settlement"]._create_from_records(self.confirmed_record())
        settlement.action_done()
        return settlement

    def test_credit_note_cannot_be_reset_cancelled_or_reversed_behind_the_settlement(self):
        settlement = self.paid()
        refund = settlement.move_id
        with self.assertRaisesRegex(UserError, "cancel the settlement instead"):
            refund.button_draft()
        with self.assertRaisesRegex(UserError, "cancel the settlement instead"):
            refund._reverse_moves(cancel=True)
        self.assertEqual(refund.state, "posted")
        settlement.action_cancel()
        self.assertEqual(settlement.reversal_move_id.reversed_entry_id, refund)

    def test_done_settlement_is_read_only(self):
        settlement = self.paid(method="cash")
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            settlement.date = "2026-12-31"
        settlement.note = "<p>Paid by transfer on Friday</p>"
        self.assertEqual(settlement.date, date.today())

    def test_cancelled_settlement_keeps_its_records_and_amount(self):
        settlement = self.paid(method="cash")
        record = settlement.record_ids
        settlement.action_cancel()
        self.assertEqual((settlement.amount, settlement.paid_record_ids), (6000.0, record))
        self.assertFalse(settlement.record_ids)
        self.assertEqual(settlement.reversal_move_id.amount_total, 6000.0)

    def test_settling_everything_skips_customers_with_nothing_to_pay(self):
        self.policy.action_activate()
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        self.invoice(self.customer_b, "2026-08-10", 1000.0)
        with freeze_time("2026-10-15"):
            self.policy.action_compute()
            records = self.records()
            records.action_confirm()
            wizard = self.env["rebate.settle.wizard"].create({"record_ids": [Command.set(records.ids)]})
        self.assertEqual((wizard.customer_count, wizard.skipped_count, wizard.amount), (1, 1, 6000.0))
        action = wizard.action_settle()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 record(s) skipped", action["params"]["message"])
        settled = records.filtered(lambda r: r.state == "settled")
        self.assertEqual(settled.partner_id, self.customer_a)

    def test_one_document_per_journal(self):
        other_journal = self.misc_journal.copy({"name": "Rebates", "code": "REB"})
        second = self.create_policy(journal_id=other_journal.id, name="Second")
        for policy in (self.policy, second):
            policy.action_activate()
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        with freeze_time("2026-10-15"):
            (self.policy | second).action_compute()
        records = self.env["rebate.record"].search([("policy_id", "in", (self.policy | second).ids)])
        records.action_confirm()
        settlements = self.env["rebate.settlement"]._create_from_records(records)
        settlements.action_done()
        self.assertEqual(len(settlements), 2)
        self.assertEqual(settlements.move_id.journal_id, self.misc_journal | other_journal)

    def test_a_tier_reward_of_the_wrong_kind_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "fixed amount instead of a rate"):
            self.create_policy(tiers=()).write({"tier_ids": [Command.create({"threshold": 10.0, "fixed_amount": 50.0})]})
        fixed = self.create_policy(tiers=((100.0, 50.0),), amount_type="fixed")
        with self.assertRaisesRegex(ValidationError, "rate instead of an amount"):
            fixed.tier_ids.rate = 5.0


@tagged("post_install", "-at_install")
class TestCronIsolation(RebateCommon):
    """The daily run: one failing policy stops neither the others nor the run's progress."""

    def test_a_failing_policy_is_logged_and_the_others_computed(self):
        second = self.create_policy(name="Second")
        (self.policy | second).action_activate()
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        Policy = type(self.env["rebate.policy"])
        original = Policy._compute_records
        broken = self.policy

        def compute(policies, *args, **kwargs):
            if policies == broken:
                raise ValueError("no such account")
            return original(policies, *args, **kwargs)

        with freeze_time("2026-10-15"), patch.object(Policy, "_compute_records", compute), \
                mute_logger("odoo.addons.customer_rebate.models.rebate_policy"):
            failed = self.env["rebate.policy"]._cron_compute_rebates()
        self.assertEqual(failed, self.policy)
        self.assertTrue(self.records(second), "the second policy was computed")
        self.assertIn("no such account", self.policy.message_ids[0].body)

    def test_the_run_stops_when_its_time_is_up(self):
        policies = self.policy | self.create_policy(name="Second")
        policies.action_activate()
        done = []
        Policy = type(self.env["rebate.policy"])
        Cron = type(self.env["ir.cron"])
        with patch.object(Policy, "_compute_records", lambda p, *a, **k: done.append(p)), \
                patch.object(Cron, "_commit_progress", lambda self, processed=0, **kw: 0.0):
            self.env["rebate.policy"].with_context(ir_cron_progress_id=1)._cron_compute_rebates()
        self.assertEqual(len(done), 1, "no time left after the first policy")
