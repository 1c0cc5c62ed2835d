# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestExportXlsx(RebateCommon):
    """返利明细报表 and 返利汇总报表: the files are opened again and their cells checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record_a = cls.confirmed_record()
        cls.record_b = cls.confirmed_record(partner=cls.customer_b, amount=250000.0)
        cls.invoice(cls.customer_a, "2026-10-05", 150000.0)
        with freeze_time("2026-10-15"):
            cls.policy.action_compute()  # an estimate for Q4
        settlement = cls.env["rebate.settlement"]._create_from_records(cls.record_a)
        settlement.action_done()
        cls.settlement = settlement
        cls.records = cls.env["rebate.record"].search([("policy_id", "=", cls.policy.id)])

    def export(self, data_only=True, **values):
        """The exported workbook; ``data_only`` reads formulas' cached values, as a spreadsheet shows them."""
        wizard = self.env["rebate.export.wizard"].create(values)
        action = wizard.action_export()
        self.assertIn(f"id={wizard.id}", action["url"])
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=data_only)

    def test_detail_has_one_row_per_record_and_totals_equal_the_records(self):
        book = self.export(report="detail")
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:6], ["Customer", "Policy", "Period", "Start", "End", "Base Amount"])
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        data, total = rows[:-1], rows[-1]
        self.assertEqual(len(data), len(self.records))
        self.assertEqual(total[0], "Total")
        self.assertEqual(sum(row[9] for row in data), sum(self.records.mapped("amount")))
        self.assertEqual(total[9], sum(self.records.mapped("amount")))
        formulas = self.export(data_only=False, report="detail").worksheets[0]
        self.assertTrue(str(formulas.cell(len(rows) + 1, 10).value).startswith("=SUBTOTAL(9,J2:J"),
                        "the total follows the autofilter")
        row_a = next(row for row in data if row[0] == self.customer_a.display_name and row[2] == "Q3 2026")
        self.assertEqual((row_a[5], row_a[8], row_a[9], row_a[11], row_a[12]),
                         (120000.0, 5.0, 6000.0, self.settlement.name, self.settlement.move_id.name))
        self.assertEqual(row_a[3].date().isoformat(), "2026-07-01")
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertTrue(sheet.auto_filter.ref)
        self.assertEqual(sheet.cell(2, 6).number_format, "#,##0.00")
        self.assertEqual(sheet.cell(2, 4).number_format, "yyyy-mm-dd")

    def test_detail_without_estimates_and_for_one_customer(self):
        book = self.export(report="detail", include_estimates=False, partner_ids=[(6, 0, self.customer_b.ids)])
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[:-1]
        self.assertEqual([(row[0], row[9]) for row in rows], [(self.customer_b.display_name, 12500.0)])

    def test_summary_totals_and_subtotals(self):
        book = self.export(report="summary")
        customers = book["By Customer"]
        rows = list(customers.iter_rows(min_row=2, values_only=True))
        by_name = {row[0]: row for row in rows[:-1]}
        # one policy: one row per customer (customer, policy, number of records, base, rebate, paid, due)
        self.assertEqual(by_name[self.customer_a.display_name][4:7], (6000.0 + 7500.0, 6000.0, 0.0))
        self.assertEqual(by_name[self.customer_b.display_name][4:7], (12500.0, 0.0, 12500.0))
        self.assertEqual(rows[-1][4], sum(self.records.mapped("amount")))
        policy_rows = list(book["By Policy and Period"].iter_rows(min_row=2, values_only=True))
        subtotal = next(row for row in policy_rows if str(row[0]).startswith("Subtotal"))
        self.assertEqual(subtotal[6], sum(self.records.mapped("amount")))
        self.assertEqual(policy_rows[-1][0], "Total")
        self.assertEqual(policy_rows[-1][6], sum(self.records.mapped("amount")))
        q3 = next(row for row in policy_rows if row[1] == "Q3 2026")
        self.assertEqual((q3[4], q3[6]), (2, 18500.0))

    def test_selected_records_only(self):
        wizard_values = {"report": "detail"}
        wizard = self.env["rebate.export.wizard"].with_context(
            active_model="rebate.record", active_ids=self.record_b.ids).create(wizard_values)
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))[:-1]
        self.assertEqual(len(rows), 1)


@tagged("post_install", "-at_install")
class TestExportXlsxContent(RebateCommon):
    """What the summary says when policies overlap: two policies over the same customers, one of
    them paying fixed amounts and starting in the middle of a quarter. Customer A is invoiced
    161,000 (80,000 on 20 May, 81,000 on 10 August), customer B 50,000 (10 August)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"date_start": "2026-04-01", "tier_ids": [
            Command.clear(), Command.create({"threshold": 50000.0, "rate": 5.0})]})
        cls.fixed_policy = cls.create_policy(
            tiers=((50000.0, 300.0),), amount_type="fixed", date_start="2026-05-15", name="Fixed bonus")
        cls.invoice(cls.customer_a, "2026-05-20", 80000.0)
        cls.invoice(cls.customer_a, "2026-08-10", 81000.0)
        cls.invoice(cls.customer_b, "2026-08-10", 50000.0)
        with freeze_time("2026-10-15"):
            for policy in cls.policy | cls.fixed_policy:
                policy.action_activate()
                policy.action_compute()

    def export(self, **values):
        with freeze_time("2026-10-15"):
            wizard = self.env["rebate.export.wizard"].create(values)
            wizard.action_export()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)

    def test_by_customer_shows_bases_per_policy_never_added(self):
        sheet = self.export(report="summary")["By Customer"]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][:4], ("Customer", "Policy", "Number of Records", "Base Amount (per policy)"))
        data, total = rows[1:-1], rows[-1]
        by_key = {(row[0], row[1]): row for row in data}
        name_a, name_b = self.customer_a.display_name, self.customer_b.display_name
        # A: 161,000 under each policy (not 322,000); 4,000 + 4,050 at 5 %, and 300 twice
        self.assertEqual(by_key[name_a, self.policy.display_name][2:5], (2, 161000.0, 8050.0))
        self.assertEqual(by_key[name_a, self.fixed_policy.display_name][2:5], (2, 161000.0, 600.0))
        self.assertEqual(by_key[name_b, self.policy.display_name][2:5], (1, 50000.0, 2500.0))
        self.assertEqual(by_key[name_b, self.fixed_policy.display_name][2:5], (1, 50000.0, 300.0))
        self.assertEqual(len(data), 4)
        self.assertEqual(total[0], "Total")
        self.assertIsNone(total[3], "bases are never added across policies")
        self.assertEqual((total[2], total[4]), (6, 11450.0))

    def test_by_policy_and_period_has_end_dates_margins_and_net_effect(self):
        sheet = self.export(report="summary")["By Policy and Period"]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Policy", "Period", "Start", "End", "Number of Customers", "Base Amount",
                                   "Rebate", "Gross Margin", "Gross Margin Gained", "Net Effect"))

        def dates(row):
            return row[2].date().isoformat(), row[3].date().isoformat()

        policy_rows = [row for row in rows[1:] if row[0] == self.policy.display_name]
        self.assertEqual([dates(row) for row in policy_rows],
                         [("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30")])
        fixed_rows = [row for row in rows[1:] if row[0] == self.fixed_policy.display_name]
        self.assertEqual([dates(row) for row in fixed_rows],
                         [("2026-05-15", "2026-06-30"), ("2026-07-01", "2026-09-30")])
        q2, q3 = policy_rows
        # each invoice is one unit of goods costing 60. Q2: margin 80,000 - 60; A had no sales in
        # Q1, so no gain is measured and the net effect is the rebate's cost
        self.assertEqual(q2[4:], (1, 80000.0, 4000.0, 79940.0, None, -4000.0))
        # Q3: margins 80,940 (A) + 49,940 (B); A gained 80,940 - 79,940; B (nothing in Q2) is not
        # compared; rebates 4,050 + 2,500
        self.assertEqual(q3[4:], (2, 131000.0, 6550.0, 130880.0, 1000.0, 1000.0 - 6550.0))
        subtotal = next(row for row in rows if row[0] == f"Subtotal {self.policy.display_name}")
        self.assertEqual(subtotal[5:], (211000.0, 10550.0, 210820.0, 1000.0, -4000.0 - 5550.0))
        total = rows[-1]
        self.assertEqual(total[0], "Total")
        self.assertEqual(total[6], 11450.0)
        self.assertEqual((total[5], total[7], total[8], total[9]), (None, None, None, None),
                         "bases and margins are not added across policies")

    def test_margins_are_the_managers(self):
        """A rebate user's file leaves the effect analysis's columns blank: margins come from the
        cost of goods, which the effect analysis shows to managers only."""
        user = new_test_user(self.env, login="xlsx_rebate_user", groups="customer_rebate.group_rebate_user",
                             company_id=self.env.company.id)
        self.env = self.env(user=user)
        sheet = self.export(report="summary")["By Policy and Period"]
        policy_rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == self.policy.display_name]
        self.assertEqual(policy_rows[1][4:7], (2, 131000.0, 6550.0), "the rebates are theirs to see")
        self.assertEqual([row[7:] for row in policy_rows], [(None, None, None)] * 2)

    def test_by_period_keeps_a_quarter_whole_when_a_policy_starts_mid_quarter(self):
        sheet = self.export(report="summary")["By Period"]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Period", "Start", "End", "Number of Policies", "Number of Customers", "Rebate"))
        data, total = rows[1:-1], rows[-1]
        # Q2: the 5 % policy's quarter and the fixed policy's 15 May - 30 June together
        self.assertEqual([(row[0], row[1].date().isoformat(), row[2].date().isoformat()) + row[3:] for row in data], [
            ("Q2 2026", "2026-04-01", "2026-06-30", 2, 1, 4000.0 + 300.0),
            ("Q3 2026", "2026-07-01", "2026-09-30", 2, 2, 4050.0 + 2500.0 + 300.0 + 300.0),
        ])
        self.assertEqual((total[0], total[5]), ("Total", 11450.0))

    def test_detail_leaves_the_rate_of_a_fixed_amount_blank(self):
        sheet = self.export(report="detail").worksheets[0]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))[:-1]
        fixed = [row for row in rows if row[1] == self.fixed_policy.display_name]
        self.assertEqual(len(fixed), 3)
        self.assertEqual({(row[8], row[9]) for row in fixed}, {(None, 300.0)}, "no rate of 0 for a fixed amount")
        self.assertTrue(all("300.00" in row[7] for row in fixed), "the tier says the amount")
        rated = [row for row in rows if row[1] == self.policy.display_name]
        self.assertEqual({row[8] for row in rated}, {5.0})


@tagged("post_install", "-at_install")
class TestExportCurrencies(RebateCommon):
    """A user of two companies in two currencies exports one company at a time: a total never
    adds yuan to dollars."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.record_a = cls.confirmed_record()  # 6,000 in the test company's currency
        cny = cls.env.ref("base.CNY")
        cny.active = True
        other = cls.setup_other_company(name="Shanghai branch", currency_id=cny.id)
        cls.other = other["company"]
        other_policy = cls.create_policy(
            company_id=cls.other.id, expense_account_id=other["default_account_expense"].id,
            journal_id=other["default_journal_misc"].id)
        cls.record_cn = cls.confirmed_record(policy=other_policy, amount=200000.0)  # ¥10,000
        cls.env.user.company_ids |= cls.other

    def export(self, company, **values):
        wizard = self.env["rebate.export.wizard"].with_company(company).with_context(
            allowed_company_ids=[company.id, *(self.env.user.company_ids - company).ids]).create(values)
        wizard.action_export()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)

    def test_each_company_exports_its_own_records_in_its_currency(self):
        self.assertNotEqual(self.record_a.currency_id, self.record_cn.currency_id)
        for company, record in ((self.env.company, self.record_a), (self.other, self.record_cn)):
            rows = list(self.export(company, report="detail").worksheets[0].iter_rows(min_row=2, values_only=True))
            data, total = rows[:-1], rows[-1]
            self.assertEqual([row[9] for row in data], [record.amount], company.name)
            self.assertEqual(total[9], record.amount, "the total is of one currency")

    def test_selected_records_of_two_currencies_are_refused(self):
        with self.assertRaisesRegex(UserError, "several currencies"):
            self.export(self.env.company, report="detail", record_ids=[(6, 0, (self.record_a | self.record_cn).ids)])
