# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountMove(models.Model):
    _inherit = "account.move"

    # l10n_cn knows the 8-digit numbers of paper and older electronic fapiao; a fully digital
    # e-fapiao (数电票, nationwide since December 2024) has 20 digits. No size: a size cuts what
    # is typed silently (20 digits saved as 8) where the check below tells what is wrong
    fapiao = fields.Char(size=None)

    @api.constrains("fapiao")
    def _check_fapiao(self):
        for move in self:
            if move.fapiao and (len(move.fapiao) not in (8, 20) or not (move.fapiao.isascii() and move.fapiao.isdecimal())):
                raise ValidationError(self.env._(
                    "A fapiao number has 8 digits, or 20 for a fully digital e-fapiao (数电票): %s is neither.",
                    move.fapiao))
