# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import RebateCommon

PROJECTION_LOGGER = "odoo.addons.customer_rebate.models.rebate_projection_mixin"


@tagged("post_install", "-at_install")
class TestPolicyBounds(RebateCommon):
    """Odd input: amounts, thresholds, dates, seniority and the number of tiers are bounded with a
    clear message, and a policy that cannot be projected never stops an order or an invoice."""

    def test_amounts_above_a_trillion_are_refused(self):
        cases = {
            "the cap cannot exceed 1,000,000,000,000": {"cap_amount": 1e27},
            "a fixed amount cannot exceed 1,000,000,000,000": {
                "amount_type": "fixed", "tiers": ((100000.0, 1e30),)},
            "a threshold cannot exceed 1,000,000,000,000": {"tiers": ((1e15, 5.0),)},
        }
        for message, values in cases.items():
            with self.subTest(message), self.assertRaisesRegex(ValidationError, message):
                self.create_policy(**values)

    def test_nan_and_infinity_over_rpc_are_refused_with_a_message(self):
        """JSON-RPC carries NaN and Infinity into float fields: a clear error, nothing stored."""
        policy = self.create_policy(name="Odd numbers")
        tier = policy.tier_ids
        for values in ({"threshold": float("nan")}, {"rate": float("inf")}, {"threshold": float("-inf")}):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, "must be a number, not (nan|inf|-inf)"):
                with self.env.cr.savepoint():
                    tier.write(values)
        with self.assertRaisesRegex(ValidationError, "Cap.* must be a number"), self.env.cr.savepoint():
            policy.write({"cap_amount": float("nan")})
        with self.assertRaisesRegex(ValidationError, "must be a number"), self.env.cr.savepoint():
            policy.write({"tier_ids": [Command.create({"threshold": float("nan"), "rate": 7.0})]})
        self.assertEqual((tier.threshold, tier.rate), (100000.0, 5.0))

    def test_a_threshold_of_a_trillion_prints_exactly(self):
        with self.assertRaisesRegex(ValidationError, "out of bounds"):
            self.create_policy(tiers=((1e12 + 1, 5.0),))
        policy = self.create_policy(tiers=((1e12, 5.0),), cap_amount=1e12)
        self.assertEqual(
            policy.summary,
            "5 % of quarterly purchases once they reach 1,000,000,000,000.00, at most $\N{NO-BREAK SPACE}1,000,000,000,000.00")

    def test_a_tier_changed_out_of_bounds_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "a threshold cannot exceed"):
            self.policy.tier_ids.threshold = 1e15
        with self.assertRaisesRegex(ValidationError, "a free quantity cannot exceed"):
            self.policy.tier_ids.goods_qty = 1e20

    def test_dates_outside_1900_to_2999_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "the dates must lie between 01/01/1900 and 12/31/2999"):
            self.create_policy(date_start="0001-01-01")
        with self.assertRaisesRegex(ValidationError, "the dates must lie between"):
            self.create_policy(period="window", date_end="9999-12-31")
        with self.assertRaisesRegex(ValidationError, "the dates must lie between"):
            self.policy.date_end = "3000-01-01"

    def test_a_seniority_of_more_than_a_century_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "the minimum seniority cannot exceed 1200 months"):
            self.create_policy(rebate_type="partnership", period="year", min_seniority_months=10 ** 9)

    def test_at_most_fifty_tiers(self):
        tiers = tuple((1000.0 * index, 1.0 + index / 100) for index in range(50))
        policy = self.create_policy(tiers=tiers)
        self.assertEqual(len(policy.tier_ids), 50)
        with self.assertRaisesRegex(ValidationError, "a policy has at most 50 tiers"):
            policy.tier_ids = [Command.create({"sequence": 99, "threshold": 10 ** 6, "rate": 5.0})]
        with self.assertRaisesRegex(ValidationError, "a policy has at most 50 tiers"):
            self.create_policy(tiers=tiers + ((10 ** 6, 5.0),))


@tagged("post_install", "-at_install")
@freeze_time("2026-08-20")
class TestProjectionFailure(RebateCommon):
    """Terms stored before the bounds existed (written here in SQL, as an older database holds
    them) break the projection of their policy only: the order opens, the invoice prints, the box
    says the rebate cannot be projected, and the error is logged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.broken_cap = cls.create_policy(name="Cap typed with too many zeros")
        cls.broken_seniority = cls.create_policy(
            name="Seniority typed as a date", rebate_type="partnership", period="year", min_seniority_months=12)
        (cls.broken_cap | cls.broken_seniority).action_activate()
        cls.env.cr.execute("UPDATE rebate_policy SET cap_amount = 1e27 WHERE id = %s", [cls.broken_cap.id])
        cls.env.cr.execute("UPDATE rebate_policy SET min_seniority_months = 2000000000 WHERE id = %s",
                           [cls.broken_seniority.id])
        cls.env.invalidate_all()
        cls.invoice(cls.customer_a, "2026-07-10", 120000.0)

    def test_sale_order_opens_and_says_which_rebate_cannot_be_projected(self):
        with self.assertLogs(PROJECTION_LOGGER, level=logging.WARNING) as logs:
            with Form(self.env["sale.order"]) as form:
                form.partner_id = self.customer_a
                with form.order_line.new() as line:
                    line.product_id = self.goods
                    line.price_unit = 10000.0
                html = str(form.rebate_projection_html)
        self.assertIn("$\N{NO-BREAK SPACE}6,500.00", html, "the sound policy is projected")
        self.assertEqual(html.count("This rebate cannot be projected"), 2)
        # the customer reads the policies' names, not their internal references
        self.assertIn(f"<td>{self.broken_cap.name}</td>", html)
        self.assertIn(f"<td>{self.broken_seniority.name}</td>", html)
        self.assertNotIn(self.broken_cap.code, html)
        self.assertTrue(any(self.broken_cap.display_name in line for line in logs.output))

    def test_invoice_prints_with_the_failure_in_its_box(self):
        invoice = self.invoice(self.customer_a, "2026-08-18", 10000.0)
        with self.assertLogs(PROJECTION_LOGGER, level=logging.WARNING):
            html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0])
        self.assertIn("Your rebates", html)
        self.assertIn("6,500.00", html)
        self.assertIn("This rebate cannot be projected", html)
