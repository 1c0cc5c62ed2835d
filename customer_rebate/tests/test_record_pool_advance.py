# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import RebateCommon

Q1, Q2, Q3, Q4 = date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)
# what the three Key Accounts buy each quarter (no one reaches 400,000 in the year alone)
QUARTERS = {
    "2026-02-10": (60000.0, 50000.0, 40000.0),  # group to date 150,000
    "2026-05-10": (100000.0, 80000.0, 70000.0),  # 400,000: the tier is reached by Q2
    "2026-08-10": (40000.0, 30000.0, 30000.0),  # 500,000
    "2026-11-10": (20000.0, 20000.0, 10000.0),  # 550,000 (A 220,000, B 180,000, C 150,000)
}
RUNS = (("2026-04-10", Q1), ("2026-07-10", Q2), ("2026-10-10", Q3))


class PoolAdvanceCommon(RebateCommon):
    """年度返利，季度预返 with group volume (集团客户): 5 % of yearly purchases once they reach
    400,000.00, advanced quarterly, with the customers of tag Key Accounts pooled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR914", "account_type": "liability_current"})
        cls.key_accounts = cls.env["res.partner.category"].create({"name": "Key Accounts"})
        cls.members = cls.env["res.partner"].create([
            {"name": f"Key account {letter}", "is_company": True, "category_id": [Command.set(cls.key_accounts.ids)]}
            for letter in "ABC"])

    @classmethod
    def yearly(cls, advance_mode="tier", **values):
        vals = {"name": "Yearly group target", "period": "year", "advance_period": "quarter",
                "advance_mode": advance_mode, "pool_mode": "tag",
                "pool_category_ids": [Command.set(cls.key_accounts.ids)]}
        if advance_mode == "rate":
            vals["advance_rate"] = 3.0
        vals.update(values)
        policy = cls.create_policy(tiers=((400000.0, 5.0),), **vals)
        policy.action_activate()
        return policy

    def buy(self, day, amounts=None):
        for member, amount in zip(self.members, amounts or QUARTERS[day]):
            if amount:
                self.invoice(member, day, amount)

    def advance_quarters(self, policy):
        """Q1 to Q3: the quarter's purchases, the computation early in the next quarter, its
        advances confirmed; yields (quarter start, the members' advances)."""
        for (day, date_start), bought in zip(RUNS, QUARTERS):
            self.buy(bought)
            with freeze_time(day):
                policy.action_compute()
                advances = self.of(policy, "advance", date_start)
                for advance in advances:
                    advance.action_confirm()
            yield date_start, advances

    def of(self, policy, kind, date_start=None):
        """The records of ``kind`` of each member (A, B, C), one per member."""
        domain = {"kind": kind, **({"date_start": date_start} if date_start else {})}
        return [self.records(policy, partner_id=member.id, **domain) for member in self.members]

    def figures(self, records, *names):
        return [tuple(record[name] for name in names) for record in records]


@tagged("post_install", "-at_install")
class TestRecordPoolAdvance(PoolAdvanceCommon):

    def test_terms_in_words_name_both(self):
        policy = self.yearly("rate")
        self.assertEqual(policy.summary, "5 % of yearly purchases once they reach 400,000.00, advanced quarterly at "
                                         "3 %, with customers of tag Key Accounts pooled")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        self.assertEqual(policy.with_context(lang="zh_CN").summary,
                         "年度采购额达到 400,000.00 后返利 5%，按季度以 3% 预返，标签为Key Accounts的客户合并计算")

    def test_the_group_reaches_the_tier_by_q2_advances_each_quarter_and_the_true_up(self):
        """Tier reached so far: Q1's group to date (150,000) is below 400,000, Q2's (400,000)
        reaches it, and each member is advanced its own year to date at 5 % minus what it had."""
        policy = self.yearly("tier")
        for date_start, advances in self.advance_quarters(policy):
            if date_start == Q1:
                self.assertEqual(self.figures(advances, "base_amount", "amount"),
                                 [(60000.0, 0.0), (50000.0, 0.0), (40000.0, 0.0)], "the group is below the tier")
                self.assertEqual(advances[0].pool_base_amount, 150000.0)
            elif date_start == Q2:
                # hand-worked: 160,000 / 130,000 / 110,000 at the group's 5 %
                self.assertEqual(self.figures(advances, "base_amount", "rate", "year_rebate_amount", "amount"),
                                 [(160000.0, 5.0, 8000.0, 8000.0), (130000.0, 5.0, 6500.0, 6500.0),
                                  (110000.0, 5.0, 5500.0, 5500.0)])
                self.assertEqual([(a.pool_base_amount, a.pool_member_count, a.tier_id) for a in advances],
                                 [(400000.0, 3, policy.tier_ids)] * 3)
                self.assertIn("Year to date 160,000.00 (to 2026-06-30) at the group's tier reached so far (5 %) "
                              "→ 8,000.00; advanced before 0.00 → advance 8,000.00", advances[0].computation)
                self.assertIn("Group Key Accounts (3 customers): 400,000.00 year to date reached tier 1 "
                              "(≥ 400,000.00)", advances[0].computation)
            else:
                # 10,000 − 8,000; 8,000 − 6,500; 7,000 − 5,500
                self.assertEqual(self.figures(advances, "year_rebate_amount", "advanced_amount", "amount"),
                                 [(10000.0, 8000.0, 2000.0), (8000.0, 6500.0, 1500.0), (7000.0, 5500.0, 1500.0)])
        self.buy("2026-11-10")
        with freeze_time("2027-01-10"):
            policy.action_compute()
        q4, finals = self.of(policy, "advance", Q4), self.of(policy, "final")
        self.assertEqual(self.figures(q4, "year_rebate_amount", "advanced_amount", "amount"),
                         [(11000.0, 10000.0, 1000.0), (9000.0, 8000.0, 1000.0), (7500.0, 7000.0, 500.0)])
        self.assertEqual(self.figures(finals, "base_amount", "rate", "year_rebate_amount", "advanced_amount", "amount"),
                         [(220000.0, 5.0, 11000.0, 11000.0, 0.0), (180000.0, 5.0, 9000.0, 9000.0, 0.0),
                          (150000.0, 5.0, 7500.0, 7500.0, 0.0)])
        self.assertEqual([f.pool_base_amount for f in finals], [550000.0] * 3)
        records = self.records(policy)
        self.assertEqual(sum(records.mapped("amount")), 550000.0 * 0.05, "the group's year at 5 %, to the cent")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        q2 = self.of(policy, "advance", Q2)[0].with_context(lang="zh_CN")
        self.assertIn("年初至今 160,000.00（截至 2026-06-30）按集团目前达到的档位（5%） → 8,000.00", q2.computation)
        self.assertIn("集团Key Accounts（3个客户）：400,000.00（年初至今），达到第1档", q2.computation)

    def test_provisional_rate_then_the_group_rate_at_year_end(self):
        """Advanced at 3 % of each member's own year to date; the year-end settlement pays the
        member's year at the group's 5 % minus its advances: A 11,000 − 6,600 = 4,400."""
        policy = self.yearly("rate")
        for day in QUARTERS:
            self.buy(day)
        with freeze_time("2027-01-10"):
            policy.action_compute()
        advances = [self.of(policy, "advance", start) for start in (Q1, Q2, Q3, Q4)]
        self.assertEqual([[a.amount for a in quarter] for quarter in advances],
                         [[1800.0, 1500.0, 1200.0], [3000.0, 2400.0, 2100.0], [1200.0, 900.0, 900.0],
                          [600.0, 600.0, 300.0]])
        finals = self.of(policy, "final")
        self.assertEqual(self.figures(finals, "year_rebate_amount", "advanced_amount", "amount"),
                         [(11000.0, 6600.0, 4400.0), (9000.0, 5400.0, 3600.0), (7500.0, 4500.0, 3000.0)])
        self.assertIn("Rebate of the year 11,000.00; advances paid 6,600.00 → left to settle 4,400.00",
                      finals[0].computation)
        self.assertIn("Group Key Accounts (3 customers): 550,000.00 reached tier 1", finals[0].computation)
        # the detail sheet: each record's group base (the group's year to date for an advance)
        wizard = self.env["rebate.export.wizard"].create({"report": "detail", "policy_ids": [Command.set(policy.ids)]})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[16:21], ["Customer Group", "Group Base", "Kind", "Year-to-Date Rebate",
                                         "Advanced Before"])
        rows = {(row[0], row[2]): row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}
        self.assertEqual(rows[("Key account A", "Q2 2026")][16:21], ("Key Accounts", 400000.0, "Advance", 4800.0, 1800.0))
        self.assertEqual(rows[("Key account A", "2026")][16:21],
                         ("Key Accounts", 550000.0, "Year-End Settlement", 11000.0, 6600.0))
        # without pooling nobody reaches the tier: the year-end settlement would take the advances back
        alone = self.create_policy(tiers=((400000.0, 5.0),), period="year", advance_period="quarter",
                                   advance_mode="rate", advance_rate=3.0)
        alone.action_activate()
        with freeze_time("2027-01-10"):
            alone.action_compute()
        self.assertEqual([f.amount for f in self.of(alone, "final")], [-6600.0, -5400.0, -4500.0])

    def test_the_group_falls_back_below_the_tier_after_q3_and_the_members_owe_it_back(self):
        policy = self.yearly("rate", accrual_account_id=self.accrual_account.id)
        for _start, advances in self.advance_quarters(policy):
            for advance in advances:
                self.env["rebate.settlement"]._create_from_records(advance).action_done()
        # credit notes in November: the group's year is 390,000, below the 400,000 of the tier
        self.refund(self.members[0], "2026-11-10", 60000.0)
        self.refund(self.members[1], "2026-11-10", 50000.0)
        with freeze_time("2027-01-10"):
            policy.action_compute()
            finals = self.of(policy, "final")
            for final in finals:
                final.action_confirm()
        q4 = self.of(policy, "advance", Q4)
        # 3 % of 140,000 / 110,000 / 140,000 minus 6,000 / 4,800 / 4,200 advanced
        self.assertEqual(self.figures(q4, "year_rebate_amount", "amount"),
                         [(4200.0, -1800.0), (3300.0, -1500.0), (4200.0, 0.0)])
        self.assertEqual(self.figures(finals, "base_amount", "tier_id", "year_rebate_amount", "advanced_amount",
                                      "amount"),
                         [(140000.0, policy.tier_ids.browse(), 0.0, 4200.0, -4200.0),
                          (110000.0, policy.tier_ids.browse(), 0.0, 3300.0, -3300.0),
                          (140000.0, policy.tier_ids.browse(), 0.0, 4200.0, -4200.0)])
        self.assertEqual(finals[0].pool_base_amount, 390000.0)
        self.assertIn("below the first tier", finals[0].computation)
        # the year's rule without its amount, then the settlement, then the group once — in
        # Chinese too, where the arrow has no space before it
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        english, chinese = finals[0].computation, finals[0].with_context(lang="zh_CN").computation
        self.assertEqual(english.count("Group Key Accounts"), 1, english)
        self.assertEqual(english.count("→"), 1, english)
        self.assertEqual(chinese.count("集团Key Accounts"), 1, chinese)
        self.assertEqual(chinese.count("→"), 1, chinese)
        self.assertEqual([member.rebate_to_recover for member in self.members], [6000.0, 4800.0, 4200.0],
                         "every advance paid is owed back")
        first = self.members[0]
        (q4[0] | finals[0]).action_recover()
        settlement = finals[0].settlement_id
        settlement.action_done()
        self.assertEqual((settlement.move_id.move_type, settlement.move_id.amount_total), ("out_invoice", 6000.0))
        statement = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", finals[0].ids)[0].decode()
        self.assertIn("Recovered by invoice", statement)
        self.assertNotIn("Credit Note", statement.split("Payout:")[1][:300])
        receivable = first.property_account_receivable_id
        self.assertEqual(self.account_balance(receivable, first), 140000.0,
                         "the advances credited and the recovery invoice debited cancel out")
        self.assertEqual(sum(self.records(policy, partner_id=first.id).mapped("amount")), 0.0)

    def test_paid_to_the_head(self):
        group = self.env["rebate.customer.group"].create({
            "name": "East Group", "head_id": self.members[0].id, "member_ids": [Command.set(self.members.ids)]})
        policy = self.yearly("tier", pool_mode="group", pool_group_ids=[Command.set(group.ids)], pool_payout="head",
                             pool_category_ids=[Command.clear()])
        self.assertEqual(policy.summary, "5 % of yearly purchases once they reach 400,000.00, advanced quarterly at "
                                         "the tier reached so far, with the customers of group East Group pooled, "
                                         "paid to the group's head")
        for day in QUARTERS:
            self.buy(day)
        with freeze_time("2027-01-10"):
            policy.action_compute()
        records = self.records(policy)
        self.assertEqual(records.partner_id, self.members[0], "one head, no record for the other members")
        by_start = {(r.kind, r.date_start): r for r in records}
        q2, q3, q4, final = (by_start[("advance", Q2)], by_start[("advance", Q3)], by_start[("advance", Q4)],
                             by_start[("final", Q1)])
        # the group's year to date: 400,000 → 20,000; 500,000 → 25,000; 550,000 → 27,500
        self.assertEqual([(r.base_amount, r.year_rebate_amount, r.amount) for r in (q2, q3, q4)],
                         [(400000.0, 20000.0, 20000.0), (500000.0, 25000.0, 5000.0), (550000.0, 27500.0, 2500.0)])
        self.assertEqual((final.base_amount, final.year_rebate_amount, final.advanced_amount, final.amount),
                         (550000.0, 27500.0, 27500.0, 0.0))
        self.assertEqual(q2.pool_member_ids, self.members)
        self.assertEqual(q2.pool_breakdown.splitlines(),
                         ["Key account A: 160,000.00", "Key account B: 130,000.00", "Key account C: 110,000.00"])
        self.assertEqual(final.pool_breakdown.splitlines(),
                         ["Key account A: 220,000.00", "Key account B: 180,000.00", "Key account C: 150,000.00"])
        self.assertIn("Group East Group (3 customers): 400,000.00 year to date", q2.computation)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", final.ids)[0].decode()
        self.assertIn("Group East Group (3 customers): 550,000.00", html)
        self.assertIn("180,000.00", html)
        # a late invoice of B in Q1 after the year-end run: the group's every figure follows
        self.invoice(self.members[1], "2026-03-10", 10000.0)
        with freeze_time("2027-01-11"):
            policy.action_compute()
        self.assertEqual((q2.base_amount, q2.amount, final.base_amount, final.year_rebate_amount, final.amount),
                         (410000.0, 20500.0, 560000.0, 28000.0, 0.0))
        self.assertEqual(final.pool_breakdown.splitlines()[1], "Key account B: 190,000.00")

    def test_projection_on_the_groups_year_to_date_with_what_was_advanced(self):
        """The group's 400,000 to date and A's invoice of 40,000 being written: A's year projects
        (160,000 + 40,000) × 5 % = 10,000, of which 8,000 advanced in Q2."""
        policy = self.yearly("tier")
        self.buy("2026-02-10")
        self.buy("2026-05-10")
        with freeze_time("2026-07-10"):
            policy.action_compute()
        q2 = self.of(policy, "advance", Q2)
        self.assertEqual([a.amount for a in q2], [8000.0, 6500.0, 5500.0])
        self.assertEqual(q2[0].action_view_pool_records()["domain"][-1], ("kind", "=", "advance"))
        self.assertEqual(self.env["rebate.record"].search(q2[0].action_view_pool_records()["domain"]),
                         q2[0] | q2[1] | q2[2], "the group's advances of the quarter, not its year-end settlements")
        with freeze_time("2026-07-15"):
            move = self.invoice(self.members[0], "2026-07-15", 40000.0, post=False)
            [projection] = move.rebate_projection_json
        self.assertEqual((projection["projected_amount"], projection["advanced_amount"],
                          projection["advance_left_amount"]), (10000.0, 8000.0, 2000.0))
        self.assertEqual(projection["texts"]["pool"], "Group Key Accounts to date: 400,000.00")

    def test_projection_paid_to_the_head_counts_the_heads_advances(self):
        group = self.env["rebate.customer.group"].create({
            "name": "East Group", "head_id": self.members[0].id, "member_ids": [Command.set(self.members.ids)]})
        policy = self.yearly("tier", pool_mode="group", pool_group_ids=[Command.set(group.ids)], pool_payout="head",
                             pool_category_ids=[Command.clear()])
        self.buy("2026-02-10")
        self.buy("2026-05-10")
        with freeze_time("2026-07-10"):
            policy.action_compute()
            # B's invoice of 40,000 being written: the group's 440,000 at 5 % = 22,000, of which
            # the head was advanced 20,000 in Q2
            move = self.invoice(self.members[1], "2026-07-12", 40000.0, post=False)
            [projection] = move.rebate_projection_json
        self.assertEqual((projection["projected_amount"], projection["advanced_amount"],
                          projection["advance_left_amount"]), (22000.0, 20000.0, 2000.0))

    def test_a_member_portal_statement_hides_the_others(self):
        policy = self.yearly("tier")
        self.buy("2026-02-10")
        self.buy("2026-05-10")
        self.invoice(self.members[2], "2026-05-20", 5000.0)  # C: 115,000, the group 405,000
        with freeze_time("2026-07-10"):
            policy.action_compute()
        q2 = self.records(policy, partner_id=self.members[0].id, kind="advance", date_start=Q2)
        self.assertEqual((q2.base_amount, q2.amount, q2.pool_base_amount), (160000.0, 8000.0, 405000.0))
        q2.action_confirm()
        portal = new_test_user(self.env, login="key_a", groups="base.group_portal", partner_id=self.members[0].id)
        html = self.env["ir.actions.report"].with_user(portal).sudo()._render_qweb_html(
            "customer_rebate.action_report_rebate_record", q2.ids)[0].decode()
        self.assertIn("160,000.00", html)
        self.assertIn("Pooled with the customers of Key Accounts: together they reached tier 1", html)
        for figure in ("405,000.00", "130,000.00", "115,000.00", "3 customers", "Group Key Accounts"):
            self.assertNotIn(figure, html)


@tagged("post_install", "-at_install")
class TestRecordPoolAdvanceIncremental(PoolAdvanceCommon):
    """A member's late invoice recomputes its whole group's year: every member's advances and
    year-end settlement; the incremental run ends where a full one does."""

    def snapshot(self, policy):
        return {
            (record.partner_id.id, record.kind, record.date_start, record.revision): (
                record.state, record.tier_id.threshold, record.base_amount, record.rate, record.amount,
                record.year_rebate_amount, record.advanced_amount, record.pool_key, record.pool_base_amount,
                record.pool_member_count)
            for record in self.records(policy)
        }

    def test_a_late_member_invoice_moves_the_group_incremental_equals_full(self):
        incremental, full = self.yearly("tier"), self.yearly("tier")
        # Q1: 100,000 each; Q2: A 50,000: the group's 350,000 to date is below the tier
        self.buy("2026-02-10", (100000.0, 100000.0, 100000.0))
        self.buy("2026-05-10", (50000.0, 0.0, 0.0))
        with freeze_time("2026-07-10"):
            (incremental | full).action_compute()
            self.assertEqual(sum(self.records(incremental).mapped("amount")), 0.0)
            # B's late invoice of 60,000 in May: the group's 410,000 at Q2 reaches the tier
            self.invoice(self.members[1], "2026-05-20", 60000.0)
            incremental.action_compute()
            full.action_compute_full()
        self.assertEqual(self.snapshot(incremental), self.snapshot(full))
        q2 = self.of(incremental, "advance", Q2)
        # A's and C's invoices did not change: their advances did (150,000 and 100,000 at 5 %)
        self.assertEqual(self.figures(q2, "base_amount", "amount", "pool_base_amount"),
                         [(150000.0, 7500.0, 410000.0), (160000.0, 8000.0, 410000.0), (100000.0, 5000.0, 410000.0)])
        finals = self.of(incremental, "final")
        self.assertEqual(self.figures(finals, "year_rebate_amount", "advanced_amount", "amount"),
                         [(7500.0, 7500.0, 0.0), (8000.0, 8000.0, 0.0), (5000.0, 5000.0, 0.0)])
        # a credit note of C takes the group back below: every member's advance is recomputed
        with freeze_time("2026-07-11"):
            self.refund(self.members[2], "2026-06-10", 20000.0)
            incremental.action_compute()
            full.action_compute_full()
        self.assertEqual(self.snapshot(incremental), self.snapshot(full))
        self.assertEqual([a.amount for a in self.of(incremental, "advance", Q2)], [0.0, 0.0, 0.0])
