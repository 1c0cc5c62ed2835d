from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The rebate payout that created this credit note or entry.")

    def action_view_rebate_settlement(self):
        self.ensure_one()
        return self.rebate_settlement_id._get_records_action(name=self.rebate_settlement_id.name)
