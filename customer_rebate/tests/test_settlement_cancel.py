# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementCancel(RebateCommon):

    def test_cancel_reverses_the_entry_and_the_records_can_be_settled_again(self):
        record = self.confirmed_record()
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        expense_before = self.account_balance(self.expense_account)
        settlement.action_cancel()
        self.assertEqual(settlement.state, "cancelled")
        self.assertEqual(settlement.reversal_move_id.state, "posted")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, -6000.0)
        self.assertTrue(all(line.reconciled for line in settlement.move_id.line_ids
                            if line.account_id.account_type == "asset_receivable"))
        self.assertEqual((record.state, record.settlement_id), ("confirmed", self.env["rebate.settlement"]))
        again = self.env["rebate.settlement"]._create_from_records(record)
        again.action_done()
        self.assertEqual((record.state, record.settlement_id), ("settled", again))

    def test_a_reconciled_payout_is_not_cancelled_behind_the_accountant(self):
        self.policy.write({"settlement_method": "credit_note", "journal_id": self.company_data["default_journal_sale"].id})
        record = self.confirmed_record()
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer_a.id), ("move_type", "=", "out_invoice")], limit=1)
        (invoice + settlement.move_id).line_ids.filtered(
            lambda l: l.account_id.account_type == "asset_receivable").reconcile()
        with self.assertRaisesRegex(UserError, "already reconciled"):
            settlement.action_cancel()
        self.assertEqual(settlement.state, "done")

    def test_cancel_goods_cancels_or_returns_the_delivery(self):
        product = self._create_product(name="Gift", is_storable=True, lst_price=100.0)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 500.0)
        self.policy.write({"settlement_method": "goods", "goods_product_id": product.id})
        record = self.confirmed_record()
        first = self.env["rebate.settlement"]._create_from_records(record)
        first.action_done()
        first.action_cancel()
        self.assertEqual(first.picking_id.state, "cancel")
        second = self.env["rebate.settlement"]._create_from_records(record)
        second.action_done()
        second.picking_id.move_ids.quantity = 60.0
        second.picking_id.move_ids.picked = True
        second.picking_id.button_validate()
        self.assertEqual(product.with_context(warehouse_id=warehouse.id).qty_available, 440.0)
        second.action_cancel()
        self.assertEqual(second.return_picking_id.state, "done")
        self.assertEqual(product.with_context(warehouse_id=warehouse.id).qty_available, 500.0)
        self.assertEqual(record.state, "confirmed")
