# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSettlementFollow(RebateCommon):
    """The accountant follows a payout: the customer on the entry, its document named, whether it
    is paid, and the goods' transfers without stock rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record = cls.confirmed_record()
        cls.accountant = new_test_user(
            cls.env, login="rebate_accountant",
            groups="customer_rebate.group_rebate_user,account.group_account_invoice",
            company_id=cls.env.company.id)

    def settle(self, record=None):
        settlement = self.env["rebate.settlement"]._create_from_records(record or self.record)
        settlement.action_done()
        return settlement

    def test_cash_entry_carries_the_customer_and_is_named(self):
        settlement = self.settle()
        move = settlement.move_id
        self.assertEqual(move.partner_id, self.customer_a)
        self.assertEqual(move.line_ids.partner_id, self.customer_a)
        self.assertEqual(settlement.move_label, f"Journal entry {move.name}")
        self.assertEqual(settlement.document_count, 1, "one document: no second button for the same entry")
        self.assertEqual(settlement.payout_payment_state, "not_paid")

    def test_cash_entry_offset_against_an_invoice_reads_paid(self):
        settlement = self.settle()
        invoice = self.invoice(self.customer_a, "2026-10-20", 6000.0)
        receivable = (settlement.move_id.line_ids | invoice.line_ids).filtered(
            lambda l: l.account_id.account_type == "asset_receivable")
        receivable[:1].account_id.reconcile = True
        receivable.reconcile()
        settlement.invalidate_recordset(["payout_payment_state"])
        self.assertEqual(settlement.with_user(self.accountant).payout_payment_state, "paid")

    def test_credit_note_named_as_such(self):
        self.record.policy_id.journal_id = self.company_data["default_journal_sale"]
        self.record.policy_id.settlement_method = "credit_note"
        settlement = self.settle()
        self.assertEqual(settlement.move_id.move_type, "out_refund")
        self.assertEqual(settlement.move_label, f"Credit note {settlement.move_id.name}")
        self.assertEqual(settlement.payout_payment_state, "not_paid")

    def test_accountant_opens_the_goods_transfers(self):
        free = self._create_product(name="Free crate", is_storable=True, lst_price=70.0, standard_price=40.0)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(free, warehouse.lot_stock_id, 200.0)
        self.policy.write({"settlement_method": "goods", "goods_product_id": free.id})
        settlement = self.settle().with_user(self.accountant)
        self.assertEqual(settlement.picking_count, 1)
        action = settlement.action_view_picking()
        form_view = next(view_id for view_id, kind in action["views"] if kind == "form")
        Picking = self.env["stock.picking"].with_user(self.accountant)
        views = Picking.get_views([(form_view, "form")])
        picking = Picking.browse(action["res_id"])
        # what the web client reads to open the form: every field of the view, the moves' too
        fields_in_form = views["models"]["stock.picking"]["fields"]
        values, = picking.web_read({name: {} for name in fields_in_form if name != "move_ids"}
                                   | {"move_ids": {"fields": {name: {} for name in views["models"]["stock.move"]["fields"]}}})
        self.assertEqual(values["partner_id"], self.customer_a.id)
        self.assertEqual(values["move_ids"][0]["product_id"], free.id)
