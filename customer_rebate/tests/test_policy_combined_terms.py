# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyCombinedTerms(RebateCommon):
    """Issue 13's terms that were not built together are refused with a message naming them, and
    each stays available on its own."""

    def test_untested_pairs_are_refused_each_alone_is_accepted(self):
        yearly = {"period": "year", "advance_period": "quarter", "advance_rate": 3.0}
        pairs = [
            (dict(yearly, invoice_basis="paid"), "advances within the year and invoices counted once paid"),
            (dict(yearly, combinable=False), "advances within the year and an exclusive policy"),
            ({"invoice_basis": "paid", "combinable": False}, "invoices counted once paid and an exclusive policy"),
        ]
        for values, message in pairs:
            with self.subTest(message=message), self.assertRaisesRegex(ValidationError, message):
                self.create_policy(**values)
        for values in (yearly, {"invoice_basis": "paid"}, {"combinable": False}):
            self.assertTrue(self.create_policy(**values), values)

    def test_a_later_change_into_a_refused_pair_is_refused(self):
        policy = self.create_policy(invoice_basis="paid")
        with self.assertRaisesRegex(ValidationError, "paid and an exclusive policy"):
            policy.combinable = False
