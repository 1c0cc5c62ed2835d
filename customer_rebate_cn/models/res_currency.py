# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models

from ..tools.capitals import amount_in_capitals


class ResCurrency(models.Model):
    _inherit = "res.currency"

    def _rebate_amount_in_words(self, amount):
        """In Chinese, capital numerals (num2words has no Chinese: it would print English words
        with 元 and 美分); every other language keeps Odoo's amount_to_text."""
        lang = self.env.context.get("lang") or self.env.lang or ""
        if lang.startswith("zh"):
            return amount_in_capitals(amount, self.name)
        return super()._rebate_amount_in_words(amount)
