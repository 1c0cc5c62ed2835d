# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class ProductCategory(models.Model):
    _inherit = "product.category"

    def write(self, vals):
        if "parent_id" not in vals or not self.env["rebate.policy"]._rebate_named_scope()[1]:
            return super().write(vals)
        # the category's products leave the policies naming its former parents, enter those
        # naming its new ones
        before = self._rebate_policies_over()
        result = super().write(vals)
        (before | self._rebate_policies_over())._require_full_compute()
        return result

    def _rebate_policies_over(self):
        """The active or closed policies whose product categories, or excluded categories, are
        these categories or one of their parents: a product of these categories moved in or out
        of them is in or out of those policies in every period."""
        named = self.env["rebate.policy"]._rebate_named_scope()[1]
        if not named:
            return self.env["rebate.policy"].sudo()
        ids = {int(part) for category in self.sudo() for part in (category.parent_path or "").split("/") if part}
        ids &= named
        if not ids:
            return self.env["rebate.policy"].sudo()
        return self.env["rebate.policy"].sudo().search([
            ("state", "in", ("active", "closed")),
            "|", ("product_category_ids", "in", list(ids)), ("excluded_product_category_ids", "in", list(ids))])
