# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyConstraints(RebateCommon):

    def assert_sql_refused(self, message, create_values):
        """The database refuses the values and the user reads ``message``: like Odoo's RPC layer,
        find the model of the refusing table and ask it for its constraint's message."""
        Policy = self.env["rebate.policy"]
        count = Policy.search_count([])
        with self.assertRaises(IntegrityError) as caught, mute_logger("odoo.sql_db"):
            self.create_policy(**create_values)
        table = caught.exception.diag.table_name
        model = next(self.env[name] for name in ("rebate.policy", "rebate.policy.tier")
                     if self.env[name]._table == table)
        self.assertIn(message, str(model._sql_error_to_message(caught.exception)))
        self.assertEqual(Policy.search_count([]), count, "nothing is written")

    def test_thresholds_not_increasing_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "each threshold must be higher"):
            self.create_policy(tiers=((100000.0, 5.0), (50000.0, 7.0)))
        with self.assertRaisesRegex(ValidationError, "each threshold must be higher"):
            self.create_policy(tiers=((100000.0, 5.0), (100000.0, 7.0)))

    def test_thresholds_typed_in_the_form_are_checked_on_save(self):
        form = Form(self.env["rebate.policy"])
        form.name = "Typed by hand"
        with form.tier_ids.new() as tier:
            tier.sequence = 1
            tier.threshold = 200000
            tier.rate = 5
        with form.tier_ids.new() as tier:
            tier.sequence = 2
            tier.threshold = 100000
            tier.rate = 7
        with self.assertRaisesRegex(ValidationError, "each threshold must be higher"):
            form.save()

    def test_higher_tier_paying_less_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot pay less"):
            self.create_policy(tiers=((100000.0, 5.0), (200000.0, 3.0)))

    def test_incremental_fixed_amounts_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "need percentages"):
            self.create_policy(tiers=((100.0, 50.0),), amount_type="fixed", tier_mode="incremental")

    def test_negative_threshold_is_refused(self):
        self.assert_sql_refused("threshold cannot be negative", {"tiers": ((-1.0, 5.0),)})

    def test_rate_outside_0_100_is_refused(self):
        self.assert_sql_refused("rate must be between 0 and 100", {"tiers": ((100.0, 100.5),)})
        self.assert_sql_refused("rate must be between 0 and 100", {"tiers": ((100.0, -0.5),)})

    def test_negative_fixed_amount_is_refused(self):
        self.assert_sql_refused("fixed amount cannot be negative",
                                {"tiers": ((100.0, -5.0),), "amount_type": "fixed"})

    def test_end_before_start_is_refused(self):
        self.assert_sql_refused("cannot end before it starts",
                                {"date_start": "2026-04-01", "date_end": "2026-03-31"})

    def test_negative_cap_is_refused(self):
        self.assert_sql_refused("cap of a rebate cannot be negative", {"cap_amount": -1.0})

    def test_goods_policy_needs_a_product(self):
        with self.assertRaisesRegex(ValidationError, "choose the free product"):
            self.create_policy(settlement_method="goods")
        product = self.product_a
        policy = self.create_policy(settlement_method="goods", goods_product_id=product.id)
        with self.assertRaisesRegex(ValidationError, "choose the free product"):
            policy.goods_product_id = False

    def test_promotion_needs_products_and_an_end(self):
        with self.assertRaisesRegex(ValidationError, "products or product categories"):
            self.create_policy(rebate_type="promotion", period="window", date_end="2026-06-30")
        with self.assertRaisesRegex(ValidationError, "needs an end date"):
            self.create_policy(rebate_type="promotion", period="quarter",
                               product_ids=[Command.set(self.product_a.ids)])

    def test_partnership_needs_seniority(self):
        with self.assertRaisesRegex(ValidationError, "minimum seniority"):
            self.create_policy(rebate_type="partnership", min_seniority_months=0)
        policy = self.create_policy(rebate_type="partnership", min_seniority_months=12)
        self.assertEqual(policy.min_seniority_months, 12)

    def test_form_onchange_fills_the_terms_of_each_type(self):
        form = Form(self.env["rebate.policy"])
        form.rebate_type = "quantity"
        self.assertEqual(form.basis, "quantity")
        form.rebate_type = "partnership"
        self.assertEqual((form.period, form.min_seniority_months), ("year", 12))
        form.rebate_type = "promotion"
        self.assertEqual(form.period, "window")

    def test_invalid_tier_added_later_is_refused_and_not_written(self):
        policy = self.policy
        # Odoo's assertRaises rolls back to a savepoint, as a failed request would
        with self.assertRaises(ValidationError) as caught:
            policy.write({"tier_ids": [Command.create({"sequence": 5, "threshold": 10.0, "rate": 9.0})]})
        self.assertIn("each threshold must be higher", str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(len(policy.tier_ids), 1)
