# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestPolicyActivation(RebateCommon):
    """Activation checks what the payout will need, and asks before a policy pays on the same
    sales as an active one."""

    def activate_from_form(self, policy):
        return policy.with_context(rebate_confirm_overlaps=True).action_activate()

    def test_credit_note_without_journal_refused_naming_it(self):
        policy = self.create_policy(settlement_method="credit_note", journal_id=False)
        with self.assertRaisesRegex(UserError, "cannot be activated.*the journal \\(a sales journal"):
            policy.action_activate()
        self.assertEqual(policy.state, "draft")

    def test_credit_note_on_a_miscellaneous_journal_refused(self):
        policy = self.create_policy(settlement_method="credit_note")
        with self.assertRaisesRegex(UserError, "a sales journal instead of"):
            policy.action_activate()

    def test_without_expense_account_refused(self):
        policy = self.create_policy(expense_account_id=False)
        with self.assertRaisesRegex(UserError, "Missing: the rebate expense account"):
            policy.action_activate()
        self.assertEqual(policy.state, "draft")

    def test_goods_without_expense_account_refused(self):
        product = self._create_product(name="Gift", lst_price=10.0)
        policy = self.create_policy(settlement_method="goods", goods_product_id=product.id, expense_account_id=False)
        with self.assertRaisesRegex(UserError, "the cost of the goods given is booked there"):
            policy.action_activate()

    def test_balance_without_owed_account_refused(self):
        policy = self.create_policy(settlement_method="discount")
        with self.assertRaisesRegex(UserError, "rebates owed account"):
            policy.action_activate()

    def test_accrual_account_must_be_a_liability(self):
        policy = self.create_policy(accrual_account_id=self.expense_account.id)
        with self.assertRaisesRegex(UserError, "accrued rebates account that is a liability"):
            policy.action_activate()

    def test_same_customers_products_and_dates_ask_to_confirm(self):
        self.policy.action_activate()
        twin = self.create_policy(name="Twin rebate")
        action = self.activate_from_form(twin)
        self.assertEqual(action["res_model"], "rebate.policy.activate.wizard")
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.overlap_ids, self.policy)
        self.assertEqual(twin.state, "draft", "nothing activated before the user confirms")
        wizard.action_activate()
        self.assertEqual(twin.state, "active")

    def test_other_customers_or_dates_activate_at_once(self):
        self.policy.write({"partner_ids": [Command.set(self.customer_a.ids)]})
        self.policy.action_activate()
        other_customer = self.create_policy(name="B only", partner_ids=[Command.set(self.customer_b.ids)])
        self.assertIs(self.activate_from_form(other_customer), True)
        self.assertEqual(other_customer.state, "active")
        self.policy.write({"date_end": "2026-06-30"})
        later = self.create_policy(name="From July", date_start="2026-07-01")
        self.assertEqual(later._overlapping_policies(), other_customer, "A's policy ended before July")

    def test_tag_scope_overlaps_named_customer(self):
        self.customer_a.category_id = [Command.link(self.customer_tag.id)]
        self.policy.write({"partner_ids": [Command.set(self.customer_a.ids)]})
        self.policy.action_activate()
        tagged_policy = self.create_policy(name="Distributors", partner_category_ids=[Command.set(self.customer_tag.ids)])
        self.assertEqual(tagged_policy._overlapping_policies(), self.policy)
        other_product = self._create_product(name="Other product")
        tagged_policy.product_ids = [Command.set(other_product.ids)]
        self.policy.product_ids = [Command.set(self.goods.ids)]
        self.assertFalse(tagged_policy._overlapping_policies(), "different products: no sale is paid twice")

    def test_missing_items_listed_in_chinese_with_full_width_separators(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        policy = self.create_policy(settlement_method="credit_note", journal_id=False, expense_account_id=False)
        with self.assertRaisesRegex(UserError, "缺少：日记账（贷项通知单使用销售日记账）；返利费用科目。"):
            policy.with_context(lang="zh_CN").action_activate()

    @freeze_time("2026-05-20")
    def test_new_policy_starts_with_the_current_period(self):
        Policy = self.env["rebate.policy"]
        self.assertEqual(Policy.default_get(["date_start"])["date_start"], fields.Date.to_date("2026-04-01"))
        self.assertEqual(Policy.with_context(default_period="month").default_get(["date_start"])["date_start"],
                         fields.Date.to_date("2026-05-01"))
        self.assertEqual(Policy._default_date_start("year"), fields.Date.to_date("2026-01-01"))
        self.assertEqual(Policy._default_date_start("half_year"), fields.Date.to_date("2026-01-01"))

    @freeze_time("2026-05-20")
    def test_form_start_follows_the_period_kind(self):
        with Form(self.env["rebate.policy"]) as form:
            self.assertEqual(form.date_start, fields.Date.to_date("2026-04-01"))
            form.period = "month"
            self.assertEqual(form.date_start, fields.Date.to_date("2026-05-01"))
            form.period = "half_year"
            self.assertEqual(form.date_start, fields.Date.to_date("2026-01-01"))
            form.name = "Monthly"
            form.period = "month"
            with form.tier_ids.new() as tier:
                tier.threshold = 1000.0
                tier.rate = 1.0

    def test_shortened_period_labelled_with_its_dates(self):
        policy = self.create_policy(date_start="2026-02-15")
        policy.action_activate()
        self.invoice(self.customer_a, "2026-03-01", 1000.0)
        self.invoice(self.customer_a, "2026-04-10", 1000.0)
        with freeze_time("2026-05-01"):
            policy.action_compute()
        first, second = self.records(policy)
        self.assertEqual((first.date_start, first.date_end),
                         (fields.Date.to_date("2026-02-15"), fields.Date.to_date("2026-03-31")))
        self.assertEqual(first.period_label, "02/15/2026 – 03/31/2026")
        self.assertEqual(second.period_label, "Q2 2026")
