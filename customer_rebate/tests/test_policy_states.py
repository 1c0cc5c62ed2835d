# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyStates(RebateCommon):

    def test_new_policy_is_draft_with_a_code_from_the_sequence(self):
        other = self.create_policy(name="Other")
        self.assertEqual(self.policy.state, "draft")
        self.assertTrue(self.policy.code.startswith("RP/"))
        self.assertNotEqual(self.policy.code, other.code)
        self.assertEqual(self.policy.display_name, f"[{self.policy.code}] Quarterly volume rebate")

    def test_activate_needs_a_tier(self):
        policy = self.create_policy(tiers=())
        with self.assertRaisesRegex(UserError, "no tier"):
            policy.action_activate()
        self.assertEqual(policy.state, "draft")

    def test_activate_then_close(self):
        self.policy.action_activate()
        self.assertEqual(self.policy.state, "active")
        with self.assertRaisesRegex(UserError, "Only a draft policy"):
            self.policy.action_activate()
        self.flush_tracking()  # the activation above was written untracked
        policy = self.policy.with_context(tracking_disable=False, mail_notrack=False)
        with freeze_time("2026-05-20"):
            policy.action_close()
        self.assertEqual(self.policy.state, "closed")
        self.assertEqual(self.policy.date_end, date(2026, 5, 20))
        self.flush_tracking()
        self.assertIn("Closed", self.policy.message_ids.tracking_value_ids.mapped("new_value_char"),
                      "the chatter keeps the change of state")

    def test_close_keeps_an_earlier_end_date(self):
        policy = self.create_policy(date_end="2026-03-31")
        policy.action_activate()
        with freeze_time("2026-05-20"):
            policy.action_close()
        self.assertEqual(policy.date_end, date(2026, 3, 31))

    def test_revise_drafts_a_version_that_takes_over_on_activation(self):
        self.policy.action_activate()
        with freeze_time("2026-05-20"):
            action = self.policy.action_revise()
        revision = self.env["rebate.policy"].browse(action["res_id"])
        self.assertEqual((revision.code, revision.version, revision.state), (self.policy.code, 2, "draft"))
        self.assertEqual(revision.date_start, date(2026, 4, 1), "starts with the current period")
        self.assertEqual(revision.previous_policy_id, self.policy)
        self.assertEqual(revision.tier_ids.mapped("rate"), [5.0])
        self.assertNotEqual(revision.tier_ids, self.policy.tier_ids)
        self.assertEqual(self.policy.state, "active", "the old version runs until the new one starts")
        with self.assertRaisesRegex(UserError, "already has a draft new version"):
            self.policy.action_revise()

        revision.tier_ids.rate = 6.0
        revision.action_activate()
        self.assertEqual(self.policy.state, "closed")
        self.assertEqual(self.policy.date_end, date(2026, 3, 31))
        self.assertEqual(self.policy.tier_ids.rate, 5.0, "the old terms are kept")
        self.assertIn("(v2)", revision.display_name)

    def test_revise_from_a_given_date(self):
        self.policy.action_activate()
        action = self.policy.action_revise(date_from="2026-07-01")
        revision = self.env["rebate.policy"].browse(action["res_id"])
        self.assertEqual(revision.date_start, date(2026, 7, 1))

    def test_only_an_active_policy_is_revised_or_closed(self):
        with self.assertRaisesRegex(UserError, "Only an active policy can be revised"):
            self.policy.action_revise()
        with self.assertRaisesRegex(UserError, "Only an active policy can be closed"):
            self.policy.action_close()

    def test_only_draft_policies_are_deleted(self):
        self.policy.action_activate()
        with self.assertRaisesRegex(UserError, "Only draft policies"):
            self.policy.unlink()
        self.policy.action_draft()
        self.policy.unlink()
        self.assertFalse(self.policy.exists())

    def test_copy_is_a_new_draft_policy(self):
        self.policy.action_activate()
        copy = self.policy.copy()
        self.assertEqual(copy.state, "draft")
        self.assertNotEqual(copy.code, self.policy.code)
        self.assertEqual(copy.name, "Quarterly volume rebate (copy)")
        self.assertEqual(copy.tier_ids.threshold, 100000.0)
