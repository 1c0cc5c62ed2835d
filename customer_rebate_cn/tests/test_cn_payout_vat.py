# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RebateCnCommon


@tagged("post_install", "-at_install")
class TestCnPayoutVat(RebateCnCommon):
    """The source example (6,000) in a Chinese company, paid each way, with the VAT each books."""

    def pay(self, **policy_values):
        self.policy.write(policy_values)
        settlement = self.env["rebate.settlement"]._create_from_records(self.confirmed_record())
        settlement.action_done()
        return settlement

    def vat(self):
        return self.account_balance(self.output_vat_account)

    def test_cash_lowers_no_vat(self):
        before = self.vat()
        settlement = self.pay(settlement_method="cash")
        self.assertEqual(self.vat(), before)
        self.assertEqual(self.account_balance(self.sales_expense), 6000.0, "销售费用 6,000")
        self.assertFalse(settlement.move_id.line_ids.filtered("tax_line_id"))

    def test_credit_note_without_red_letter_fapiao_is_untaxed(self):
        before = self.vat()
        settlement = self.pay(settlement_method="credit_note", journal_id=self.company_data["default_journal_sale"].id,
                              credit_note_tax_ids=[Command.set(self.vat_13.ids)], red_letter_fapiao=False)
        self.assertEqual((settlement.move_id.amount_untaxed, settlement.move_id.amount_tax), (6000.0, 0.0))
        self.assertEqual(self.vat(), before)

    def test_red_letter_fapiao_lowers_the_output_vat(self):
        before = self.vat()
        settlement = self.pay(settlement_method="credit_note", journal_id=self.company_data["default_journal_sale"].id,
                              red_letter_fapiao=True, credit_note_tax_ids=[Command.set(self.vat_13.ids)])
        refund = settlement.move_id
        self.assertEqual((refund.amount_untaxed, refund.amount_tax, refund.amount_total), (6000.0, 780.0, 6780.0))
        self.assertEqual(self.vat() - before, 780.0, "output VAT down by 780")
        refund.fapiao = "04400123"
        self.assertEqual(settlement.fapiao, "04400123")
        refund.fapiao = "24442000000012345678"  # 数电票: 20 digits
        self.assertEqual(settlement.fapiao, "24442000000012345678")
        for wrong in ("123", "2444200000001234567X", "244420000000123456789", "１２３４５６７８"):
            with self.assertRaises(ValidationError):
                refund.fapiao = wrong
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_settlement", settlement.ids)
        text = html.decode()
        self.assertIn("24442000000012345678", text)
        # the receivable falls by 6,780: the statement says so beside the 6,000 rebate
        self.assertIn("780.00", text)
        self.assertIn("6,780.00", text)

    def test_red_letter_fapiao_needs_its_vat(self):
        with self.assertRaisesRegex(ValidationError, "red-letter fapiao"):
            self.policy.write({"settlement_method": "credit_note", "red_letter_fapiao": True,
                               "credit_note_tax_ids": [Command.clear()]})

    def test_discount_on_a_later_order_lowers_the_vat(self):
        owed = self.env["account.account"].create(
            {"name": "应付客户返利", "code": "224102", "account_type": "liability_current"})
        self.pay(settlement_method="discount", balance_account_id=owed.id, balance_max_share=30.0)
        order = self.env["sale.order"].create({
            "partner_id": self.customer_a.id,
            "order_line": [Command.create({"product_id": self.goods_13.id, "product_uom_qty": 50, "price_unit": 1000.0})]})
        order.action_apply_rebate_balance()
        self.assertEqual((order.amount_untaxed, order.amount_tax), (44000.0, 5720.0), "VAT 13 % on the net")
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(self.account_balance(owed), 0.0)

    def test_goods_as_a_deemed_sale(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        gift = self._create_product(name="赠品：保温杯", is_storable=True, lst_price=39.0, standard_price=20.0,
                                    taxes_id=[Command.set(self.vat_13.ids)])
        self.env["stock.quant"]._update_available_quantity(gift, warehouse.lot_stock_id, 500.0)
        before = self.vat()
        settlement = self.pay(settlement_method="goods", goods_product_id=gift.id, goods_output_tax_id=self.vat_13.id)
        picking = settlement.picking_id
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        quantity = 153  # 6,000 / 39 = 153.8: 153 cups
        self.assertEqual(picking.move_ids.quantity, quantity)
        vat = round(quantity * 39.0 * 0.13, 2)  # 视同销售: 13 % of what the cups sell for
        self.assertAlmostEqual(self.vat() - before, -vat, places=2)
        self.assertAlmostEqual(self.account_balance(self.sales_expense), quantity * 20.0 + vat, places=2,
                               msg="销售费用 = cost of the cups + their output VAT")
