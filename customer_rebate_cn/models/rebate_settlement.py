# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class RebateSettlement(models.Model):
    _inherit = "rebate.settlement"

    fapiao = fields.Char(related="move_id.fapiao", string="Fapiao Number",
                         help="The number of the red-letter fapiao issued for the credit note.")

    def _credit_note_taxes(self, policy):
        # in China VAT goes down only with a red-letter fapiao: otherwise the credit note is untaxed
        if policy.company_id.account_fiscal_country_id.code == "CN" and not policy.red_letter_fapiao:
            return self.env["account.tax"]
        return super()._credit_note_taxes(policy)
