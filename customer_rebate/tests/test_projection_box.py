# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-08-20")
class TestProjectionBox(RebateCommon):
    """The quotation box: policy names without their references, quantities with their unit, one
    line per policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.units = cls.create_policy(
            name="Units bonus", basis="quantity", rebate_type="quantity", amount_type="fixed",
            product_ids=[Command.set(cls.goods.ids)], tiers=((500.0, 300.0), (2000.0, 1500.0)))
        cls.units.action_activate()
        cls.invoice(cls.customer_a, "2026-07-10", lines=[(cls.goods, 600.0, 100.0)])

    def test_box_text(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer_a.id, "date_order": "2026-08-15 10:00:00",
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": 10.0,
                                           "price_unit": 100.0, "tax_ids": []})]})
        box = lxml_html.fromstring(order.rebate_projection_html)
        rows = box.xpath("//tbody/tr")
        self.assertEqual(len(rows), 2, "one line per policy")
        texts = [" ".join(row.text_content().split()) for row in rows]
        self.assertNotIn(self.units.code, " ".join(texts))
        unit = self.goods.uom_id.name
        units_row = next(text for text in texts if text.startswith("Units bonus"))
        self.assertIn(f"600 {unit}", units_row, "to date")
        self.assertIn(f"10 {unit}", units_row, "this order")
        self.assertIn(f"Add 1,390 {unit} before 09/30/2026", units_row, "2,000 - 610 to the next tier")
        self.assertTrue(next(text for text in texts if text.startswith("Quarterly volume rebate")))
