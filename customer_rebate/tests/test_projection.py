# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-08-20")
class TestProjection(RebateCommon):
    """While customers still buy, orders and invoices show where they stand in the period."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()

    def order(self, amount, partner=None):
        return self.env["sale.order"].create({
            "partner_id": (partner or self.customer_a).id,
            "date_order": "2026-08-15 10:00:00",
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": 1.0,
                                           "price_unit": amount, "tax_ids": []})],
        })

    def projection(self, document):
        projections = document._get_rebate_projections()
        self.assertEqual(len(projections), 1)
        return projections[0]

    def test_80000_of_history_and_an_order_of_10000(self):
        self.invoice(self.customer_a, "2026-07-10", 80000.0)
        figures = self.projection(self.order(10000.0))
        self.assertEqual((figures["base_amount"], figures["document_amount"]), (80000, 10000))
        self.assertIsNone(figures["tier_index"])
        self.assertEqual(figures["projected_amount"], 0)
        self.assertEqual((figures["gap"], figures["next_amount"]), (10000, 5000))
        self.assertEqual(figures["next_text"], "Add $\N{NO-BREAK SPACE}10,000.00 before 09/30/2026 to reach 5 %")

    def test_99999_99_of_history_reaches_the_tier_with_one_cent(self):
        self.invoice(self.customer_a, "2026-07-10", 99999.99)
        figures = self.projection(self.order(0.01))
        self.assertEqual(figures["tier_index"], 0)
        self.assertEqual((figures["projected_amount"], figures["added_amount"]), (5000, 5000))
        self.assertEqual(figures["next_text"], "", "no tier above")

    def test_120000_of_history(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        figures = self.projection(self.order(10000.0))
        self.assertEqual((figures["base_amount"], figures["projected_amount"], figures["added_amount"]),
                         (120000, 6500, 500))

    def test_gap_to_the_next_tier(self):
        self.policy.action_draft()
        self.policy.tier_ids = [Command.create({"sequence": 2, "threshold": 200000.0, "rate": 7.0})]
        self.policy.action_activate()
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        figures = self.projection(self.order(72000.0))
        self.assertEqual((figures["gap"], figures["next_amount"]), (8000, 14000))
        self.assertIn("to reach 7 %", figures["next_text"])
        self.assertIn("8,000.00", figures["next_text"])

    def test_figures_for_machines_match_the_box(self):
        self.invoice(self.customer_a, "2026-07-10", 80000.0)
        order = self.order(30000.0)
        [data] = order.rebate_projection_json
        self.assertEqual(data["policy_id"], self.policy.id)
        self.assertEqual((data["period_start"], data["period_end"]), ("2026-07-01", "2026-09-30"))
        self.assertEqual((data["base_amount"], data["document_amount"], data["tier_index"]), (80000.0, 30000.0, 0))
        self.assertEqual((data["projected_amount"], data["added_amount"]), (5500.0, 5500.0))
        self.assertEqual((data["next_threshold"], data["gap"]), (None, None), "no tier above 5 %")
        self.assertIn(data["texts"]["projected"], order.rebate_projection_html)
        read = order.read(["rebate_projection_json"])[0]["rebate_projection_json"]
        self.assertEqual(read[0]["projected_amount"], 5500.0, "the same figures over the API")

    def test_customer_outside_the_policy_sees_nothing(self):
        self.policy.action_draft()
        self.policy.partner_ids = self.customer_b
        self.policy.action_activate()
        order = self.order(10000.0)
        self.assertEqual(order._get_rebate_projections(), [])
        self.assertFalse(order.rebate_projection_html)
        self.assertTrue(self.order(10000.0, self.customer_b).rebate_projection_html)

    def test_invoiced_part_of_an_order_is_not_counted_twice(self):
        order = self.order(10000.0)
        order.action_confirm()
        order.order_line.qty_delivered = 1.0
        invoice = order._create_invoices()
        invoice.invoice_date = "2026-08-16"
        invoice.action_post()
        figures = self.projection(order)
        self.assertEqual((figures["base_amount"], figures["document_amount"]), (10000, 0))

    def test_order_stays_projected_while_its_invoice_is_a_draft(self):
        order = self.order(10000.0)
        order.action_confirm()
        order.order_line.qty_delivered = 1.0
        invoice = order._create_invoices()
        self.assertEqual(self.projection(order)["document_amount"], 10000, "the draft invoice is in no base yet")
        invoice.invoice_date = "2026-08-16"
        invoice.action_post()
        order.invalidate_recordset()
        figures = self.projection(order)
        self.assertEqual((figures["base_amount"], figures["document_amount"]), (10000, 0))

    def test_draft_invoice_adds_a_posted_one_is_in_the_base(self):
        self.invoice(self.customer_a, "2026-07-10", 95000.0)
        draft = self.invoice(self.customer_a, "2026-08-18", 10000.0, post=False)
        figures = self.projection(draft)
        self.assertEqual((figures["document_amount"], figures["projected_amount"]), (10000, 5250))
        draft.action_post()
        figures = self.projection(draft)
        self.assertEqual((figures["base_amount"], figures["document_amount"]), (105000, 0))

    def test_form_shows_it_and_follows_the_lines(self):
        self.invoice(self.customer_a, "2026-07-10", 80000.0)
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.customer_a
            with form.order_line.new() as line:
                line.product_id = self.goods
                line.price_unit = 30000.0
            self.assertIn("$\N{NO-BREAK SPACE}5,500.00", form.rebate_projection_html)
            with form.order_line.edit(0) as line:
                line.price_unit = 1000.0
            self.assertIn("Add $\N{NO-BREAK SPACE}19,000.00", form.rebate_projection_html)

    def test_invoice_and_quotation_pdfs_print_the_box(self):
        self.invoice(self.customer_a, "2026-07-10", 120000.0)
        invoice = self.invoice(self.customer_a, "2026-08-18", 10000.0)
        html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0])
        self.assertIn("Your rebates", html)
        self.assertIn("6,500.00", html)
        order = self.order(10000.0)
        html = str(self.env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", order.ids)[0])
        self.assertIn("Your rebates", html)
        self.assertIn("7,000.00", html, "130,000 with the invoice above, and the order's 10,000 → 7,000")

    def test_no_policy_no_box(self):
        self.policy.action_close()
        invoice = self.invoice(self.customer_a, "2026-08-18", 10000.0)
        html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0])
        self.assertNotIn("Your rebates", html)
