# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        if "categ_id" not in vals or not self.env["rebate.policy"]._rebate_named_scope()[1]:
            return super().write(vals)
        # products put in another category: the policies of either category see other lines in
        # every period, which an incremental run (following documents) would not notice
        before = self.categ_id
        result = super().write(vals)
        (before | self.categ_id)._rebate_policies_over()._require_full_compute()
        return result
