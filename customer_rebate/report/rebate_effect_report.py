from odoo import fields, models, tools


class RebateEffectReport(models.Model):
    """返利效果分析: whether a policy pays. Per policy, customer and period: the sales in the
    policy's scope against the period before and the same period a year before, the rebate, its
    cost as a share of sales, and the sales gained per unit of rebate."""

    _name = "rebate.effect.report"
    _description = "Rebate Effect Analysis"
    _auto = False
    _order = "date_start desc, policy_id, partner_id"

    policy_id = fields.Many2one("rebate.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    rebate_type = fields.Selection(related="policy_id.rebate_type", readonly=True)
    date_start = fields.Date(string="Period Start", readonly=True)
    date_end = fields.Date(string="Period End", readonly=True)
    reached_tier = fields.Boolean(readonly=True, help="The customer reached a tier in the period.")
    sales = fields.Monetary(readonly=True, help="Sales in the policy's scope in the period.")
    previous_sales = fields.Monetary(string="Previous Period Sales", readonly=True)
    last_year_sales = fields.Monetary(string="Same Period Last Year", readonly=True)
    rebate = fields.Monetary(readonly=True)
    uplift = fields.Monetary(string="Sales Uplift", readonly=True,
                             help="Sales of the period minus sales of the period before.")
    cost_share = fields.Float(string="Rebate Cost (% of Sales)", readonly=True, aggregator="avg",
                              digits=(16, 2))
    uplift_per_rebate = fields.Float(string="Uplift per Unit of Rebate", readonly=True, aggregator="avg",
                                     digits=(16, 2), help="Sales gained for each unit of rebate paid.")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # adjustments of a period are folded into its record; cancelled rebates do not count
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT MIN(r.id) AS id,
                       r.policy_id, r.partner_id, r.company_id, c.currency_id,
                       r.date_start, MAX(r.date_end) AS date_end,
                       BOOL_OR(r.tier_id IS NOT NULL) AS reached_tier,
                       SUM(r.base_amount) AS sales,
                       SUM(r.previous_base_amount) AS previous_sales,
                       SUM(r.last_year_base_amount) AS last_year_sales,
                       SUM(r.amount) AS rebate,
                       SUM(r.base_amount) - SUM(r.previous_base_amount) AS uplift,
                       CASE WHEN SUM(r.base_amount) <> 0
                            THEN 100.0 * SUM(r.amount) / SUM(r.base_amount) ELSE 0 END AS cost_share,
                       CASE WHEN SUM(r.amount) <> 0
                            THEN (SUM(r.base_amount) - SUM(r.previous_base_amount)) / SUM(r.amount) ELSE 0 END
                            AS uplift_per_rebate
                  FROM rebate_record r
                  JOIN res_company c ON c.id = r.company_id
                 WHERE r.state != 'cancelled'
              GROUP BY r.policy_id, r.partner_id, r.company_id, c.currency_id, r.date_start
            )
        """)
