# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""How a policy turns posted invoices into rebate records (one aggregated query per policy and
period, the engine for the rules, batched writes) and into projections for orders and invoices."""

import contextlib
import contextvars
import logging
import types
from datetime import timedelta
from collections import defaultdict
from decimal import Decimal

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import LockError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, format_date, formatLang

from ..engine import (
    Period, add_months, compute_rebate, iter_periods, period_containing, previous_period, same_period_last_year,
    seniority_reached, to_decimal,
)


_logger = logging.getLogger(__name__)

# The computation under way in this thread (``_compute_records``), or None: what its aggregates
# already read, for the periods that follow (see _compute_period_figures).
_COMPUTE_RUN = contextvars.ContextVar("customer_rebate_compute_run", default=None)


@contextlib.contextmanager
def compute_run():
    """Run the block as one computation (see ``_ComputeRun``), unless one is under way."""
    if _COMPUTE_RUN.get() is not None:
        yield _COMPUTE_RUN.get()
        return
    token = _COMPUTE_RUN.set(_ComputeRun())
    try:
        yield _COMPUTE_RUN.get()
    finally:
        _COMPUTE_RUN.reset(token)


class _ComputeRun:
    """What one run of ``_compute_records`` read: ``prefetched`` figures per (policy, period
    start, customers) of an incremental run, and the sums per date range over every customer
    (``_ranges``, per policy) that the following periods reuse — a quarter's own range is the next
    quarter's period before and next year's last year. Only ranges not older than the last year
    of the period being computed are kept."""

    def __init__(self):
        self.prefetched = {}
        self.memo = {}  # the policies' scopes: ("partners" or "products", policy id) -> ids
        self.first_dates = {}  # {company id: {partner id: date of the first invoice or None}}
        self._ranges = {}

    def ranges_for(self, policy, needs):
        cached = self._ranges.setdefault(policy.id, {})
        missing = {
            date_range: measures for date_range, measures in needs.items()
            if date_range not in cached or not measures <= cached[date_range][0]
        }
        if missing:
            for date_range, figures in policy._range_figures(missing).items():
                cached[date_range] = (frozenset(missing[date_range]), figures)
        oldest = min(start for start, _end in needs)
        for date_range in [date_range for date_range in cached if date_range[1] < oldest]:
            del cached[date_range]
        return {date_range: cached[date_range][1] for date_range in needs}

BASE_MOVE_TYPES = ("out_invoice", "out_refund")
REBATE_USER = "customer_rebate.group_rebate_user"
REBATE_MANAGER = "customer_rebate.group_rebate_manager"
ZERO = Decimal(0)
# work_mem of the base aggregates (raised to it for the statement, never lowered)
AGGREGATE_WORK_MEM = "64MB"

# Records are written by the computation, not by a person: no chatter message or follower per
# record (that would be several queries per customer), and tracking only on human changes.
COMPUTE_CONTEXT = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "tracking_disable": True}


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"

    record_ids = fields.One2many("rebate.record", "policy_id", string="Records", groups=REBATE_USER)
    record_count = fields.Integer(compute="_compute_record_stats", groups=REBATE_USER)
    record_amount = fields.Monetary(
        string="Rebates Earned", compute="_compute_record_stats", currency_field="currency_id", groups=REBATE_USER)
    last_compute_date = fields.Datetime(string="Last Computed", readonly=True, copy=False, groups=REBATE_USER)
    compute_open_from = fields.Date(
        string="Last Complete Computation", readonly=True, copy=False, groups=REBATE_USER,
        help="Day of the last complete computation: periods begun since are computed in full, the "
             "others only for the customers whose invoices or credit notes changed. Empty: the next "
             "run computes every period.")
    compute_resume_date = fields.Date(
        string="Computation Resumes From", readonly=True, copy=False, groups=REBATE_USER,
        help="Where an interrupted full computation goes on at the next run.")

    def _compute_record_stats(self):
        groups = self.env["rebate.record"]._read_group(
            [("policy_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["policy_id"], ["__count", "amount:sum"])
        stats = {policy.id: (count, amount) for policy, count, amount in groups}
        for policy in self:
            policy.record_count, policy.record_amount = stats.get(policy.id, (0, 0.0))

    # The review sums up every customer's sales under the policy: it follows the effect analysis,
    # which is the managers'.
    review_date = fields.Date(
        string="Review Period", copy=False, groups=REBATE_MANAGER,
        help="A day in the period to review; empty to review every period of the policy.")
    review_period_label = fields.Char(string="Period Reviewed", compute="_compute_review", groups=REBATE_MANAGER)
    review_net_effect = fields.Monetary(
        string="Net Effect", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Gross margin gained over the period before minus the rebates, for ended periods. A "
             "customer whose growth cannot be measured (no sales in the period before) adds its "
             "rebate and no gain.")
    review_margin = fields.Monetary(
        string="Gross Margin", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Sales in scope minus their cost.")
    review_margin_gain = fields.Monetary(
        string="Gross Margin Gained", compute="_compute_review", currency_field="currency_id",
        groups=REBATE_MANAGER, help="Gross margin minus the same customers' gross margin in the period "
                                    "before, where the growth is measured.")
    review_rebate = fields.Monetary(
        string="Rebates of the Period", compute="_compute_review", currency_field="currency_id",
        groups=REBATE_MANAGER, help="Rebates earned or estimated, cancelled ones left out.")
    review_customer_count = fields.Integer(
        string="Customers with Sales", compute="_compute_review", groups=REBATE_MANAGER)
    review_tiers = fields.Char(
        string="Customers per Tier", compute="_compute_review", groups=REBATE_MANAGER,
        help="Each customer once, at the highest tier reached in the periods reviewed.")
    review_sales = fields.Monetary(
        string="Sales in Scope", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_earned = fields.Monetary(
        string="Rebates Confirmed", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_paid = fields.Monetary(
        string="Rebates Paid", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_cost_share = fields.Float(
        string="Rebate Cost (% of Sales)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER)
    review_compared = fields.Char(
        string="Growth Measured On", compute="_compute_review", groups=REBATE_MANAGER,
        help="Growth is measured only for ended periods of customers who bought in the period before.")
    review_comparison = fields.Char(string="Compared With", compute="_compute_review", groups=REBATE_MANAGER)
    review_growth_measured = fields.Boolean(compute="_compute_review", groups=REBATE_MANAGER)
    review_inside_growth = fields.Float(
        string="Sales Growth, Policy (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="Growth of the sales of the customers earning a rebate over the periods before.")
    review_comparison_measured = fields.Boolean(compute="_compute_review", groups=REBATE_MANAGER)
    review_comparison_growth = fields.Float(
        string="Sales Growth, Comparison (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="The same growth for customers outside the policy, or, for a policy over every "
             "customer, for those who stayed below the first tier.")
    review_uplift = fields.Monetary(
        string="Sales Uplift", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Sales of the customers whose growth is measured minus their sales in the periods before.")

    def _review_period(self):
        """The period under review, or None for every period (no review date, or one outside the
        policy's dates)."""
        self.ensure_one()
        if not (self.review_date and self.date_start and self.period):
            return None
        if self.period == "window" and not self.date_end:
            return None
        return period_containing(self.period, self.review_date, self.date_start, self.date_end or None)

    def _review_domain(self, period):
        domain = Domain("policy_id", "=", self._origin.id)
        if period:
            domain &= Domain("date_start", "=", period.date_start)
        return domain

    @api.depends("review_date", "date_start", "date_end", "period")
    def _compute_review(self):
        """Key figures for reviewing a policy over one period or all of them, from the effect
        analysis (a few aggregates per policy)."""
        Effect = self.env["rebate.effect.report"]
        Record = self.env["rebate.record"]
        today = fields.Date.context_today(self)

        def growth(sales, previous):
            return 100.0 * (sales - previous) / previous if previous > 0 else 0.0

        for policy in self:
            period = policy._review_period()
            domain = policy._review_domain(period)
            if period:
                policy.review_period_label = self.env._(
                    "%(start)s – %(end)s", start=format_date(self.env, period.date_start),
                    end=format_date(self.env, period.date_end))
            elif policy.review_date:
                policy.review_period_label = self.env._("Every period (the date is outside the policy's dates)")
            else:
                policy.review_period_label = self.env._("Every period")
            [(sales, rebate, uplift, compared_previous, margin, margin_gain, net_effect)] = Effect._read_group(
                domain, [], ["sales:sum", "rebate:sum", "uplift:sum", "compared_previous_sales:sum",
                             "margin:sum", "margin_gain:sum", "net_effect:sum"])
            sales, rebate, uplift, compared_previous = sales or 0.0, rebate or 0.0, uplift or 0.0, compared_previous or 0.0
            policy.review_sales = sales
            policy.review_rebate = rebate
            policy.review_uplift = uplift
            policy.review_margin = margin or 0.0
            policy.review_margin_gain = margin_gain or 0.0
            policy.review_net_effect = net_effect or 0.0
            policy.review_cost_share = 100.0 * rebate / sales if sales else 0.0

            by_comparison = dict(Effect._read_group(domain, ["comparison"], ["__count"]))
            measured = by_comparison.get("policy", 0) + by_comparison.get("baseline", 0)
            total = sum(by_comparison.values())
            parts = [self.env._("%(measured)s of %(total)s customer periods", measured=measured, total=total)]
            if by_comparison.get("open"):
                parts.append(self.env._("%s in a running period", by_comparison["open"]))
            if by_comparison.get("no_previous"):
                parts.append(self.env._("%s without sales in the period before", by_comparison["no_previous"]))
            policy.review_compared = self._clause_separator().join(parts)

            if policy._has_partner_scope():
                policy.review_comparison = self.env._("Customers outside the policy")
                inside = (uplift + compared_previous, compared_previous)
                outside_domain = Domain("policy_id", "=", policy._origin.id) & Domain("date_end", "<", today) \
                    & Domain("outside_previous_sales", ">", 0)
                if period:
                    outside_domain &= Domain("date_start", "=", period.date_start)
                [outside] = self.env["rebate.policy.period"]._read_group(
                    outside_domain, [], ["outside_sales:sum", "outside_previous_sales:sum"])
            else:
                policy.review_comparison = self.env._("Customers below the first tier")
                reached = {
                    flag: (up + previous, previous) for flag, up, previous in Effect._read_group(
                        domain & Domain("comparable", "=", True), ["reached_tier"],
                        ["uplift:sum", "compared_previous_sales:sum"])
                }
                inside = reached.get(True, (0.0, 0.0))
                outside = reached.get(False, (0.0, 0.0))
            policy.review_growth_measured = inside[1] > 0
            policy.review_inside_growth = growth(*inside)
            policy.review_comparison_measured = (outside[1] or 0.0) > 0
            policy.review_comparison_growth = growth(outside[0] or 0.0, outside[1] or 0.0)

            record_domain = domain & Domain("state", "!=", "cancelled")
            earned = paid = 0.0
            for state, amount in Record._read_group(
                    record_domain & Domain("state", "in", ("confirmed", "settled")), ["state"], ["amount:sum"]):
                earned += amount
                if state == "settled":
                    paid += amount
            policy.review_earned, policy.review_paid = earned, paid

            # each customer once, at the highest tier reached: the counts add up to the customers
            order = {tier.id: index for index, tier in enumerate(policy.tier_ids.sorted(lambda t: (t.sequence, t.id)))}
            highest = {}
            for partner, tier in Record._read_group(record_domain, ["partner_id", "tier_id"]):
                rank = order.get(tier.id, -1) if tier else -1
                highest[partner.id] = max(highest.get(partner.id, -1), rank)
            policy.review_customer_count = len(highest)
            counts = defaultdict(int)
            for rank in highest.values():
                counts[rank] += 1
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            parts = [
                self.env._("%(tier)s: %(count)s", tier=tier.display_name, count=counts[index])
                for index, tier in enumerate(tiers) if counts.get(index)
            ]
            if counts.get(-1):
                parts.append(self.env._("below the first tier: %s", counts[-1]))
            policy.review_tiers = self._clause_separator().join(parts)

    @api.readonly
    def action_view_effect(self):
        """The effect analysis of the policies, of the period under review when one is chosen."""
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_effect_report_action")
        domain = Domain("policy_id", "in", self.ids)
        if len(self) == 1 and (period := self._review_period()):
            domain &= Domain("date_start", "=", period.date_start)
            action["display_name"] = action["name"] = self.env._(
                "Rebate Effect Analysis: %(policy)s, %(period)s",
                policy=self.display_name, period=self.review_period_label)
        action["domain"] = list(domain)
        return action

    def _has_frozen_records(self):
        self.ensure_one()
        return bool(self.env["rebate.record"].search_count(
            [("policy_id", "=", self.id), ("state", "in", ("confirmed", "settled"))], limit=1))

    # ------------------------------------------------------------------ the base

    def _has_partner_scope(self):
        self.ensure_one()
        return bool(self.partner_ids or self.partner_category_ids)

    def _scope_partner_ids(self):
        """Commercial partners the policy is limited to, or None for every customer (read once
        per policy inside a run of ``_compute_records``)."""
        self.ensure_one()
        if not self._has_partner_scope():
            return None
        run = _COMPUTE_RUN.get()
        if run is not None:
            key = ("partners", self.id)
            if key not in run.memo:
                run.memo[key] = self._read_scope_partner_ids()
            return run.memo[key]
        return self._read_scope_partner_ids()

    def _partners_in_scope(self, partner_ids):
        """Those of the commercial partners ``partner_ids`` that the policy's customer scope
        covers, in their order, without reading the whole scope for a few customers (the
        projection, the day's changes): named, or one of their contacts tagged."""
        self.ensure_one()
        if not self._has_partner_scope():
            return list(partner_ids)
        run = _COMPUTE_RUN.get()
        if (run is not None and ("partners", self.id) in run.memo) or len(partner_ids) > 1000:
            inside = set(self._scope_partner_ids())
        else:
            inside = set(self.partner_ids.commercial_partner_id.ids)
            if self.partner_category_ids:
                inside |= set(self.env["res.partner"].with_context(active_test=False).search(
                    [("category_id", "in", self.partner_category_ids.ids),
                     ("commercial_partner_id", "in", list(partner_ids))]).commercial_partner_id.ids)
        return [partner_id for partner_id in partner_ids if partner_id in inside]

    def _read_scope_partner_ids(self):
        partners = self.partner_ids
        if self.partner_category_ids:
            partners |= self.env["res.partner"].with_context(active_test=False).search(
                [("category_id", "in", self.partner_category_ids.ids)])
        return partners.commercial_partner_id.ids

    def _scope_product_ids(self):
        """Products the policy is limited to (categories with their children), or None for all
        (read once per policy inside a run of ``_compute_records``)."""
        self.ensure_one()
        if not (self.product_ids or self.product_category_ids):
            return None
        run = _COMPUTE_RUN.get()
        if run is not None:
            key = ("products", self.id)
            if key not in run.memo:
                run.memo[key] = self._read_scope_product_ids()
            return run.memo[key]
        return self._read_scope_product_ids()

    def _read_scope_product_ids(self):
        products = self.product_ids
        if self.product_category_ids:
            products |= self.env["product.product"].with_context(active_test=False).search(
                [("categ_id", "child_of", self.product_category_ids.ids)])
        return products.ids

    def _product_line_domain(self, date_start, date_end, ranges=None, moves=True):
        """Product lines of posted customer invoices and credit notes between two dates (by
        invoice date), in the policy's company and product scope, for any customer.

        ``ranges`` (a list of (start, end)) takes several date ranges at once; ``moves=False``
        leaves out the condition on the move's type, for the aggregate that joins the moves
        itself (it applies the same condition in SQL)."""
        self.ensure_one()
        ranges = ranges or [(date_start, date_end)]
        dates = Domain.OR(
            Domain([("invoice_date", ">=", start), ("invoice_date", "<=", end)]) for start, end in ranges) \
            if self.invoice_basis != "paid" else self._paid_dates_domain(ranges, moves=moves)
        domain = Domain([
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("display_type", "=", "product"),
            ("is_rebate_discount", "=", False),
        ])
        if moves:
            # a payout's own documents (credit notes, their reversals, recovery invoices) are not
            # sales: counting them would lower the next base by the rebate just paid
            domain &= Domain("move_id", "any", [
                ("move_type", "in", BASE_MOVE_TYPES), ("rebate_settlement_id", "=", False)])
        domain &= dates
        scope_products = self._scope_product_ids()
        if scope_products is not None:
            domain &= Domain("product_id", "in", scope_products)
        return domain & self._exclusion_domain()  # overlap13: products never counted

    def _base_line_domain(self, date_start, date_end, partner_ids=None, ranges=None, moves=True):
        """Journal items that count for the policy between two dates: its product lines for the
        customers in its scope (or ``partner_ids`` among them). The same domain feeds the aggregate
        and the "invoice lines" button, so what a user opens is exactly what was added up."""
        self.ensure_one()
        domain = self._product_line_domain(date_start, date_end, ranges=ranges, moves=moves)
        if partner_ids is not None:
            partner_ids = self._partners_in_scope(list(partner_ids))
            domain &= Domain("partner_id", "in", partner_ids)
        elif self._has_partner_scope():
            domain &= Domain("partner_id", "in", self._scope_partner_ids())
        # overlap13: lines an exclusive policy of a higher key counts are not this one's
        return domain & self._overlap_exclusion_domain(ranges or [(date_start, date_end)], partner_ids)

    def _outside_line_domain(self, date_start, date_end, ranges=None, moves=True):
        """The policy's journal items of the period for the customers its scope leaves out."""
        self.ensure_one()
        return self._product_line_domain(date_start, date_end, ranges=ranges, moves=moves) & Domain(
            "partner_id", "not in", self._scope_partner_ids() or [])

    def _line_figures_query(self, domain, ranges, build):
        """Run one aggregate over the journal items of ``domain`` (built with ``moves=False``, for
        the date ``ranges``),
        joined to their move, which must be a customer invoice or credit note that no payout made.
        ``build(terms)`` returns the SELECT list and the GROUP BY (SQL, or None) from the SQL
        terms ``line`` (the line's alias), ``date``, ``amount`` (untaxed, company currency, credit
        notes negative), ``qty`` (in the product's unit, credit notes negative) and ``cost``
        (that quantity at the product's cost in the policy's company). Returns the rows."""
        self.ensure_one()
        # raw SQL over lines, moves, products and units: what the ORM still holds must be written
        for model in ("account.move.line", "account.move", "product.product", "product.template", "uom.uom"):
            self.env[model].flush_model()
        Line = self.env["account.move.line"].sudo().with_company(self.company_id)
        query = Line._search(domain)
        query.order = None
        line = query.table
        move = query.join(line, "move_id", "account_move", "id", "rebate_move")
        query.add_where(SQL("%s IN %s AND %s IS NULL", SQL.identifier(move, "move_type"), BASE_MOVE_TYPES,
                            SQL.identifier(move, "rebate_settlement_id")))
        # the line's invoice date is its move's: saying it of the moves too lets PostgreSQL read
        # only the moves of the ranges (index on account_move.invoice_date), not all of them; for
        # many ranges (the day's changes of several periods) their span, one comparison a move
        # (dozens of ranges in an OR made PostgreSQL test every one on every move)
        if self.invoice_basis != "paid":  # paid basis: the shares joined below decide the dates
            move_ranges = ranges if len(ranges) <= 3 else [(min(start for start, _end in ranges),
                                                            max(end for _start, end in ranges))]
            query.add_where(SQL("(%s)", SQL(" OR ").join(
                SQL("%s BETWEEN %s AND %s", SQL.identifier(move, "invoice_date"), start, end)
                for start, end in move_ranges)))
        product = query.left_join(line, "product_id", "product_product", "id", "rebate_product")
        template = query.left_join(product, "product_tmpl_id", "product_template", "id", "rebate_template")
        line_uom = query.left_join(line, "product_uom_id", "uom_uom", "id", "rebate_line_uom")
        product_uom = query.left_join(template, "uom_id", "uom_uom", "id", "rebate_product_uom")
        # the line's quantity in the product's own unit, with the sign of the document, converted
        # as _compute_period_bases converts it
        qty = SQL(
            "((CASE WHEN %(type)s = 'out_refund' THEN -1 ELSE 1 END) * %(quantity)s"
            " * (CASE WHEN %(lu)s IS NOT NULL AND %(pu)s IS NOT NULL AND %(lu)s != %(pu)s"
            " THEN %(lf)s::numeric / %(pf)s::numeric ELSE 1 END))",
            type=SQL.identifier(move, "move_type"), quantity=SQL.identifier(line, "quantity"),
            lu=SQL.identifier(line_uom, "id"), pu=SQL.identifier(product_uom, "id"),
            lf=SQL.identifier(line_uom, "factor"), pf=SQL.identifier(product_uom, "factor"))
        # the cost is company-dependent (a jsonb keyed by company): read for the policy's company
        unit_cost = Line.env["product.product"]._field_to_sql(product, "standard_price", query)
        terms = {
            "line": SQL.identifier(line),
            "date": SQL.identifier(line, "invoice_date"),
            "amount": SQL("(-%s)", SQL.identifier(line, "balance")),
            "qty": qty,
            "cost": SQL("(%s * COALESCE(%s, 0)::numeric)", qty, unit_cost),
        }
        if self.invoice_basis == "paid":
            terms = self._join_paid_shares(query, move, ranges, terms)
        select, groupby = build(terms)
        cr = self.env.cr
        # For this statement only: no JIT compilation (a tenth of a second or more to compile
        # an aggregate that then runs about as long), and the memory to aggregate the customers
        # in a hash table instead of sorting the lines on disk; the settings are put back after.
        cr.execute(SQL(
            "SELECT current_setting('jit'), current_setting('work_mem'), set_config('jit', 'off', true), "
            "CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s) "
            "THEN set_config('work_mem', %s, true) END", AGGREGATE_WORK_MEM, AGGREGATE_WORK_MEM))
        jit, work_mem, _jit, _work_mem = cr.fetchone()
        cr.execute(SQL("%s%s", query.select(select), SQL(" GROUP BY %s", groupby) if groupby is not None else SQL()))
        rows = cr.fetchall()
        # (a failed statement needs no putting back: rolling back its savepoint undoes the settings)
        cr.execute(SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", jit, work_mem))
        return rows

    def _compute_period_figures(self, period, partner_ids=None):
        """``{partner id: {figure: Decimal}}`` for one period, from ONE aggregate over the lines of
        the period, the period before and the same period last year (conditional sums over the
        union of the three date ranges): ``base_amount`` and ``base_qty``, the amounts before and
        last year for the effect analysis, and the cost of the goods (quantity in the product's
        unit times its cost) in the period and the one before; ``lines`` counts the customer's lines
        in the period itself. ``partner_ids`` limits it to some customers.

        Inside a run of ``_compute_records`` (see ``_ComputeRun``) the figures may come from that
        run instead: the customers' figures read for several periods at once by one aggregate
        (an incremental run), or the date ranges an earlier period of the same run read for every
        customer (its own period is this one's period before, or its last year), so that only
        what is missing is read."""
        self.ensure_one()
        run = _COMPUTE_RUN.get()
        if run is not None and partner_ids is not None:
            figures = run.prefetched.pop((self.id, period.date_start, frozenset(partner_ids)), None)
            if figures is not None:
                return figures
        needs = self._period_range_needs(period)
        if run is not None and partner_ids is None:
            by_range = run.ranges_for(self, needs)
        else:
            by_range = self._range_figures(needs, partner_ids)
        return self._assemble_period_figures(period, by_range)

    # what each of a period's ranges is read for: the period itself, the one before, last year
    CURRENT_MEASURES = ("lines", "amount", "qty", "cost")
    PREVIOUS_MEASURES = ("amount", "cost")
    LAST_YEAR_MEASURES = ("amount",)

    def _period_ranges(self, period):
        before, last_year = previous_period(period), same_period_last_year(period)
        return ((period.date_start, period.date_end), (before.date_start, before.date_end),
                (last_year.date_start, last_year.date_end))

    def _period_range_needs(self, period, needs=None):
        """``{(start, end): {measures}}``: the date ranges of a period's figures and what is summed
        over each (added to ``needs`` when given)."""
        needs = needs if needs is not None else {}
        for date_range, measures in zip(self._period_ranges(period),
                                        (self.CURRENT_MEASURES, self.PREVIOUS_MEASURES, self.LAST_YEAR_MEASURES)):
            needs.setdefault(date_range, set()).update(measures)
        return needs

    def _assemble_period_figures(self, period, by_range):
        """A period's figures per customer from the sums per date range (``_range_figures``)."""
        current, before, last_year = (by_range.get(date_range, {}) for date_range in self._period_ranges(period))
        partners = set(current) | set(before) | set(last_year)
        return {
            partner_id: {
                "lines": current.get(partner_id, {}).get("lines", ZERO),
                "base_amount": current.get(partner_id, {}).get("amount", ZERO),
                "base_qty": current.get(partner_id, {}).get("qty", ZERO),
                "cost_amount": current.get(partner_id, {}).get("cost", ZERO),
                "previous_base_amount": before.get(partner_id, {}).get("amount", ZERO),
                "previous_cost_amount": before.get(partner_id, {}).get("cost", ZERO),
                "last_year_base_amount": last_year.get(partner_id, {}).get("amount", ZERO),
            }
            for partner_id in partners
        }

    def _range_figures(self, needs, partner_ids=None):
        """``{(start, end): {partner id: {measure: Decimal}}}`` from ONE aggregate over the
        lines of the union of the date ranges of ``needs`` (``{(start, end): {measures}}``, the
        measures among lines, amount, qty and cost), a conditional sum per range and measure.
        ``partner_ids`` limits it to some customers. Customers without a line in a range are
        left out of it."""
        self.ensure_one()
        ranges = list(needs)
        if not ranges:
            return {}
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)
        columns = [(date_range, measure) for date_range in ranges
                   for measure in ("lines", "amount", "qty", "cost") if measure in needs[date_range]]

        def build(terms):
            select = [SQL("%s.partner_id", terms["line"])]
            for (start, end), measure in columns:
                within = SQL("%s BETWEEN %s AND %s", terms["date"], start, end)
                if measure == "lines":
                    select.append(SQL("COUNT(*) FILTER (WHERE %s)", within))
                else:
                    select.append(SQL("SUM(%s) FILTER (WHERE %s)", terms[measure], within))
            return SQL(", ").join(select), SQL("%s.partner_id", terms["line"])

        figures = {date_range: {} for date_range in ranges}
        for partner_id, *values in self._line_figures_query(domain, ranges, build):
            if not partner_id:
                continue
            for (date_range, measure), value in zip(columns, values):
                if value:
                    figures[date_range].setdefault(partner_id, {})[measure] = to_decimal(value)
        return figures

    def _prefetch_partner_figures(self, work, run):
        """Read the figures of every (period, customers) of an incremental run at once — one
        aggregate over the union of their customers and date ranges, a few periods at a time —
        and leave them in the ``run`` for ``_compute_period_figures``: the day's changes touch
        many periods of few customers, which would otherwise be one aggregate each."""
        self.ensure_one()
        items = [(period, partner_ids) for period, partner_ids in work if partner_ids]
        chunk, needs = [], {}
        for index, (period, partner_ids) in enumerate(items):
            chunk.append((period, partner_ids))
            self._period_range_needs(period, needs)
            if len(needs) >= self.PREFETCH_RANGES or index + 1 == len(items):
                partners = set().union(*(partner_ids for _period, partner_ids in chunk))
                by_range = self._range_figures(needs, partners)
                for chunk_period, chunk_partners in chunk:
                    figures = self._assemble_period_figures(chunk_period, by_range)
                    run.prefetched[(self.id, chunk_period.date_start, frozenset(chunk_partners))] = {
                        partner_id: values for partner_id, values in figures.items() if partner_id in chunk_partners}
                chunk, needs = [], {}

    # date ranges read by one prefetching aggregate at most (up to four sums each)
    PREFETCH_RANGES = 60

    def _record_outside_period(self, period, partner_ids=None, queued=None):
        """Sales of the customers outside a scoped policy, this period and the one before: the
        comparison group of the review, from one aggregate over both periods. With ``partner_ids``
        (an incremental run), only when one of them is outside the scope, and then, when the
        ``queued`` changes (rows (date, partner, move, posted) since the last run) are documents
        that were not posted at the last run, by adding what those documents bring: their lines
        are read, not the period's."""
        self.ensure_one()
        outside = None
        if partner_ids is not None:
            outside = set(partner_ids) - set(self._partners_in_scope(list(partner_ids)))
            if not outside:
                return
        before = previous_period(period)
        ranges = [(period.date_start, period.date_end), (before.date_start, before.date_end)]
        row = self.env["rebate.policy.period"].search(
            [("policy_id", "=", self.id), ("date_start", "=", period.date_start)])
        if outside is not None and row and self._add_outside_changes(row, period, before, outside, queued or []):
            return
        domain = self._outside_line_domain(None, None, ranges=ranges, moves=False)

        def build(terms):
            current, previous = (SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in ranges)
            return SQL(", ").join([
                SQL("COUNT(DISTINCT %s.partner_id) FILTER (WHERE %s)", terms["line"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], previous),
            ]), None

        [(count, sales, previous)] = self._line_figures_query(domain, ranges, build)
        values = {"date_end": period.date_end, "outside_customer_count": count or 0,
                  "outside_sales": float(sales or 0), "outside_previous_sales": float(previous or 0)}
        if row:
            row.write(values)
        else:
            row.create(dict(values, policy_id=self.id, date_start=period.date_start))

    def _add_outside_changes(self, row, period, before, outside, queued):
        """Bring ``row`` up to date from the documents of the customers ``outside`` that changed
        in the period or the one before since the last run, when every one of them was not posted
        then (its first change since is a posting): what they add is their lines as they are now,
        if posted. Returns False when a document posted at the last run has left the posted
        state since (what it brought then is not known any more): the caller reads the period."""
        first = {}
        for _queue_id, day, partner_id, move_id, posted in sorted(queued):
            if partner_id in outside and (day in period or day in before):
                if not move_id:
                    return False
                first.setdefault(move_id, posted)
        if not all(first.values()):
            return False
        if not first:
            return True
        ranges = [(period.date_start, period.date_end), (before.date_start, before.date_end)]
        new_moves = Domain("move_id", "in", list(first))
        domain = self._outside_line_domain(None, None, ranges=ranges, moves=False) & new_moves

        def build(terms):
            current, previous = (SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in ranges)
            return SQL(", ").join([
                SQL("%s.partner_id", terms["line"]),
                SQL("COUNT(*) FILTER (WHERE %s)", current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], previous),
            ]), SQL("%s.partner_id", terms["line"])

        added = self._line_figures_query(domain, ranges, build)
        new_lines = {partner_id: count for partner_id, count, _sales, _previous in added if count}
        new_customers = 0
        if new_lines:
            # a customer is new to the group when the new documents are all it has in the period
            current = [ranges[0]]

            def count_lines(terms):
                return SQL("%s.partner_id, COUNT(*)", terms["line"]), SQL("%s.partner_id", terms["line"])

            totals = self._line_figures_query(
                self._outside_line_domain(None, None, ranges=current, moves=False)
                & Domain("partner_id", "in", list(new_lines)), current, count_lines)
            new_customers = sum(1 for partner_id, count in totals if count == new_lines.get(partner_id))
        sales = sum((to_decimal(value or 0) for _p, _c, value, _v in added), ZERO)
        previous = sum((to_decimal(value or 0) for _p, _c, _v, value in added), ZERO)
        row.write({
            "outside_customer_count": row.outside_customer_count + new_customers,
            "outside_sales": float(to_decimal(row.outside_sales) + sales),
            "outside_previous_sales": float(to_decimal(row.outside_previous_sales) + previous),
        })
        return True

    def _compute_period_bases(self, date_start, date_end, partner_ids=None):
        """``{partner id: (base amount, base quantity)}`` as Decimals for the period, from one
        aggregated query: the untaxed amount in company currency (credit notes count negative by
        their sign) and, for a quantity basis, the quantity in each product's reference unit."""
        self.ensure_one()
        if self.invoice_basis == "paid":
            return self._paid_period_bases(date_start, date_end, partner_ids)
        Line = self.env["account.move.line"].sudo()
        domain = self._base_line_domain(date_start, date_end, partner_ids)
        bases = defaultdict(lambda: [ZERO, ZERO])
        if self.basis == "amount":
            for partner, balance in Line._read_group(domain, ["partner_id"], ["balance:sum"]):
                bases[partner.id][0] += -to_decimal(balance)
        else:
            # One row per customer, move type and pair of units: the conversion to the product's
            # unit and the refund sign are applied per group, never per line.
            groups = Line._read_group(
                domain,
                ["partner_id", "move_id.move_type", "product_uom_id", "product_id.product_tmpl_id.uom_id"],
                ["balance:sum", "quantity:sum"])
            for partner, move_type, line_uom, product_uom, balance, quantity in groups:
                factor = to_decimal(line_uom.factor) / to_decimal(product_uom.factor) \
                    if line_uom and product_uom and line_uom != product_uom else Decimal(1)
                sign = -1 if move_type == "out_refund" else 1
                bases[partner.id][0] += -to_decimal(balance)
                bases[partner.id][1] += sign * to_decimal(quantity) * factor
        return {partner_id: (amount, qty) for partner_id, (amount, qty) in bases.items() if partner_id}

    def _first_invoice_dates(self, partner_ids):
        """``{partner id: date of its first posted customer invoice}`` in the policy's company
        (inside a run of ``_compute_records``, read once per customer for all its periods)."""
        self.ensure_one()
        run = _COMPUTE_RUN.get()
        if run is None:
            return self._read_first_invoice_dates(partner_ids)
        known = run.first_dates.setdefault(self.company_id.id, {})
        missing = [partner_id for partner_id in partner_ids if partner_id not in known]
        if missing:
            found = self._read_first_invoice_dates(missing)
            known.update((partner_id, found.get(partner_id)) for partner_id in missing)
        return {partner_id: known[partner_id] for partner_id in partner_ids if known[partner_id] is not None}

    def _read_first_invoice_dates(self, partner_ids):
        self.ensure_one()
        groups = self.env["account.move"].sudo()._read_group(
            [("company_id", "=", self.company_id.id), ("state", "=", "posted"),
             ("move_type", "=", "out_invoice"), ("rebate_settlement_id", "=", False),
             ("commercial_partner_id", "in", list(partner_ids))],
            ["commercial_partner_id"], ["invoice_date:min"])
        return {partner.id: first for partner, first in groups}

    # ------------------------------------------------------------------ records

    def _record_values(self, result, measure_basis):
        """Field values of a record from an engine result (``measure_basis`` is (amount, qty))."""
        base_amount, base_qty = measure_basis
        return {
            "base_amount": float(base_amount),
            "base_qty": float(base_qty),
            "tier_id": result.tier.key if result.tier is not None else False,
            "rate": float(result.rate),
            "amount": float(result.amount),
        }

    def _values_differ(self, record, values):
        """Whether an estimate (a record, or a row of ``_period_record_rows``) differs from
        ``values``."""
        currency = self.currency_id
        tier = record.tier_id
        tier_id = (tier if isinstance(tier, int) or tier is None else tier.id) or False
        return (
            currency.compare_amounts(record.base_amount, values["base_amount"])
            or currency.compare_amounts(record.previous_base_amount, values["previous_base_amount"])
            or currency.compare_amounts(record.last_year_base_amount, values["last_year_base_amount"])
            or currency.compare_amounts(record.cost_amount, values["cost_amount"])
            or currency.compare_amounts(record.previous_cost_amount, values["previous_cost_amount"])
            or currency.compare_amounts(record.amount, values["amount"])
            or float_compare(record.base_qty, values["base_qty"], precision_digits=6)
            or tier_id != (values["tier_id"] or False)
            or float_compare(record.rate, values["rate"], precision_digits=4)
        )

    # what the computation reads of a period's existing records
    RECORD_ROW_FIELDS = ("id", "partner_id", "state", "revision", "tier_id", "base_amount", "base_qty", "rate",
                         "amount", "previous_base_amount", "last_year_base_amount", "cost_amount",
                         "previous_cost_amount")

    def _period_record_rows(self, date_start, partner_ids=None):
        """``{partner id: [row]}``: the policy's records of the period (those the user may read),
        as plain rows with the fields of ``RECORD_ROW_FIELDS`` — thousands of records read in one
        query without building a record and its cache for each."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.flush_model(self.RECORD_ROW_FIELDS[1:] + ("policy_id", "date_start"))
        domain = Domain("policy_id", "=", self.id) & Domain("date_start", "=", date_start)
        if partner_ids is not None:
            domain &= Domain("partner_id", "in", list(partner_ids))
        query = Record._search(domain)
        query.order = None
        self.env.cr.execute(query.select(*(SQL.identifier(query.table, name) for name in self.RECORD_ROW_FIELDS)))
        rows = defaultdict(list)
        for values in self.env.cr.fetchall():
            row = types.SimpleNamespace(**dict(zip(self.RECORD_ROW_FIELDS, values)))
            rows[row.partner_id].append(row)
        return rows

    def _senior_bases(self, figures, date_start):
        """The customers' figures that make a base: those with lines in the period and, for a
        partnership policy, a first invoice old enough at the period's start."""
        bases = {partner_id: values for partner_id, values in figures.items() if values["lines"]}
        if self.min_seniority_months and bases:
            first_dates = self._first_invoice_dates(bases)
            bases = {
                partner_id: values for partner_id, values in bases.items()
                if seniority_reached(first_dates.get(partner_id), date_start, self.min_seniority_months)
            }
        return bases

    def _compute_period_records(self, date_start, date_end, partner_ids=None, queued=None):
        """Bring the records of one period in line with the posted invoices.

        Estimates (draft) are recomputed, created or removed; confirmed and settled records are
        never touched: a difference with them becomes an adjustment record of its own.
        ``partner_ids`` limits the work to those customers (an incremental run: every figure of a
        record depends on its customer's lines only, with the ``queued`` changes it comes from),
        None is every customer.
        """
        self.ensure_one()
        if self.advance_period:
            # a year paid in advances and settled at year end (rebate_policy_advance.py)
            return self._compute_advance_records(date_start, date_end, partner_ids, queued)
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        period = Period(date_start, date_end, self.period, 0)
        if partner_ids is not None and self.pool_mode != "none":
            partner_ids = self._pool_widen(partner_ids)  # group volume: a member moves its whole group
        # one aggregate: the period's base, the period before, last year and the costs
        figures = self._compute_period_figures(period, partner_ids)
        bases = self._senior_bases(figures, date_start)
        if self._has_partner_scope():
            self._record_outside_period(period, partner_ids, queued)
        # group volume (rebate_policy_pool.py): the groups' bases, the head's row in head payout
        pool = self._pool_period(figures, bases, partner_ids) if self.pool_mode != "none" else None
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 1 if self.basis == "quantity" else 0

        existing = self._period_record_rows(date_start, partner_ids)
        currency = self.currency_id
        to_create, to_write, to_unlink = [], [], []
        for partner_id in set(bases) | set(existing):
            rows = existing.get(partner_id, [])
            if any(row.state == "cancelled" and not row.revision for row in rows):
                continue  # a manager cancelled this customer's rebate for the period
            partner_figures = figures.get(partner_id, {})
            base = (partner_figures["base_amount"], partner_figures["base_qty"]) \
                if partner_id in bases else (ZERO, ZERO)
            result = pool.rebate(partner_id, base, measure_index, tiers, self.tier_mode, cap, rounding) if pool \
                else compute_rebate(base[measure_index], tiers, self.tier_mode, base[0], cap, rounding)
            values = self._record_values(result, base)
            for field in ("previous_base_amount", "last_year_base_amount", "previous_cost_amount"):
                values[field] = float(partner_figures.get(field, ZERO))
            values["cost_amount"] = float(partner_figures["cost_amount"]) if partner_id in bases else 0.0
            for field in ("cost_amount", "previous_cost_amount"):
                values[field] = currency.round(values[field])  # a quantity times a cost
            draft = [row for row in rows if row.state == "draft"]
            settled = [row for row in rows if row.state != "draft"]
            if settled:
                # what confirmed, settled and cancelled adjustments already account for
                for field in ("base_amount", "base_qty", "amount", "previous_base_amount", "last_year_base_amount",
                              "cost_amount", "previous_cost_amount"):
                    values[field] -= sum(getattr(row, field) for row in settled)
                keep = bool(
                    self.currency_id.compare_amounts(values["amount"], 0)
                    or self.currency_id.compare_amounts(values["base_amount"], 0)
                    or float_compare(values["base_qty"], 0, precision_digits=6))
                revision = max(row.revision for row in rows) + (0 if draft else 1)
            else:
                keep = partner_id in bases and (result.amount > 0 or self.track_progress
                                                or bool(pool and partner_id in pool.group_of))
                revision = 0
            if not keep:
                to_unlink += [row.id for row in draft]
            elif draft:
                if self._values_differ(draft[0], values):
                    to_write.append((draft[0].id, values))
            else:
                to_create.append(dict(
                    values, policy_id=self.id, partner_id=partner_id, date_start=date_start,
                    date_end=date_end, revision=revision, company_id=self.company_id.id,
                    rebate_type=self.rebate_type, **(pool.record_values(partner_id) if pool else {})))
        Record.browse(to_unlink).unlink()
        written = Record.browse([record_id for record_id, _values in to_write])
        Record._write_estimates(list(zip(written, (values for _record_id, values in to_write))))
        created = Record._create_estimates(to_create)
        self._record_overlaps(period, partner_ids)  # overlap13: what exclusive policies took
        if pool:
            self._pool_write_records(date_start, pool, partner_ids)
        return created

    def _periods_to_compute(self, date_from=None, date_to=None):
        """The policy's periods that have begun (up to today), optionally only those meeting
        [date_from, date_to]."""
        self.ensure_one()
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        today = fields.Date.context_today(self)
        until = min(date_to, today) if date_to else today
        if until < self.date_start:
            return []
        return [
            period for period in iter_periods(self.period, self.date_start, self.date_end or None, until=until)
            if not date_from or period.date_end >= date_from
        ]

    def _lock_for_compute(self):
        """One computation of a policy at a time. The policy rows are locked the ORM's way; a run
        that meets another one still at work is told so at once rather than queueing behind it
        (the daily job skips such a policy). The stamp makes a run whose snapshot predates the
        other's commit fail with a serialization error, which Odoo's request and cron handling
        retry on a fresh snapshot, where the records of the first run are seen: no duplicates."""
        try:
            self.lock_for_update()
        except LockError:
            busy = self - self.try_lock_for_update()
            raise UserError(self.env._(
                "Rebates of %(policies)s are being computed right now, by the daily job or another "
                "user. Try again when that run has finished.",
                policies=", ".join(busy.sudo().mapped("display_name")))) from None
        # the stamp is bookkeeping of the run, not a change of the policy's terms
        self.sudo().write({"last_compute_date": fields.Datetime.now()})
        self.flush_recordset(["last_compute_date"])

    def _check_compute_access(self):
        """Computing creates, rewrites and removes records and stamps the policies: checked before
        any aggregate runs or any row is locked, so a read-only user costs nothing."""
        self.check_access("write")
        self.env["rebate.record"].check_access("create")
        self.env["rebate.record"].check_access("unlink")

    def _require_full_compute(self):
        """Other terms: the next run, even an incremental one, computes every period."""
        if self:
            self.sudo().write({"compute_open_from": False, "compute_resume_date": False})

    def _queued_changes(self):
        """``(queue rows, {date: {partner ids}})`` queued for the policy since its last run; a
        row is (id, date, partner id, move id, whether the move entered the posted state), and
        the set of (date, partner id) that may move a customer's first invoice (invoices, and
        records put back to estimate)."""
        self.ensure_one()
        self.env.cr.execute(
            """SELECT queue.id, queue.date, queue.partner_id, queue.move_id, queue.posted, move.move_type
                 FROM rebate_compute_queue queue
                 LEFT JOIN account_move move ON move.id = queue.move_id
                WHERE queue.policy_id = %s""",
            [self.id])
        rows, changes, firsts = [], defaultdict(set), set()
        for queue_id, day, partner_id, move_id, posted, move_type in self.env.cr.fetchall():
            rows.append((queue_id, day, partner_id, move_id, posted))
            changes[day].add(partner_id)
            if move_type in (None, "out_invoice"):
                firsts.add((day, partner_id))
        return rows, (changes, firsts)

    def _incremental_work(self, periods, changes, open_from):
        """``[(period, partner ids or None)]``: what an incremental run recomputes. Every period
        that began after the last complete run (``open_from``), for every customer; and, for the
        customers of the queued ``changes`` only, every period already computed whose figures read
        a changed date — the period itself, the period after it (its "previous period") and the
        same period a year later — and, for a policy with a minimum seniority, the periods whose
        seniority the customer's first invoice may have crossed. Every figure of a record depends
        on its own customer's lines only, so the others' records stand as they are."""
        self.ensure_one()
        changes, firsts = changes
        work = [(period, None) for period in periods if period.date_start > open_from]
        computed = [period for period in periods if period.date_start <= open_from]
        dirty = defaultdict(set)
        reads = [(period, (period, previous_period(period), same_period_last_year(period))) for period in computed]
        for day, partner_ids in changes.items():
            for period, ranges in reads:
                if any(day in date_range for date_range in ranges):
                    dirty[period] |= partner_ids
        if self.min_seniority_months and firsts:
            # an invoice at ``day`` moved the first invoice only if none is earlier now; the
            # seniority then changed for the periods starting from ``day`` + the months up to the
            # current first invoice + the months (when the first is later now: the one at ``day``
            # left), or with no bound (when it is the first now, the one before is not known)
            months = self.min_seniority_months
            first_dates = self._first_invoice_dates({partner_id for _day, partner_id in firsts if partner_id})
            for day, partner_id in firsts:
                first = first_dates.get(partner_id)
                if first is not None and first < day:
                    continue
                until = add_months(first, months) if first is not None and first > day else None
                for period in computed:
                    if add_months(day, months) <= period.date_start and (until is None or period.date_start < until):
                        dirty[period].add(partner_id)
        # a move without customer counts for nobody's base
        return [(period, partners - {None}) for period, partners in sorted(dirty.items())
                if partners - {None}] + work

    def _compute_records(self, date_from=None, date_to=None, incremental=False, progress=None):
        """Compute the records of the policies' periods that have begun (or of those meeting
        [date_from, date_to]). ``incremental`` (no dates) computes only what may have changed
        since the last complete run (see _incremental_work); a full run without dates is the
        reference it must equal. ``progress()`` is called after each period (it commits in the
        cron): when it returns False the run stops there, and the next run resumes."""
        self._check_compute_access()
        policies = self.filtered(lambda p: p.state in ("active", "closed"))
        if not policies:
            return self.env["rebate.record"]
        policies._lock_for_compute()
        # a run of its own, even inside another (its own scopes and figures, read now)
        token = _COMPUTE_RUN.set(_ComputeRun())
        try:
            return policies._compute_records_run(date_from, date_to, incremental, progress)
        finally:
            _COMPUTE_RUN.reset(token)

    def _compute_records_run(self, date_from, date_to, incremental, progress):
        policies = self
        run = _COMPUTE_RUN.get()
        created = self.env["rebate.record"]
        whole = not (date_from or date_to)
        today = fields.Date.context_today(self)
        # a closed version still follows the invoices of its own dates (a late credit note dated
        # before its end must not be lost, an estimate must not go stale); the periods after its
        # end belong to the next version, and _periods_to_compute stops at the end date
        for policy in policies:
            periods = policy._periods_to_compute(date_from, date_to)
            queued = []
            if whole:
                queued, changes = policy._queued_changes()
            if whole and incremental and policy.compute_open_from:
                work = policy._incremental_work(periods, changes, policy.compute_open_from)
            elif whole and incremental and policy.compute_resume_date:
                # a full run resumes after the periods an interrupted one already committed (and
                # catches up with what changed in them meanwhile)
                work = policy._incremental_work(
                    periods, changes, policy.compute_resume_date - timedelta(days=1))
            else:
                work = [(period, None) for period in periods]
            policy._prefetch_partner_figures(work, run)
            for index, (period, partner_ids) in enumerate(work):
                created |= policy._compute_period_records(period.date_start, period.date_end, partner_ids, queued)
                if partner_ids is None:
                    # a period of every customer reads thousands of records: let them go
                    self.env.invalidate_all()
                if progress is None:
                    continue
                if whole and partner_ids is None and not (incremental and policy.compute_open_from) \
                        and index + 1 < len(work) and work[index + 1][1] is None:
                    policy.compute_resume_date = work[index + 1][0].date_start
                if not progress():
                    return created
                policy._lock_for_compute()  # the commit let the lock go
            if whole:
                if queued:
                    self.env.cr.execute("DELETE FROM rebate_compute_queue WHERE id IN %s",
                                        [tuple(row[0] for row in queued)])
                policy.write({"compute_open_from": today, "compute_resume_date": False})
        return created

    def action_compute(self):
        """Bring the records in line with the invoices: the periods that may have changed since
        the last run (every period the first time, or after the terms changed)."""
        self._check_compute_access()
        inactive = self.filtered(lambda p: p.state == "draft")
        if inactive:
            raise UserError(self.env._(
                "Only active policies compute rebates: %s.", ", ".join(inactive.mapped("display_name"))))
        self._compute_records(incremental=True)
        return self.action_view_records()

    def action_compute_full(self):
        """Recompute every period of the policy that has begun, whatever changed."""
        self._check_compute_access()
        inactive = self.filtered(lambda p: p.state == "draft")
        if inactive:
            raise UserError(self.env._(
                "Only active policies compute rebates: %s.", ", ".join(inactive.mapped("display_name"))))
        self._compute_records()
        return self.action_view_records()

    @api.readonly
    def action_view_records(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = [("policy_id", "in", self.ids)]
        action["context"] = {"search_default_group_policy": 1, "search_default_group_period": 1}
        return action

    @api.model
    def _cron_compute_rebates(self):
        """Daily: bring the estimates of every active policy in line with the posted invoices,
        incrementally (only the periods that may have changed). Each policy runs in a savepoint
        and, inside the scheduler, every period is committed on its own: one failing policy is
        logged on its chatter and stops neither the others nor their progress; the run stops when
        Odoo says its time is up and the next run resumes (policies least recently computed
        first). A policy that another worker is computing is skipped (its row is locked), so
        several cron workers can share the policies."""
        # closed versions too, while their last year is recent or something of theirs is unpaid
        recent = fields.Date.context_today(self) - timedelta(days=400)
        policies = self.search(["|", ("state", "=", "active"), "&", ("state", "=", "closed"), "|",
                                ("date_end", ">=", recent), ("record_ids.state", "in", ("draft", "confirmed"))],
                               order="last_compute_date ASC NULLS FIRST, id")
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=len(policies))
        progress = (lambda: self.env["ir.cron"]._commit_progress() > 0) if in_cron else None
        failed = self.browse()
        for policy in policies:
            if in_cron and not policy.try_lock_for_update():
                continue  # another worker computes it
            try:
                if in_cron:
                    # committed period by period: a failure undoes the period under way only
                    policy._compute_records(incremental=True, progress=progress)
                else:
                    with self.env.cr.savepoint():
                        policy._compute_records(incremental=True)
            except Exception as error:  # noqa: BLE001 - any failure of one policy must spare the others
                if in_cron:
                    self.env.cr.rollback()
                _logger.warning("Rebate computation of policy %s failed", policy.id, exc_info=True)
                failed |= policy
                policy.message_post(body=self.env._(
                    "The daily rebate computation failed for this policy: %(error)s", error=str(error)))
            if in_cron and not self.env["ir.cron"]._commit_progress(1):
                break
        # the responsible of each policy hears of the periods that ended with estimates to confirm
        policies.exists()._remind_records_to_confirm()
        return failed

    # ------------------------------------------------------------------ projection

    def _applies_to_partner(self, partner, day):
        """Whether the policy covers this commercial partner on ``day``: its customer scope and,
        for a partnership, the seniority at the start of the period."""
        self.ensure_one()
        if not self._partners_in_scope([partner.id]):
            return False
        if self.min_seniority_months:
            period = period_containing(self.period, day, self.date_start, self.date_end or None)
            first = self._first_invoice_dates([partner.id]).get(partner.id)
            return seniority_reached(first, period.date_start, self.min_seniority_months)
        return True

    def _format_measure_unit(self, value):
        """A measure with its unit when it is a quantity: "600 Units", "12 kg" (the unit of the
        products in scope when they share one, else "units")."""
        self.ensure_one()
        text = self._format_measure(value)
        if self.basis != "quantity":
            return text
        units = self.product_ids.uom_id
        unit = units.name if len(units) == 1 and not self.product_category_ids else self.env._("units")
        return self.env._("%(quantity)s %(unit)s", quantity=text, unit=unit)

    def _filter_applicable(self, partner, day):
        """The policies that apply to ``partner`` on ``day``. A policy whose scope cannot be
        worked out (terms stored out of bounds, a bug) is kept: the projection then shows a line
        saying it cannot be projected, and the form around it still opens."""
        def applies(policy):
            try:
                return policy._applies_to_partner(partner, day)
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 - the projection logs it and shows the line
                _logger.info("Scope of rebate policy %s could not be checked: %s", policy.id, error)
                return True
        return self.filtered(applies)

    def _projection_values(self, period, result, base_amount, base_qty, doc_amount, doc_qty):
        self.ensure_one()
        currency = self.currency_id
        quantity = self.basis == "quantity"

        def money(value):
            return formatLang(self.env, float(value), currency_obj=currency)

        tier = result.projected.tier
        if tier is None:
            reached = self.env._("below the first tier")
        elif self.amount_type == "fixed":
            reached = self._format_measure_unit(float(tier.threshold))
        else:
            reached = self.env._("%(rate)s %%", rate=self._format_rate(float(tier.rate)))
        next_text = ""
        if result.next_index is not None:
            next_tier = self._engine_tiers()[result.next_index]
            goal = (self.env._("%(rate)s %%", rate=self._format_rate(float(next_tier.rate)))
                    if not next_tier.is_fixed else money(next_tier.fixed_amount))
            next_text = self.env._(
                "Add %(gap)s before %(date)s to reach %(goal)s",
                gap=self._format_measure_unit(float(result.gap)) if quantity else money(result.gap),
                date=format_date(self.env, period.date_end), goal=goal)
        return {
            "policy": self,
            # what the customer reads: the policy's name, not its internal reference
            "policy_name": self.name,
            "period_start": period.date_start,
            "period_end": period.date_end,
            "base_amount": base_amount,
            "base_qty": base_qty,
            "document_amount": doc_amount,
            "document_qty": doc_qty,
            "tier_index": result.projected.tier_index,
            "projected_amount": result.projected.amount,
            "added_amount": result.added,
            "next_threshold": result.next_threshold,
            "gap": result.gap,
            "next_amount": result.next_amount,
            # display
            "period_text": self.env._("%(start)s – %(end)s", start=format_date(self.env, period.date_start),
                                      end=format_date(self.env, period.date_end)),
            "to_date_text": self._format_measure_unit(float(base_qty if quantity else base_amount)),
            "document_text": self._format_measure_unit(float(doc_qty if quantity else doc_amount)),
            "reached_text": reached,
            "projected_text": money(result.projected.amount),
            "next_text": next_text,
        }

    # ------------------------------------------------------------------ activation, worklist, scope
    # What a policy is checked for when it is activated (what its payouts will need, the active
    # policies it would pay on top of), its responsible's worklist of periods to confirm, and how
    # its scope reads when it covers everyone.

    date_start = fields.Date(default=lambda self: self._default_date_start())
    # user_id (the policy's owner, rebate_policy_approval.py) gets the to-do to confirm a period
    confirm_reminder_date = fields.Date(
        readonly=True, copy=False, groups=REBATE_USER,
        help="End of the last period whose confirmation the responsible was reminded of.")
    to_confirm_count = fields.Integer(
        string="Records to Confirm", compute="_compute_to_confirm_count", groups=REBATE_USER,
        help="Estimates of periods that have ended, waiting for confirmation.")
    customer_scope_text = fields.Char(string="Customer Scope", compute="_compute_scope_texts")
    product_scope_text = fields.Char(string="Product Scope", compute="_compute_scope_texts")
    applies_to_partner_id = fields.Many2one(
        "res.partner", string="Applies to Customer", compute="_compute_applies_to_partner_id",
        search="_search_applies_to_partner_id",
        help="Search the policies covering a customer: those naming them, their tags, or every customer.")

    # ------------------------------------------------------------------ defaults and display

    @api.model
    def _default_date_start(self, period=None):
        """The first day of the current period of the policy's kind: a quarterly policy created in
        May starts on 1 April, not mid-quarter (which would make its first period a short one)."""
        today = fields.Date.context_today(self)
        period = period or self.env.context.get("default_period") or "quarter"
        if period == "window":
            return today
        return period_containing(period, today, today.replace(month=1, day=1)).date_start

    @api.onchange("period")
    def _onchange_period_date_start(self):
        if not self._origin.id and self.period:
            self.date_start = self._default_date_start(self.period)

    @api.depends("partner_ids", "partner_category_ids", "product_ids", "product_category_ids")
    @api.depends_context("lang")
    def _compute_scope_texts(self):
        for policy in self:
            policy.customer_scope_text = ", ".join(
                (policy.partner_ids.mapped("display_name") + policy.partner_category_ids.mapped("display_name"))
            ) or self.env._("All customers")
            policy.product_scope_text = ", ".join(
                (policy.product_ids.mapped("display_name") + policy.product_category_ids.mapped("display_name"))
            ) or self.env._("All products")

    def _compute_applies_to_partner_id(self):
        self.applies_to_partner_id = False

    def _search_applies_to_partner_id(self, operator, value):
        if operator not in ("in", "any", "ilike", "="):
            return NotImplemented
        Partner = self.env["res.partner"].with_context(active_test=False)
        if operator == "any":  # a name typed in the search box arrives as a domain on the partner
            partners = Partner.search(Domain(value) if not isinstance(value, models.BaseModel) else [("id", "in", value.ids)])
        elif operator == "ilike" or isinstance(value, str):
            partners = Partner.search([("complete_name", "ilike", value)])
        else:
            partners = Partner.browse([value] if isinstance(value, int) else [v for v in value if v])
        commercial = partners.commercial_partner_id
        every_customer = Domain("partner_ids", "=", False) & Domain("partner_category_ids", "=", False)
        return every_customer | Domain("partner_ids", "in", commercial.ids) \
            | Domain("partner_category_ids", "in", (partners | commercial).category_id.ids)

    # ------------------------------------------------------------------ activation checks

    def _check_activation_readiness(self):
        """Called first by ``action_activate``. Refuses a policy whose payout would fail months
        later for want of a journal, an account or the free product; then, when the user activates
        from the form (context ``rebate_confirm_overlaps``), returns the confirmation wizard listing
        the active policies that would pay on the same sales too. Returns False to go on."""
        for policy in self:
            missing = policy._payout_requirements_missing()
            if missing:
                raise UserError(self.env._(
                    "Policy %(policy)s cannot be activated: its payouts would fail. Missing: %(missing)s.",
                    policy=policy.display_name, missing=self._clause_separator().join(missing)))
        if not self.env.context.get("rebate_confirm_overlaps") or self.env.context.get("rebate_overlaps_confirmed"):
            return False
        overlaps = self._overlapping_policies()
        if not overlaps:
            return False
        wizard = self.env["rebate.policy.activate.wizard"].create({
            "policy_ids": [fields.Command.set(self.ids)],
            "overlap_ids": [fields.Command.set(overlaps.ids)],
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Activate Anyway?"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _payout_requirements_missing(self):
        """What the payout of this policy needs and lacks, in words (empty when it is ready)."""
        self.ensure_one()
        policy = self.sudo()
        missing = []
        method = policy.settlement_method
        if method == "goods":
            if not policy.goods_product_id:
                missing.append(self.env._("the free product given"))
            if not policy.expense_account_id and not policy.accrual_account_id:
                missing.append(self.env._("the rebate expense account (the cost of the goods given is booked there)"))
            elif not policy.expense_account_id:
                missing.append(self.env._("the rebate expense account (the part of the goods' cost the accrual "
                                          "does not cover is booked there)"))
            if not policy._misc_journal():
                missing.append(self.env._("a miscellaneous journal for the entries of the goods given"))
            product = policy.goods_product_id.with_company(policy.company_id)
            if product.is_storable and not product._get_product_accounts()["stock_valuation"]:
                missing.append(self.env._("the stock valuation account of %s", product.display_name))
            return missing
        wanted = "sale" if method == "credit_note" else "general"
        if not policy.journal_id:
            missing.append(self.env._("the journal (a sales journal for credit notes)") if wanted == "sale"
                           else self.env._("the journal (a miscellaneous journal)"))
        elif policy.journal_id.type != wanted:
            missing.append(self.env._(
                "a %(type)s journal instead of %(journal)s",
                type=self.env._("sales") if wanted == "sale" else self.env._("miscellaneous"),
                journal=policy.journal_id.display_name))
        if not policy.expense_account_id:
            missing.append(self.env._("the rebate expense account"))
        if method == "discount" and not policy.balance_account_id:
            missing.append(self.env._("the rebates owed account of the customers' balances"))
        if policy.accrual_account_id and policy.accrual_account_id.account_type not in (
                "liability_current", "liability_non_current"):
            missing.append(self.env._("an accrued rebates account that is a liability"))
        return missing

    def _overlapping_policies(self):
        """Active policies of the same company that would pay a rebate on some of the same sales:
        dates, customers and products meet. The version a policy replaces is not one of them."""
        Policy = self.env["rebate.policy"]
        overlaps = Policy
        for policy in self:
            candidates = Policy.search([
                ("state", "=", "active"), ("company_id", "=", policy.company_id.id),
                ("id", "not in", (self | policy.previous_policy_id).ids),
                "|", ("date_end", "=", False), ("date_end", ">=", policy.date_start),
                *([("date_start", "<=", policy.date_end)] if policy.date_end else []),
            ])
            customers, products = policy._scope_partner_ids(), policy._scope_product_ids()
            for other in candidates:
                other_customers, other_products = other._scope_partner_ids(), other._scope_product_ids()
                if customers is not None and other_customers is not None \
                        and not set(customers) & set(other_customers):
                    continue
                if products is not None and other_products is not None and not set(products) & set(other_products):
                    continue
                overlaps |= other
        return overlaps

    # ------------------------------------------------------------------ worklist

    def _to_confirm_domain(self):
        return [("policy_id", "in", self.ids), ("state", "=", "draft"),
                ("date_end", "<", fields.Date.context_today(self))]

    def _compute_to_confirm_count(self):
        counts = dict(self.env["rebate.record"]._read_group(
            self._to_confirm_domain(), ["policy_id"], ["__count"]))
        for policy in self:
            policy.to_confirm_count = counts.get(policy, 0)

    def action_view_records_to_confirm(self):
        action = self.action_view_records()
        action["context"] = {"search_default_to_confirm": 1, "search_default_group_period": 1}
        return action

    def _remind_records_to_confirm(self):
        """A to-do for each policy's responsible when a period has ended with estimates waiting,
        once per policy and period (the date of the last reminder is kept on the policy)."""
        today = fields.Date.context_today(self)
        Record = self.env["rebate.record"].sudo()
        waiting = Domain("state", "=", "draft") & Domain("date_end", "<", today)
        # first the policies with a period ended since their last reminder (a few records each:
        # the daily run does not read every estimate of the history), then what waits in those
        reminded = self.sudo().filtered("confirm_reminder_date")
        due = Domain.OR([
            Domain("policy_id", "in", (self - reminded).ids),
            *(Domain("policy_id", "=", policy.id) & Domain("date_end", ">", policy.confirm_reminder_date)
              for policy in reminded),
        ])
        due_policies = [policy for [policy] in Record._read_group(waiting & due, ["policy_id"])]
        if not due_policies:
            return
        groups = Record._read_group(
            waiting & Domain("policy_id", "in", [policy.id for policy in due_policies]),
            ["policy_id"], ["date_end:max", "__count"])
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for policy, last_end, count in groups:
            policy = policy.sudo()
            user = policy.user_id if policy.user_id.active else policy.create_uid
            policy.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=self.env._("Confirm the rebates of the period ended %(date)s",
                                   date=fields.Date.to_string(last_end)),
                note=self.env._("%(count)s records wait for confirmation.", count=count),
                user_id=(user or self.env.user).id,
                date_deadline=today)
            policy.confirm_reminder_date = last_end
