# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class RebatePolicyPeriod(models.Model):
    """What a computed period of a policy looked like for the customers it does not cover: the
    comparison group of the policy review (written by the computation, one row per period)."""

    _name = "rebate.policy.period"
    _description = "Rebate Policy Period"
    _order = "policy_id, date_start"

    policy_id = fields.Many2one("rebate.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_start = fields.Date(string="Period Start", required=True)
    date_end = fields.Date(string="Period End", required=True)
    outside_customer_count = fields.Integer(string="Customers Outside")
    outside_sales = fields.Monetary(string="Sales Outside", help="Sales in the policy's product scope to "
                                    "customers the policy does not cover.")
    outside_previous_sales = fields.Monetary(string="Sales Outside, Period Before")

    _period_unique = models.Constraint(
        "UNIQUE(policy_id, date_start)", "A policy has one comparison row per period.")
