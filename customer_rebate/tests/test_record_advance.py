# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RebateCommon

Q1, Q2, Q3, Q4 = date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)


@tagged("post_install", "-at_install")
class TestRecordAdvance(RebateCommon):
    """年度返利，季度预返: 5 % of yearly purchases once they reach 400,000.00, advanced quarterly at
    3 % on the year to date, the year settled at year end."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accrual_account = cls.env["account.account"].create(
            {"name": "Accrued rebates", "code": "AR913", "account_type": "liability_current"})
        cls.yearly = cls.create_policy(
            tiers=((400000.0, 5.0),), name="Yearly target", period="year", advance_period="quarter",
            advance_mode="rate", advance_rate=3.0, accrual_account_id=cls.accrual_account.id)
        cls.yearly.action_activate()

    def advance(self, date_start, partner=None, policy=None):
        return self.records(policy or self.yearly, kind="advance", date_start=date_start,
                            partner_id=(partner or self.customer_a).id)

    def final(self, partner=None, policy=None):
        return self.records(policy or self.yearly, kind="final", partner_id=(partner or self.customer_a).id)

    def run_quarter(self, day, date_start, policy=None):
        """Compute as of ``day``, confirm and pay the advance of the quarter that began on
        ``date_start``; returns it."""
        policy = policy or self.yearly
        with freeze_time(day):
            policy.action_compute()
            advance = self.advance(date_start, policy=policy)
            advance.action_confirm()
        if advance.amount > 0:
            self.env["rebate.settlement"]._create_from_records(advance).action_done()
        return advance

    def test_terms_in_words(self):
        self.assertEqual(self.yearly.summary,
                         "5 % of yearly purchases once they reach 400,000.00, advanced quarterly at 3 %")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["customer_rebate"], ["zh_CN"])
        self.assertEqual(self.yearly.with_context(lang="zh_CN").summary,
                         "年度采购额达到 400,000.00 后返利 5%，按季度以 3% 预返")
        self.yearly.action_draft()
        self.yearly.advance_mode = "tier"
        self.assertEqual(self.yearly.summary, "5 % of yearly purchases once they reach 400,000.00, "
                                              "advanced quarterly at the tier reached so far")

    def test_a_year_of_four_advances_and_the_true_up(self):
        # quarters of 100,000, 150,000, 120,000 and 110,000: year to date 100,000 … 480,000
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        q1 = self.run_quarter("2026-04-10", Q1)
        self.assertEqual((q1.base_amount, q1.rate, q1.year_rebate_amount, q1.advanced_amount, q1.amount),
                         (100000.0, 3.0, 3000.0, 0.0, 3000.0))
        self.assertEqual(q1.state, "settled")
        self.invoice(self.customer_a, "2026-05-10", 150000.0)
        q2 = self.run_quarter("2026-07-10", Q2)
        self.assertEqual((q2.base_amount, q2.year_rebate_amount, q2.advanced_amount, q2.amount),
                         (250000.0, 7500.0, 3000.0, 4500.0), "7,500 on the year to date minus 3,000 advanced")
        self.invoice(self.customer_a, "2026-08-10", 120000.0)
        q3 = self.run_quarter("2026-10-10", Q3)
        self.assertEqual((q3.year_rebate_amount, q3.advanced_amount, q3.amount), (11100.0, 7500.0, 3600.0))
        # before year end the year-end settlement is an estimate: the year so far is below the tier
        final = self.final()
        self.assertEqual((final.state, final.base_amount, final.year_rebate_amount, final.amount),
                         ("draft", 370000.0, 0.0, -11100.0))
        self.invoice(self.customer_a, "2026-11-10", 110000.0)
        with freeze_time("2027-01-10"):
            self.yearly.action_compute()
            final = self.final()
            final.action_confirm()
        q4 = self.advance(Q4)
        self.assertEqual((q4.year_rebate_amount, q4.advanced_amount, q4.amount), (14400.0, 11100.0, 3300.0))
        self.assertEqual(q4.state, "confirmed", "confirming the year-end settlement confirmed the last advance")
        self.assertEqual((final.base_amount, final.rate, final.year_rebate_amount, final.advanced_amount,
                          final.amount), (480000.0, 5.0, 24000.0, 14400.0, 9600.0))
        self.assertIn("24,000.00", final.computation)
        self.assertIn("9,600.00", final.computation)
        settlement = self.env["rebate.settlement"]._create_from_records(q4 | final)
        settlement.action_done()
        self.assertEqual(settlement.amount, 12900.0)
        records = self.records(self.yearly)
        self.assertEqual(len(records), 5)
        self.assertEqual(sum(records.mapped("amount")), 24000.0, "the advances and the true-up are the year's rebate")
        self.assertEqual(set(records.mapped("state")), {"settled"})
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(self.account_balance(receivable, self.customer_a), 480000.0 - 24000.0)
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        # the year's sales and its rebate in the effect analysis, each once
        [row] = self.env["rebate.effect.report"].search([("policy_id", "=", self.yearly.id)])
        self.assertEqual((row.sales, row.rebate), (480000.0, 24000.0))

    def test_a_customer_below_the_tier_after_q3_owes_the_advances_back(self):
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        self.run_quarter("2026-04-10", Q1)
        self.invoice(self.customer_a, "2026-05-10", 150000.0)
        self.run_quarter("2026-07-10", Q2)
        self.invoice(self.customer_a, "2026-08-10", 170000.0)
        q3 = self.run_quarter("2026-10-10", Q3)
        self.assertEqual((q3.year_rebate_amount, q3.amount), (12600.0, 5100.0), "420,000 at 3 %, minus 7,500")
        expense_before = self.account_balance(self.expense_account)
        # credit notes after Q3 bring the year down to 370,000, below the 400,000 of the tier
        self.refund(self.customer_a, "2026-11-10", 50000.0)
        with freeze_time("2027-01-10"):
            self.yearly.action_compute()
            final = self.final()
            final.action_confirm()
        q4 = self.advance(Q4)
        self.assertEqual((q4.year_rebate_amount, q4.advanced_amount, q4.amount), (11100.0, 12600.0, -1500.0))
        self.assertEqual((final.base_amount, final.tier_id.id, final.year_rebate_amount, final.advanced_amount,
                          final.amount), (370000.0, False, 0.0, 11100.0, -11100.0))
        self.assertEqual(self.customer_a.rebate_to_recover, 12600.0, "every advance is owed back")
        with self.assertRaisesRegex(UserError, "Nothing to pay"):
            self.env["rebate.settlement"]._create_from_records(q4 | final)
        # the books: the negative records took the expense back from the accrual
        self.assertEqual(self.account_balance(self.expense_account) - expense_before, -12600.0)
        self.assertEqual(self.account_balance(self.accrual_account), 12600.0)
        (q4 | final).action_recover()
        settlement = final.settlement_id
        self.assertEqual(q4.settlement_id, settlement)
        settlement.action_done()
        invoice = settlement.move_id
        self.assertEqual((invoice.move_type, invoice.amount_total, invoice.rebate_settlement_id),
                         ("out_invoice", 12600.0, settlement))
        self.assertEqual(self.account_balance(self.accrual_account), 0.0)
        receivable = self.customer_a.property_account_receivable_id
        self.assertEqual(self.account_balance(receivable, self.customer_a), 370000.0,
                         "the advances credited and the recovery invoice debited cancel out")
        self.assertEqual(sum(self.records(self.yearly).mapped("amount")), 0.0)
        self.customer_a.invalidate_recordset(["rebate_to_recover"])
        self.assertEqual(self.customer_a.rebate_to_recover, 0.0)

    def test_the_tier_reached_so_far(self):
        self.yearly.action_draft()
        self.yearly.write({"advance_mode": "tier", "accrual_account_id": False})
        self.yearly.action_activate()
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        q1 = self.run_quarter("2026-04-10", Q1)
        self.assertEqual((q1.tier_id.id, q1.amount, q1.state), (False, 0.0, "confirmed"), "below the tier: kept at 0")
        self.invoice(self.customer_a, "2026-05-10", 150000.0)
        self.invoice(self.customer_a, "2026-08-10", 170000.0)
        with freeze_time("2026-10-10"):
            self.yearly.action_compute()
        q2, q3 = self.advance(Q2), self.advance(Q3)
        self.assertEqual((q2.year_rebate_amount, q2.amount), (0.0, 0.0))
        self.assertEqual((q3.tier_id, q3.rate, q3.year_rebate_amount, q3.amount),
                         (self.yearly.tier_ids, 5.0, 21000.0, 21000.0), "420,000 reached the tier: 5 %")
        self.invoice(self.customer_a, "2026-11-10", 60000.0)
        with freeze_time("2027-01-10"):
            self.yearly.action_compute()
        q4, final = self.advance(Q4), self.final()
        self.assertEqual((q4.year_rebate_amount, q4.advanced_amount, q4.amount), (24000.0, 21000.0, 3000.0))
        self.assertEqual((final.year_rebate_amount, final.advanced_amount, final.amount), (24000.0, 24000.0, 0.0))

    def test_a_cancelled_advance_is_made_up_by_the_next(self):
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        with freeze_time("2026-04-10"):
            self.yearly.action_compute()
            self.advance(Q1).action_cancel()
        self.invoice(self.customer_a, "2026-05-10", 150000.0)
        with freeze_time("2026-07-10"):
            self.yearly.action_compute()
        self.assertEqual((self.advance(Q1).state, self.advance(Q2).amount), ("cancelled", 7500.0))

    def test_incremental_runs_equal_a_full_computation(self):
        customers = self.customer_a | self.customer_b
        for customer in customers:
            self.invoice(customer, "2026-02-10", 100000.0)
        with freeze_time("2026-03-20"):
            self.yearly.action_compute()
        with freeze_time("2026-04-02"):
            self.yearly.action_compute()
        self.assertEqual(len(self.records(self.yearly, kind="advance", date_start=Q2)), 2,
                         "a quarter begun brings every customer's advance, with no new invoice")
        for customer in customers:
            self.invoice(customer, "2026-05-10", 300000.0)
            self.invoice(customer, "2026-08-10", 120000.0)
        with freeze_time("2026-08-20"):
            self.yearly.action_compute()
            self.advance(Q1).action_confirm()
        # a credit note dated back in A's confirmed first quarter: only A's year is computed again
        self.refund(self.customer_a, "2026-03-01", 40000.0)
        with freeze_time("2026-08-25"):
            self.yearly.action_compute()

        def snapshot():
            return {
                (r.partner_id.id, r.date_start, r.kind, r.revision):
                    (r.state, r.date_end, r.base_amount, r.rate, r.year_rebate_amount, r.advanced_amount, r.amount)
                for r in self.records(self.yearly)
            }
        incremental = snapshot()
        # A's Q1 stays at the 3,000 confirmed; Q2 brings the advances to the year to date
        self.assertEqual([(r.year_rebate_amount, r.advanced_amount, r.amount) for r in
                          self.records(self.yearly, kind="advance", partner_id=self.customer_a.id)],
                         [(3000.0, 0.0, 3000.0), (10800.0, 3000.0, 7800.0), (14400.0, 10800.0, 3600.0)])
        self.assertEqual([(r.year_rebate_amount, r.advanced_amount, r.amount) for r in
                          self.records(self.yearly, kind="advance", partner_id=self.customer_b.id)],
                         [(3000.0, 0.0, 3000.0), (12000.0, 3000.0, 9000.0), (15600.0, 12000.0, 3600.0)])
        self.assertEqual((self.final().amount, self.final(self.customer_b).amount), (24000.0 - 14400.0, 26000.0 - 15600.0))
        with freeze_time("2026-08-25"):
            self.yearly._compute_records()
        self.assertEqual(snapshot(), incremental, "the incremental runs left what a full run makes")

    def test_payout_methods_pay_an_advance(self):
        owed = self.env["account.account"].create(
            {"name": "Rebates owed", "code": "RB2913", "account_type": "liability_current"})
        free_product = self._create_product(name="Free crate", is_storable=True, lst_price=100.0,
                                            standard_price=60.0)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(free_product, warehouse.lot_stock_id, 100.0)
        methods = {
            "credit_note": {"journal_id": self.company_data["default_journal_sale"].id},
            "cash": {},
            "goods": {"goods_product_id": free_product.id},
            "discount": {"balance_account_id": owed.id},
        }
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        for method, values in methods.items():
            policy = self.create_policy(
                tiers=((400000.0, 5.0),), name=f"Yearly {method}", period="year", advance_period="quarter",
                advance_rate=3.0, settlement_method=method, **values)
            policy.action_activate()
            advance = self.run_quarter("2026-04-10", Q1, policy=policy)
            self.assertEqual((advance.amount, advance.state), (3000.0, "settled"), method)
            settlement = advance.settlement_id
            self.assertEqual(settlement.amount, 3000.0, method)
            if method == "goods":
                self.assertEqual(settlement.picking_id.move_ids.product_uom_qty, 30.0, "3,000 / 100")
            elif method == "discount":
                self.assertEqual(self.customer_a.with_company(self.env.company)._rebate_balance_amount(
                    self.env.company, policy), 3000.0)
            else:
                self.assertEqual(abs(settlement.move_id.amount_total), 3000.0, method)

    def test_statement_projection_and_xlsx_say_it(self):
        # 450,000 in Q1: 13,500 advanced at 3 %; 50,000 more in Q2: 15,000 to date, 1,500 more
        self.invoice(self.customer_a, "2026-02-10", 450000.0)
        self.run_quarter("2026-04-10", Q1)
        self.invoice(self.customer_a, "2026-05-10", 50000.0)
        with freeze_time("2026-07-10"):
            self.yearly.action_compute()
            q2 = self.advance(Q2)
            q2.action_confirm()
        self.assertEqual(q2.computation, "Year to date 500,000.00 (to 2026-06-30) at 3 % → 15,000.00; "
                                         "advanced before 13,500.00 → advance 1,500.00")
        self.assertEqual(q2.display_name, f"{self.yearly.code} · {self.customer_a.display_name} · Q2 2026, advance")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "customer_rebate.action_report_rebate_record", q2.ids)[0].decode()
        self.assertIn("advanced quarterly at 3 %", html)
        for figure in ("500,000.00", "25,000.00", "13,500.00", "1,500.00", "10,000.00"):
            # the year to date, its rebate at 5 %, paid, not paid yet, left for year end
            self.assertIn(figure, html)
        self.assertIn("Left for the Year-End Settlement", html)

        # an invoice of 100,000 being written: the year projects 30,000, 15,000 advanced
        move = self.invoice(self.customer_a, "2026-07-15", 100000.0, post=False)
        [projection] = move.rebate_projection_json
        self.assertEqual((projection["projected_amount"], projection["advanced_amount"],
                          projection["advance_left_amount"]), (30000.0, 15000.0, 15000.0))
        self.assertIn("left for the year-end settlement", projection["texts"]["advance"])

        wizard = self.env["rebate.export.wizard"].create({"report": "detail"})
        wizard.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[18:21], ["Kind", "Year-to-Date Rebate", "Advanced Before"])
        rows = {(row[1], row[2]): row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}
        row = rows[(self.yearly.display_name, "Q2 2026")]
        self.assertEqual((row[5], row[9], row[18], row[19], row[20]), (500000.0, 1500.0, "Advance", 15000.0, 13500.0))
        wizard = self.env["rebate.export.wizard"].create({"report": "summary"})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)), data_only=True)
        sheet = next(sheet for sheet in book.worksheets if sheet.title == "By Policy and Period")
        rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
        labels = [row[1] for row in rows if row[0] == self.yearly.display_name]
        # the third quarter has begun: its advance is an estimate of 0 so far
        self.assertEqual(labels, ["Q1 2026, advance", "2026, year-end settlement", "Q2 2026, advance",
                                  "Q3 2026, advance"])
        subtotal = next(row for row in rows if row[0] == f"Subtotal {self.yearly.display_name}")
        self.assertEqual((subtotal[5], subtotal[6]), (500000.0, 15000.0 + 10000.0),
                         "the year's sales once; the advances and the year-end estimate")

    def test_a_policy_closed_mid_year_keeps_one_year(self):
        self.invoice(self.customer_a, "2026-02-10", 100000.0)
        self.invoice(self.customer_a, "2026-04-20", 50000.0)
        with freeze_time("2026-05-15"):
            self.yearly.action_compute()
            self.yearly.action_close()
        records = self.records(self.yearly)
        self.assertEqual([(r.kind, r.date_start, r.date_end, r.amount) for r in records.sorted(lambda r: (r.date_start, r.kind))], [
            ("advance", Q1, date(2026, 3, 31), 3000.0),
            ("final", Q1, date(2026, 5, 15), -4500.0),
            ("advance", Q2, date(2026, 5, 15), 1500.0),
        ])

    def test_bad_terms_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "yearly"):
            self.create_policy(advance_period="quarter", advance_rate=3.0)
        with self.assertRaisesRegex(ValidationError, "highest tier"):
            self.create_policy(tiers=((400000.0, 5.0),), period="year", advance_period="quarter", advance_rate=6.0)
        with self.assertRaisesRegex(ValidationError, "provisional rate"):
            self.create_policy(tiers=((400000.0, 5.0),), period="year", advance_period="quarter")
        with self.assertRaisesRegex(ValidationError, "fixed quantity"):
            self.create_policy(
                tiers=((400000.0, 5.0),), period="year", advance_period="quarter", advance_rate=3.0,
                settlement_method="goods", goods_product_id=self.goods.id, goods_quantity_mode="fixed")
        policy = self.create_policy(tiers=((400000.0, 5.0),), period="year")
        self.assertFalse(policy.advance_period, "no advances unless asked")
        self.assertEqual(policy.tier_ids.mapped("rate"), [5.0])
