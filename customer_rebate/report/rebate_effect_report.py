# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models, tools
from odoo.tools import SQL

# Sales and margins of one customer and period count once per policy that covers them: added
# across policies they count the same sales several times. Their aggregates are left empty for a
# group that holds more than one policy (see _read_group_select).
PER_POLICY_MEASURES = frozenset({
    "sales", "previous_sales", "last_year_sales", "compared_sales", "compared_previous_sales", "uplift",
    "margin", "previous_margin", "margin_gain", "net_effect", "growth", "cost_share", "uplift_per_rebate",
})


class RebateEffectReport(models.Model):
    """返利效果分析: whether a policy pays. Per policy, customer and period: the sales and gross margin
    in the policy's scope against the period before, the rebate, and the net effect (margin gained
    minus the rebate).

    Growth is only measured where the period before is comparable: the period has ended (a running
    period is not compared with a whole one) and the customer bought in the period before (with no
    or negative sales before, every sale would count as growth). The period before is either under
    the policy too (or its earlier version), or, for the policy's first period, the baseline before it
    started. Sums of sales
    and margins are per policy: added across policies they would count the same sales twice."""

    _name = "rebate.effect.report"
    _description = "Rebate Effect Analysis"
    _auto = False
    _order = "date_start desc, policy_id, partner_id"
    # the rows are read straight from these columns: pending writes are flushed before a query
    _depends = {
        "rebate.record": [
            "policy_id", "partner_id", "company_id", "date_start", "date_end", "state", "tier_id", "base_amount",
            "previous_base_amount", "last_year_base_amount", "cost_amount", "previous_cost_amount", "amount",
            "kind", "year_rebate_amount",
        ],
        "rebate.policy": ["date_start", "period", "code", "company_id"],
        "res.company": ["currency_id"],
    }

    policy_id = fields.Many2one("rebate.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    rebate_type = fields.Selection(related="policy_id.rebate_type", readonly=True)
    date_start = fields.Date(string="Period Start", readonly=True)
    date_end = fields.Date(string="Period End", readonly=True)
    reached_tier = fields.Boolean(readonly=True, help="The customer reached a tier in the period.")
    comparison = fields.Selection(
        [
            ("policy", "Period before, under the policy"),
            ("baseline", "Period before the policy started, wholly or partly (baseline)"),
            ("open", "Not compared: the period is still open"),
            ("no_previous", "Not compared: no sales in the period before"),
        ],
        string="Compared With", readonly=True,
        help="Growth is measured only against a comparable period before: one under the policy, or "
             "the baseline before the policy started. A running period, or a customer without "
             "(or with negative) sales in the period before, is not compared.")
    comparable = fields.Boolean(
        string="Growth Measured", readonly=True,
        help="The period has ended and the customer bought in the period before.")
    sales = fields.Monetary(readonly=True, help="Sales in the policy's scope in the period. Not added "
                            "across policies: the same sales can count for several.")
    previous_sales = fields.Monetary(string="Previous Period Sales", readonly=True)
    last_year_sales = fields.Monetary(string="Same Period Last Year", readonly=True)
    compared_sales = fields.Monetary(
        string="Sales Compared", readonly=True, help="Sales of the customers whose growth is measured.")
    compared_previous_sales = fields.Monetary(
        string="Previous Sales Compared", readonly=True,
        help="Their sales in the period before: the base of the growth.")
    rebate = fields.Monetary(readonly=True, help="The rebate earned (or estimated) for the period.")
    uplift = fields.Monetary(
        string="Sales Uplift", readonly=True,
        help="Sales compared minus the same customers' sales in the period before; empty where the "
             "growth is not measured.")
    growth = fields.Float(
        string="Sales Growth (%)", readonly=True, aggregator="avg", digits=(16, 2),
        help="Sales uplift as a share of the previous sales compared (worked out on the totals).")
    margin = fields.Monetary(string="Gross Margin", readonly=True, help="Sales minus their cost.")
    previous_margin = fields.Monetary(string="Previous Period Gross Margin", readonly=True)
    margin_gain = fields.Monetary(
        string="Gross Margin Gained", readonly=True,
        help="Gross margin minus the gross margin of the period before, where the growth is measured.")
    net_effect = fields.Monetary(
        readonly=True,
        help="Gross margin gained minus the rebate, for ended periods. A customer whose growth "
             "cannot be measured adds its rebate and no gain.")
    cost_share = fields.Float(string="Rebate Cost (% of Sales)", readonly=True, aggregator="avg",
                              digits=(16, 2), help="Worked out on the totals of the group.")
    uplift_per_rebate = fields.Float(
        string="Uplift per Unit of Rebate", readonly=True, aggregator="avg", digits=(16, 2),
        help="Sales gained for each unit of rebate paid to the customers whose growth is measured.")

    @property
    def _table_query(self) -> SQL:
        return SQL("SELECT * FROM (%s) effect_rows", self._select_rows())

    @api.model
    def _select_rows(self) -> SQL:
        # adjustments of a period are folded into its record; cancelled rebates do not count
        today = fields.Date.context_today(self)
        months = SQL("""CASE p.period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 WHEN 'half_year' THEN 6
                        ELSE 12 END""")
        comparison = SQL(
            """CASE WHEN MAX(r.date_end) >= %(today)s THEN 'open'
                    WHEN SUM(r.previous_base_amount) <= 0 THEN 'no_previous'
                    WHEN p.period = 'window'
                      OR (r.date_start - make_interval(months => %(months)s))::date
                         < COALESCE(versions.first_start, p.date_start)
                    THEN 'baseline'
                    ELSE 'policy' END""",
            today=today, months=months)
        comparable = SQL("(MAX(r.date_end) < %s AND SUM(r.previous_base_amount) > 0)", today)
        margin = SQL("SUM(r.base_amount - COALESCE(r.cost_amount, 0))")
        previous_margin = SQL("SUM(r.previous_base_amount - COALESCE(r.previous_cost_amount, 0))")
        margin_gain = SQL("CASE WHEN %s THEN %s - %s END", comparable, margin, previous_margin)
        uplift = SQL("CASE WHEN %s THEN SUM(r.base_amount) - SUM(r.previous_base_amount) END", comparable)
        return SQL(
            """
            SELECT MIN(r.id) AS id,
                   r.policy_id, r.partner_id, r.company_id, c.currency_id,
                   r.date_start, MAX(r.date_end) AS date_end,
                   BOOL_OR(r.tier_id IS NOT NULL) AS reached_tier,
                   %(comparison)s AS comparison,
                   %(comparable)s AS comparable,
                   SUM(r.base_amount) AS sales,
                   SUM(r.previous_base_amount) AS previous_sales,
                   SUM(r.last_year_base_amount) AS last_year_sales,
                   CASE WHEN %(comparable)s THEN SUM(r.base_amount) END AS compared_sales,
                   CASE WHEN %(comparable)s THEN SUM(r.previous_base_amount) END AS compared_previous_sales,
                   %(rebate)s AS rebate,
                   %(uplift)s AS uplift,
                   CASE WHEN %(comparable)s
                        THEN 100.0 * (SUM(r.base_amount) - SUM(r.previous_base_amount)) / SUM(r.previous_base_amount)
                        END AS growth,
                   %(margin)s AS margin,
                   %(previous_margin)s AS previous_margin,
                   %(margin_gain)s AS margin_gain,
                   CASE WHEN MAX(r.date_end) < %(today)s
                        THEN COALESCE(%(margin_gain)s, 0) - %(rebate)s END AS net_effect,
                   CASE WHEN SUM(r.base_amount) <> 0
                        THEN 100.0 * %(rebate)s / SUM(r.base_amount) END AS cost_share,
                   CASE WHEN %(comparable)s AND %(rebate)s <> 0
                        THEN %(uplift)s / %(rebate)s END AS uplift_per_rebate
              FROM rebate_record r
              JOIN rebate_policy p ON p.id = r.policy_id
              -- the versions of a policy share its code: the period before a revision's first
              -- one was under the policy's earlier version
         LEFT JOIN (SELECT company_id, code, MIN(date_start) AS first_start
                      FROM rebate_policy WHERE code != '/' GROUP BY company_id, code) versions
                ON versions.company_id = p.company_id AND versions.code = p.code
              JOIN res_company c ON c.id = r.company_id
             WHERE r.state != 'cancelled'
               -- a year paid in advances: its sales and its rebate are the year-end settlement's
               AND r.kind != 'advance'
          GROUP BY r.policy_id, r.partner_id, r.company_id, c.currency_id, r.date_start,
                   p.period, p.date_start, versions.first_start
            """,
            comparison=comparison, comparable=comparable, uplift=uplift, margin=margin,
            previous_margin=previous_margin, margin_gain=margin_gain, today=today,
            rebate=SQL("SUM(CASE WHEN r.kind = 'final' THEN r.year_rebate_amount ELSE r.amount END)"))

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Sales and margins add up within a policy only: a group over several policies gets no
        total rather than the same sales counted once per policy. Ratios are worked out on the
        group's totals (an average of ratios would weigh a small customer like a large one)."""
        fname, __, func = aggregate_spec.partition(":")
        if fname not in PER_POLICY_MEASURES or func not in ("sum", "sum_currency", "avg"):
            return super()._read_group_select(aggregate_spec, query)

        def column(name):
            return self._field_to_sql(self._table, name, query)

        if fname == "growth":
            value = SQL("100.0 * SUM(%s) / NULLIF(SUM(%s), 0)", column("uplift"), column("compared_previous_sales"))
        elif fname == "cost_share":
            value = SQL("100.0 * SUM(%s) / NULLIF(SUM(%s), 0)", column("rebate"), column("sales"))
        elif fname == "uplift_per_rebate":
            value = SQL("SUM(%s) / NULLIF(SUM(CASE WHEN %s THEN %s END), 0)",
                        column("uplift"), column("comparable"), column("rebate"))
        else:
            value = SQL("SUM(%s)", column(fname))
        return SQL("CASE WHEN COUNT(DISTINCT %s) <= 1 THEN %s END", column("policy_id"), value)

    def init(self):
        # the view this model was once built on: its rows now come from _table_query
        tools.drop_view_if_exists(self.env.cr, self._table)
