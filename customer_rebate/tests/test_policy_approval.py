# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyApproval(RebateCommon):
    """With the company's approval on, a policy runs only once finance and marketing have both
    approved it; a refusal is logged with its reason and sent back to draft; a change of terms or a
    revision is approved again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.rebate_approval = True
        cls.requester = new_test_user(
            cls.env, login="rebate_requester", groups="customer_rebate.group_rebate_manager",
            company_id=cls.env.company.id, email="requester@example.com")
        cls.finance = new_test_user(
            cls.env, login="rebate_finance", groups="customer_rebate.group_rebate_finance_approver",
            company_id=cls.env.company.id)
        cls.marketing = new_test_user(
            cls.env, login="rebate_marketing", groups="customer_rebate.group_rebate_marketing_approver",
            company_id=cls.env.company.id)

    def request(self, policy=None):
        policy = (policy or self.policy).with_user(self.requester)
        policy.action_request_approval()
        return policy

    def requester_notices(self, policy):
        return policy.message_ids.filtered(lambda m: self.requester.partner_id in m.partner_ids)

    def test_activation_is_refused_without_both_approvals(self):
        with self.assertRaisesRegex(UserError, "finance and marketing"):
            self.policy.action_activate()
        self.assertEqual(self.policy.state, "draft")
        policy = self.request()
        self.assertEqual(policy.state, "to_approve")
        policy.with_user(self.finance).action_approve_finance()
        self.assertEqual(self.policy.finance_approver_id, self.finance)
        with self.assertRaisesRegex(UserError, "missing: marketing"):
            policy.action_activate()
        self.assertEqual(self.policy.state, "to_approve")
        policy.with_user(self.marketing).action_approve_marketing()
        policy.action_activate()
        self.assertEqual(self.policy.state, "active")
        notices = self.requester_notices(self.policy)
        self.assertEqual(len(notices), 2, "each approval is notified to the requester")
        self.assertIn("Approved for finance", " ".join(notices.mapped("body")))

    def test_an_approver_approves_only_their_own_side(self):
        policy = self.request()
        with self.assertRaisesRegex(UserError, "Approve buttons"):
            policy.write({"finance_approver_id": self.requester.id})
        with self.assertRaisesRegex(UserError, "marketing approver"):
            policy.with_user(self.finance).action_approve_marketing()
        policy.with_user(self.finance).action_approve_finance()
        with self.assertRaisesRegex(UserError, "already approved"):
            policy.with_user(self.finance).action_approve_finance()
        self.assertFalse(self.policy.marketing_approver_id)

    def test_refusal_is_logged_with_its_reason_and_sends_back_to_draft(self):
        policy = self.request()
        policy.with_user(self.finance).action_approve_finance()
        with self.assertRaisesRegex(UserError, "Say why"):
            policy.with_user(self.marketing)._refuse("  ")
        self.assertEqual(self.policy.state, "to_approve")
        action = policy.with_user(self.marketing).action_refuse()
        wizard = Form(self.env[action["res_model"]].with_user(self.marketing).with_context(**action["context"]))
        wizard.reason = "5% costs more than the campaign brings"
        wizard.save().action_refuse()
        self.assertEqual(self.policy.state, "draft")
        self.assertFalse(self.policy.finance_approver_id, "a refusal clears the approvals")
        refusal = self.requester_notices(self.policy)[:1]
        self.assertIn("Refused by", refusal.body)
        self.assertIn("5% costs more than the campaign brings", refusal.body)
        self.assertEqual(refusal.author_id, self.marketing.partner_id)

    def test_a_change_of_terms_is_approved_again(self):
        policy = self.request()
        policy.with_user(self.finance).action_approve_finance()
        policy.with_user(self.marketing).action_approve_marketing()
        self.policy.tier_ids.rate = 6.0
        self.assertEqual(self.policy.state, "draft")
        self.assertFalse(self.policy.finance_approver_id or self.policy.marketing_approver_id)
        with self.assertRaisesRegex(UserError, "finance and marketing"):
            self.policy.action_activate()
        # a change outside the terms keeps the approvals
        policy = self.request()
        policy.with_user(self.finance).action_approve_finance()
        self.policy.name = "Quarterly volume rebate 2026"
        self.assertEqual(self.policy.state, "to_approve")
        self.assertEqual(self.policy.finance_approver_id, self.finance)
        # and so does a new tier
        self.policy.write({"tier_ids": [Command.create({"sequence": 9, "threshold": 500000.0, "rate": 8.0})]})
        self.assertEqual(self.policy.state, "draft")

    def test_a_revision_is_approved_again(self):
        policy = self.request()
        policy.with_user(self.finance).action_approve_finance()
        policy.with_user(self.marketing).action_approve_marketing()
        policy.action_activate()
        with freeze_time("2026-05-20"):
            action = self.policy.action_revise()
        revision = self.env["rebate.policy"].browse(action["res_id"])
        self.assertEqual(revision.state, "draft")
        self.assertFalse(revision.finance_approver_id or revision.marketing_approver_id)
        with self.assertRaisesRegex(UserError, "finance and marketing"):
            revision.action_activate()
        self.request(revision).with_user(self.finance).action_approve_finance()
        revision.with_user(self.marketing).action_approve_marketing()
        revision.action_activate()
        self.assertEqual((revision.state, self.policy.state), ("active", "closed"))

    def test_without_the_setting_a_manager_activates_alone(self):
        self.env.company.rebate_approval = False
        with self.assertRaisesRegex(UserError, "Approval of rebate policies is off"):
            self.policy.action_request_approval()
        self.policy.action_activate()
        self.assertEqual(self.policy.state, "active")
