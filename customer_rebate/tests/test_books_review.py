# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon
from .test_books_goods import GoodsCommon


@tagged("post_install", "-at_install")
class TestBooksReview(RebateCommon):
    """What an accountant's review of the payouts found, each kept right."""

    def test_reversal_of_a_cancelled_payout_stays(self):
        self.policy.write({"settlement_method": "credit_note", "journal_id": self.company_data["default_journal_sale"].id})
        record = self.confirmed_record()
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        settlement.action_cancel()
        with self.assertRaisesRegex(UserError, "stays as it is"):
            settlement.reversal_move_id.button_draft()
        with self.assertRaisesRegex(UserError, "stays as it is"):
            settlement.move_id.button_draft()

    def test_cancelling_a_draft_settlement_paid_nothing(self):
        record = self.confirmed_record()
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_cancel()
        self.assertFalse(settlement.paid_record_ids)
        self.assertEqual(settlement.amount, 0.0)

    def test_late_credit_note_after_closing_still_adjusts(self):
        record = self.confirmed_record()
        self.env["rebate.settlement"]._create_from_records(record).action_done()
        with freeze_time("2026-10-20"):
            self.policy.action_close()
        self.refund(self.customer_a, "2026-09-20", 30000.0)
        with freeze_time("2026-10-21"):
            self.env["rebate.policy"]._cron_compute_rebates()
        adjustment = self.records(revision=1)
        self.assertEqual(adjustment.amount, -6000.0, "90,000 is below the tier: the 6,000 is owed back")

    def test_revision_starts_at_a_period(self):
        self.policy.action_activate()
        with freeze_time("2026-08-20"), self.assertRaisesRegex(UserError, "start of a period"):
            self.policy.action_revise(date_from="2026-08-15")

    def test_accruals_of_a_credit_note_policy_stay_out_of_the_sales_journal(self):
        accrual = self.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR994", "account_type": "liability_current"})
        self.policy.write({"settlement_method": "credit_note", "accrual_account_id": accrual.id,
                           "journal_id": self.company_data["default_journal_sale"].id})
        record = self.confirmed_record()
        self.assertEqual(record.accrual_move_id.journal_id.type, "general")


@tagged("post_install", "-at_install")
class TestBooksGoodsReview(GoodsCommon):

    def test_goods_returned_by_hand_are_not_returned_twice(self):
        settlement = self.settle(self.confirmed_record())
        self.deliver(settlement.picking_id)
        wizard = self.env["stock.return.picking"].with_context(
            active_id=settlement.picking_id.id, active_ids=settlement.picking_id.ids, active_model="stock.picking").create({})
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        returned = wizard._create_return()
        self.deliver(returned)
        self.assertEqual(self.free_product.with_context(warehouse_id=self.warehouse.id).qty_available, 200.0)
        settlement.action_cancel()
        self.assertEqual(self.free_product.with_context(warehouse_id=self.warehouse.id).qty_available, 200.0,
                         "nothing left to return")

    def test_what_is_owed_cannot_be_dropped(self):
        settlement = self.settle(self.confirmed_record())
        picking = settlement.picking_id
        picking.move_ids.quantity = 50.0
        picking.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "still owed to the customer"):
            picking.with_context(cancel_backorder=True)._action_done()
        with self.assertRaisesRegex(UserError, "cancel the settlement"):
            picking.unlink()

    def test_two_step_delivery_names_the_shipment(self):
        self.warehouse.delivery_steps = "pick_ship"
        settlement = self.settle(self.confirmed_record())
        self.deliver(settlement.picking_id)
        self.assertEqual(settlement.picking_id.location_dest_id.usage, "customer")
