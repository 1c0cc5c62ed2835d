# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecurityPolicyState(RebateCommon):
    """A policy's state and approvals move only through its actions: no write, no create and no
    context key a client can send lifts the guards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.rebate_approval = True
        cls.manager = new_test_user(
            cls.env, login="sec_manager", groups="customer_rebate.group_rebate_manager",
            company_id=cls.env.company.id)
        cls.finance = new_test_user(
            cls.env, login="sec_finance", groups="customer_rebate.group_rebate_finance_approver",
            company_id=cls.env.company.id)
        cls.marketing = new_test_user(
            cls.env, login="sec_marketing", groups="customer_rebate.group_rebate_marketing_approver",
            company_id=cls.env.company.id)
        cls.both = new_test_user(
            cls.env, login="sec_both", company_id=cls.env.company.id,
            groups="customer_rebate.group_rebate_finance_approver,customer_rebate.group_rebate_marketing_approver")

    def approved(self):
        policy = self.policy.with_user(self.manager)
        policy.action_request_approval()
        policy.with_user(self.finance).action_approve_finance()
        policy.with_user(self.marketing).action_approve_marketing()
        return policy

    def test_state_is_not_written(self):
        policy = self.policy.with_user(self.manager)
        for context in ({}, {"rebate_policy_revision": True, "rebate_policy_approval": True}):
            with self.assertRaisesRegex(UserError, "changes with its buttons"):
                policy.with_context(**context).write({"state": "active"})
        self.assertEqual(self.policy.state, "draft")
        with self.assertRaisesRegex(UserError, "created as a draft"):
            self.env["rebate.policy"].with_user(self.manager).create({
                "name": "Forged", "date_start": date(2026, 1, 1), "state": "active"})
        # the actions still move it
        self.approved().action_activate()
        self.assertEqual(self.policy.state, "active")

    def test_approvals_are_not_forged_with_a_context_key(self):
        policy = self.policy.with_user(self.manager)
        policy.action_request_approval()
        with self.assertRaisesRegex(UserError, "Approve buttons"):
            policy.with_context(rebate_policy_approval=True).write({
                "finance_approver_id": self.manager.id, "marketing_approver_id": self.manager.id})
        self.assertFalse(self.policy.finance_approver_id or self.policy.marketing_approver_id)

    def test_revision_context_lifts_no_reset(self):
        policy = self.policy.with_user(self.manager)
        policy.action_request_approval()
        policy.with_user(self.finance).action_approve_finance()
        policy.with_context(rebate_policy_revision=True).tier_ids[:1].write({"rate": 9.0})
        self.assertEqual(self.policy.state, "draft", "a change of terms under approval goes back to draft")
        self.assertFalse(self.policy.finance_approver_id)

    def test_running_terms_change_only_by_revision(self):
        policy = self.approved()
        policy.action_activate()
        tier = policy.tier_ids[:1]
        with self.assertRaisesRegex(UserError, "revise it"):
            tier.write({"rate": 9.0})
        with self.assertRaisesRegex(UserError, "revise it"):
            tier.with_context(rebate_policy_revision=True).write({"goods_qty": 3.0})
        with self.assertRaisesRegex(UserError, "revise it"):
            policy.write({"settlement_method": "goods" if policy.settlement_method != "goods" else "credit_note"})
        with self.assertRaisesRegex(UserError, "revise it"):
            policy.write({"partner_ids": [Command.link(self.customer_b.id)]})
        with self.assertRaisesRegex(UserError, "revise it"):
            policy.write({"tier_ids": [Command.create({"sequence": 99, "threshold": 900000.0, "rate": 9.0})]})
        with self.assertRaisesRegex(UserError, "revise it"):
            tier.unlink()
        self.assertEqual(self.policy.state, "active")
        self.assertTrue(self.policy.finance_approver_id and self.policy.marketing_approver_id)

    def test_a_tier_stays_with_its_policy(self):
        other = self.create_policy()
        tier = self.policy.tier_ids[:1]
        with self.assertRaisesRegex(UserError, "belongs to its policy"):
            tier.write({"policy_id": other.id})
        self.assertEqual(tier.policy_id, self.policy)

    def test_one_person_gives_one_approval_and_not_on_their_own_request(self):
        policy = self.policy.with_user(self.both)
        # the approver asks for approval: they may not approve it themselves
        self.both.group_ids |= self.env.ref("customer_rebate.group_rebate_manager")
        policy.action_request_approval()
        with self.assertRaisesRegex(UserError, "You asked for the approval"):
            policy.action_approve_finance()
        policy.action_draft()
        self.policy.with_user(self.manager).action_request_approval()
        policy.action_approve_finance()
        with self.assertRaisesRegex(UserError, "You already approved"):
            policy.action_approve_marketing()
        self.assertFalse(self.policy.marketing_approver_id)
        self.policy.with_user(self.marketing).action_approve_marketing()
        self.policy.action_activate()
        self.assertEqual(self.policy.state, "active")

    def test_approvers_of_other_companies_do_not_block_the_request(self):
        other_company = self.env["res.company"].create({"name": "Rebate Other Co"})
        new_test_user(self.env, login="sec_far_finance", groups="customer_rebate.group_rebate_finance_approver",
                      company_id=other_company.id, company_ids=[Command.set(other_company.ids)])
        policy = self.policy.with_user(self.manager)
        policy.action_request_approval()
        self.assertEqual(self.policy.state, "to_approve")
        notified = self.policy.message_ids[:1].partner_ids
        self.assertIn(self.finance.partner_id, notified)
        self.assertNotIn("sec_far_finance", notified.mapped("user_ids.login"))

    def test_the_owner_is_internal(self):
        portal = new_test_user(self.env, login="sec_portal", groups="base.group_portal")
        with self.assertRaisesRegex(ValidationError, "internal user"):
            self.policy.user_id = portal


@tagged("post_install", "-at_install")
class TestSecurityBadInput(RebateCommon):
    """Numbers and dates beyond what the database holds are refused with a message."""

    def test_huge_numbers(self):
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.policy.write({"cap_amount": 1e308})
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.policy.tier_ids[:1].write({"threshold": 1e300})
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.policy.write({"min_seniority_months": 10**12})
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.policy.write({"balance_validity_months": 10**12})
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.env["rebate.policy"].create({"name": "Huge", "date_start": date(2026, 1, 1), "cap_amount": 1e308})

    def test_revision_far_in_the_future(self):
        self.policy.action_activate()
        with self.assertRaisesRegex(UserError, "A new version starts between"):
            self.policy.action_revise(date_from="9999-10-01")

    def test_review_dates(self):
        with self.assertRaisesRegex(ValidationError, "before it starts"):
            self.env["rebate.policy.review"].create({
                "policy_id": self.policy.id, "date_start": date(2026, 3, 31), "date_end": date(2026, 1, 1)})


@tagged("post_install", "-at_install")
class TestSecurityRatings(RebateCommon):
    """One rating per payout and customer counts: posting again replaces, never pads."""

    def test_latest_rating_counts_once(self):
        record = self.confirmed_record(amount=120000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        Rating = self.env["rating.rating"].sudo()
        model_id = self.env["ir.model"]._get_id("rebate.settlement")
        for score in (1, 1, 1, 5):
            Rating.create({"res_model_id": model_id, "res_id": settlement.id, "rating": score, "consumed": True,
                           "partner_id": self.customer_a.id})
        count, average = self.policy._rating_stats()[self.policy.id][:2]
        self.assertEqual((count, average), (1, 5.0))
        review = self.env["rebate.policy.review"].create({
            "policy_id": self.policy.id, "date_start": date(2026, 7, 1), "date_end": date(2026, 9, 30)})
        self.assertEqual((review.rating_count, review.rating_average), (1, 5.0))
        effect = self.env["rebate.effect.report"].search([
            ("policy_id", "=", self.policy.id), ("partner_id", "=", self.customer_a.id)])
        self.assertEqual([(line.rating_count, line.rating_average) for line in effect if line.rating_count],
                         [(1, 5.0)])

    def test_ratings_of_payouts_are_the_rebate_users_to_read_and_nobodys_to_write(self):
        record = self.confirmed_record(amount=120000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        rating = self.env["rating.rating"].sudo().create({
            "res_model_id": self.env["ir.model"]._get_id("rebate.settlement"), "res_id": settlement.id,
            "rating": 1, "consumed": True, "partner_id": self.customer_a.id})
        employee = new_test_user(self.env, login="sec_employee", groups="base.group_user")
        rebate_user = new_test_user(self.env, login="sec_rebate_user", groups="customer_rebate.group_rebate_user")
        Rating = self.env["rating.rating"]
        self.assertFalse(Rating.with_user(employee).search([("id", "=", rating.id)]))
        with self.assertRaises(AccessError):
            rating.with_user(employee).write({"rating": 5})
        with self.assertRaises(AccessError):
            Rating.with_user(employee).create({
                "res_model_id": self.env["ir.model"]._get_id("rebate.settlement"), "res_id": settlement.id,
                "rating": 5, "consumed": True, "partner_id": self.customer_a.id})
        self.assertEqual(Rating.with_user(rebate_user).search([("id", "=", rating.id)]), rating)
        with self.assertRaises(AccessError):
            rating.with_user(rebate_user).write({"rating": 5})
        self.assertEqual(rating.rating, 1)

    def test_a_chatter_post_carries_no_rating(self):
        record = self.confirmed_record(amount=120000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        self.assertNotIn("rating_value", settlement._get_allowed_message_params())
        for _i in range(3):
            settlement.sudo().message_post(body="Thanks", rating_value=1, message_type="comment")
        self.assertFalse(self.env["rating.rating"].sudo().search([
            ("res_model", "=", "rebate.settlement"), ("res_id", "=", settlement.id), ("consumed", "=", True)]))


@tagged("post_install", "-at_install")
class TestSecurityMoneyGuards(RebateCommon):
    """The context keys that once lifted the settlement and balance guards lift nothing now."""

    def test_a_paid_settlement_is_not_rewritten_with_a_context_key(self):
        record = self.confirmed_record(amount=120000.0)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            settlement.with_context(rebate_settlement_internal_write=True).write({"partner_id": self.customer_b.id})
        self.assertEqual(settlement.partner_id, self.customer_a)

    def test_a_balance_line_is_not_created_with_a_context_key(self):
        order = self.env["sale.order"].create({"partner_id": self.customer_a.id})
        with self.assertRaisesRegex(UserError, "Use Rebate Balance"):
            self.env["sale.order.line"].with_context(rebate_balance_apply=True).create({
                "order_id": order.id, "name": "Forged", "price_unit": -1000.0, "is_rebate_discount": True})
        self.assertFalse(order.order_line)
