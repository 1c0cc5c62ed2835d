from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", readonly=True, index="btree_not_null",
        help="The goods rebate this move delivers; kept by every move the route chains, splits or returns.")

    def _prepare_procurement_values(self):
        # the next step of a two- or three-step delivery belongs to the same payout
        values = super()._prepare_procurement_values()
        if self.rebate_settlement_id:
            values["rebate_settlement_id"] = self.rebate_settlement_id.id
        return values

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        crossing = moves.filtered(
            lambda m: m.state == "done" and m.rebate_settlement_id
            and (m.location_dest_id.usage == "customer") != (m.location_id.usage == "customer"))
        if crossing:
            crossing.rebate_settlement_id._post_goods_cost(crossing)
        return moves
