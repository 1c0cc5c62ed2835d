# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import Command, SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.exceptions import UserError
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestRecordConcurrency(BaseCase):
    """Two computations of the same policy at the same moment, in two real transactions (not the
    test's single cursor): a run that meets another one at work is told so at once; one that
    started before the other committed is retried the way Odoo retries a request; both end with
    one record per customer and period."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            day = fields.Date.context_today(env.user) - timedelta(days=100)
            partner = env["res.partner"].create({"name": "Concurrent customer"})
            product = env["product.product"].create({"name": "Concurrent goods", "taxes_id": [Command.clear()]})
            invoice = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": day,
                "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1, "price_unit": 120000})],
            })
            invoice.action_post()
            policy = env["rebate.policy"].create({
                "name": "Concurrent policy", "period": "quarter", "date_start": day.replace(month=1, day=1),
                "tier_ids": [Command.create({"threshold": 100000, "rate": 5})],
                # what a payout needs, which activation checks
                "settlement_method": "credit_note", "journal_id": invoice.journal_id.id,
                "expense_account_id": env["account.account"].search(
                    [("account_type", "=", "expense"), ("company_ids", "in", invoice.company_id.ids)], limit=1).id,
            })
            policy.action_activate()
            self.policy_id, self.partner_id, self.move_id = policy.id, partner.id, invoice.id
            self.product_id, self.template_id = product.id, product.product_tmpl_id.id
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM rebate_record WHERE policy_id = %s", [self.policy_id])
            cr.execute("DELETE FROM rebate_policy WHERE id = %s", [self.policy_id])
            cr.execute("DELETE FROM account_move WHERE id = %s", [self.move_id])
            cr.execute("DELETE FROM product_product WHERE id = %s", [self.product_id])
            cr.execute("DELETE FROM product_template WHERE id = %s", [self.template_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def test_two_concurrent_computations_create_each_record_once(self):
        # Both transactions start before either commits (the second one's snapshot is taken
        # first), which is what two users clicking at the same moment do. One thread is enough:
        # the test runner holds the registry lock that another thread would need.
        with self.registry.cursor() as first, self.registry.cursor() as second:
            env1 = api.Environment(first, SUPERUSER_ID, {})
            env2 = api.Environment(second, SUPERUSER_ID, {})
            second.execute("SELECT COUNT(*) FROM rebate_record WHERE policy_id = %s", [self.policy_id])
            self.assertEqual(second.fetchone()[0], 0)
            env1["rebate.policy"].browse(self.policy_id)._compute_records()
            env1.flush_all()
            first.commit()
            # Without the retry the second run would fail on the policy row the first one updated;
            # Odoo retries a request (and a cron job) on such an error, with a fresh snapshot.
            attempts = []

            def second_run():
                attempts.append(1)
                return env2["rebate.policy"].browse(self.policy_id)._compute_records()

            with mute_logger("odoo.sql_db"):  # the failed first attempt is expected
                created = retrying(second_run, env2)
            second.commit()
        self.assertEqual(len(attempts), 2, "the second run was retried once")
        self.assertFalse(created, "the retried run found the first one's records")
        with self.registry.cursor() as cr:
            cr.execute("SELECT partner_id, date_start, revision, amount FROM rebate_record WHERE policy_id = %s",
                       [self.policy_id])
            rows = cr.fetchall()
        self.assertEqual([row[3] for row in rows if row[0] == self.partner_id], [6000.0])
        self.assertEqual(len(rows), len({(row[0], row[1], row[2]) for row in rows}), "no duplicates")

    def test_a_run_meeting_another_at_work_is_told_so(self):
        with self.registry.cursor() as first, self.registry.cursor() as second:
            env1 = api.Environment(first, SUPERUSER_ID, {})
            env2 = api.Environment(second, SUPERUSER_ID, {})
            env1["rebate.policy"].browse(self.policy_id)._compute_records()
            env1.flush_all()
            # the first run holds the policy's row until it commits
            with self.assertRaisesRegex(UserError, "Concurrent policy.*being computed right now"):
                env2["rebate.policy"].browse(self.policy_id)._compute_records()
            second.rollback()
            first.commit()
            # once the first run is over, the next one computes normally and finds its records
            self.assertFalse(env2["rebate.policy"].browse(self.policy_id)._compute_records())
            second.commit()
        with self.registry.cursor() as cr:
            cr.execute("SELECT partner_id, date_start, revision, amount FROM rebate_record WHERE policy_id = %s",
                       [self.policy_id])
            rows = cr.fetchall()
        self.assertEqual([row[3] for row in rows if row[0] == self.partner_id and row[3]], [6000.0])
        self.assertEqual(len(rows), len({(row[0], row[1], row[2]) for row in rows}), "no duplicates")
