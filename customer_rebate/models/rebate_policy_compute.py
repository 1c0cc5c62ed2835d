"""How a policy turns posted invoices into rebate records (one aggregated query per policy and
period, the engine for the rules, batched writes) and into projections for orders and invoices."""

import logging
from datetime import timedelta
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, format_date, formatLang

from ..engine import (
    Period, add_months, compute_rebate, iter_periods, period_containing, previous_period, same_period_last_year,
    seniority_reached, to_decimal,
)


_logger = logging.getLogger(__name__)

BASE_MOVE_TYPES = ("out_invoice", "out_refund")
REBATE_USER = "customer_rebate.group_rebate_user"
REBATE_MANAGER = "customer_rebate.group_rebate_manager"
ZERO = Decimal(0)

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
    review_customer_count = fields.Integer(
        string="Customers with Sales", compute="_compute_review", groups=REBATE_MANAGER)
    review_tiers = fields.Char(string="Customers per Tier", compute="_compute_review", groups=REBATE_MANAGER)
    review_sales = fields.Monetary(
        string="Sales in Scope", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_earned = fields.Monetary(
        string="Rebates Confirmed", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_paid = fields.Monetary(
        string="Rebates Paid", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_cost_share = fields.Float(
        string="Rebate Cost (% of Sales)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER)
    review_comparison = fields.Char(string="Compared With", compute="_compute_review", groups=REBATE_MANAGER)
    review_inside_growth = fields.Float(
        string="Sales Growth, Policy (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="Growth of the sales of the customers earning a rebate over the periods before.")
    review_comparison_growth = fields.Float(
        string="Sales Growth, Comparison (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="The same growth for customers outside the policy, or, for a policy over every "
             "customer, for those who stayed below the first tier.")
    review_uplift = fields.Monetary(
        string="Sales Uplift", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Sales in scope minus the same customers' sales in the periods before.")

    def _compute_review(self):
        """Key figures for reviewing a policy, from two aggregates over all its policies."""
        effects = self.env["rebate.effect.report"]._read_group(
            [("policy_id", "in", self.ids)], ["policy_id"],
            ["partner_id:count_distinct", "sales:sum", "rebate:sum", "uplift:sum"])
        effect = {policy.id: values for policy, *values in effects}
        states = self.env["rebate.record"]._read_group(
            [("policy_id", "in", self.ids), ("state", "in", ("confirmed", "settled"))],
            ["policy_id", "state"], ["amount:sum"])
        earned, paid = {}, {}
        for policy, state, amount in states:
            earned[policy.id] = earned.get(policy.id, 0.0) + amount
            if state == "settled":
                paid[policy.id] = amount
        tiers = self.env["rebate.record"]._read_group(
            [("policy_id", "in", self.ids), ("state", "!=", "cancelled"), ("revision", "=", 0)],
            ["policy_id", "tier_id"], ["partner_id:count_distinct"])
        per_tier = {}
        for policy, tier, count in tiers:
            per_tier.setdefault(policy.id, {})[tier] = count
        reached = self.env["rebate.effect.report"]._read_group(
            [("policy_id", "in", self.ids)], ["policy_id", "reached_tier"], ["sales:sum", "previous_sales:sum"])
        growth_by_reach = {(policy.id, flag): (sales, previous) for policy, flag, sales, previous in reached}
        outside = self.env["rebate.policy.period"]._read_group(
            [("policy_id", "in", self.ids)], ["policy_id"], ["outside_sales:sum", "outside_previous_sales:sum"])
        outside_by_policy = {policy.id: (sales, previous) for policy, sales, previous in outside}

        def growth(sales, previous):
            return 100.0 * (sales - previous) / previous if previous else 0.0

        for policy in self:
            customers, sales, rebate, uplift = effect.get(policy.id, (0, 0.0, 0.0, 0.0))
            if policy._scope_partner_ids() is not None:
                policy.review_comparison = self.env._("Customers outside the policy")
                policy.review_inside_growth = growth(sales, sales - uplift)
                policy.review_comparison_growth = growth(*outside_by_policy.get(policy.id, (0.0, 0.0)))
            else:
                policy.review_comparison = self.env._("Customers below the first tier")
                policy.review_inside_growth = growth(*growth_by_reach.get((policy.id, True), (0.0, 0.0)))
                policy.review_comparison_growth = growth(*growth_by_reach.get((policy.id, False), (0.0, 0.0)))
            policy.review_customer_count = customers
            policy.review_sales = sales
            policy.review_earned = earned.get(policy.id, 0.0)
            policy.review_paid = paid.get(policy.id, 0.0)
            policy.review_cost_share = 100.0 * rebate / sales if sales else 0.0
            policy.review_uplift = uplift
            counts = per_tier.get(policy.id, {})
            parts = [
                self.env._("%(tier)s: %(count)s", tier=tier.display_name, count=counts[tier])
                for tier in policy.tier_ids.sorted(lambda t: (t.sequence, t.id)) if counts.get(tier)
            ]
            below = counts.get(self.env["rebate.policy.tier"], 0)
            if below:
                parts.append(self.env._("below the first tier: %s", below))
            policy.review_tiers = "; ".join(parts)

    @api.readonly
    def action_view_effect(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_effect_report_action")
        action["domain"] = [("policy_id", "in", self.ids)]
        return action

    def _has_frozen_records(self):
        self.ensure_one()
        return bool(self.env["rebate.record"].search_count(
            [("policy_id", "=", self.id), ("state", "in", ("confirmed", "settled"))], limit=1))

    # ------------------------------------------------------------------ the base

    def _scope_partner_ids(self):
        """Commercial partners the policy is limited to, or None for every customer."""
        self.ensure_one()
        if not (self.partner_ids or self.partner_category_ids):
            return None
        partners = self.partner_ids
        if self.partner_category_ids:
            partners |= self.env["res.partner"].with_context(active_test=False).search(
                [("category_id", "in", self.partner_category_ids.ids)])
        return partners.commercial_partner_id.ids

    def _scope_product_ids(self):
        """Products the policy is limited to (categories with their children), or None for all."""
        self.ensure_one()
        if not (self.product_ids or self.product_category_ids):
            return None
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
            Domain([("invoice_date", ">=", start), ("invoice_date", "<=", end)]) for start, end in ranges)
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
        return domain

    def _base_line_domain(self, date_start, date_end, partner_ids=None, ranges=None, moves=True):
        """Journal items that count for the policy between two dates: its product lines for the
        customers in its scope (or ``partner_ids`` among them). The same domain feeds the aggregate
        and the "invoice lines" button, so what a user opens is exactly what was added up."""
        self.ensure_one()
        domain = self._product_line_domain(date_start, date_end, ranges=ranges, moves=moves)
        scope_partners = self._scope_partner_ids()
        if partner_ids is not None:
            partner_ids = [p for p in partner_ids if scope_partners is None or p in scope_partners]
            domain &= Domain("partner_id", "in", partner_ids)
        elif scope_partners is not None:
            domain &= Domain("partner_id", "in", scope_partners)
        return domain

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
        # only the moves of the ranges (index on account_move.invoice_date), not all of them
        query.add_where(SQL("(%s)", SQL(" OR ").join(
            SQL("%s BETWEEN %s AND %s", SQL.identifier(move, "invoice_date"), start, end) for start, end in ranges)))
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
        select, groupby = build(terms)
        self.env.cr.execute(SQL("%s%s", query.select(select),
                                SQL(" GROUP BY %s", groupby) if groupby is not None else SQL()))
        return self.env.cr.fetchall()

    def _compute_period_figures(self, period, partner_ids=None):
        """``{partner id: {figure: Decimal}}`` for one period, from ONE aggregate over the lines of
        the period, the period before and the same period last year (conditional sums over the
        union of the three date ranges): ``base_amount`` and ``base_qty``, the amounts before and
        last year for the effect analysis, and the cost of the goods (quantity in the product's
        unit times its cost) in the period and the one before; ``lines`` counts the customer's lines
        in the period itself. ``partner_ids`` limits it to some customers."""
        self.ensure_one()
        before, last_year = previous_period(period), same_period_last_year(period)
        ranges = [(period.date_start, period.date_end), (before.date_start, before.date_end),
                  (last_year.date_start, last_year.date_end)]
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)
        figures = ("lines", "base_amount", "base_qty", "cost_amount", "previous_base_amount", "previous_cost_amount",
                   "last_year_base_amount")

        def build(terms):
            current, previous, past = (
                SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in ranges)
            return SQL(", ").join([
                SQL("%s.partner_id", terms["line"]),
                SQL("COUNT(*) FILTER (WHERE %s)", current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["qty"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["cost"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], previous),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["cost"], previous),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], past),
            ]), SQL("%s.partner_id", terms["line"])

        return {
            partner_id: {name: to_decimal(value or 0) for name, value in zip(figures, values)}
            for partner_id, *values in self._line_figures_query(domain, ranges, build) if partner_id
        }

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
            outside = set(partner_ids) - set(self._scope_partner_ids() or [])
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
        """``{partner id: date of its first posted customer invoice}`` in the policy's company."""
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
        currency = self.currency_id
        return (
            currency.compare_amounts(record.base_amount, values["base_amount"])
            or currency.compare_amounts(record.previous_base_amount, values["previous_base_amount"])
            or currency.compare_amounts(record.last_year_base_amount, values["last_year_base_amount"])
            or currency.compare_amounts(record.cost_amount, values["cost_amount"])
            or currency.compare_amounts(record.previous_cost_amount, values["previous_cost_amount"])
            or currency.compare_amounts(record.amount, values["amount"])
            or float_compare(record.base_qty, values["base_qty"], precision_digits=6)
            or record.tier_id.id != (values["tier_id"] or False)
            or float_compare(record.rate, values["rate"], precision_digits=4)
        )

    def _compute_period_records(self, date_start, date_end, partner_ids=None, queued=None):
        """Bring the records of one period in line with the posted invoices.

        Estimates (draft) are recomputed, created or removed; confirmed and settled records are
        never touched: a difference with them becomes an adjustment record of its own.
        ``partner_ids`` limits the work to those customers (an incremental run: every figure of a
        record depends on its customer's lines only, with the ``queued`` changes it comes from),
        None is every customer.
        """
        self.ensure_one()
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        period = Period(date_start, date_end, self.period, 0)
        # one aggregate: the period's base, the period before, last year and the costs
        figures = self._compute_period_figures(period, partner_ids)
        bases = {partner_id: values for partner_id, values in figures.items() if values["lines"]}
        if self.min_seniority_months and bases:
            first_dates = self._first_invoice_dates(bases)
            bases = {
                partner_id: values for partner_id, values in bases.items()
                if seniority_reached(first_dates.get(partner_id), date_start, self.min_seniority_months)
            }
        if self._scope_partner_ids() is not None:
            self._record_outside_period(period, partner_ids, queued)
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 1 if self.basis == "quantity" else 0

        existing = defaultdict(lambda: Record)
        record_domain = [("policy_id", "=", self.id), ("date_start", "=", date_start)]
        if partner_ids is not None:
            record_domain.append(("partner_id", "in", list(partner_ids)))
        for record in Record.search(record_domain):
            existing[record.partner_id.id] |= record

        to_create, to_write, to_unlink = [], [], Record
        for partner_id in set(bases) | set(existing):
            records = existing[partner_id]
            if records.filtered(lambda r: r.state == "cancelled" and not r.revision):
                continue  # a manager cancelled this customer's rebate for the period
            partner_figures = figures.get(partner_id, {})
            base = (partner_figures["base_amount"], partner_figures["base_qty"]) \
                if partner_id in bases else (ZERO, ZERO)
            result = compute_rebate(base[measure_index], tiers, self.tier_mode, base[0], cap, rounding)
            values = self._record_values(result, base)
            for field in ("previous_base_amount", "last_year_base_amount", "previous_cost_amount"):
                values[field] = float(partner_figures.get(field, ZERO))
            values["cost_amount"] = float(partner_figures["cost_amount"]) if partner_id in bases else 0.0
            for field in ("cost_amount", "previous_cost_amount"):
                values[field] = self.currency_id.round(values[field])  # a quantity times a cost
            draft = records.filtered(lambda r: r.state == "draft")
            settled = records - draft
            if settled:
                # what confirmed, settled and cancelled adjustments already account for
                for field in ("base_amount", "base_qty", "amount", "previous_base_amount", "last_year_base_amount",
                              "cost_amount", "previous_cost_amount"):
                    values[field] -= sum(settled.mapped(field))
                keep = bool(
                    self.currency_id.compare_amounts(values["amount"], 0)
                    or self.currency_id.compare_amounts(values["base_amount"], 0)
                    or float_compare(values["base_qty"], 0, precision_digits=6))
                revision = max(records.mapped("revision")) + (0 if draft else 1)
            else:
                keep = partner_id in bases and (result.amount > 0 or self.track_progress)
                revision = 0
            if not keep:
                to_unlink |= draft
            elif draft:
                if self._values_differ(draft, values):
                    to_write.append((draft, values))
            else:
                to_create.append(dict(
                    values, policy_id=self.id, partner_id=partner_id, date_start=date_start,
                    date_end=date_end, revision=revision, company_id=self.company_id.id,
                    rebate_type=self.rebate_type))
        to_unlink.unlink()
        Record._write_estimates(to_write)
        return Record._create_estimates(to_create)

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
        """Serialize computations of the same policy. Updating the policy row makes a concurrent
        run wait, then fail with a serialization error that Odoo's request and cron handling
        retry on a fresh snapshot, where the records of the first run are seen: no duplicates."""
        self.env.cr.execute(
            "UPDATE rebate_policy SET last_compute_date = NOW() AT TIME ZONE 'UTC' WHERE id IN %s",
            [tuple(self.ids)])
        self.invalidate_recordset(["last_compute_date"])

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
        for day, partner_ids in changes.items():
            for period in computed:
                if day in period or day in previous_period(period) or day in same_period_last_year(period):
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
        return failed

    # ------------------------------------------------------------------ projection

    def _applies_to_partner(self, partner, day):
        """Whether the policy covers this commercial partner on ``day``: its customer scope and,
        for a partnership, the seniority at the start of the period."""
        self.ensure_one()
        scope = self._scope_partner_ids()
        if scope is not None and partner.id not in scope:
            return False
        if self.min_seniority_months:
            period = period_containing(self.period, day, self.date_start, self.date_end or None)
            first = self._first_invoice_dates([partner.id]).get(partner.id)
            return seniority_reached(first, period.date_start, self.min_seniority_months)
        return True

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
            reached = self._format_measure(float(tier.threshold))
        else:
            reached = self.env._("%(rate)s %%", rate=self._format_rate(float(tier.rate)))
        next_text = ""
        if result.next_index is not None:
            next_tier = self._engine_tiers()[result.next_index]
            goal = (self.env._("%(rate)s %%", rate=self._format_rate(float(next_tier.rate)))
                    if not next_tier.is_fixed else money(next_tier.fixed_amount))
            next_text = self.env._(
                "Add %(gap)s before %(date)s to reach %(goal)s",
                gap=self._format_measure(float(result.gap)) if quantity else money(result.gap),
                date=format_date(self.env, period.date_end), goal=goal)
        return {
            "policy": self,
            "policy_name": self.display_name,
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
            "to_date_text": self._format_measure(float(base_qty if quantity else base_amount)),
            "document_text": self._format_measure(float(doc_qty if quantity else doc_amount)),
            "reached_text": reached,
            "projected_text": money(result.projected.amount),
            "next_text": next_text,
        }
