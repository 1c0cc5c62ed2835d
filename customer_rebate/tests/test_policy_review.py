# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyReview(RebateCommon):
    """When a period closes, the policy's owner gets one review activity for it; the outcome is
    recorded with a note, and "revise" starts the new version."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.activity_type = cls.env.ref("customer_rebate.mail_activity_type_rebate_review")

    def review_activities(self):
        return self.env["mail.activity"].search([
            ("res_model", "=", "rebate.policy"), ("res_id", "=", self.policy.id),
            ("activity_type_id", "=", self.activity_type.id)])

    def test_one_review_activity_per_closed_period(self):
        self.invoice(self.customer_a, "2026-02-10", 120000.0)
        with freeze_time("2026-03-31"):
            self.env["rebate.policy"]._cron_schedule_reviews()
        self.assertFalse(self.policy.review_ids, "the quarter is still open on its last day")
        with freeze_time("2026-04-01"):
            self.policy.action_compute()
            self.env["rebate.policy"]._cron_schedule_reviews()
        with freeze_time("2026-04-02"):
            self.env["rebate.policy"]._cron_schedule_reviews()
        self.assertEqual(len(self.policy.review_ids), 1)
        self.assertEqual((self.policy.review_ids.date_start, self.policy.review_ids.date_end),
                         (date(2026, 1, 1), date(2026, 3, 31)))
        activity = self.review_activities()
        self.assertEqual(len(activity), 1, "the daily run does not ask twice for the same period")
        self.assertEqual(activity.user_id, self.policy.user_id)
        self.assertEqual(self.policy.user_id, self.env.user, "the creator owns the policy by default")
        self.assertIn("Review", activity.note)
        self.assertIn("120,000.00", activity.note, "the activity carries the period's sales")
        self.assertIn("6,000.00", activity.note, "and its rebate cost")
        with freeze_time("2026-07-03"):
            self.env["rebate.policy"]._cron_schedule_reviews()
        self.assertEqual(sorted(self.policy.review_ids.mapped("date_end")), [date(2026, 3, 31), date(2026, 6, 30)])
        self.assertEqual(len(self.review_activities()), 2)

    def test_yearly_cadence_asks_once_a_year(self):
        self.policy.review_cadence = "year"
        with freeze_time("2026-07-03"):
            self.env["rebate.policy"]._cron_schedule_reviews()
        self.assertFalse(self.policy.review_ids)
        with freeze_time("2027-01-02"):
            self.env["rebate.policy"]._cron_schedule_reviews()
        self.assertEqual(self.policy.review_ids.mapped("date_end"), [date(2026, 12, 31)])

    def test_outcome_keep_is_recorded_with_its_note(self):
        with freeze_time("2026-04-02"):
            review = self.env["rebate.policy"]._cron_schedule_reviews().filtered(
                lambda r: r.policy_id == self.policy)
        with self.assertRaisesRegex(UserError, "Choose the outcome"):
            review.action_done()
        review.write({"outcome": "keep", "note": "Uplift covers the cost"})
        review.action_done()
        self.assertEqual((review.state, review.reviewed_by_id), ("done", self.env.user))
        self.assertFalse(self.review_activities(), "the activity is marked done")
        self.assertIn("Uplift covers the cost", str(self.policy.message_ids.mapped("body")))
        self.assertEqual(self.policy.state, "active")

    def test_outcome_revise_starts_the_new_version(self):
        with freeze_time("2026-04-02"):
            review = self.env["rebate.policy"]._cron_schedule_reviews().filtered(
                lambda r: r.policy_id == self.policy)
            review.write({"outcome": "revise", "note": "Lower the threshold"})
            action = review.action_done()
        revision = self.env["rebate.policy"].browse(action["res_id"])
        self.assertEqual(revision.previous_policy_id, self.policy)
        self.assertEqual((revision.state, revision.date_start), ("draft", date(2026, 4, 1)))
