# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    rebate_own_customers_only = fields.Boolean(
        related="company_id.rebate_own_customers_only", readonly=False)
    rebate_approval = fields.Boolean(related="company_id.rebate_approval", readonly=False)
