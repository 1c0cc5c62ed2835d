# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.tools import SQL

from ..models.rebate_policy import HAPPY_RATING


class RebateEffectReport(models.Model):
    """The customers' ratings of their payouts next to the effect of the policy: per policy,
    customer and period, computed from one aggregate for the rows shown (kept out of the view's
    query, which stays about sales and rebates)."""

    _inherit = "rebate.effect.report"

    rating_count = fields.Integer(string="Ratings", compute="_compute_rating_figures")
    rating_average = fields.Float(string="Average Rating", compute="_compute_rating_figures", digits=(16, 2))
    rating_happy_share = fields.Float(string="Happy (%)", compute="_compute_rating_figures", digits=(16, 1))

    def _compute_rating_figures(self):
        stats = {}
        policies = self.policy_id
        if policies:
            self.env["rating.rating"].flush_model(["res_model", "res_id", "rating", "consumed"])
            self.env["rebate.record"].flush_model(["policy_id", "partner_id", "date_start"])
            self.env.cr.execute(SQL(
                """SELECT policy_id, partner_id, date_start, COUNT(*), AVG(rating),
                          COUNT(*) FILTER (WHERE rating >= %s)
                     FROM (SELECT DISTINCT rt.id, rt.rating, r.policy_id, r.partner_id, r.date_start
                             FROM rating_rating rt
                             JOIN rebate_settlement_paid_record_rel rel ON rel.settlement_id = rt.res_id
                             JOIN rebate_record r ON r.id = rel.record_id
                            WHERE rt.res_model = 'rebate.settlement' AND rt.consumed AND rt.rating >= 1
                              AND r.policy_id IN %s
                              -- one rating per payout and customer, the latest (as in _rating_stats)
                              AND NOT EXISTS (
                                  SELECT 1 FROM rating_rating later
                                   WHERE later.res_model = 'rebate.settlement' AND later.res_id = rt.res_id
                                     AND later.partner_id IS NOT DISTINCT FROM rt.partner_id
                                     AND later.consumed AND later.rating >= 1 AND later.id > rt.id)) AS rated
                 GROUP BY policy_id, partner_id, date_start""",
                HAPPY_RATING, tuple(policies.ids)))
            stats = {tuple(row[:3]): row[3:] for row in self.env.cr.fetchall()}
        for line in self:
            count, average, happy = stats.get((line.policy_id.id, line.partner_id.id, line.date_start), (0, 0.0, 0))
            line.rating_count = count
            line.rating_average = float(average or 0.0)
            line.rating_happy_share = 100.0 * happy / count if count else 0.0
