# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import Command, SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestSettlementConcurrency(BaseCase):
    """Two users settle the same records at the same moment, in two real transactions: one
    settlement, and one clear error for the second user, never two payouts."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            last_quarter_day = fields.Date.context_today(env.user) - timedelta(days=100)
            partner = env["res.partner"].create({"name": "Two clicks customer"})
            policy = env["rebate.policy"].create({
                "name": "Two clicks policy", "period": "quarter", "date_start": last_quarter_day.replace(month=1, day=1),
                "settlement_method": "cash",
                "journal_id": env["account.journal"].search([("type", "=", "general"), ("company_id", "=", env.company.id)], limit=1).id,
                "expense_account_id": env["account.account"].search([("account_type", "=", "expense"), ("company_ids", "in", env.company.id)], limit=1).id,
                "tier_ids": [Command.create({"threshold": 0, "rate": 5})],
            })
            record = env["rebate.record"].create({
                "policy_id": policy.id, "partner_id": partner.id, "company_id": policy.company_id.id,
                "date_start": last_quarter_day - timedelta(days=10), "date_end": last_quarter_day,
                "base_amount": 120000, "rate": 5, "amount": 6000, "state": "confirmed",
            })
            self.ids = {"policy": policy.id, "partner": partner.id, "record": record.id}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM rebate_record WHERE id = %s", [self.ids["record"]])
            cr.execute("DELETE FROM rebate_settlement WHERE partner_id = %s", [self.ids["partner"]])
            cr.execute("DELETE FROM rebate_policy WHERE id = %s", [self.ids["policy"]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.ids["partner"]])

    def test_two_users_settling_the_same_records_get_one_settlement_and_one_error(self):
        with self.registry.cursor() as first, self.registry.cursor() as second:
            record1 = api.Environment(first, SUPERUSER_ID, {})["rebate.record"].browse(self.ids["record"])
            record2 = api.Environment(second, SUPERUSER_ID, {})["rebate.record"].browse(self.ids["record"])
            self.assertFalse(record2.settlement_id)  # the second user saw it free
            record1.action_settle()
            record1.env.flush_all()
            with self.assertRaisesRegex(UserError, "being settled by someone else"):
                record2.action_settle()
            second.rollback()
            first.commit()
            # and once the first has committed, the second user reads why
            record2.invalidate_recordset()
            with self.assertRaisesRegex(UserError, "not in a settlement yet"):
                record2.action_settle()
        with self.registry.cursor() as cr:
            cr.execute("SELECT COUNT(*) FROM rebate_settlement WHERE partner_id = %s", [self.ids["partner"]])
            self.assertEqual(cr.fetchone()[0], 1)
