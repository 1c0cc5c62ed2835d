# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCnDemo(TransactionCase):
    """The Chinese demo's accountant can do an accountant's work: read the books a payout is
    checked against."""

    def test_demo_accountant_reads_the_journal_items(self):
        accountant = self.env["res.users"].search([("login", "=", "cn_accountant")])
        if not accountant:
            self.skipTest("the Chinese demo is not loaded (database without demo data)")
        company = accountant.company_id
        Line = self.env["account.move.line"].with_user(accountant).with_company(company)
        self.assertTrue(accountant.has_group("account.group_account_user"))
        self.assertTrue(Line.search_count([("company_id", "=", company.id), ("parent_state", "=", "posted")]),
                        "the demo's posted invoices are in the accountant's journal items")
        menu = self.env.ref("account.menu_action_account_moves_all")
        self.assertTrue(menu.with_user(accountant)._filter_visible_menus(),
                        "the Journal Items menu is shown to the accountant")
