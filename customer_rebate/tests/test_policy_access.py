# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyAccess(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company_data = cls.setup_other_company()
        cls.other_company = cls.other_company_data["company"]
        cls.other_policy = cls.create_policy(
            name="Other company's rebate", company_id=cls.other_company.id,
            expense_account_id=cls.other_company_data["default_account_expense"].id,
            journal_id=cls.other_company_data["default_journal_misc"].id)

    def test_rebate_user_reads_but_cannot_edit(self):
        policy = self.policy.with_user(self.rebate_user)
        self.assertEqual(policy.summary, self.policy.summary)
        with self.assertRaises(AccessError):
            policy.name = "Changed"
        with self.assertRaises(AccessError):
            self.env["rebate.policy"].with_user(self.rebate_user).create({"name": "x"})
        with self.assertRaises(AccessError):
            policy.action_activate()

    def test_salesperson_reads_policies(self):
        salesman = new_test_user(self.env, login="salesman", groups="sales_team.group_sale_salesman")
        self.assertEqual(self.policy.with_user(salesman).tier_ids.rate, 5.0)

    def test_user_without_sales_rights_sees_nothing(self):
        employee = new_test_user(self.env, login="employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.policy.with_user(employee).read(["name"])

    def test_policies_of_other_companies_are_hidden(self):
        Policy = self.env["rebate.policy"].with_user(self.rebate_user)
        self.assertIn(self.policy, Policy.search([]))
        self.assertNotIn(self.other_policy, Policy.search([]))
        self.assertEqual(self.other_policy.code[:3], "RP/")

    def test_accounts_of_another_company_are_refused(self):
        with self.assertRaises(UserError):
            self.create_policy(expense_account_id=self.other_company_data["default_account_expense"].id)
