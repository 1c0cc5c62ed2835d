# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestSecurityOwnCustomers(RebateCommon):
    """Rebate users limited to their own sales documents see the rebates of their own customers
    (and of customers without a salesperson), as long as their company's setting says so; managers
    and salespeople who see all documents see every customer; the effect analysis is the
    managers'."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        other = cls.setup_other_company()
        cls.other_company = other["company"]
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.env.company.id, cls.other_company.id]))
        companies = [Command.set([cls.env.company.id, cls.other_company.id])]
        cls.seller = new_test_user(cls.env, login="rebate_seller", groups="customer_rebate.group_rebate_user",
                                   company_id=cls.env.company.id, company_ids=companies)
        cls.other_seller = new_test_user(cls.env, login="rebate_other_seller",
                                         groups="customer_rebate.group_rebate_user",
                                         company_id=cls.env.company.id, company_ids=companies)
        cls.sales_lead = new_test_user(
            cls.env, login="rebate_sales_lead", company_id=cls.env.company.id, company_ids=companies,
            groups="customer_rebate.group_rebate_user,sales_team.group_sale_salesman_all_leads")
        cls.customer_a.user_id = cls.seller
        cls.customer_b.user_id = cls.other_seller
        cls.customer_c = cls.env["res.partner"].create({"name": "Walk-in customer"})
        cls.record_a = cls.confirmed_record(partner=cls.customer_a)
        cls.record_b = cls.confirmed_record(partner=cls.customer_b)
        cls.record_c = cls.confirmed_record(partner=cls.customer_c)
        cls.settlement_b = cls.env["rebate.settlement"]._create_from_records(cls.record_b)
        cls.settlement_a = cls.env["rebate.settlement"]._create_from_records(cls.record_a)
        cls.other_policy = cls.create_policy(
            name="Other company's rebate", company_id=cls.other_company.id,
            expense_account_id=other["default_account_expense"].id, journal_id=other["default_journal_misc"].id)
        cls.other_record_b = cls.confirmed_record(policy=cls.other_policy, partner=cls.customer_b)

    def as_user(self, model, user):
        return self.env[model].with_user(user).with_context(
            allowed_company_ids=[self.env.company.id, self.other_company.id])

    def test_rebate_user_sees_only_their_own_customers(self):
        Record = self.as_user("rebate.record", self.seller)
        self.assertEqual(Record.search([]), self.record_a | self.record_c)
        with self.assertRaises(AccessError):
            self.record_b.with_user(self.seller).read(["base_amount", "previous_base_amount"])
        self.assertEqual(self.as_user("rebate.settlement", self.seller).search([]), self.settlement_a)
        self.assertEqual(self.customer_b.with_user(self.seller).rebate_earned, 0.0)
        self.assertEqual(self.customer_a.with_user(self.seller).rebate_earned, self.record_a.amount)
        self.assertEqual(self.as_user("rebate.record", self.other_seller).search([]),
                         self.record_b | self.record_c | self.other_record_b)
        everything = self.record_a | self.record_b | self.record_c | self.other_record_b
        self.assertEqual(self.as_user("rebate.record", self.sales_lead).search([]), everything,
                         "a salesperson who sees all sales documents sees every customer's rebates")
        self.assertEqual(self.as_user("rebate.record", self.env.user).search([]), everything, "a manager too")

    def test_the_setting_is_per_company(self):
        self.other_company.rebate_own_customers_only = False
        self.assertEqual(self.as_user("rebate.record", self.seller).search([]),
                         self.record_a | self.record_c | self.other_record_b,
                         "every customer in the company that opened them, its own in the other")
        self.env.company.rebate_own_customers_only = False
        self.assertEqual(self.as_user("rebate.record", self.seller).search([]),
                         self.record_a | self.record_b | self.record_c | self.other_record_b)
        self.assertEqual(len(self.as_user("rebate.settlement", self.seller).search([])), 2)

    def test_effect_analysis_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.as_user("rebate.effect.report", self.seller).search([])
        with self.assertRaises(AccessError):
            self.as_user("rebate.effect.report", self.sales_lead).search([])
        self.assertTrue(self.env["rebate.effect.report"].search([("policy_id", "=", self.policy.id)]))

    def test_the_setting_is_in_the_sales_settings(self):
        self.assertTrue(self.env.company.rebate_own_customers_only, "on by default")
        admin_env = self.env(user=self.env.ref("base.user_admin"), context={})
        arch = admin_env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="rebate_own_customers_only"', arch)
        # settings write their company's fields when they are created (an administrator's)
        Settings = self.env["res.config.settings"].sudo()
        self.assertTrue(Settings.create({}).rebate_own_customers_only)
        Settings.create({"rebate_own_customers_only": False})
        self.assertFalse(self.env.company.rebate_own_customers_only)
        self.assertTrue(self.other_company.rebate_own_customers_only, "a setting of the current company")
