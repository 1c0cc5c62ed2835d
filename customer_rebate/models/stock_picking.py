# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError

from .rebate_guard import SETTLEMENT_UNDO, is_lifted


class StockPicking(models.Model):
    _inherit = "stock.picking"

    rebate_settlement_id = fields.Many2one(
        "rebate.settlement", compute="_compute_rebate_settlement_id", store=True, index="btree_not_null",
        help="The goods rebate this transfer pays out (every step of the warehouse's route, backorders "
             "and returns included).")

    @api.depends("move_ids.rebate_settlement_id")
    def _compute_rebate_settlement_id(self):
        for picking in self:
            picking.rebate_settlement_id = picking.move_ids.rebate_settlement_id[:1]

    def _check_rebate_delivery_kept(self):
        if is_lifted(SETTLEMENT_UNDO):
            return
        paid = self.filtered(lambda p: p.rebate_settlement_id.state == "done" and p.state != "done")
        if paid:
            raise UserError(self.env._(
                "%(picking)s delivers the goods of rebate settlement %(settlement)s: cancel the settlement "
                "instead, which cancels its transfers and puts its rebates back to confirmed.",
                picking=paid[0].display_name, settlement=paid[0].rebate_settlement_id.name))

    def action_cancel(self):
        self._check_rebate_delivery_kept()
        return super().action_cancel()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rebate_delivery(self):
        self._check_rebate_delivery_kept()

    @api.readonly
    def action_view_rebate_settlement(self):
        self.ensure_one()
        return self.rebate_settlement_id._get_records_action(name=self.rebate_settlement_id.name)
