from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null",
        help="The goods rebate this delivery pays out.")

    def action_view_rebate_settlement(self):
        self.ensure_one()
        return self.rebate_settlement_id._get_records_action(name=self.rebate_settlement_id.name)
