# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command, SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestBalanceConcurrency(BaseCase):
    """Two orders confirm the same 6,000 of balance at the same moment, in two real transactions:
    one succeeds, the other gets a clear error, and the balance never goes below zero."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Two orders customer"})
            liability = env["account.account"].search([("account_type", "=", "liability_current"), ("company_ids", "in", env.company.id)], limit=1)
            policy = env["rebate.policy"].create({
                "name": "Two orders policy", "period": "quarter", "date_start": "2026-01-01",
                "settlement_method": "discount", "balance_account_id": liability.id, "balance_max_share": 0.0,
                "journal_id": env["account.journal"].search([("type", "=", "general"), ("company_id", "=", env.company.id)], limit=1).id,
                "expense_account_id": env["account.account"].search([("account_type", "=", "expense"), ("company_ids", "in", env.company.id)], limit=1).id,
                "tier_ids": [Command.create({"threshold": 0, "rate": 5})],
            })
            balance = env["rebate.balance"]._get_or_create(partner, policy)
            balance._add_lines([{"balance_id": balance.id, "kind": "earned", "amount": 6000.0, "name": "test"}])
            product = env["product.product"].create({"name": "Two orders goods", "type": "service", "list_price": 10000.0})
            orders = env["sale.order"].create([
                {"partner_id": partner.id, "order_line": [Command.create({"product_id": product.id, "price_unit": 10000.0})]}
                for _index in range(2)
            ])
            for order in orders:
                order.action_apply_rebate_balance(6000.0)
            self.ids = {"partner": partner.id, "policy": policy.id, "balance": balance.id, "product": product.id,
                        "orders": orders.ids}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM rebate_balance_line WHERE balance_id = %s", [self.ids["balance"]])
            cr.execute("DELETE FROM sale_order_line WHERE order_id IN %s", [tuple(self.ids["orders"])])
            cr.execute("DELETE FROM sale_order WHERE id IN %s", [tuple(self.ids["orders"])])
            cr.execute("DELETE FROM rebate_balance WHERE id = %s", [self.ids["balance"]])
            cr.execute("DELETE FROM rebate_policy WHERE id = %s", [self.ids["policy"]])
            cr.execute("DELETE FROM product_product WHERE id = %s RETURNING product_tmpl_id", [self.ids["product"]])
            cr.execute("DELETE FROM product_template WHERE id = %s", [cr.fetchone()[0]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.ids["partner"]])

    def test_two_orders_using_the_same_balance_get_one_success_and_one_error(self):
        first_id, second_id = self.ids["orders"]
        with self.registry.cursor() as first, self.registry.cursor() as second:
            order1 = api.Environment(first, SUPERUSER_ID, {})["sale.order"].browse(first_id)
            order2 = api.Environment(second, SUPERUSER_ID, {})["sale.order"].browse(second_id)
            self.assertEqual(order2.rebate_balance_available, 6000.0)  # the second user saw it free
            order1.action_confirm()
            order1.env.flush_all()
            with self.assertRaisesRegex(UserError, "being used by another order"):
                order2.action_confirm()
            second.rollback()
            first.commit()
            # once the first has committed, the second user reads why
            order2.env.invalidate_all()
            with self.assertRaisesRegex(UserError, "0.00 of rebate balance left|0.0 of rebate balance left"):
                order2.action_confirm()
            second.rollback()
        with self.registry.cursor() as cr:
            cr.execute("SELECT amount FROM rebate_balance WHERE id = %s", [self.ids["balance"]])
            self.assertEqual(cr.fetchone()[0], 0)
            cr.execute("SELECT state FROM sale_order WHERE id IN %s ORDER BY id", [tuple(self.ids["orders"])])
            self.assertEqual([row[0] for row in cr.fetchall()], ["sale", "draft"])
