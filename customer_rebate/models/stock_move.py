# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.exceptions import UserError

from .rebate_guard import SETTLEMENT_UNDO, is_lifted


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

    def _set_value(self, correction_quantity=None):
        # stock_account values a delivery at the cost of the active company: validated with another
        # company active, the goods would leave at no cost and the rebate expense would be nil
        rebate_moves = self.filtered("rebate_settlement_id")
        for company in rebate_moves.company_id:
            super(StockMove, rebate_moves.filtered(lambda m: m.company_id == company).with_company(company))._set_value(
                correction_quantity=correction_quantity)
        return super(StockMove, self - rebate_moves)._set_value(correction_quantity=correction_quantity)

    def _check_rebate_goods_owed(self, moves):
        """What a paid goods rebate still has to deliver is not dropped behind the settlement (the
        "no backorder" choice included): it stays a backorder, or the settlement is cancelled."""
        if is_lifted(SETTLEMENT_UNDO):
            return
        if moves:
            raise UserError(self.env._(
                "%(product)s is still owed to the customer by rebate settlement %(settlement)s: keep it as a "
                "backorder, or cancel the settlement.",
                product=moves[0].product_id.display_name, settlement=moves[0].rebate_settlement_id.name))

    def _action_cancel(self):
        self._check_rebate_goods_owed(self.filtered(
            lambda m: m.rebate_settlement_id.state == "done" and m.state not in ("done", "cancel")))
        return super()._action_cancel()

    def _action_done(self, cancel_backorder=False):
        if cancel_backorder:
            self._check_rebate_goods_owed(self.filtered(
                lambda m: m.rebate_settlement_id.state == "done" and m.state not in ("done", "cancel")
                and m.product_uom.compare(m.quantity if m.picked else 0.0, m.product_uom_qty) < 0))
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        crossing = moves.filtered(
            lambda m: m.state == "done" and m.rebate_settlement_id
            and (m.location_dest_id.usage == "customer") != (m.location_id.usage == "customer"))
        if crossing:
            crossing.rebate_settlement_id._post_goods_cost(crossing)
        for settlement in moves.rebate_settlement_id.filtered(lambda s: s.picking_id.location_dest_id.usage != "customer"):
            shipping = settlement.picking_ids.filtered(lambda p: p.location_dest_id.usage == "customer" and not p.return_id)
            if shipping:
                settlement._write_internal({"picking_id": shipping[:1].id})
        return moves
