# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, formatLang

from ..engine import period_containing

# Columns written by _create_estimates: every stored field of a computed record. A stored field
# added to rebate.record with a default must be listed here too (the bulk insert bypasses defaults).
ESTIMATE_COLUMNS = (
    "policy_id", "partner_id", "company_id", "rebate_type", "date_start", "date_end", "revision",
    "base_amount", "base_qty", "tier_id", "rate", "amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
    # group volume (rebate_record_pool.py): absent from the values of an unpooled record (NULL)
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
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        """The calendar period's name (a quarter written as list group headers write it), or the
        record's dates when the policy's own dates cut the period short."""
        self.ensure_one()
        if not self.date_start:
            return ""
        kind = self.policy_id.advance_period if self.kind == "advance" else self.policy_id.period
        day = self.date_start
        if kind in ("month", "quarter", "half_year", "year") and self.date_end:
            whole = period_containing(kind, day, day.replace(month=1, day=1))
            if (whole.date_start, whole.date_end) != (self.date_start, self.date_end):
                kind = "window"
        if kind == "month":
            return format_date(self.env, day, date_format="MMM y")
        if kind == "quarter":
            return format_date(self.env, day, date_format="QQQ yyyy")
        if kind == "half_year":
            return self.env._("H%(half)s %(year)s", half=(day.month - 1) // 6 + 1, year=day.year)
        if kind == "year":
            return str(day.year)
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

    @api.depends("base_amount", "base_qty", "tier_id", "rate", "amount", "period_label", "revision")
    def _compute_computation(self):
        for record in self:
            record.computation = record._computation_text()

    def _computation_text(self):
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
        rows = [
            SQL("(%s, 'draft', %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC')",
                SQL(", ").join(None if value is False else value for value in (
                    vals.get(column, ESTIMATE_DEFAULTS.get(column)) for column in ESTIMATE_COLUMNS)),
                self.env.uid, self.env.uid)
            for vals in vals_list
        ]
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_record (%s, state, create_uid, write_uid, create_date, write_date)
               VALUES %s
               ON CONFLICT (policy_id, partner_id, date_start, revision, kind) DO NOTHING
               RETURNING id""",
            SQL(", ").join(SQL.identifier(column) for column in ESTIMATE_COLUMNS),
            SQL(", ").join(rows)))
        records = self.browse(row[0] for row in self.env.cr.fetchall())
        # the ORM did not see these rows: drop what it may hold of the policies' record lists
        self.env["rebate.policy"].invalidate_model(["record_ids"])
        return records

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
        casts = {"tier_id": "int"}
        rows = [
            SQL("(%s, %s)", record.id, SQL(", ").join(
                SQL(f"%s::{casts.get(column, 'numeric')}", None if value is False else value)
                for column, value in ((column, values.get(column, ESTIMATE_DEFAULTS.get(column)))
                                      for column in ESTIMATE_FIGURES)))
            for record, values in updates
        ]
        self.env.cr.execute(SQL(
            """UPDATE rebate_record AS record SET %s, write_uid = %s, write_date = NOW() AT TIME ZONE 'UTC'
                 FROM (VALUES %s) AS figures(id, %s)
                WHERE record.id = figures.id""",
            SQL(", ").join(SQL("%s = figures.%s", SQL.identifier(column), SQL.identifier(column))
                           for column in ESTIMATE_FIGURES),
            self.env.uid,
            SQL(", ").join(rows),
            SQL(", ").join(SQL.identifier(column) for column in ESTIMATE_FIGURES)))
        self.browse(record.id for record, _values in updates).invalidate_recordset(
            [*ESTIMATE_FIGURES, "write_uid", "write_date"])

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if any(record.state != "draft" for record in self):
            raise UserError(self.env._("Only estimated rebate records can be deleted; cancel the others."))

    # ------------------------------------------------------------------ actions

    def action_confirm(self):
        """Approve the rebates of closed periods: their figures are frozen from now on."""
        today = fields.Date.context_today(self)
        if any(record.state != "draft" for record in self):
            raise UserError(self.env._("Only estimated rebate records can be confirmed."))
        still_open = self.filtered(lambda r: r.date_end >= today)
        if still_open:
            raise UserError(self.env._(
                "The period of %(records)s is still open: a rebate is confirmed once its period has ended.",
                records=", ".join(still_open[:5].mapped("display_name"))))
        self.write({"state": "confirmed"})
        return True

    def action_cancel(self):
        if any(record.state == "settled" for record in self):
            raise UserError(self.env._("A settled rebate cannot be cancelled: cancel its settlement first."))
        self.write({"state": "cancelled"})
        return True

    def action_draft(self):
        """Back to estimate, e.g. a cancelled record that should be paid after all."""
        if any(record.state not in ("cancelled", "confirmed") for record in self):
            raise UserError(self.env._("Only confirmed or cancelled rebate records can be reset to estimate."))
        self.write({"state": "draft"})
        # an estimate follows the invoices again: the next incremental run recomputes its period
        self.env["rebate.compute.queue"].sudo()._enqueue_records(self)
        return True

    def _invoice_line_domain(self):
        """The journal items that make this record's base: the policy's base domain for the
        customer and period."""
        self.ensure_one()
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
