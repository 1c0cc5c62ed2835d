# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Regular reviews of a policy (定期审核与优化): when a period closes, at the policy's cadence, its
owner gets a review activity; the outcome (keep, revise, close) is recorded with a note, and
"revise" starts the new version."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, formatLang

REVIEW_ACTIVITY = "customer_rebate.mail_activity_type_rebate_review"


class RebatePolicyReview(models.Model):
    _name = "rebate.policy.review"
    _description = "Rebate Policy Review"
    _order = "date_end desc, id desc"
    _check_company_auto = True

    policy_id = fields.Many2one("rebate.policy", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_start = fields.Date(string="From", required=True)
    date_end = fields.Date(string="To", required=True)
    user_id = fields.Many2one("res.users", string="Reviewer", help="The policy's owner, asked for the review.")
    state = fields.Selection([("to_review", "To Review"), ("done", "Reviewed")], default="to_review", required=True)
    outcome = fields.Selection(
        [("keep", "Keep"), ("revise", "Revise"), ("close", "Close")],
        help="Keep the policy as it is, revise its terms (a new version from the current period) or close it.")
    note = fields.Text(help="What the figures showed and why this outcome.")
    reviewed_by_id = fields.Many2one("res.users", readonly=True)
    review_date = fields.Date(string="Reviewed On", readonly=True)
    # the period's effect, next to the customers' satisfaction (records of the period, not stored)
    sales = fields.Monetary(compute="_compute_figures", help="Sales in the policy's scope in these periods.")
    uplift = fields.Monetary(string="Sales Uplift", compute="_compute_figures",
                             help="Sales minus the same customers' sales in the periods before.")
    rebate = fields.Monetary(string="Rebate Cost", compute="_compute_figures")
    cost_share = fields.Float(string="Rebate Cost (% of Sales)", compute="_compute_figures", digits=(16, 2))
    rating_count = fields.Integer(string="Ratings", compute="_compute_figures")
    rating_average = fields.Float(string="Average Rating", compute="_compute_figures", digits=(16, 2))
    rating_happy_share = fields.Float(string="Happy Customers (%)", compute="_compute_figures", digits=(16, 1))

    _period_unique = models.Constraint(
        "UNIQUE(policy_id, date_end)", "A policy is reviewed once per period.")

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for review in self:
            if review.date_end < review.date_start:
                raise ValidationError(self.env._(
                    "A review cannot end (%(end)s) before it starts (%(start)s).",
                    end=format_date(self.env, review.date_end), start=format_date(self.env, review.date_start)))

    @api.depends("policy_id", "date_start", "date_end")
    def _compute_display_name(self):
        for review in self:
            review.display_name = self.env._(
                "Review of %(policy)s, %(start)s – %(end)s", policy=review.policy_id.display_name,
                start=format_date(self.env, review.date_start), end=format_date(self.env, review.date_end))

    def _compute_figures(self):
        Record = self.env["rebate.record"].sudo()
        ratings = self.policy_id.sudo()._rating_stats(per_period=True)
        for review in self:
            domain = [("policy_id", "=", review.policy_id.id), ("state", "!=", "cancelled"),
                      ("date_start", ">=", review.date_start), ("date_end", "<=", review.date_end)]
            # an advance's base is the year to date: the sales count once, in the year-end
            # settlement's; the rebate is every record's (the advances and the true-up)
            [(sales, previous)] = Record._read_group(
                [*domain, ("kind", "!=", "advance")], [], ["base_amount:sum", "previous_base_amount:sum"])
            [(rebate,)] = Record._read_group(domain, [], ["amount:sum"])
            review.sales, review.rebate = sales, rebate
            review.uplift = sales - previous
            review.cost_share = 100.0 * rebate / sales if sales else 0.0
            count, total, happy = 0, 0.0, 0.0
            for (policy_id, date_start), (n, average, share) in ratings.items():
                if policy_id == review.policy_id.id and review.date_start <= date_start <= review.date_end:
                    count += n
                    total += n * average
                    happy += n * share
            review.rating_count = count
            review.rating_average = total / count if count else 0.0
            review.rating_happy_share = happy / count if count else 0.0

    def _schedule_activity(self):
        for review in self:
            review.policy_id.activity_schedule(
                REVIEW_ACTIVITY, user_id=review.user_id.id,
                date_deadline=fields.Date.context_today(self) + timedelta(days=7),
                summary=self.env._("Review %(policy)s", policy=review.policy_id.display_name),
                note=review._activity_note())

    def _activity_note(self):
        self.ensure_one()
        currency = self.currency_id

        def money(value):
            return formatLang(self.env, value, currency_obj=currency)

        return self.env._(
            "<p>The period %(start)s – %(end)s is closed. Sales %(sales)s, uplift %(uplift)s, rebate "
            "cost %(rebate)s (%(share)s%%); %(ratings)s customer ratings, %(happy)s%% happy.</p>"
            "<p>Open the <b>Review</b> tab of the policy (and its Effect Analysis) and record the "
            "outcome: keep, revise or close.</p>",
            start=format_date(self.env, self.date_start), end=format_date(self.env, self.date_end),
            sales=money(self.sales), uplift=money(self.uplift), rebate=money(self.rebate),
            share=formatLang(self.env, self.cost_share, digits=2), ratings=self.rating_count,
            happy=formatLang(self.env, self.rating_happy_share, digits=0))

    def action_done(self):
        """Record the outcome: keep, revise (returns the new draft version) or close the policy."""
        self.ensure_one()
        self.policy_id.check_access("write")
        if self.state == "done":
            raise UserError(self.env._("This review is already recorded."))
        if not self.outcome:
            raise UserError(self.env._("Choose the outcome of the review: keep, revise or close."))
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        self.write({"state": "done", "reviewed_by_id": self.env.uid, "review_date": fields.Date.context_today(self)})
        policy = self.policy_id
        activities = policy.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(REVIEW_ACTIVITY))
        feedback = self.env._("%(outcome)s: %(note)s", outcome=labels[self.outcome], note=self.note or "")
        if activities:
            activities.action_feedback(feedback=feedback)
        else:
            policy.message_post(body=self.env._("Review recorded. %s", feedback))
        if self.outcome == "revise":
            return policy.action_revise()
        if self.outcome == "close" and policy.state == "active":
            policy.action_close()
        return True
