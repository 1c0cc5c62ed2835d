# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class ResCurrency(models.Model):
    _inherit = "res.currency"

    def _rebate_amount_in_words(self, amount):
        """The amount in words on rebate statements, in the context's language. A localization
        (customer_rebate_cn: 人民币壹仟贰佰伍拾贰元伍角) writes it the way its banks require."""
        self.ensure_one()
        return self.amount_to_text(amount)
