# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Regular reviews of a policy (定期审核与优化): when a period closes, at the policy's cadence, its
owner gets a review activity; the outcome (keep, revise, close) is recorded with a note, and
"revise" starts the new version."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang

from ..engine import iter_periods
from .rebate_policy_compute import REBATE_MANAGER, REBATE_USER

REVIEW_ACTIVITY = "customer_rebate.mail_activity_type_rebate_review"
# ratings of 4 and 5 are the happy faces (rating.rating_data.RATING_LIMIT_SATISFIED)
HAPPY_RATING = 4


# kept apart from the policy's other files so that reviews and ratings merge and read on their own
class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    review_cadence = fields.Selection(
        [("period", "Every Period End"), ("quarter", "Quarterly"), ("year", "Yearly"), ("none", "No Review")],
        default="period", required=True, tracking=True,
        help="When the policy's owner is asked to review it: at the end of each rebate period, of "
             "each calendar quarter or of each year.")
    review_ids = fields.One2many("rebate.policy.review", "policy_id", string="Reviews", groups=REBATE_USER)
    rating_total_count = fields.Integer(
        string="Customer Ratings", compute="_compute_rating_stats", groups=REBATE_USER)
    rating_average = fields.Float(
        string="Average Rating", compute="_compute_rating_stats", digits=(16, 2), groups=REBATE_USER,
        help="Average of the customers' ratings of the payouts of this policy (1 unhappy, 3 neutral, 5 happy).")
    rating_happy_share = fields.Float(
        string="Happy Customers (%)", compute="_compute_rating_stats", digits=(16, 1), groups=REBATE_USER,
        help="Share of the ratings that are happy faces.")

    # ------------------------------------------------------------------ ratings

    def _rating_stats(self, per_period=False):
        """``{policy id (, period start): (count, average, happy share %)}`` of the customers'
        ratings of the payouts that paid this policy's records: one aggregate, each rating counted
        once per policy (and period) however many of its records one payout paid."""
        if not self.ids:
            return {}
        self.env["rating.rating"].flush_model(["res_model", "res_id", "rating", "consumed"])
        self.env["rebate.record"].flush_model(["policy_id", "date_start"])
        period = SQL(", r.date_start") if per_period else SQL("")
        self.env.cr.execute(SQL(
            """SELECT policy_id%s, COUNT(*), AVG(rating), COUNT(*) FILTER (WHERE rating >= %s)
                 FROM (SELECT DISTINCT rt.id, rt.rating, r.policy_id%s
                         FROM rating_rating rt
                         JOIN rebate_settlement_paid_record_rel rel ON rel.settlement_id = rt.res_id
                         JOIN rebate_record r ON r.id = rel.record_id
                        WHERE rt.res_model = 'rebate.settlement' AND rt.consumed AND rt.rating >= 1
                          AND r.policy_id IN %s
                          -- one rating per payout and customer, the latest: posting again replaces it
                          AND NOT EXISTS (
                              SELECT 1 FROM rating_rating later
                               WHERE later.res_model = 'rebate.settlement' AND later.res_id = rt.res_id
                                 AND later.partner_id IS NOT DISTINCT FROM rt.partner_id
                                 AND later.consumed AND later.rating >= 1 AND later.id > rt.id)) AS rated
             GROUP BY policy_id%s""",
            SQL(", date_start") if per_period else SQL(""), HAPPY_RATING, period, tuple(self.ids),
            SQL(", date_start") if per_period else SQL("")))
        stats = {}
        for row in self.env.cr.fetchall():
            key = tuple(row[:2]) if per_period else row[0]
            count, average, happy = row[-3:]
            stats[key] = (count, float(average or 0.0), 100.0 * happy / count if count else 0.0)
        return stats

    def _compute_rating_stats(self):
        stats = self._rating_stats()
        for policy in self:
            policy.rating_total_count, policy.rating_average, policy.rating_happy_share = \
                stats.get(policy.id, (0, 0.0, 0.0))

    def _rated_settlements(self):
        return self.env["rebate.settlement"].search([("paid_record_ids.policy_id", "in", self.ids)])

    def action_view_ratings(self):
        """The customers' ratings and comments on the payouts of this policy."""
        title = self.env._("Customer Ratings")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "rating.rating",
            "view_mode": "list,form",
            "domain": [("res_model", "=", "rebate.settlement"), ("res_id", "in", self._rated_settlements().ids),
                       ("consumed", "=", True)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ reviews

    def _review_due_period(self, today):
        """``(start, end)`` of the last review period (at the policy's cadence) that closed before
        ``today``, or None."""
        self.ensure_one()
        if self.review_cadence == "none" or today <= self.date_start:
            return None
        kind = self.period if self.review_cadence == "period" else self.review_cadence
        if kind == "window" and not self.date_end:
            return None
        until = today - timedelta(days=1)
        if self.date_end:
            until = min(until, self.date_end)
        closed = [period for period in iter_periods(kind, self.date_start, self.date_end or None, until=until)
                  if period.date_end < today]
        return (closed[-1].date_start, closed[-1].date_end) if closed else None

    @api.model
    def _cron_schedule_reviews(self):
        """Daily: a review, with an activity for the policy's owner, for the last period closed at
        each policy's cadence, once per policy and period."""
        today = fields.Date.context_today(self)
        policies = self.search([
            ("review_cadence", "!=", "none"), "|", ("state", "=", "active"),
            "&", ("state", "=", "closed"), ("date_end", ">=", today - timedelta(days=40))])
        Review = self.env["rebate.policy.review"]
        existing = {(review.policy_id.id, review.date_end) for review in Review.search([("policy_id", "in", policies.ids)])}
        to_create = []
        for policy in policies:
            due = policy._review_due_period(today)
            if due and (policy.id, due[1]) not in existing:
                to_create.append({"policy_id": policy.id, "date_start": due[0], "date_end": due[1],
                                  "user_id": (policy.user_id or policy.create_uid).id})
        reviews = Review.create(to_create)
        reviews._schedule_activity()
        return reviews


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
