# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from odoo import http
from odoo.tests import HttpCase, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementRating(RebateCommon, HttpCase):
    """The "rebate paid" notice asks for a rating (Odoo's rating pages, no login); the rating
    lands on the settlement and in the policy's satisfaction figures, next to its effect."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a.email = "buyer@customer-a.example.com"
        cls.customer_b.email = "buyer@customer-b.example.com"
        cls.record_a = cls.confirmed_record(amount=120000.0)
        cls.record_b = cls.confirmed_record(partner=cls.customer_b, amount=200000.0)
        cls.settlements = cls.env["rebate.settlement"]._create_from_records(cls.record_a | cls.record_b)
        cls.settlements.action_done()
        cls.settlements.action_notify()
        cls.settlement_a = cls.settlements.filtered(lambda s: s.partner_id == cls.customer_a)
        cls.settlement_b = cls.settlements - cls.settlement_a

    def token(self, settlement):
        rating = settlement.rating_ids
        self.assertEqual(len(rating), 1, "one rating request per notice")
        return rating.access_token

    def rate(self, token, score, feedback=""):
        self.authenticate(None, None)
        page = self.url_open(f"/rate/{token}/{score}")
        self.assertEqual(page.status_code, 200)
        response = self.url_open(f"/rate/{token}/submit_feedback", data={
            "rate": score, "feedback": feedback, "csrf_token": http.Request.csrf_token(self)})
        response.raise_for_status()

    def test_the_paid_notice_carries_the_three_faces(self):
        notice = self.settlement_a.message_ids.filtered(lambda m: self.customer_a in m.partner_ids)
        self.assertEqual(len(notice), 1)
        token = self.token(self.settlement_a)
        for score in (5, 3, 1):
            self.assertIn(f"/rate/{token}/{score}", notice.body)
        self.assertEqual(self.settlement_a.rating_ids.partner_id, self.customer_a)

    def test_a_rating_lands_on_its_settlement_and_in_the_figures(self):
        self.rate(self.token(self.settlement_a), 5, "Paid on time, thank you")
        self.rate(self.token(self.settlement_b), 1, "Too late")
        rating_a = self.settlement_a.rating_ids
        self.assertEqual((rating_a.rating, rating_a.feedback, rating_a.consumed), (5, "Paid on time, thank you", True))
        self.assertEqual(self.settlement_b.rating_ids.rating, 1)
        self.env.invalidate_all()
        # two ratings, (5 + 1) / 2 = 3, one happy face in two
        self.assertEqual(self.policy.rating_total_count, 2)
        self.assertEqual(self.policy.rating_average, 3.0)
        self.assertEqual(self.policy.rating_happy_share, 50.0)
        # per period, next to the effect: Q3 2026, sales 320,000, rebate 6,000 + 10,000
        review = self.env["rebate.policy.review"].create({
            "policy_id": self.policy.id, "date_start": date(2026, 7, 1), "date_end": date(2026, 9, 30)})
        self.assertEqual((review.rating_count, review.rating_average, review.rating_happy_share), (2, 3.0, 50.0))
        self.assertEqual((review.sales, review.rebate), (320000.0, 16000.0))
        self.assertEqual(review.cost_share, 5.0)
        other_period = self.env["rebate.policy.review"].create({
            "policy_id": self.policy.id, "date_start": date(2026, 4, 1), "date_end": date(2026, 6, 30)})
        self.assertEqual(other_period.rating_count, 0)
        # and per customer in the effect analysis
        effect = self.env["rebate.effect.report"].search([("policy_id", "=", self.policy.id)])
        by_customer = {line.partner_id: (line.rating_count, line.rating_average) for line in effect}
        self.assertEqual(by_customer[self.customer_a], (1, 5.0))
        self.assertEqual(by_customer[self.customer_b], (1, 1.0))
        # the comments are listed on the policy
        action = self.policy.action_view_ratings()
        comments = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(set(comments.mapped("feedback")), {"Paid on time, thank you", "Too late"})
