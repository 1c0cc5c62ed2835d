# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"

    red_letter_fapiao = fields.Boolean(
        string="Red-letter Fapiao (红字发票)", tracking=True,
        help="A credit-note payout is issued with a red-letter fapiao: it carries the VAT of the sales "
             "it reduces (the credit-note taxes), which lowers the output VAT. Without it the credit "
             "note is untaxed and the VAT stays as invoiced.")

    @api.onchange("red_letter_fapiao")
    def _onchange_red_letter_fapiao(self):
        if self.red_letter_fapiao and not self.credit_note_tax_ids:
            self.credit_note_tax_ids = self.company_id.account_sale_tax_id
        elif not self.red_letter_fapiao and self.company_id.account_fiscal_country_id.code == "CN":
            self.credit_note_tax_ids = False

    @api.constrains("red_letter_fapiao", "credit_note_tax_ids", "settlement_method")
    def _check_red_letter_fapiao(self):
        for policy in self:
            if policy.red_letter_fapiao and policy.settlement_method == "credit_note" and not policy.credit_note_tax_ids:
                raise ValidationError(self.env._(
                    "Policy %s issues red-letter fapiao: choose the VAT its credit notes carry.", policy.display_name))
