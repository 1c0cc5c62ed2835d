# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import RebateCommon


class GoodsCommon(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.category = cls.env["product.category"].create({
            "name": "Free goods", "property_cost_method": "standard", "property_valuation": "periodic"})
        cls.free_product = cls._create_product(
            name="Free crate", is_storable=True, lst_price=70.0, standard_price=40.0, categ_id=cls.category.id)
        cls.env["stock.quant"]._update_available_quantity(cls.free_product, cls.warehouse.lot_stock_id, 200.0)
        cls.stock_account = cls.free_product._get_product_accounts()["stock_valuation"]
        cls.policy.write({"settlement_method": "goods", "goods_product_id": cls.free_product.id})

    def settle(self, records):
        settlement = self.env["rebate.settlement"]._create_from_records(records)
        settlement.action_done()
        return settlement

    def deliver(self, picking, quantity=None):
        for move in picking.move_ids:
            move.quantity = quantity if quantity is not None else move.product_uom_qty
        picking.move_ids.picked = True
        result = picking.button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            # a partial delivery: keep the rest as a backorder, as a warehouse worker would
            Form(self.env[result["res_model"]].with_context(**result["context"])).save().process()

    def close_stock(self):
        """Run Odoo's stock closing; "everything is correctly closed" is an answer, not a failure."""
        try:
            self.env.company.action_close_stock_valuation(auto_post=True)
        except UserError as error:
            self.assertIn("correctly closed", str(error))

    def stock_books_agree(self):
        company = self.env.company
        inventory = company.stock_value()[self.stock_account]
        books = company.stock_accounting_value()[self.stock_account]
        self.assertAlmostEqual(inventory, books, places=2, msg="stock valuation and stock account differ")


@tagged("post_install", "-at_install")
class TestBooksGoodsCost(GoodsCommon):
    """实物返利 in the books: the cost of the goods given is the rebate expense."""

    def check_cost_booked(self, valuation):
        self.category.property_valuation = valuation
        self.close_stock()  # the opening stock in the books first
        expense_before = self.account_balance(self.expense_account)
        record = self.confirmed_record()
        settlement = self.settle(record)
        self.assertFalse(settlement.document_ids, "nothing is booked before the goods leave")
        self.deliver(settlement.picking_id)
        cost = settlement.document_ids.line_ids.filtered(lambda l: l.account_id == self.expense_account)
        self.assertEqual(cost.move_id.state, "posted")
        self.assertEqual(sum(cost.mapped("balance")), 85 * 40.0, "85 crates at their cost of 40")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 3400.0)
        self.close_stock()
        self.stock_books_agree()
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 3400.0,
                         "the closing does not count the goods given a second time")

    def test_periodic_valuation(self):
        self.check_cost_booked("periodic")

    def test_real_time_valuation(self):
        self.check_cost_booked("real_time")

    def test_accrual_is_cleared_in_full_and_the_expense_is_the_cost(self):
        accrual = self.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR990", "account_type": "liability_current"})
        self.policy.write({"accrual_account_id": accrual.id})
        expense_before = self.account_balance(self.expense_account)
        record = self.confirmed_record()
        self.assertEqual(self.account_balance(accrual), -6000.0)
        settlement = self.settle(record)
        self.assertEqual(self.account_balance(accrual), -6000.0, "the goods are still owed at month-end")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 6000.0)
        self.deliver(settlement.picking_id)
        self.assertEqual(self.account_balance(accrual), 0.0, "cleared once the goods are delivered")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 3400.0)

    def test_accrual_follows_a_partial_delivery_and_a_return(self):
        accrual = self.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR991", "account_type": "liability_current"})
        self.policy.write({"accrual_account_id": accrual.id})
        expense_before = self.account_balance(self.expense_account)
        settlement = self.settle(self.confirmed_record())  # 85 crates owed for 6,000 accrued
        self.deliver(settlement.picking_id, quantity=34)  # 40 % of them
        self.assertEqual(self.account_balance(accrual), -3600.0, "6,000 less 40 % cleared")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 3600.0 + 34 * 40.0)
        backorder = settlement.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.deliver(backorder)
        self.assertEqual(self.account_balance(accrual), 0.0)
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 3400.0)
        settlement.action_cancel()
        self.assertEqual(self.account_balance(accrual), -6000.0, "the goods came back: owed again")
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 6000.0)

    def test_deemed_sale_books_output_vat_on_the_sales_price(self):
        self.policy.goods_output_tax_id = self.tax_sale_a  # 15 %
        tax_account = self.tax_sale_a.invoice_repartition_line_ids.account_id
        tax_before = self.account_balance(tax_account)
        expense_before = self.account_balance(self.expense_account)
        settlement = self.settle(self.confirmed_record())
        self.deliver(settlement.picking_id)
        vat = 85 * 70.0 * 0.15  # 视同销售: 15 % of the 5,950.00 the 85 crates sell for
        self.assertAlmostEqual(self.account_balance(tax_account) - tax_before, -vat, places=2)
        self.assertAlmostEqual(self.account_balance(self.expense_account) - expense_before, 3400.0 + vat, places=2,
                               msg="the expense is the cost plus the output VAT")
        tax_line = settlement.document_ids.line_ids.filtered("tax_line_id")
        self.assertEqual((tax_line.tax_line_id, tax_line.tax_base_amount), (self.tax_sale_a, 5950.0))
        settlement.action_cancel()
        self.assertAlmostEqual(self.account_balance(tax_account) - tax_before, 0.0, places=2, msg="returned: no VAT")

    def test_delivered_while_another_company_is_active(self):
        """A warehouse worker of two companies validates the delivery with the other one active:
        the goods still leave at this company's cost, and their deemed-sale VAT is booked."""
        self.policy.goods_output_tax_id = self.tax_sale_a  # 15 %
        other = self.setup_other_company(name="Other company")["company"]
        self.env.user.company_ids = [Command.link(other.id)]
        self.assertFalse(self.free_product.with_company(other).standard_price, "no cost in the other company")
        expense_before = self.account_balance(self.expense_account)
        settlement = self.settle(self.confirmed_record())
        self.deliver(settlement.picking_id.with_context(allowed_company_ids=[other.id, self.env.company.id]))
        self.assertEqual(settlement.picking_id.move_ids.value, 3400.0)
        self.assertAlmostEqual(self.account_balance(self.expense_account) - expense_before,
                               3400.0 + 85 * 70.0 * 0.15, places=2)

    def test_goods_at_no_cost_still_owe_the_deemed_sale_vat(self):
        self.policy.goods_output_tax_id = self.tax_sale_a  # 15 %
        self.free_product.standard_price = 0.0
        tax_account = self.tax_sale_a.invoice_repartition_line_ids.account_id
        tax_before = self.account_balance(tax_account)
        settlement = self.settle(self.confirmed_record())
        self.deliver(settlement.picking_id)
        self.assertAlmostEqual(self.account_balance(tax_account) - tax_before, -85 * 70.0 * 0.15, places=2)
        self.assertFalse(settlement.document_ids.line_ids.filtered(lambda l: l.account_id == self.stock_account),
                         "no stock value left the books")

    def test_cancel_returns_the_goods_and_their_cost(self):
        expense_before = self.account_balance(self.expense_account)
        record = self.confirmed_record()
        settlement = self.settle(record)
        self.deliver(settlement.picking_id)
        settlement.action_cancel()
        self.assertEqual(settlement.return_picking_id.state, "done")
        self.assertEqual(self.free_product.with_context(warehouse_id=self.warehouse.id).qty_available, 200.0)
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, 0.0)
        self.assertEqual((settlement.amount, settlement.paid_record_ids), (6000.0, record))


@tagged("post_install", "-at_install")
class TestBooksGoodsQuantities(GoodsCommon):
    """Fixed quantities per tier are given per record; an adjustment gives the difference."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({
            "goods_quantity_mode": "fixed",
            "tier_ids": [Command.create({"sequence": 2, "threshold": 200000.0, "rate": 6.0})],
        })
        tier_1, tier_2 = cls.policy.tier_ids.sorted("threshold")
        tier_1.goods_qty, tier_2.goods_qty = 12.0, 20.0
        cls.policy.action_activate()

    def compute(self, day):
        with freeze_time(day):
            self.policy.action_compute()

    def test_two_periods_at_the_same_tier_give_twice(self):
        self.invoice(self.customer_a, "2026-05-10", 120000.0)
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        self.compute("2026-10-15")
        records = self.records()
        records.action_confirm()
        settlement = self.settle(records)
        self.assertEqual(settlement.picking_id.move_ids.product_uom_qty, 24.0)

    def test_adjustment_gives_the_difference_and_a_negative_one_takes_back(self):
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        self.compute("2026-10-15")
        q3 = self.records()
        q3.action_confirm()
        self.settle(q3)
        self.invoice(self.customer_a, "2026-09-10", 100000.0)
        self.compute("2026-10-20")
        adjustment = self.records(revision=1)
        self.assertEqual(adjustment.tier_id.goods_qty, 20.0)
        adjustment.action_confirm()
        self.assertEqual(self.settle(adjustment).picking_id.move_ids.product_uom_qty, 8.0, "20 - 12")
        # everything bought in Q3 comes back: the customer owes the goods back, netted on the next payout
        self.refund(self.customer_a, "2026-09-20", 220000.0)
        self.invoice(self.customer_a, "2026-11-10", 250000.0)
        with freeze_time("2027-01-10"):
            self.policy.action_compute()
            negative = self.records(revision=2)
            self.assertEqual(negative.amount, -13200.0)
            negative.action_confirm()
            q4 = self.records(date_start=date(2026, 10, 1))
            q4.action_confirm()
        settlement = self.settle(q4)
        self.assertEqual(settlement.record_ids, q4 | negative, "the debt is netted into the next payout")
        self.assertEqual(settlement.amount, 15000.0 - 13200.0)
        self.assertFalse(settlement.picking_id, "20 units for Q4 minus the 20 given for Q3: nothing to deliver")


@tagged("post_install", "-at_install")
class TestBooksGoodsRoute(GoodsCommon):
    """The delivery follows the warehouse's route, and the remainder is paid or carried."""

    def test_two_step_delivery_backorder_and_cancel(self):
        self.warehouse.delivery_steps = "pick_ship"
        record = self.confirmed_record()
        settlement = self.settle(record)
        pick = settlement.picking_ids
        self.assertEqual((pick.picking_type_id, pick.state), (self.warehouse.pick_type_id, "assigned"),
                         "the first step of the route, with the stock reserved")
        self.assertEqual(pick.move_ids.location_final_id.usage, "customer")
        self.deliver(pick)
        ship = settlement.picking_ids - pick
        self.assertEqual((ship.location_dest_id.usage, ship.state), ("customer", "assigned"))
        self.deliver(ship, quantity=50.0)
        backorder = settlement.picking_ids - pick - ship
        self.assertEqual((backorder.rebate_settlement_id, backorder.move_ids.product_uom_qty), (settlement, 35.0))
        self.assertEqual(sum(settlement.document_ids.line_ids.filtered(
            lambda l: l.account_id == self.expense_account).mapped("balance")), 50 * 40.0)
        settlement.action_cancel()
        self.assertEqual(backorder.state, "cancel")
        self.assertEqual(sum(settlement.document_ids.line_ids.filtered(
            lambda l: l.account_id == self.expense_account).mapped("balance")), 0.0, "returned: no cost left")

    def test_undoing_the_delivery_behind_the_settlement_is_refused(self):
        settlement = self.settle(self.confirmed_record())
        with self.assertRaisesRegex(UserError, "cancel the settlement"):
            settlement.picking_id.action_cancel()
        self.assertEqual(settlement.picking_id.state, "assigned")

    def test_remainder_paid_to_the_customer(self):
        self.policy.goods_remainder_mode = "cash"
        settlement = self.settle(self.confirmed_record())
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(settlement.goods_remainder, 50.0)
        self.assertEqual(self.account_balance(receivable, self.customer_a), 120000.0 - 50.0)
        self.assertEqual(settlement.move_id.rebate_settlement_id, settlement)

    def test_remainder_carried_into_the_next_payout(self):
        first = self.settle(self.confirmed_record())
        self.assertEqual(first.goods_remainder, 50.0)
        self.invoice(self.customer_a, "2026-11-10", 100000.0)
        with freeze_time("2027-01-10"):
            self.policy.action_compute()
            q4 = self.records(date_start=date(2026, 10, 1))
            q4.action_confirm()
        second = self.settle(q4)
        # 5,000 + the 50 carried = 5,050 → 72 crates at 70, 10 left to carry again
        self.assertEqual(second.picking_id.move_ids.product_uom_qty, 72.0)
        self.assertEqual((second.carried_remainder, second.goods_remainder), (50.0, 10.0))
        self.assertEqual(first.remainder_carried_to_id, second)
        with self.assertRaisesRegex(UserError, "cancel RS"):
            first.action_cancel()
        second.action_cancel()
        first.action_cancel()
        self.assertEqual(first.state, "cancelled")
