# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from collections import defaultdict

from babel.dates import format_skeleton

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL, format_date, formatLang
from odoo.tools.misc import babel_locale_parse, get_lang

from ..engine import period_containing
from ..tools.entries import signed_line

# Columns written by _create_estimates: every stored field of a computed record. A stored field
# added to rebate.record with a default must be listed here too (the bulk insert bypasses defaults).
ESTIMATE_COLUMNS = (
    "policy_id", "partner_id", "company_id", "rebate_type", "date_start", "date_end", "revision",
    "base_amount", "base_qty", "tier_id", "rate", "amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
    # group volume: absent from the values of an unpooled record (NULL)
    "pool_key", "pool_name", "pool_head_id", "pool_base_amount", "pool_base_qty", "pool_member_count",
    "pool_own_tier",
    "kind", "year_rebate_amount", "advanced_amount",
)
# The figures a recomputation rewrites on an estimate (_write_estimates).
ESTIMATE_FIGURES = (
    "base_amount", "base_qty", "tier_id", "rate", "amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount", "year_rebate_amount", "advanced_amount",
)
# What a record of a policy without advances holds in the columns of advances (advance13).
ESTIMATE_DEFAULTS = {"kind": "period", "year_rebate_amount": 0.0, "advanced_amount": 0.0}


class RebateRecord(models.Model):
    _name = "rebate.record"
    _description = "Rebate Record"
    _inherit = ["mail.thread", "mail.activity.mixin", "rebate.notice.mixin"]
    _order = "date_start desc, policy_id, partner_id, revision"
    _check_company_auto = True

    policy_id = fields.Many2one(
        "rebate.policy", required=True, readonly=True, index=True, ondelete="restrict", check_company=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="restrict",
        help="The commercial partner: sales to its contacts and addresses count for it.")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_start = fields.Date(string="Period Start", required=True, readonly=True)
    date_end = fields.Date(string="Period End", required=True, readonly=True)
    period_label = fields.Char(string="Period", compute="_compute_period_label")
    # "adjustment" for a record, "version" for a policy: two words for two things
    revision = fields.Integer(
        string="Adjustment No.", readonly=True, default=0,
        help="0 for the period's record; 1, 2… for adjustments made after it was confirmed.")
    is_adjustment = fields.Boolean(compute="_compute_is_adjustment")
    base_amount = fields.Monetary(
        readonly=True, tracking=True,
        help="Posted customer invoices minus posted credit notes of the period, untaxed, in the "
             "company currency, within the policy's customers and products. For an adjustment, the "
             "change since the confirmed record.")
    base_qty = fields.Float(
        string="Base Quantity", digits="Product Unit", readonly=True,
        help="Quantity invoiced minus quantity credited, in each product's unit of measure.")
    previous_base_amount = fields.Monetary(
        string="Previous Period Sales", readonly=True, groups="customer_rebate.group_rebate_user",
        help="The customer's sales in the policy's scope in the period before, for the effect analysis.")
    last_year_base_amount = fields.Monetary(
        string="Same Period Last Year", readonly=True, groups="customer_rebate.group_rebate_user",
        help="The customer's sales in the policy's scope in the same period a year before.")
    cost_amount = fields.Monetary(
        string="Cost of Sales", readonly=True, groups="customer_rebate.group_rebate_user",
        help="What the goods in the base cost the company (quantity times the product's cost), for the margin "
             "in the effect analysis.")
    previous_cost_amount = fields.Monetary(
        string="Previous Period Cost of Sales", readonly=True, groups="customer_rebate.group_rebate_user",
        help="The cost of the customer's sales in the policy's scope in the period before.")
    tier_id = fields.Many2one("rebate.policy.tier", string="Tier Reached", readonly=True, ondelete="restrict")
    rate = fields.Float(string="Rate (%)", digits=(5, 2), readonly=True, aggregator=None)
    amount = fields.Monetary(string="Rebate", readonly=True, tracking=True)
    state = fields.Selection(
        [
            ("draft", "Estimate"),
            ("confirmed", "Confirmed"),
            ("settled", "Settled"),
            ("cancelled", "Cancelled"),
        ],
        default="draft", required=True, readonly=True, copy=False, tracking=True, index=True,
        help="Estimate: the period is open or not yet approved; recomputed from the invoices. "
             "Confirmed: approved, its figures are frozen. Settled: paid out.")
    rebate_type = fields.Selection(related="policy_id.rebate_type", store=True)
    settlement_method = fields.Selection(related="policy_id.settlement_method")
    # internal: it names the figures behind the rebate, a pooled group's purchases among them
    computation = fields.Char(compute="_compute_computation", help="How the rebate was worked out.",
                              groups="base.group_user")
    period_ended = fields.Boolean(
        compute="_compute_period_ended", search="_search_period_ended",
        help="The period is over: its estimate can be confirmed.")
    # advance13: a yearly policy with advances has, per customer and year, one advance record per
    # advance period and the year-end settlement (the record of the year)
    kind = fields.Selection(
        [("period", "Rebate of the Period"), ("advance", "Advance"), ("final", "Year-End Settlement")],
        default="period", required=True, readonly=True,
        help="Advance: paid during the year on the year to date. Year-end settlement: the year's "
             "rebate minus the advances (negative: the customer owes it back).")
    year_rebate_amount = fields.Monetary(
        string="Year-to-Date Rebate", readonly=True,
        help="Advance: the year-to-date rebate at the advance terms at the end of its period. Year-end "
             "settlement: the rebate the year earns.")
    advanced_amount = fields.Monetary(
        string="Advanced Before", readonly=True,
        help="What the advances before this record paid (confirmed, paid or still estimated).")

    _record_unique = models.Constraint(
        "UNIQUE(policy_id, partner_id, date_start, revision, kind)",
        "A customer has one rebate record per policy and period (adjustments are numbered; an advance "
        "and the year-end settlement are records of their own).",
    )
    _period_range = models.Constraint(
        "CHECK(date_end >= date_start)", "A rebate period cannot end before it starts.")
    # A period's records of a policy (the computation reads them period by period; the unique
    # key starts with the customer), and the estimates of the periods ended since the last
    # reminder (the daily run): both read a few rows, however many periods lie behind.
    _policy_period_idx = models.Index("(policy_id, date_start)")
    _draft_period_end_idx = models.Index("(policy_id, date_end) WHERE state = 'draft'")

    @api.depends("date_end")
    @api.depends_context("tz")
    def _compute_period_ended(self):
        today = fields.Date.context_today(self)
        for record in self:
            record.period_ended = bool(record.date_end) and record.date_end < today

    def _search_period_ended(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        ended = (operator == "=") == bool(value)
        return [("date_end", "<" if ended else ">=", fields.Date.context_today(self))]

    @api.depends("revision")
    def _compute_is_adjustment(self):
        for record in self:
            record.is_adjustment = record.revision > 0

    @api.depends("date_start", "date_end", "policy_id.period", "kind", "policy_id.advance_period")
    def _compute_period_label(self):
        for record in self:
            record.period_label = record._period_label()

    def _period_label(self):
        """The calendar period's name as the reader's language writes it (CLDR's skeletons: "Q3
        2026", "2026年第3季度"; "Jul 2026", "2026年7月"), or the record's dates when the policy's own
        dates cut the period short."""
        self.ensure_one()
        if not self.date_start:
            return ""
        kind = self.policy_id.advance_period if self.kind == "advance" else self.policy_id.period
        day = self.date_start
        if kind in ("month", "quarter", "half_year", "year") and self.date_end:
            whole = period_containing(kind, day, day.replace(month=1, day=1))
            if (whole.date_start, whole.date_end) != (self.date_start, self.date_end):
                kind = "window"
        locale = babel_locale_parse(get_lang(self.env).code)
        if kind == "month":
            return format_skeleton("yMMM", day, locale=locale)
        if kind == "quarter":
            return format_skeleton("yQQQ", day, locale=locale)
        if kind == "half_year":
            # two sentences, not a number: Chinese names the halves (上半年, 下半年)
            if day.month <= 6:
                return self.env._("H1 %(year)s", year=day.year)
            return self.env._("H2 %(year)s", year=day.year)
        if kind == "year":
            return format_skeleton("y", day, locale=locale)
        return self.env._("%(start)s – %(end)s", start=format_date(self.env, self.date_start),
                          end=format_date(self.env, self.date_end))

    @api.depends("policy_id.code", "partner_id", "date_start", "revision", "kind")
    def _compute_display_name(self):
        for record in self:
            label = f"{record.policy_id.code} · {record.partner_id.display_name or ''} · {record.period_label}"
            if record.kind != "period":
                label = record._advance_label(label)
            if record.revision:
                label = self.env._("%(record)s (adjustment %(number)s)", record=label, number=record.revision)
            record.display_name = label

    @api.depends_context("lang")
    @api.depends("base_amount", "base_qty", "tier_id", "rate", "amount", "period_label", "revision")
    def _compute_computation(self):
        for record in self:
            record.computation = record._computation_text()

    def _computation_text(self):
        """How the rebate was worked out, in words (the record's form, the statement): an advance
        or a year-end settlement as the year's terms say, a period's rebate as its rule, with its
        group where it is pooled."""
        self.ensure_one()
        if self.kind != "period":
            return self._advance_computation_text()
        return self._period_computation_text()

    def _rule_text(self):
        """"120,000.00 in Q3 2026 reached tier 1 (≥ 100,000.00) at 5 % → 6,000.00"."""
        self.ensure_one()
        policy = self.policy_id
        if not policy:
            return ""
        measure = self.base_qty if policy.basis == "quantity" else self.base_amount
        values = {
            "base": policy._format_measure(measure),
            "period": self.period_label,
            "amount": formatLang(self.env, self.amount, digits=self.currency_id.decimal_places),
        }
        if policy.invoice_basis == "paid":  # paid basis (issue 13): say what was added up
            values["base"] = self.env._("%(base)s paid", base=values["base"])
        if self.tier_id:
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            values.update(
                number=list(tiers).index(self.tier_id) + 1 if self.tier_id in tiers else "?",
                threshold=policy._format_measure(self.tier_id.threshold),
            )
            if policy.amount_type == "fixed":
                text = self.env._(
                    "%(base)s in %(period)s reached tier %(number)s (≥ %(threshold)s) → %(amount)s", **values)
            else:
                text = self.env._(
                    "%(base)s in %(period)s reached tier %(number)s (≥ %(threshold)s) at %(rate)s %% → %(amount)s",
                    rate=policy._format_rate(self.rate), **values)
        elif policy.tier_ids and not self.revision:
            first = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))[0]
            text = self.env._("%(base)s in %(period)s: below the first tier (≥ %(threshold)s) → %(amount)s",
                              threshold=policy._format_measure(first.threshold), **values)
        else:
            text = self.env._("%(base)s in %(period)s → %(amount)s", **values)
        if self.revision:
            text = self.env._("Change since the confirmed record: %s", text)
        return text

    def _rate_text(self):
        """The rate as the reader writes it: "5 %" in English, "5%" in Chinese."""
        self.ensure_one()
        return self.env._("%(rate)s %%", rate=self.policy_id._format_rate(self.rate))

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Rebate Statement %s", self.display_name)

    # ------------------------------------------------------------------ ORM

    @api.model
    def _create_estimates(self, vals_list):
        """Create draft records in one INSERT (an ORM create costs about a millisecond per record,
        seconds for a policy with ten thousand customers). ON CONFLICT skips a record that a
        concurrent computation of the same period inserted first: never a duplicate, never an
        error. Returns the records inserted."""
        if not vals_list:
            return self.browse()
        self.check_access("create")
        # the rows travel as ONE json document the server reads into typed columns: a VALUES
        # list of fifty thousand rows costs the server a second more to parse than the json
        defaults = [(column, ESTIMATE_DEFAULTS.get(column)) for column in ESTIMATE_COLUMNS]
        rows = json.dumps([
            [None if (value := vals.get(column, default)) is False else value for column, default in defaults]
            for vals in vals_list
        ], default=str)
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_record (%s, state, create_uid, write_uid, create_date, write_date)
               SELECT %s, 'draft', %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
                 FROM jsonb_array_elements(%s::jsonb) AS row(figures)
               ON CONFLICT (policy_id, partner_id, date_start, revision, kind) DO NOTHING
               RETURNING id""",
            SQL(", ").join(SQL.identifier(column) for column in ESTIMATE_COLUMNS),
            SQL(", ").join(
                SQL("(row.figures->>%s)::%s", index, SQL(
                    "numeric::int4" if self._fields[column].column_type[1] == "int4"  # as a VALUES list casts
                    else self._fields[column].column_type[1]))
                for index, column in enumerate(ESTIMATE_COLUMNS)),
            self.env.uid, self.env.uid, rows))
        records = self.browse(row[0] for row in self.env.cr.fetchall())
        # the ORM did not see these rows: drop what it may hold of the policies' record lists
        self.env["rebate.policy"].invalidate_model(["record_ids"])
        self._analyze_after_inserts(len(records))
        return records

    # rows inserted in one transaction before the table's statistics are refreshed (at least)
    ANALYZE_MIN_ROWS = 20000

    @api.model
    def _analyze_after_inserts(self, count):
        """Refresh the planner's statistics of the records after a transaction inserted many of
        them (a catch-up, a complete recomputation): autovacuum only sees committed rows, and a
        table that the statistics still call empty made PostgreSQL read all of it for each bulk
        UPDATE of a few estimates (a nested loop or a hash over every row, 10–15 s a statement).
        As autovacuum does, when the rows inserted reach a fifth of the table (and
        ``ANALYZE_MIN_ROWS``); SKIP_LOCKED: never waits for another ANALYZE."""
        cr = self.env.cr
        # the transaction's count and the next count that asks the table's size: the data of the
        # commit's callbacks, cleared at commit and rollback
        data = cr.postcommit.data
        key, next_key = "customer_rebate.records_inserted", "customer_rebate.records_next_analyze"
        inserted = data[key] = data.get(key, 0) + count
        if inserted < data.get(next_key, self.ANALYZE_MIN_ROWS):
            return
        cr.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'rebate_record'::regclass")
        threshold = max(self.ANALYZE_MIN_ROWS, cr.fetchone()[0] / 5)
        if inserted >= threshold:
            cr.execute("ANALYZE (SKIP_LOCKED) rebate_record")
            data[key] = 0
            cr.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'rebate_record'::regclass")
            threshold = max(self.ANALYZE_MIN_ROWS, cr.fetchone()[0] / 5)
        data[next_key] = threshold

    @api.model
    def _write_estimates(self, updates):
        """Rewrite the figures of draft records, ``updates`` a list of (record, values), in one
        UPDATE (the ORM writes one row per distinct set of values: a query per customer). Records
        already grouped in a settlement go through the ORM, which recomputes its amount."""
        if not updates:
            return
        self.check_access("write")
        by_orm = [(record, values) for record, values in updates if record.settlement_id]
        for record, values in by_orm:
            record.write(values)
        updates = [(record, values) for record, values in updates if not record.settlement_id]
        if not updates:
            return
        self.env.cr.execute(SQL(
            """UPDATE rebate_record AS record SET %s, write_uid = %s, write_date = NOW() AT TIME ZONE 'UTC'
                 FROM unnest(%s, %s) AS figures(id, %s)
                WHERE record.id = figures.id""",
            SQL(", ").join(SQL("%s = figures.%s", SQL.identifier(column), SQL.identifier(column))
                           for column in ESTIMATE_FIGURES),
            self.env.uid,
            self._estimate_column_array("id", [record.id for record, _values in updates]),
            SQL(", ").join(self._estimate_column_array(column, [
                values.get(column, ESTIMATE_DEFAULTS.get(column)) for _record, values in updates])
                for column in ESTIMATE_FIGURES),
            SQL(", ").join(SQL.identifier(column) for column in ESTIMATE_FIGURES)))
        self.browse(record.id for record, _values in updates).invalidate_recordset(
            [*ESTIMATE_FIGURES, "write_uid", "write_date"])

    @api.model
    def _estimate_column_array(self, column, values):
        """``values`` of one column as a typed SQL array (False as NULL), for the bulk writes."""
        return SQL("%s::%s", [None if value is False else value for value in values],
                   SQL(f"{self._fields[column].column_type[0]}[]"))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if any(record.state != "draft" for record in self):
            raise UserError(self.env._("Only estimated rebate records can be deleted; cancel the others."))

    def unlink(self):
        by_hand = self.exists() if not self.env.context.get("rebate_compute") else self.browse()
        periods = {(record.policy_id.id, record.date_start, record.partner_id.id) for record in by_hand}
        result = super().unlink()
        # an estimate deleted by hand is what a full run makes again: the next daily run computes
        # its period for its customer, as the full run would
        self.env["rebate.compute.queue"].sudo()._enqueue_periods(periods)
        return result

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """Approve the rebates of closed periods: their figures are frozen from now on, their
        accruals are booked and their customers told (where the policy says so). Confirming a
        year-end settlement confirms the advances of its year still estimated with it."""
        records = (self._advances_of_finals() - self) | self
        today = fields.Date.context_today(self)
        if any(record.state != "draft" for record in records):
            raise UserError(self.env._("Only estimated rebate records can be confirmed."))
        still_open = records.filtered(lambda r: r.date_end >= today)
        if still_open:
            raise UserError(self.env._(
                "The period of %(records)s is still open: a rebate is confirmed once its period has ended.",
                records=", ".join(still_open[:5].mapped("display_name"))))
        records.write({"state": "confirmed"})
        records._post_accruals()
        records._auto_notify()
        return True

    def action_cancel(self):
        """Cancel estimated or confirmed rebates: a booked accrual is reversed; a cancelled advance
        pays nothing, the next advance (or the year-end settlement) of its customer makes up for
        it, so the incremental run computes its year again."""
        in_settlement = self.filtered(lambda r: r.settlement_id and r.settlement_id.state == "draft")
        if in_settlement:
            raise UserError(self.env._(
                "%s is in a draft settlement: delete or cancel that settlement first.",
                in_settlement[0].display_name))
        accrued = self.filtered(lambda r: r.accrual_move_id and not r.accrual_reversal_move_id)
        if any(record.state == "settled" for record in self):
            raise UserError(self.env._("A settled rebate cannot be cancelled: cancel its settlement first."))
        self.write({"state": "cancelled"})
        accrued._reverse_accruals()
        advances = self.filtered(lambda r: r.kind == "advance")
        if advances:
            self.env["rebate.compute.queue"].sudo()._enqueue_records(advances)
        return True

    def action_draft(self):
        """Back to estimate, e.g. a cancelled record that should be paid after all (a record with a
        booked accrual is cancelled first, which reverses it)."""
        if self.filtered("accrual_move_id") - self.filtered("accrual_reversal_move_id"):
            raise UserError(self.env._(
                "A rebate with a booked accrual cannot go back to estimate: cancel it first, which reverses the accrual."))
        self.write({"accrual_move_id": False, "accrual_reversal_move_id": False,
                    "accrual_account_id": False, "accrual_expense_account_id": False})
        if any(record.state not in ("cancelled", "confirmed") for record in self):
            raise UserError(self.env._("Only confirmed or cancelled rebate records can be reset to estimate."))
        self.write({"state": "draft"})
        # an estimate follows the invoices again: the next incremental run recomputes its period
        self.env["rebate.compute.queue"].sudo()._enqueue_records(self)
        return True

    def _invoice_line_domain(self):
        """The journal items that make this record's base: the policy's base domain for the
        customer and period (for a record paid to a group's head, its members')."""
        self.ensure_one()
        if self.pool_member_ids:
            return self.policy_id._base_line_domain(self.date_start, self.date_end, self.pool_member_ids.ids)
        return self.policy_id._base_line_domain(self.date_start, self.date_end, self.partner_id.ids)

    @api.readonly
    def action_view_invoice_lines(self):
        """The sales behind the base, as a sales assistant reads them: one line per invoice line
        with its date, invoice, product, quantity and untaxed amount (credit notes negative)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoice Lines of %s", self.display_name),
            "res_model": "account.move.line",
            "view_mode": "list",
            "views": [(self.env.ref("customer_rebate.account_move_line_view_list_rebate_sales").id, "list")],
            "domain": list(self._invoice_line_domain()),
            "context": {"create": False, "edit": False, "delete": False},
        }

    # ---- Exclusive policies ----------------------------------------------------------------------

    overlap_ids = fields.One2many(
        "rebate.record.overlap", "record_id", string="Counted by Other Policies", readonly=True,
        help="Purchases in this policy's scope that an exclusive policy counts instead: an invoice "
             "line earns under one exclusive policy only.")
    overlap_amount = fields.Monetary(
        string="Purchases Counted Elsewhere", compute="_compute_overlap_amount",
        help="Purchases in scope left out of the base because an exclusive policy counts them.")
    overlap_text = fields.Char(string="Counted Elsewhere, and Why", compute="_compute_overlap_amount")

    @api.depends("overlap_ids.base_amount")
    @api.depends_context("lang")
    def _compute_overlap_amount(self):
        for record in self:
            record.overlap_amount = sum(record.overlap_ids.mapped("base_amount"))
            record.overlap_text = record.policy_id._clause_separator().join(
                overlap._summary_text() for overlap in record.overlap_ids) if record.overlap_ids else ""

    # ---- Group volume (集团客户) ---------------------------------------------------------------------
    # Group volume (集团客户) on a record: which group the customer pooled with, the group's base
    #     and, for a record paid to the group's head, which members made that base up. Written by the
    #     computation (rebate.policy._pool_write_records) in one UPDATE per period.

    pool_key = fields.Char(string="Group Key", readonly=True, copy=False)
    pool_name = fields.Char(string="Customer Group", readonly=True, copy=False,
                            help="The group whose purchases decided the tier.")
    pool_head_id = fields.Many2one("res.partner", string="Group Head", readonly=True, copy=False)
    # the group's figures are what other customers bought: not for the customer's own portal
    # access (its statement says what it may read, see _pool_statement_text)
    pool_base_amount = fields.Monetary(
        string="Group Base", readonly=True, copy=False, groups="base.group_user",
        help="The purchases of every customer of the group in the period, which decided the tier.")
    pool_base_qty = fields.Float(string="Group Base Quantity", digits="Product Unit", readonly=True, copy=False,
                                 groups="base.group_user")
    pool_member_count = fields.Integer(
        string="Group Customers", readonly=True, copy=False, groups="base.group_user",
        help="Customers of the group who bought in scope in the period.")
    pool_own_tier = fields.Boolean(
        string="Own Tier Kept", readonly=True, copy=False,
        help="The customer's own purchases reached a higher tier than its group's: pooling never lowers a rate.")
    pool_member_ids = fields.Many2many(
        "res.partner", "rebate_record_pool_member_rel", "record_id", "partner_id", string="Group Members Paid Here",
        readonly=True, copy=False,
        help="The customers whose purchases make up this record's base: the group's, paid to its head.")
    pool_member_bases = fields.Json(
        string="Group Base by Customer (as Computed)", readonly=True, copy=False,
        help="What each member of a group paid to its head bought, as the record was computed.")
    pool_breakdown = fields.Text(
        string="Group Base by Customer", compute="_compute_pool_breakdown",
        help="The base of a record paid to the group's head, customer by customer, from the invoice lines.")

    @api.depends("pool_member_ids", "pool_member_bases", "base_amount")
    def _compute_pool_breakdown(self):
        for record in self:
            record.pool_breakdown = record._pool_breakdown_text() if record.pool_member_ids else False

    def _pool_breakdown_rows(self):
        """``[(customer, amount, quantity)]`` behind a head's record (one aggregate by customer)."""
        self.ensure_one()
        # the head's customer reads its statement: the names of its group's members come with it
        record = self.sudo()
        if record.pool_member_bases:
            # as computed: a confirmed record's statement keeps adding up to its group base
            # after a member's late invoice (which its adjustment counts)
            bases = {int(member_id): tuple(figures) for member_id, figures in record.pool_member_bases.items()}
        else:
            bases = record.policy_id._compute_period_bases(self.date_start, self.date_end, record.pool_member_ids.ids)
        return [
            (partner, bases.get(partner.id, (0, 0))[0], bases.get(partner.id, (0, 0))[1])
            for partner in record.pool_member_ids.sorted("display_name")
        ]

    def _pool_breakdown_text(self):
        self.ensure_one()
        policy = self.policy_id
        return "\n".join(
            self.env._("%(customer)s: %(base)s", customer=partner.display_name,
                       base=policy._pool_format_base(amount, qty))
            for partner, amount, qty in self._pool_breakdown_rows())

    def _pool_text(self):
        """"Group Key Accounts (3 customers): 120,000.00 reached tier 1 (≥ 100,000.00)"."""
        self.ensure_one()
        if not self.pool_key:
            return ""
        policy = self.policy_id
        values = {
            "group": self.pool_name,
            "count": self.pool_member_count,
            "base": policy._pool_format_base(self.pool_base_amount, self.pool_base_qty),
        }
        if self.kind == "advance":  # a year paid in advances: the group's year to date
            values["base"] = self.env._("%(base)s year to date", base=values["base"])
        if self.pool_own_tier:
            return self.env._(
                "Group %(group)s (%(count)s customers): %(base)s; the customer's own purchases reached a "
                "higher tier", **values)
        if self.tier_id:
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            return self.env._(
                "Group %(group)s (%(count)s customers): %(base)s reached tier %(number)s (≥ %(threshold)s)",
                number=list(tiers).index(self.tier_id) + 1 if self.tier_id in tiers else "?",
                threshold=policy._format_measure(self.tier_id.threshold), **values)
        return self.env._("Group %(group)s (%(count)s customers): %(base)s, below the first tier", **values)

    def _pool_statement_text(self):
        """The group line of the customer's statement. A tag pools customers that are not one
        company (no head, no contract between them): a member is told that its group's
        purchases decided its tier, never how much the others bought nor how many they are."""
        self.ensure_one()
        record = self.sudo()
        if not record.pool_key or record.pool_member_ids or not record.pool_key.startswith("tag:"):
            return record._pool_text()
        policy = record.policy_id
        if record.pool_own_tier:
            return self.env._("Pooled with the customers of %(group)s; your own purchases reached a higher tier",
                              group=record.pool_name)
        if record.tier_id:
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            return self.env._(
                "Pooled with the customers of %(group)s: together they reached tier %(number)s (≥ %(threshold)s)",
                group=record.pool_name, number=list(tiers).index(record.tier_id) + 1 if record.tier_id in tiers else "?",
                threshold=policy._format_measure(record.tier_id.threshold))
        return self.env._("Pooled with the customers of %(group)s: together below the first tier",
                          group=record.pool_name)

    def _period_computation_text(self):
        """The rule of the record's period; a pooled member's rebate reads as its own base at the
        group's rate: "30,000.00 in Q1 2026 at 5 % → 1,500.00; group Key Accounts (3 customers):
        120,000.00 reached tier 1"."""
        self.ensure_one()
        if not self.pool_key or self.pool_member_ids or self.pool_own_tier or not self.tier_id \
                or self.policy_id.amount_type == "fixed":
            text = self._rule_text()
            return self.env._("%(rule)s; %(group)s", rule=text, group=self._pool_text()) if self.pool_key else text
        policy = self.policy_id
        text = self.env._(
            "%(base)s in %(period)s at the group's %(rate)s %% → %(amount)s; %(group)s",
            base=policy._format_measure(self.base_qty if policy.basis == "quantity" else self.base_amount),
            period=self.period_label, rate=policy._format_rate(self.rate),
            amount=formatLang(self.env, self.amount, digits=self.currency_id.decimal_places),
            group=self._pool_text())
        if self.revision:
            text = self.env._("Change since the confirmed record: %s", text)
        return text

    @api.readonly
    def action_view_pool_records(self):
        """The records of the same group, policy and period: their bases add up to the group's."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = list(Domain("policy_id", "=", self.policy_id.id) & Domain("date_start", "=", self.date_start)
                                & Domain("pool_key", "=", self.pool_key) & Domain("kind", "=", self.kind))
        action["context"] = {}
        action["display_name"] = action["name"] = self.env._("Group %s", self.pool_name)
        return action

    # ---- Accruals and payouts --------------------------------------------------------------------

    settlement_id = fields.Many2one("rebate.settlement", readonly=True, copy=False, index="btree_not_null",
                                    ondelete="set null", check_company=True)
    settlement_date = fields.Date(related="settlement_id.date", string="Settlement Date")
    settlement_move_id = fields.Many2one(related="settlement_id.move_id", string="Payout Document")
    accrual_move_id = fields.Many2one("account.move", string="Accrual Entry", readonly=True, copy=False,
                                      check_company=True, index="btree_not_null",
                                      groups="customer_rebate.group_rebate_user")
    accrual_reversal_move_id = fields.Many2one("account.move", string="Accrual Reversal", readonly=True,
                                               copy=False, check_company=True,
                                               groups="customer_rebate.group_rebate_user")
    accrual_account_id = fields.Many2one(
        "account.account", string="Accrued On", readonly=True, copy=False, check_company=True,
        groups="customer_rebate.group_rebate_user",
        help="The liability account the accrual was booked on: the payout and the reversal clear this one.")
    accrual_expense_account_id = fields.Many2one(
        "account.account", string="Accrual Expense", readonly=True, copy=False, check_company=True,
        groups="customer_rebate.group_rebate_user")

    def _lock_for_settlement(self):
        """Row locks on the records, taken without waiting: a second user settling the same
        records at the same moment is told so at once, instead of paying them twice. Locked after
        the first one committed, the lock fails as a concurrent update and Odoo retries the
        request, which then sees them settled."""
        locked = self.try_lock_for_update(allow_referencing=True)
        if locked != self or self.filtered("settlement_id"):
            raise UserError(self.env._(
                "Some of these rebates are being settled by someone else right now, or were just settled. "
                "Reload the list and try again."))

    def action_settle(self):
        """One draft settlement per customer (and payout method) for the selected confirmed records."""
        settlements = self.env["rebate.settlement"]._create_from_records(self)
        return settlements._get_records_action(name=self.env._("Rebate Settlements"))

    # ------------------------------------------------------------------ accruals

    def _post_accruals(self):
        """Debit the rebate expense, credit the accrued rebates: one entry per policy and period
        end (its date) for the records just confirmed, one line pair per customer. Each record
        keeps the two accounts, so that its payout and reversal clear exactly what was booked."""
        to_accrue = self.filtered(lambda r: r.policy_id.accrual_account_id and r.amount and not r.accrual_move_id)
        groups = defaultdict(lambda: self.env["rebate.record"])
        for record in to_accrue:
            groups[(record.policy_id, record.date_end)] |= record
        vals_list = []
        for (policy, date_end), records in groups.items():
            if not policy._misc_journal() or not policy.expense_account_id:
                raise UserError(self.env._(
                    "Policy %s books accruals: set its journal and rebate expense account.", policy.display_name))
            lines = []
            for record in records:
                label = self.env._("Accrued rebate %s", record.display_name)
                lines += [
                    Command.create(signed_line(policy.expense_account_id, record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                    Command.create(signed_line(policy.accrual_account_id, -record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                ]
            vals_list.append({
                "move_type": "entry",
                "journal_id": policy._misc_journal().id,
                "company_id": policy.company_id.id,
                "date": date_end,
                "ref": self.env._("Rebate accrual %s", policy.display_name),
                "line_ids": lines,
            })
        if not vals_list:
            return
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        for ((policy, _date_end), records), move in zip(groups.items(), moves):
            records.write({
                "accrual_move_id": move.id,
                "accrual_account_id": policy.accrual_account_id.id,
                "accrual_expense_account_id": policy.expense_account_id.id,
            })

    def _reverse_accruals(self):
        """An entry of its own per cancelled record (the policy's accrual entry holds other
        customers' accruals, which stay), on the accounts the accrual was booked on."""
        vals_list = []
        for record in self:
            label = self.env._("Reversal of accrued rebate %s", record.display_name)
            vals_list.append({
                "move_type": "entry",
                "journal_id": record.accrual_move_id.journal_id.id,
                "company_id": record.company_id.id,
                "date": fields.Date.context_today(self),
                "ref": label,
                "line_ids": [
                    Command.create(signed_line(record.accrual_account_id, record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                    Command.create(signed_line(record.accrual_expense_account_id, -record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                ],
            })
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        for record, move in zip(self, moves):
            record.accrual_reversal_move_id = move

    def _fixed_goods_qty(self):
        """Units of a fixed-quantity goods policy this record gives: its tier's quantity, or for an
        adjustment the difference with the tier of the record it corrects (negative when lower)."""
        self.ensure_one()
        earlier = self.search([
            ("policy_id", "=", self.policy_id.id), ("partner_id", "=", self.partner_id.id),
            ("date_start", "=", self.date_start), ("revision", "<", self.revision),
            ("state", "in", ("confirmed", "settled")),
        ], order="revision desc", limit=1) if self.revision else self.browse()
        return (self.tier_id.goods_qty or 0.0) - (earlier.tier_id.goods_qty or 0.0)

    def action_recover(self):
        """Invoice the customer what negative adjustments say they owe back (all goods returned
        after the payout, say), instead of waiting for their next payout to net it."""
        settlements = self.env["rebate.settlement"]._create_from_records(self, recover=True)
        return settlements._get_records_action(name=self.env._("Rebate Recoveries"))

    # ---- Customer notices ------------------------------------------------------------------------
    # Customer notices: "rebate earned" when a record is confirmed, "rebate paid" when its settlement
    # is done. Each is posted in the chatter with the statement attached, once per event.

    policy_auto_notify = fields.Boolean(related="policy_id.auto_notify")

    def _notice_template(self):
        return self.policy_id.mail_template_id or self.env.ref("customer_rebate.mail_template_rebate_earned")

    def _sms_template(self):
        return self.env.ref("customer_rebate.sms_template_rebate_earned")

    def _notice_policies(self):
        return self.policy_id

    def _notice_ready(self):
        return self.state in ("confirmed", "settled") and self.amount > 0

    # ---- Annual target with advances -------------------------------------------------------------
    # Annual rebates paid in advances (年度返利，季度预返) and settled at year end.
    #
    # A yearly policy with an advance period keeps, per customer and year, one ``advance`` record per
    # advance period (its dates; its base is the year to date at the period's end) and one ``final``
    # record of the year (its base is the year's; its amount is the year's rebate minus the advances).
    # Both are ordinary records: confirmed, accrued, settled by any payout method, and, when negative,
    # netted against the next payout or recovered with an invoice (issue 7's negative adjustments). The
    # rules are the engine's (``engine/advances.py``); this file gathers the figures in two aggregates
    # per year and writes the records in bulk.

    def _advance_year_summaries(self):
        """For the statement: per customer, policy and year of these advances and year-end
        settlements, the year to date, the rebate it earns at the year's terms, the advances
        (paid, or confirmed and not paid yet) and what is left for the year-end settlement."""
        summaries = {}
        for record in self.filtered(lambda r: r.kind != "period").sorted("date_start"):
            policy = record.policy_id
            year = period_containing(policy.period, record.date_start, policy.date_start, policy.date_end or None)
            key = (policy.id, record.partner_id.id, year.date_start)
            if key in summaries or year is None:
                continue
            records = policy._advance_year_records(record.partner_id, year)
            finals, advances = records.filtered(lambda r: r.kind == "final"), records.filtered(lambda r: r.kind == "advance")
            year_rebate = sum(finals.mapped("year_rebate_amount"))
            advanced = sum(advances.mapped("amount"))
            summaries[key] = {
                "policy": policy,
                "year": finals[:1].period_label or str(year.date_start.year),
                "to_date": sum(finals.mapped("base_qty" if policy.basis == "quantity" else "base_amount")),
                "to_date_text": policy._format_measure_unit(
                    sum(finals.mapped("base_qty" if policy.basis == "quantity" else "base_amount"))),
                "year_rebate": year_rebate,
                "paid": sum(advances.filtered(lambda r: r.state == "settled").mapped("amount")),
                "not_paid": sum(advances.filtered(lambda r: r.state != "settled").mapped("amount")),
                "advanced": advanced,
                "left": year_rebate - advanced,
            }
        return list(summaries.values())

    def _advance_label(self, label):
        self.ensure_one()
        if self.kind == "advance":
            return self.env._("%(record)s, advance", record=label)
        return self.env._("%(record)s, year-end settlement", record=label)

    def _advance_computation_text(self):
        """An advance: "Year to date 250,000.00 (1 Jan – 30 Jun) at 3 % → 7,500.00; advanced before
        3,000.00 → advance 4,500.00". A year-end settlement: the year's computation, then the
        advances and what is left."""
        self.ensure_one()
        policy = self.policy_id
        currency = self.currency_id

        def money(value):
            return formatLang(self.env, value, digits=currency.decimal_places)

        measure = self.base_qty if policy.basis == "quantity" else self.base_amount
        if self.kind == "advance":
            if self.tier_id and self.pool_key and not self.pool_own_tier and not self.pool_member_ids:
                # group volume: the group's year to date reached the tier, the member is paid its own
                terms = self.env._("at the group's tier reached so far (%(rate)s %%)",
                                   rate=policy._format_rate(self.rate))
            elif self.tier_id or policy.advance_mode == "tier":
                terms = self.env._("at the tier reached so far (%(rate)s %%)", rate=policy._format_rate(self.rate)) \
                    if self.tier_id else self.env._("below the first tier")
            else:
                terms = self.env._("at %(rate)s %%", rate=policy._format_rate(self.rate))
            text = self.env._(
                "Year to date %(base)s (to %(date)s) %(terms)s → %(target)s; advanced before %(before)s → "
                "advance %(amount)s",
                base=policy._format_measure(measure), date=fields.Date.to_string(self.date_end), terms=terms,
                target=money(self.year_rebate_amount), before=money(self.advanced_amount), amount=money(self.amount))
        else:
            year = self._period_computation_text()
            text = self.env._(
                "Rebate of the year %(year)s; advances paid %(advanced)s → left to settle %(left)s",
                year=money(self.year_rebate_amount), advanced=money(self.advanced_amount),
                left=money(self.amount))
            # the year's rule without its amount (Chinese writes the arrow without a space before it)
            text = self.env._("%(year)s. %(settlement)s", year=year.rsplit("→", 1)[0].rstrip(), settlement=text)
        if self.pool_key:
            # group volume: the group's year (to date) that decided the tier
            text = self.env._("%(rule)s; %(group)s", rule=text, group=self._pool_text())
        return text

    def _advances_of_finals(self):
        """The estimated advances of the years of the year-end settlements in ``self`` being
        confirmed: the settlement was worked out from them, they cannot change after it."""
        finals = self.filtered(lambda r: r.kind == "final" and r.state == "draft")
        if not finals:
            return self.browse()
        years = defaultdict(list)
        for final in finals:
            years[(final.policy_id.id, final.partner_id.id)].append((final.date_start, final.date_end))
        candidates = self.search([
            ("policy_id", "in", finals.policy_id.ids), ("partner_id", "in", finals.partner_id.ids),
            ("kind", "=", "advance"), ("state", "=", "draft"),
            ("date_start", ">=", min(finals.mapped("date_start"))), ("date_end", "<=", max(finals.mapped("date_end")))])
        advances = candidates.filtered(lambda r: any(
            start <= r.date_start and r.date_end <= end for start, end in years[(r.policy_id.id, r.partner_id.id)]))
        return advances

