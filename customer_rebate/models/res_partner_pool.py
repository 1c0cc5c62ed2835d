# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models

# what makes a parent company's tree, and a customer's tags
POOL_PARENT_FIELDS = {"parent_id", "is_company"}
POOL_TAG_FIELDS = {"category_id"}


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        result = super().write(vals)
        modes = []
        if POOL_PARENT_FIELDS & set(vals):
            modes.append("parent")
        if POOL_TAG_FIELDS & set(vals):
            modes.append("tag")
        if modes:
            # another group membership: the next run of the policies pooling that way computes
            # every period (an incremental run only sees the customers whose invoices changed)
            policies = self.env["rebate.policy"].sudo().search(
                [("pool_mode", "in", modes), ("state", "in", ("active", "closed"))])
            policies._require_full_compute()
        return result
