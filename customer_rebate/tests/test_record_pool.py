# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RebateCommon

Q1 = date(2026, 1, 1)


class PoolCommon(RebateCommon):
    """Three customers of tag Key Accounts, none of whom reaches 100,000 in Q1 2026 alone
    (30,000 + 40,000 + 50,000 = 120,000 together), and one other customer buying 90,000."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_accounts = cls.env["res.partner.category"].create({"name": "Key Accounts"})
        cls.members = cls.env["res.partner"].create([
            {"name": f"Key account {letter}", "is_company": True, "category_id": [Command.set(cls.key_accounts.ids)]}
            for letter in "ABC"])
        cls.loner = cls.env["res.partner"].create({"name": "Lone customer", "is_company": True})
        for member, amount in zip(cls.members, (30000.0, 40000.0, 50000.0)):
            cls.invoice(member, "2026-02-10", amount)
        cls.invoice(cls.loner, "2026-03-10", 90000.0)

    def pooled_policy(self, **values):
        policy = self.create_policy(pool_mode="tag", pool_category_ids=[Command.set(self.key_accounts.ids)], **values)
        policy.action_activate()
        return policy

    def q1(self, policy, partner):
        return self.records(policy, partner_id=partner.id, date_start=Q1)


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15")
class TestRecordPool(PoolCommon):
    """Group volume (集团客户): the group's base decides the tier of all its members."""

    def test_tag_group_reaches_the_tier_no_member_reaches_alone_paid_per_member(self):
        policy = self.pooled_policy()
        policy.action_compute()
        a, b, c = (self.q1(policy, member) for member in self.members)
        # hand-worked: 30,000 / 40,000 / 50,000 at the group's 5 % = 1,500 / 2,000 / 2,500
        self.assertEqual([(r.base_amount, r.rate, r.amount) for r in (a, b, c)],
                         [(30000.0, 5.0, 1500.0), (40000.0, 5.0, 2000.0), (50000.0, 5.0, 2500.0)])
        self.assertEqual(sum((a | b | c).mapped("amount")), 120000.0 * 0.05)
        for record in a | b | c:
            self.assertEqual((record.pool_name, record.pool_base_amount, record.pool_member_count),
                             ("Key Accounts", 120000.0, 3))
            self.assertEqual(record.tier_id, policy.tier_ids)
            self.assertFalse(record.pool_own_tier)
        self.assertIn("Group Key Accounts (3 customers): 120,000.00 reached tier 1", a.computation)
        self.assertIn("30,000.00 in Q1 2026 at the group's 5 % → 1,500.00", a.computation)
        # the customer outside the tag stays alone: 90,000 is below the tier
        loner = self.q1(policy, self.loner)
        self.assertEqual((loner.amount, loner.pool_key), (0.0, False))
        # the group's records add up to its base
        action = a.action_view_pool_records()
        group_records = self.env["rebate.record"].search(action["domain"])
        self.assertEqual(group_records, a | b | c)
        self.assertEqual(sum(group_records.mapped("base_amount")), a.pool_base_amount)

    def test_tag_group_without_pooling_pays_nothing(self):
        policy = self.create_policy()
        policy.action_activate()
        policy.action_compute()
        self.assertEqual(sum(self.records(policy).mapped("amount")), 0.0)

    def test_customer_group_paid_to_its_head(self):
        group = self.env["rebate.customer.group"].create({
            "name": "Huadong Group", "head_id": self.members[0].id, "member_ids": [Command.set(self.members.ids)]})
        policy = self.create_policy(pool_mode="group", pool_group_ids=[Command.set(group.ids)], pool_payout="head")
        policy.action_activate()
        policy.action_compute()
        head = self.q1(policy, self.members[0])
        # one record for the head on the group's 120,000 at 5 % = 6,000; none for the others
        self.assertEqual((head.base_amount, head.rate, head.amount), (120000.0, 5.0, 6000.0))
        self.assertFalse(self.q1(policy, self.members[1]) | self.q1(policy, self.members[2]))
        self.assertEqual(head.pool_member_ids, self.members)
        self.assertEqual((head.pool_name, head.pool_base_amount, head.pool_head_id), ("Huadong Group", 120000.0,
                                                                                       self.members[0]))
        self.assertEqual(head.pool_breakdown.splitlines(), [
            "Key account A: 30,000.00", "Key account B: 40,000.00", "Key account C: 50,000.00"])
        # the head's invoice lines are its members' lines: they add up to its base
        lines = self.env["account.move.line"].search(head.action_view_invoice_lines()["domain"])
        self.assertEqual(-sum(lines.mapped("balance")), 120000.0)
        self.assertEqual(lines.partner_id, self.members)
        # the statement names the group and its members
        html = str(self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", head.ids)[0])
        self.assertIn("Group Huadong Group (3 customers)", html)
        self.assertIn("Key account C", html)
        self.assertIn("with the customers of group Huadong Group pooled, paid to the group&#39;s head", html)

    def test_head_payout_is_one_record_even_when_the_head_bought_nothing(self):
        head = self.env["res.partner"].create({"name": "Group holding", "is_company": True})
        self.members.parent_id = head
        policy = self.create_policy(pool_mode="parent", pool_payout="head")
        policy.action_activate()
        policy.action_compute()
        record = self.q1(policy, head)
        self.assertEqual((record.base_amount, record.amount, record.pool_member_ids), (120000.0, 6000.0, self.members))
        self.assertFalse(self.q1(policy, self.members[0]))

    def test_parent_company_with_branches_pooled(self):
        """P buys 20,000; its branch B1 35,000 through a contact; branch B2 50,000; B2's own branch
        B21 10,000: 115,000 at 5 % = 5,750 (1,000 + 1,750 + 2,500 + 500)."""
        parent = self.env["res.partner"].create({"name": "Parent company", "is_company": True})
        b1 = self.env["res.partner"].create({"name": "Branch 1", "is_company": True, "parent_id": parent.id})
        b1_buyer = self.env["res.partner"].create({"name": "Buyer at branch 1", "parent_id": b1.id})
        b2 = self.env["res.partner"].create({"name": "Branch 2", "is_company": True, "parent_id": parent.id})
        b21 = self.env["res.partner"].create({"name": "Branch 2.1", "is_company": True, "parent_id": b2.id})
        self.assertEqual(b1_buyer.commercial_partner_id, b1)
        self.assertEqual(b21.commercial_partner_id, b21, "a branch that is a company is its own commercial partner")
        for partner, amount in ((parent, 20000.0), (b1_buyer, 35000.0), (b2, 50000.0), (b21, 10000.0)):
            self.invoice(partner, "2026-01-20", amount)
        policy = self.create_policy(pool_mode="parent")
        policy.action_activate()
        policy.action_compute()
        records = [self.q1(policy, partner) for partner in (parent, b1, b2, b21)]
        self.assertEqual([(r.base_amount, r.amount) for r in records],
                         [(20000.0, 1000.0), (35000.0, 1750.0), (50000.0, 2500.0), (10000.0, 500.0)])
        self.assertEqual({(r.pool_name, r.pool_base_amount, r.pool_member_count) for r in records},
                         {("Parent company", 115000.0, 4)})
        # companies with neither parent nor branches are no group
        self.assertFalse(self.q1(policy, self.members[0]).pool_key)
        self.assertEqual(self.q1(policy, self.members[0]).amount, 0.0)
        self.assertIn("with each parent company and its branches pooled", policy.summary)

    def test_member_credit_note_takes_the_group_below_the_tier(self):
        policy = self.pooled_policy()
        policy.action_compute()
        self.assertEqual(self.q1(policy, self.members[2]).amount, 2500.0)
        # C returns 25,000: the group falls to 95,000, under 100,000, and nobody earns
        self.refund(self.members[2], "2026-03-20", 25000.0)
        policy.action_compute()
        records = self.records(policy, date_start=Q1).filtered("pool_key")
        self.assertEqual(records.partner_id, self.members)
        self.assertEqual(set(records.mapped("amount")), {0.0})
        self.assertFalse(records.tier_id)
        self.assertEqual(set(records.mapped("pool_base_amount")), {95000.0})
        self.assertEqual(self.q1(policy, self.members[2]).base_amount, 25000.0)
        self.assertIn("Group Key Accounts (3 customers): 95,000.00, below the first tier",
                      self.q1(policy, self.members[0]).computation)

    def test_terms_in_words_and_the_xlsx_show_the_group(self):
        policy = self.pooled_policy()
        self.assertEqual(policy.summary,
                         "5 % of quarterly purchases once they reach 100,000.00, with customers of tag Key Accounts pooled")
        policy.action_compute()
        wizard = self.env["rebate.export.wizard"].create({"policy_ids": [Command.set(policy.ids)]})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        group_col, base_col = header.index("Customer Group"), header.index("Group Base")
        rows = {row[0]: (row[group_col], row[base_col]) for row in sheet.iter_rows(min_row=2, values_only=True)
                if row[1] and policy.code in str(row[1])}
        self.assertEqual(rows["Key account B"], ("Key Accounts", 120000.0))
        self.assertEqual(rows["Lone customer"], (None, None))

    def test_terms_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        policy = self.pooled_policy()
        summary = policy.with_context(lang="zh_CN").summary
        self.assertTrue(summary.endswith("，标签为Key Accounts的客户合并计算"), summary)
        policy.action_compute()
        record = self.q1(policy, self.members[0]).with_context(lang="zh_CN")
        self.assertIn("集团Key Accounts（3个客户）：120,000.00，达到第1档（≥ 100,000.00）", record.computation)

    def test_projection_uses_the_group_period_to_date(self):
        """C has 50,000 of the group's 120,000; an order of 10,000 for C: the group reaches 5 %
        with 130,000, C's projected rebate is (50,000 + 10,000) × 5 % = 3,000."""
        policy = self.pooled_policy()
        order = self.env["sale.order"].create({
            "partner_id": self.members[2].id,
            "date_order": "2026-03-25 10:00:00",
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": 1.0,
                                           "price_unit": 10000.0, "tax_ids": []})],
        })
        with freeze_time("2026-03-25"):
            [figures] = [p for p in order._get_rebate_projections() if p["policy"] == policy]
            data = order._rebate_projection_data(figures)
            box = str(order.rebate_projection_html)
            customer_box = str(self.members[2].rebate_policy_html)
        self.assertIn("Group Key Accounts to date: 120,000.00", box)
        self.assertIn("Group Key Accounts to date: 120,000.00", customer_box)
        self.assertEqual((figures["base_amount"], figures["projected_amount"]), (50000, 3000))
        self.assertEqual(figures["pool_text"], "Group Key Accounts to date: 120,000.00")
        self.assertEqual(data["pool"]["base_amount"], 120000.0)
        self.assertEqual(data["pool"]["name"], "Key Accounts")
        self.assertEqual(data["texts"]["pool"], figures["pool_text"])


@tagged("post_install", "-at_install")
class TestPolicyPoolTerms(PoolCommon):
    """What pooling terms are refused, and why."""

    def test_tag_pooling_needs_tags_and_cannot_pay_a_head(self):
        with self.assertRaisesRegex(ValidationError, "choose the tags"):
            self.create_policy(pool_mode="tag")
        with self.assertRaisesRegex(ValidationError, "no head to pay"):
            self.create_policy(pool_mode="tag", pool_category_ids=[Command.set(self.key_accounts.ids)],
                               pool_payout="head")

    def test_fixed_amount_is_paid_once_to_the_head(self):
        with self.assertRaisesRegex(ValidationError, "paid once, to the group's head"):
            self.create_policy(tiers=((100000.0, 3000.0),), amount_type="fixed", pool_mode="parent")
        self.assertTrue(self.create_policy(tiers=((100000.0, 3000.0),), amount_type="fixed", pool_mode="parent",
                                           pool_payout="head"))

    def test_terms_of_other_parts_not_combined_with_pooling_are_refused(self):
        """Pooling is not built with a paid basis or most-favourable overlaps: refused (each
        checked where its part's field exists). Advances within the year are pooled
        (test_record_pool_advance.py): accepted."""
        Policy = self.env["rebate.policy"]
        advances = {"period": "year", "advance_period": "quarter", "advance_rate": 3.0}
        Policy.new(dict(advances, name="Pooled", pool_mode="parent"))._check_pool_combinations()
        self.assertTrue(self.create_policy(pool_mode="parent", **advances).advance_period)
        combinations = [("invoice_basis", {"invoice_basis": "paid"}, "counted once paid"),
                        ("overlap_rule", {"combinable": False, "overlap_rule": "favourable"}, "more favourable")]
        present = [combination for combination in combinations if combination[0] in Policy._fields]
        if not present:
            self.skipTest("none of the other parts' terms is installed")
        for _field, values, message in present:
            # the terms alone, as the form holds them (other parts may ask for more of their own)
            with self.assertRaisesRegex(ValidationError, message):
                Policy.new(dict(values, name="Pooled", pool_mode="parent"))._check_pool_combinations()
            Policy.new(dict(values, name="Alone", pool_mode="none"))._check_pool_combinations()

    def test_group_head_must_be_a_member_and_a_customer_pools_once(self):
        with self.assertRaisesRegex(ValidationError, "must be one of its members"):
            self.env["rebate.customer.group"].create({
                "name": "Wrong", "head_id": self.loner.id, "member_ids": [Command.set(self.members.ids)]})
        first = self.env["rebate.customer.group"].create({
            "name": "First", "head_id": self.members[0].id, "member_ids": [Command.set(self.members[:2].ids)]})
        second = self.env["rebate.customer.group"].create({
            "name": "Second", "head_id": self.members[2].id, "member_ids": [Command.set(self.members[1:].ids)]})
        with self.assertRaisesRegex(ValidationError, "member of two of its customer groups"):
            self.create_policy(pool_mode="group", pool_group_ids=[Command.set((first | second).ids)])

    @freeze_time("2026-04-15")
    def test_customer_with_two_pooled_tags_is_refused(self):
        other = self.env["res.partner.category"].create({"name": "Northern Accounts"})
        policy = self.pooled_policy()
        policy.action_draft()
        policy.pool_category_ids = [Command.link(other.id)]
        policy.action_activate()
        self.members[1].category_id = [Command.link(other.id)]
        with self.assertRaisesRegex(UserError, "pools Key account B in two groups"):
            policy.action_compute()
        self.assertFalse(self.records(policy), "nothing half-written")

    def test_pool_terms_are_frozen_with_confirmed_records(self):
        policy = self.pooled_policy()
        with freeze_time("2026-04-15"):
            policy.action_compute()
            self.records(policy, date_start=Q1).action_confirm()
        with self.assertRaisesRegex(UserError, "cannot change"):
            policy.pool_mode = "none"
