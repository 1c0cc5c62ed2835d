# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import RebateCommon

POLICY_CLASS = "odoo.addons.customer_rebate.models.rebate_policy.RebatePolicy"


@tagged("post_install", "-at_install")
class TestSecurityCompute(RebateCommon):
    """Computing needs the right to write records: a read-only user is refused before any
    aggregate runs and before any row is locked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.action_activate()
        cls.invoice(cls.customer_a, "2026-07-10", 120000.0)

    def test_rebate_user_is_refused_before_anything_runs(self):
        untouched = AssertionError("ran for a user without the right to compute")
        with patch(f"{POLICY_CLASS}._lock_for_compute", side_effect=untouched) as lock, \
                patch(f"{POLICY_CLASS}._compute_period_bases", side_effect=untouched) as bases, \
                freeze_time("2026-10-15"), self.assertRaises(AccessError):
            self.policy.with_user(self.rebate_user).action_compute()
        lock.assert_not_called()
        bases.assert_not_called()
        self.assertFalse(self.policy.last_compute_date)
        self.assertFalse(self.records())
