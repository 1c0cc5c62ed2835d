# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""返利明细报表 / 返利汇总报表 as XLSX: one row per record (detail), or totals per customer, policy and
period (summary). Rows are streamed (xlsxwriter's constant_memory) and records read in chunks, so
a hundred thousand records do not grow the server's memory with them."""

import base64
import os
import tempfile
from dataclasses import dataclass
from datetime import date

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..engine import period_containing

CHUNK = 5000
# Rows of an Excel worksheet: past the last one xlsxwriter writes nothing (it returns -1), so the
# detail report continues on a new sheet before it.
MAX_SHEET_ROWS = 1048576


@dataclass
class DetailSheet:
    """One sheet of the detail report: where its next record goes and what its rows add up to."""

    sheet: object
    next_row: int = 1
    base: float = 0.0  # the advances' year-to-date bases left out
    amount: float = 0.0
    advance_base: float = 0.0


class RebateExportWizard(models.TransientModel):
    _name = "rebate.export.wizard"
    _description = "Export Rebates"

    report = fields.Selection(
        [("detail", "Detail (one row per record)"), ("summary", "Summary (per customer, policy and period)")],
        required=True, default="detail")
    date_from = fields.Date(string="Periods From")
    date_to = fields.Date(string="Periods Until")
    policy_ids = fields.Many2many("rebate.policy", string="Policies", help="Empty for every policy.")
    partner_ids = fields.Many2many("res.partner", string="Customers", help="Empty for every customer.")
    include_estimates = fields.Boolean(default=True)
    record_ids = fields.Many2many("rebate.record", string="Selected Records",
                                  default=lambda self: self._default_records())
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def _default_records(self):
        if self.env.context.get("active_model") == "rebate.record":
            return self.env["rebate.record"].browse(self.env.context.get("active_ids"))
        return self.env["rebate.record"]

    def _record_domain(self):
        self.ensure_one()
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise UserError(self.env._("The periods cannot end before they start."))
        if self.record_ids:
            return [("id", "in", self.record_ids.ids)]
        # the current company's records, in its currency: several companies would add up
        # amounts of different currencies in one total
        domain = [("state", "!=", "cancelled"), ("company_id", "=", self.env.company.id)]
        if not self.include_estimates:
            domain.append(("state", "!=", "draft"))
        if self.date_from:
            domain.append(("date_end", ">=", self.date_from))
        if self.date_to:
            domain.append(("date_start", "<=", self.date_to))
        if self.policy_ids:
            domain.append(("policy_id", "in", self.policy_ids.ids))
        if self.partner_ids:
            domain.append(("partner_id", "in", self.partner_ids.commercial_partner_id.ids))
        return domain

    # ------------------------------------------------------------------ workbook

    def _export_currency(self):
        """The one currency of the export: the current company's, or the selected records' (amounts
        in two currencies cannot share a total)."""
        currencies = self.record_ids.currency_id
        if len(currencies) > 1:
            raise UserError(self.env._(
                "The selected records are in several currencies (%(currencies)s): export the records "
                "of one company at a time.", currencies=", ".join(currencies.mapped("name"))))
        return currencies or self.env.company.currency_id

    def _formats(self, workbook):
        currency = self._export_currency()
        money = "#,##0." + "0" * currency.decimal_places if currency.decimal_places else "#,##0"
        return {
            "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
            "text": workbook.add_format({}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "money": workbook.add_format({"num_format": money}),
            "qty": workbook.add_format({"num_format": "#,##0.##"}),
            "rate": workbook.add_format({"num_format": "0.00"}),
            "total_label": workbook.add_format({"bold": True, "top": 1}),
            "total_money": workbook.add_format({"bold": True, "top": 1, "num_format": money}),
            "subtotal_label": workbook.add_format({"italic": True, "bg_color": "#F2F2F2"}),
            "subtotal_money": workbook.add_format({"italic": True, "bg_color": "#F2F2F2", "num_format": money}),
            "title": workbook.add_format({"bold": True, "font_size": 13}),
        }

    @staticmethod
    def _start_sheet(sheet, formats, columns):
        """Header row, widths, frozen header; ``columns`` are (title, width) pairs."""
        for col, (title, width) in enumerate(columns):
            sheet.write(0, col, title, formats["header"])
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)

    @staticmethod
    def _total_row(sheet, formats, row, label, sums, first_row=1):
        """A totals row: SUBTOTAL formulas (they follow the autofilter) with their values cached
        for readers that do not compute, like openpyxl."""
        sheet.write(row, 0, label, formats["total_label"])
        for col, value in sums.items():
            cell_range = xlsxwriter.utility.xl_range(first_row, col, row - 1, col)
            sheet.write_formula(row, col, f"=SUBTOTAL(9,{cell_range})", formats["total_money"], value)

    def _write_detail(self, workbook, formats):
        title = self.env._("Rebate Detail")
        columns = [
            (self.env._("Customer"), 30),
            (self.env._("Policy"), 32),
            (self.env._("Period"), 12),
            (self.env._("Start"), 11),
            (self.env._("End"), 11),
            (self.env._("Base Amount"), 15),
            (self.env._("Base Quantity"), 12),
            (self.env._("Tier"), 24),
            (self.env._("Rate (%)"), 9),
            (self.env._("Rebate"), 14),
            (self.env._("Status"), 12),
            (self.env._("Settlement"), 18),
            (self.env._("Document"), 18),
            (self.env._("Invoices Count"), 14),  # paid basis (issue 13): when the invoices counted
            # overlap13: purchases an exclusive policy counts instead, and why
            (self.env._("Counted by Other Policies"), 15),
            (self.env._("Why"), 40),
            # group volume: the group whose purchases decided the tier, and those purchases
            (self.env._("Customer Group"), 24),
            (self.env._("Group Base"), 15),
            # advance13: a yearly rebate paid in advances
            (self.env._("Kind"), 16),
            (self.env._("Year-to-Date Rebate"), 15),
            (self.env._("Advanced Before"), 15),
            # an advance's base is the year to date: kept apart so that the base total counts
            # the year's purchases once (the year-end settlement's base)
            (self.env._("Year-to-Date Purchases (Advances)"), 15),
        ]
        # each sheet: a header row, the records, its total row and room for the grand total
        last_record_row = MAX_SHEET_ROWS - 3
        sheets = []

        def start_sheet():
            sheet = workbook.add_worksheet(title if not sheets else f"{title} ({len(sheets) + 1})")
            self._start_sheet(sheet, formats, columns)
            sheets.append(DetailSheet(sheet))
            return sheets[-1]

        def finish_sheet(part, label):
            part.sheet.autofilter(0, 0, max(part.next_row - 1, 1), len(columns) - 1)
            self._total_row(part.sheet, formats, part.next_row, label,
                            {5: part.base, 9: part.amount, 21: part.advance_base})
            # the base total leaves the advances' year-to-date bases out (visible rows only)
            first, last = 1, max(part.next_row - 1, 1)
            base_range = xlsxwriter.utility.xl_range(first, 5, last, 5)
            advance_range = xlsxwriter.utility.xl_range(first, 21, last, 21)
            part.sheet.write_formula(part.next_row, 5, f"=SUBTOTAL(9,{base_range})-SUBTOTAL(9,{advance_range})",
                                     formats["total_money"], part.base)

        states = dict(self.env["rebate.record"]._fields["state"]._description_selection(self.env))
        invoice_bases = dict(self.env["rebate.policy"]._fields["invoice_basis"]._description_selection(self.env))
        kinds = dict(self.env["rebate.record"]._fields["kind"]._description_selection(self.env))
        Record = self.env["rebate.record"]
        ids = Record.search(self._record_domain(), order="date_start, policy_id, partner_id, revision").ids
        current = start_sheet()
        for chunk in split_every(CHUNK, ids):
            records = Record.browse(chunk)
            for record in records:
                if current.next_row > last_record_row:
                    finish_sheet(current, self.env._("Total of this sheet"))
                    current = start_sheet()
                sheet, row = current.sheet, current.next_row
                settlement = record.settlement_id
                # the payout document's reference only: a rebate user may not read the entry itself
                document = settlement.move_id.sudo().name or settlement.picking_id.sudo().name or ""
                sheet.write_string(row, 0, record.partner_id.display_name or "")
                sheet.write_string(row, 1, record.policy_id.display_name or "")
                sheet.write_string(row, 2, record.period_label or "")
                sheet.write_datetime(row, 3, fields.Datetime.to_datetime(record.date_start), formats["date"])
                sheet.write_datetime(row, 4, fields.Datetime.to_datetime(record.date_end), formats["date"])
                sheet.write_number(row, 5, record.base_amount, formats["money"])
                sheet.write_number(row, 6, record.base_qty, formats["qty"])
                sheet.write_string(row, 7, record.tier_id.display_name or "")
                if record.policy_id.amount_type == "fixed":
                    # a fixed amount has no rate: the tier column says the amount
                    sheet.write_blank(row, 8, None, formats["rate"])
                else:
                    sheet.write_number(row, 8, record.rate, formats["rate"])
                sheet.write_number(row, 9, record.amount, formats["money"])
                sheet.write_string(row, 10, states.get(record.state, record.state))
                sheet.write_string(row, 11, settlement.name or "")
                sheet.write_string(row, 12, document)
                sheet.write_string(row, 13, invoice_bases.get(record.policy_id.invoice_basis, ""))
                sheet.write_number(row, 14, record.overlap_amount, formats["money"])
                sheet.write_string(row, 15, record.overlap_text or "")
                if record.pool_key:
                    sheet.write_string(row, 16, record.pool_name or "")
                    sheet.write_number(row, 17, record.pool_base_amount, formats["money"])
                sheet.write_string(row, 18, kinds.get(record.kind, record.kind))
                if record.kind != "period":
                    sheet.write_number(row, 19, record.year_rebate_amount, formats["money"])
                    sheet.write_number(row, 20, record.advanced_amount, formats["money"])
                current.next_row += 1
                if record.kind == "advance":
                    sheet.write_number(row, 21, record.base_amount, formats["money"])
                    current.advance_base += record.base_amount
                else:
                    current.base += record.base_amount
                current.amount += record.amount
            # keep the ORM cache to one chunk
            self.env.invalidate_all()
        if len(sheets) == 1:
            finish_sheet(current, self.env._("Total"))
        else:
            finish_sheet(current, self.env._("Total of this sheet"))
            self._grand_total_row(formats, self.env._("Total"), sheets)
        return len(ids)

    @staticmethod
    def _grand_total_row(formats, label, sheets):
        """Below the last sheet's total, the sum of every sheet's total row."""
        last = sheets[-1]
        row = last.next_row + 1
        last.sheet.write(row, 0, label, formats["total_label"])
        for col, field in ((5, "base"), (9, "amount"), (21, "advance_base")):
            cells = ",".join(
                f"{xlsxwriter.utility.quote_sheetname(part.sheet.name)}!"
                f"{xlsxwriter.utility.xl_rowcol_to_cell(part.next_row, col)}"
                for part in sheets)
            value = sum(getattr(part, field) for part in sheets)
            last.sheet.write_formula(row, col, f"=SUM({cells})", formats["total_money"], value)

    def _effect_by_policy_period(self, domain):
        """``{(policy id, period start): (gross margin, margin gained, net effect)}`` from the effect
        analysis, for the customer periods of the exported records only (one query). The effect
        analysis (margins, from the cost of goods) is the managers': other users' files leave
        these columns blank."""
        if not self.env.user.has_group("customer_rebate.group_rebate_manager"):
            return {}
        records = self.env["rebate.record"]._search(domain)
        table = records.table
        rows = self.env.execute_query(SQL(
            """SELECT e.policy_id, e.date_start, SUM(e.margin), SUM(e.margin_gain), SUM(e.net_effect)
                 FROM %s e
                WHERE (e.policy_id, e.partner_id, e.date_start) IN %s
             GROUP BY e.policy_id, e.date_start""",
            self.env["rebate.effect.report"]._table_sql,
            records.subselect(SQL.identifier(table, "policy_id"), SQL.identifier(table, "partner_id"),
                              SQL.identifier(table, "date_start"))))
        return {
            (policy_id, day): tuple(None if value is None else float(value) for value in values)
            for policy_id, day, *values in rows
        }

    @staticmethod
    def _write_amount(sheet, row, col, value, money_format):
        """A figure, or a blank cell where it is not defined (e.g. growth not measured)."""
        if value is None:
            sheet.write_blank(row, col, None, money_format)
        else:
            sheet.write_number(row, col, value, money_format)

    def _write_summary(self, workbook, formats):
        Record = self.env["rebate.record"]
        domain = self._record_domain()
        # per customer and policy: a customer's sales can count for several policies, so their
        # bases are shown per policy and never added up
        sheet = workbook.add_worksheet(self.env._("By Customer"))
        columns = [
            (self.env._("Customer"), 32),
            (self.env._("Policy"), 32),
            (self.env._("Number of Records"), 11),
            (self.env._("Base Amount (per policy)"), 16),
            (self.env._("Rebate"), 14),
            (self.env._("Paid"), 14),
            (self.env._("Due"), 14),
            (self.env._("Estimated"), 14),
        ]
        self._start_sheet(sheet, formats, columns)
        groups = Record._read_group(domain, ["partner_id", "policy_id", "state", "kind"],
                                    ["__count", "base_amount:sum", "amount:sum"])
        rows = {}
        for partner, policy, state, kind, count, base, amount in groups:
            entry = rows.setdefault((partner, policy), [0, 0.0, 0.0, 0.0, 0.0, 0.0])
            entry[0] += count
            # an advance's base is the year to date: the year's purchases count once, in the
            # year-end settlement's base
            if kind != "advance":
                entry[1] += base
            entry[2] += amount
            column = {"settled": 3, "confirmed": 4, "draft": 5}.get(state)
            if column:
                entry[column] += amount
        row = 1
        totals = [0.0] * 5
        for (partner, policy), (count, base, amount, paid, due, estimated) in sorted(
                rows.items(), key=lambda item: (item[0][0].display_name or "", item[0][1].display_name or "")):
            sheet.write_string(row, 0, partner.display_name or "")
            sheet.write_string(row, 1, policy.display_name or "")
            sheet.write_number(row, 2, count)
            sheet.write_number(row, 3, base, formats["money"])
            totals[0] += count
            for col, value in zip(range(4, 8), (amount, paid, due, estimated)):
                sheet.write_number(row, col, value, formats["money"])
                totals[col - 3] += value
            row += 1
        sheet.autofilter(0, 0, max(row - 1, 1), len(columns) - 1)
        self._total_row(sheet, formats, row, self.env._("Total"), {2: totals[0], **dict(zip(range(4, 8), totals[1:]))})

        # per policy and period, with a subtotal per policy; margins and net effect from the
        # effect analysis, added up within a policy only
        sheet = workbook.add_worksheet(self.env._("By Policy and Period"))
        columns = [
            (self.env._("Policy"), 34),
            (self.env._("Period"), 14),
            (self.env._("Start"), 11),
            (self.env._("End"), 11),
            (self.env._("Number of Customers"), 11),
            (self.env._("Base Amount"), 16),
            (self.env._("Rebate"), 14),
            (self.env._("Gross Margin"), 16),
            (self.env._("Gross Margin Gained"), 16),
            (self.env._("Net Effect"), 16),
        ]
        self._start_sheet(sheet, formats, columns)
        # an advance's base is the year to date: its own row, not added to the year's
        groups = Record._read_group(domain, ["policy_id", "date_start:day", "date_end:day", "kind"],
                                    ["partner_id:count_distinct", "base_amount:sum", "amount:sum"],
                                    order="policy_id, date_start:day, date_end:day, kind")
        effects = self._effect_by_policy_period(domain)
        row = 1
        grand_rebate = 0.0
        by_policy = {}
        for policy, day, end, kind, customers_count, base, amount in groups:
            by_policy.setdefault(policy, []).append((day, end, kind, customers_count, base, amount))

        def add(total, value):
            """A subtotal that stays blank while every figure it adds is blank."""
            if value is None:
                return total
            return value if total is None else total + value

        for policy, periods in by_policy.items():
            subtotal = [0.0, 0.0, None, None, None]
            for day, end, kind, customers_count, base, amount in periods:
                margin, gained, net_effect = effects.get((policy.id, day), (None, None, None)) \
                    if kind != "advance" else (None, None, None)
                line = Record.new({"policy_id": policy.id, "date_start": day, "date_end": end, "kind": kind})
                label = line._period_label() if kind == "period" else line._advance_label(line._period_label())
                sheet.write_string(row, 0, policy.display_name or "")
                sheet.write_string(row, 1, label)
                sheet.write_datetime(row, 2, fields.Datetime.to_datetime(day), formats["date"])
                sheet.write_datetime(row, 3, fields.Datetime.to_datetime(end), formats["date"])
                sheet.write_number(row, 4, customers_count)
                for col, value in zip(range(5, 10), (base, amount, margin, gained, net_effect)):
                    self._write_amount(sheet, row, col, value, formats["money"])
                    if not (col == 5 and kind == "advance"):
                        subtotal[col - 5] = add(subtotal[col - 5], value)
                row += 1
            sheet.write_string(row, 0, self.env._("Subtotal %s", policy.display_name), formats["subtotal_label"])
            for col in range(1, 5):
                sheet.write_blank(row, col, None, formats["subtotal_label"])
            for col, value in zip(range(5, 10), subtotal):
                self._write_amount(sheet, row, col, value, formats["subtotal_money"])
            grand_rebate += subtotal[1]
            row += 1
        # bases and margins are not added across policies: only the rebates are
        sheet.write(row, 0, self.env._("Total"), formats["total_label"])
        sheet.write_number(row, 6, grand_rebate, formats["total_money"])

        # per period, every policy together: a policy's period cut short by its dates belongs to
        # the calendar period it is part of
        sheet = workbook.add_worksheet(self.env._("By Period"))
        columns = [
            (self.env._("Period"), 14),
            (self.env._("Start"), 11),
            (self.env._("End"), 11),
            (self.env._("Number of Policies"), 11),
            (self.env._("Number of Customers"), 11),
            (self.env._("Rebate"), 14),
        ]
        self._start_sheet(sheet, formats, columns)
        periods = {}
        for policy, day, end, partner, amount in Record._read_group(
                domain, ["policy_id", "date_start:day", "date_end:day", "partner_id"], ["amount:sum"]):
            if policy.period == "window":
                key = (day, end, policy.period)
            else:
                whole = period_containing(policy.period, day, date.min)
                key = (whole.date_start, whole.date_end, policy.period)
            entry = periods.setdefault(key, [policy, set(), set(), 0.0])
            entry[1].add(policy.id)
            entry[2].add(partner.id)
            entry[3] += amount
        row = 1
        rebate_total = 0.0
        for (start, end, __), (policy, policy_ids, partner_ids, amount) in sorted(periods.items()):
            label = Record.new({"policy_id": policy.id, "date_start": start, "date_end": end})._period_label()
            sheet.write_string(row, 0, label)
            sheet.write_datetime(row, 1, fields.Datetime.to_datetime(start), formats["date"])
            sheet.write_datetime(row, 2, fields.Datetime.to_datetime(end), formats["date"])
            sheet.write_number(row, 3, len(policy_ids))
            sheet.write_number(row, 4, len(partner_ids))
            sheet.write_number(row, 5, amount, formats["money"])
            rebate_total += amount
            row += 1
        sheet.autofilter(0, 0, max(row - 1, 1), len(columns) - 1)
        self._total_row(sheet, formats, row, self.env._("Total"), {5: rebate_total})
        return len({partner for partner, __ in rows})

    def _build_workbook(self):
        """The XLSX file's bytes."""
        self.ensure_one()
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
            formats = self._formats(workbook)
            if self.report == "detail":
                self._write_detail(workbook, formats)
            else:
                self._write_summary(workbook, formats)
            workbook.close()
            with open(path, "rb") as xlsx:
                return xlsx.read()
        finally:
            os.unlink(path)

    def action_export(self):
        self.ensure_one()
        content = self._build_workbook()
        name = self.env._("Rebate Detail") if self.report == "detail" else self.env._("Rebate Summary")
        self.write({
            "file_data": base64.b64encode(content),
            "file_name": f"{name} {fields.Date.context_today(self)}.xlsx",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}&field=file_data"
                   f"&filename_field=file_name&download=true",
            "target": "self",
        }
