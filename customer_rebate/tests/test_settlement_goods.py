# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.rebate_guard import POLICY_REVISION, lifted
from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementGoods(RebateCommon):
    """实物返利: free products delivered from the company's warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.free_product = cls._create_product(
            name="Free crate", is_storable=True, lst_price=70.0, standard_price=40.0)
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.free_product, cls.warehouse.lot_stock_id, 200.0)
        cls.policy.write({"settlement_method": "goods", "goods_product_id": cls.free_product.id})
        cls.record = cls.confirmed_record()

    def settle(self):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        return settlement

    def test_delivery_of_whole_units_at_sales_price_and_the_remainder_shown(self):
        settlement = self.settle()
        picking = settlement.picking_id
        self.assertEqual((picking.picking_type_id, picking.partner_id), (self.warehouse.out_type_id, self.customer_a))
        self.assertEqual(picking.rebate_settlement_id, settlement)
        self.assertEqual(picking.move_ids.product_uom_qty, 85.0, "6,000 / 70 = 85.71: 85 whole units")
        self.assertEqual(settlement.goods_remainder, 50.0, "6,000 - 85 × 70")
        self.assertEqual(picking.state, "assigned")

    def test_validating_the_delivery_takes_the_goods_out_of_stock(self):
        picking = self.settle().picking_id
        picking.move_ids.quantity = 85.0
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.free_product.with_context(warehouse_id=self.warehouse.id).qty_available, 115.0)

    def test_quantity_at_cost(self):
        self.policy.goods_quantity_mode = "cost"
        self.assertEqual(self.settle().picking_id.move_ids.product_uom_qty, 150.0)

    def test_fixed_quantity_per_tier(self):
        self.policy.goods_quantity_mode = "fixed"
        with lifted(POLICY_REVISION):
            self.policy.tier_ids.goods_qty = 12.0
        settlement = self.settle()
        self.assertEqual(settlement.picking_id.move_ids.product_uom_qty, 12.0)
        self.assertEqual(settlement.goods_remainder, 0.0)

    def test_out_of_stock_is_refused_unless_allowed(self):
        self.env["stock.quant"]._update_available_quantity(self.free_product, self.warehouse.lot_stock_id, -150.0)
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        with self.assertRaisesRegex(UserError, "Not enough Free crate"):
            settlement.action_done()
        self.assertFalse(settlement.picking_id)
        self.assertEqual(settlement.state, "draft")
        self.policy.allow_negative_stock = True
        settlement.action_done()
        self.assertEqual(settlement.picking_id.move_ids.product_uom_qty, 85.0)
