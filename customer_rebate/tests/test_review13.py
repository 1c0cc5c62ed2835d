# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import RebateCommon

Q1, Q2, Q3 = date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)


@tagged("post_install", "-at_install")
class TestReviewAdvanceFigures(RebateCommon):
    """An advance's base is the year to date: the reports that add bases up must count the
    year's purchases once (the year-end settlement's base), not once per advance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR913R", "account_type": "liability_current"})
        cls.yearly = cls.create_policy(
            tiers=((400000.0, 5.0),), name="Yearly target", period="year", advance_period="quarter",
            advance_mode="rate", advance_rate=3.0, accrual_account_id=cls.accrual_account.id)
        cls.yearly.action_activate()
        # 100,000 in Q1 and 150,000 in Q2: Q1 advance on 100,000, Q2 on 250,000 (year to date)
        cls.invoice(cls.customer_a, "2026-02-10", 100000.0)
        cls.invoice(cls.customer_a, "2026-05-10", 150000.0)
        with freeze_time("2026-07-10"):
            cls.yearly.action_compute()

    def export(self, data_only=True, **values):
        with freeze_time("2026-07-10"):
            wizard = self.env["rebate.export.wizard"].create(values)
            wizard.action_export()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=data_only)

    def test_records(self):
        records = self.records(self.yearly)
        self.assertEqual(
            sorted((r.kind, r.date_start, r.base_amount, r.amount) for r in records),
            [("advance", Q1, 100000.0, 3000.0), ("advance", Q2, 250000.0, 4500.0),
             ("advance", Q3, 250000.0, 0.0), ("final", Q1, 250000.0, -7500.0)])

    def test_summary_by_customer_counts_the_year_once(self):
        sheet = self.export(report="summary")["By Customer"]
        rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] and row[1]}
        row = rows[self.yearly.display_name]
        # 250,000 bought this year, the rebate so far 3,000 + 4,500 + 0 − 7,500 = 0
        self.assertEqual((row[3], row[4]), (250000.0, 0.0))

    def test_detail_total_counts_the_year_once(self):
        sheet = self.export(report="detail").worksheets[0]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        total = rows[-1]
        # the year-end settlement's 250,000 once; the advances' year to date in their own column
        self.assertEqual((total[5], total[9], total[21]), (250000.0, 0.0, 600000.0))
        advances = sorted(row[21] for row in rows[:-1] if row[18] == "Advance")
        self.assertEqual(advances, [100000.0, 250000.0, 250000.0])
        # a spreadsheet recomputing the formula finds the same (visible rows only)
        formulas = self.export(data_only=False, report="detail").worksheets[0]
        self.assertEqual(formulas.cell(row=6, column=6).value, "=SUBTOTAL(9,F2:F5)-SUBTOTAL(9,V2:V5)")

    def test_review_sales_count_the_year_once(self):
        review = self.env["rebate.policy.review"].create({
            "policy_id": self.yearly.id, "date_start": "2026-01-01", "date_end": "2026-12-31"})
        self.assertEqual((review.sales, review.rebate), (250000.0, 0.0))


@tagged("post_install", "-at_install")
class TestReviewOverlapExclusion(RebateCommon):
    """A winner that never counts a product does not take its lines from the loser."""

    def test_winner_excluded_product_stays_with_the_loser(self):
        service = self._create_product(name="Service", lst_price=100.0, taxes_id=[Command.clear()])
        winner = self.create_policy(tiers=((1000.0, 4.0),), combinable=False, overlap_priority=20,
                                    excluded_product_ids=[Command.set(service.ids)])
        loser = self.create_policy(tiers=((1000.0, 2.0),), combinable=False, overlap_priority=10)
        loser.action_activate()
        self.invoice(self.customer_a, "2026-02-10", lines=[(self.goods, 30.0, 100.0), (service, 20.0, 100.0)])
        with freeze_time("2026-04-15"):
            loser.action_compute()
        self.assertEqual(self.records(loser).base_amount, 5000.0)
        # the competitor starts after the first run; a late credit note in Q1
        winner.action_activate()
        self.refund(self.customer_a, "2026-03-01", lines=[(self.goods, 5.0, 100.0)])
        with freeze_time("2026-04-15"):
            (winner | loser).action_compute()
        [rec_w] = self.records(winner)
        [rec_l] = self.records(loser)
        incremental = (rec_l.base_amount, rec_l.amount, rec_l.overlap_amount)
        # goods 3,000 − 500 = 2,500 go to the winner; the service 2,000 stays with the loser
        self.assertEqual((rec_w.base_amount, rec_w.amount), (2500.0, 100.0))
        self.assertEqual(incremental, (2000.0, 40.0, 2500.0))
        with freeze_time("2026-04-15"):
            loser.action_compute_full()
        [rec_l] = self.records(loser)
        self.assertEqual((rec_l.base_amount, rec_l.amount, rec_l.overlap_amount), incremental)


@tagged("post_install", "-at_install")
class TestReviewPoolHead(RebateCommon):
    """A group paid to its head, closed as an accountant closes the month: confirmed, settled by
    credit note, then a member's late invoice in the confirmed quarter."""

    def test_head_payout_settled_and_a_late_member_invoice(self):
        members = self.env["res.partner"].create([{"name": f"Member {x}", "is_company": True} for x in "XYZ"])
        group = self.env["rebate.customer.group"].create({
            "name": "East Group", "head_id": members[0].id, "member_ids": [Command.set(members.ids)]})
        values = {"pool_mode": "group", "pool_group_ids": [Command.set(group.ids)], "pool_payout": "head",
                  "settlement_method": "credit_note", "journal_id": self.company_data["default_journal_sale"].id}
        policy = self.create_policy(**values)
        policy.action_activate()
        for member, amount in zip(members, (30000.0, 40000.0, 50000.0)):
            self.invoice(member, "2026-02-10", amount)
        with freeze_time("2026-04-15"):
            policy.action_compute()
        [head] = self.records(policy)
        self.assertEqual((head.partner_id, head.base_amount, head.amount), (members[0], 120000.0, 6000.0))
        head.action_confirm()
        settlement = self.env["rebate.settlement"]._create_from_records(head)
        settlement.action_done()
        self.assertEqual((settlement.move_id.partner_id, settlement.move_id.amount_total), (members[0], 6000.0))
        receivable = members[0].property_account_receivable_id
        self.assertEqual(self.account_balance(receivable, members[0]), 30000.0 - 6000.0)
        self.assertEqual(self.account_balance(receivable, members[1]), 40000.0)
        # Z's late invoice of 20,000 dated in Q1: the head's adjustment is 1,000
        self.invoice(members[2], "2026-03-20", 20000.0)
        with freeze_time("2026-04-20"):
            policy.action_compute()
        records = self.records(policy)
        self.assertEqual(sorted((r.partner_id.id, r.revision, r.base_amount, r.amount) for r in records),
                         [(members[0].id, 0, 120000.0, 6000.0), (members[0].id, 1, 20000.0, 1000.0)])
        adjustment = records.filtered("revision")
        self.assertEqual(adjustment.pool_member_ids, members)
        # each statement's breakdown re-adds its own group base: the adjustment's group is at
        # 140,000 (Z 70,000); the confirmed record, printed again, stays at 120,000 (Z 50,000)
        self.assertEqual(adjustment.pool_breakdown.splitlines(),
                         ["Member X: 30,000.00", "Member Y: 40,000.00", "Member Z: 70,000.00"])
        self.assertEqual(adjustment.pool_base_amount, 140000.0)
        self.assertEqual(head.pool_base_amount, 120000.0)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", head.ids)[0].decode()
        self.assertIn("Group East Group (3 customers): 120,000.00", html)
        self.assertIn("50,000.00", html)
        self.assertNotIn("70,000.00", html)
        self.assertEqual(head.pool_breakdown.splitlines(),
                         ["Member X: 30,000.00", "Member Y: 40,000.00", "Member Z: 50,000.00"])


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15")
class TestReviewPoolPortal(RebateCommon):
    """Customers pooled by a tag are separate companies: a member's portal statement and its
    portal access to its record never show what the others bought, nor how many they are."""

    def test_tag_member_sees_its_tier_not_the_others_purchases(self):
        tag = self.env["res.partner.category"].create({"name": "Key Accounts"})
        members = self.env["res.partner"].create([
            {"name": f"Dealer {x}", "is_company": True, "category_id": [Command.set(tag.ids)]} for x in "AB"])
        self.invoice(members[0], "2026-02-10", 30000.0)
        self.invoice(members[1], "2026-02-10", 90000.0)
        policy = self.create_policy(pool_mode="tag", pool_category_ids=[Command.set(tag.ids)])
        policy.action_activate()
        policy.action_compute()
        record = self.records(policy, partner_id=members[0].id)
        self.assertEqual((record.base_amount, record.amount, record.pool_base_amount), (30000.0, 1500.0, 120000.0))
        record.action_confirm()
        portal = new_test_user(self.env, login="dealer_a", groups="base.group_portal", partner_id=members[0].id)
        mine = record.with_user(portal)
        self.assertEqual(mine.read(["amount"])[0]["amount"], 1500.0)
        for name in ("pool_base_amount", "pool_member_count", "computation"):
            with self.assertRaises(AccessError):
                mine.read([name])
        # the statement as the portal prints it (the controller reads the record through sudo)
        html = self.env["ir.actions.report"].with_user(portal).sudo()._render_qweb_html(
            "customer_rebate.action_report_rebate_record", record.ids)[0].decode()
        self.assertIn("30,000.00", html)
        self.assertIn("Pooled with the customers of Key Accounts: together they reached tier 1", html)
        self.assertNotIn("120,000.00", html)
        self.assertNotIn("90,000.00", html)
        self.assertNotIn("2 customers", html)
        # the rebate user still reads the group's figures
        self.assertIn("Group Key Accounts (2 customers): 120,000.00", record.with_user(self.rebate_user).computation)

    def test_tag_member_quotation_and_invoice_print_the_tier_not_the_others_purchases(self):
        """The printed quotation and invoice of a tag member (and its portal progress) say that
        its group reached tier 1 and where tier 2 starts, never the group's 120,000 + 5,000 nor the
        75,000 still missing, which would tell it what the others bought; the form box of the
        salesperson keeps the group's figures."""
        tag = self.env["res.partner.category"].create({"name": "Key Accounts"})
        members = self.env["res.partner"].create([
            {"name": f"Dealer {x}", "is_company": True, "category_id": [Command.set(tag.ids)]} for x in "AB"])
        self.invoice(members[0], "2026-02-10", 30000.0)
        self.invoice(members[1], "2026-02-10", 90000.0)
        policy = self.create_policy(tiers=((100000.0, 5.0), (200000.0, 6.0)), pool_mode="tag",
                                    pool_category_ids=[Command.set(tag.ids)])
        policy.action_activate()
        with freeze_time("2026-03-15"):
            order = self.env["sale.order"].create({
                "partner_id": members[0].id,
                "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": 50.0, "price_unit": 100.0})],
            })
            html = self.env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", order.ids)[0].decode()
            invoice = self.invoice(members[0], "2026-03-15", 5000.0)
            invoice_html = self.env["ir.actions.report"]._render_qweb_html(
                "account.account_invoices", invoice.ids)[0].decode()
            internal = order.rebate_projection_html
            progress = self.env["rebate.projection.mixin"]._rebate_projection_for_customer(
                self.env["rebate.projection.mixin"]._project_rebate_policy(policy, members[0], order.date_order.date(), []))
        for printed in (html, invoice_html):
            self.assertIn("Pooled with the customers of Key Accounts: together they reached tier 1", printed)
            self.assertIn("The next tier starts at 200,000.00, reached together with the customers of Key Accounts",
                          printed)
            for figure in ("120,000.00", "125,000.00", "130,000.00", "90,000.00", "75,000.00", "70,000.00"):
                self.assertNotIn(figure, printed)
        self.assertNotIn("gap", {key for key, value in progress.items() if value is not None})
        self.assertNotIn("base_amount", progress["pool"])
        # (read after the invoice was posted: the group has 125,000.00 to date)
        self.assertIn("Group Key Accounts to date: 125,000.00", internal, "the salesperson's box keeps the figures")


@tagged("post_install", "-at_install")
class TestReviewOverlapMixedRules(RebateCommon):
    """An exclusive policy at 2 % deciding by "the more favourable to the customer counts" took
    the lines of an exclusive policy at 4 % deciding by priority: 450,000 earned 9,000 instead of
    18,000, and the 4 % policy's record said it paid back 0 %. Mixed rules are refused."""

    def make(self, name, rate, priority, rule="priority", **values):
        return self.create_policy(tiers=((1000.0, rate),), combinable=False, overlap_priority=priority,
                                  overlap_rule=rule, name=name, **values)

    def test_activating_a_mixed_competitor_is_refused(self):
        self.make("High", 4.0, 20).action_activate()
        low = self.make("Low", 2.0, 10, rule="favourable")
        with self.assertRaisesRegex(ValidationError, "Set both the same way"):
            low.action_activate()

    def test_changing_the_rule_into_a_mixed_pair_is_refused(self):
        high, low = self.make("High", 4.0, 20), self.make("Low", 2.0, 10)
        (high | low).action_activate()
        with self.assertRaisesRegex(ValidationError, "Set both the same way"):
            high.overlap_rule = "favourable"

    def test_same_rule_the_more_favourable_counts(self):
        high, low = self.make("High", 4.0, 20, rule="favourable"), self.make("Low", 2.0, 10, rule="favourable")
        (high | low).action_activate()
        self.invoice(self.customer_a, "2026-02-10", 450000.0)
        with freeze_time("2026-04-10"):
            (high | low).action_compute()
        self.assertEqual(self.records(high).mapped("amount"), [18000.0])
        self.assertEqual(self.records(low).mapped("amount"), [])

    def test_competitors_whose_dates_do_not_meet_decide_their_own_way(self):
        self.make("This year", 4.0, 20, date_end="2026-12-31").action_activate()
        later = self.make("Next year", 3.0, 10, rule="favourable", date_start="2027-01-01")
        later.action_activate()
        self.assertEqual(later.state, "active")
