# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""overlap13: products a policy never counts, and exclusive (non-combinable) policies meeting on
the same invoice lines.

A line covered by several exclusive policies (their company, dates, customers and products all
take it in) is counted by one of them only: the one with the highest key (engine/overlap.py). The
losers' bases leave it out through conditions added to their base domain, so the aggregate, the
"invoice lines" button and the projection read the same lines; no Python loop over invoice lines.
What a record lost, to which policy and why, is stored on it (rebate.record.overlap)."""

from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import compute_rebate, period_containing, to_decimal
from ..engine.overlap import overlap_key, payback_share, split_segments
from .rebate_policy_compute import COMPUTE_CONTEXT

# a change of these on an exclusive policy moves lines between it and its competitors
COVERAGE_FIELDS = frozenset({
    "state", "date_start", "date_end", "company_id", "partner_ids", "partner_category_ids", "product_ids",
    "product_category_ids", "excluded_product_ids", "excluded_product_category_ids", "combinable",
    "overlap_priority", "overlap_rule", "tier_ids", "tier_mode", "amount_type", "cap_amount", "basis", "period",
})
# the payback shares of one computation run (see _compute_records): a share is read once per
# policy, period and customers, however many competitors compare with it
RATE_CACHE = "rebate_overlap_shares"
ZERO = Decimal(0)


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ display

    @api.depends("combinable", "overlap_priority", "state", "date_start", "date_end", "partner_ids",
                 "partner_category_ids", "product_ids", "product_category_ids")
    def _compute_overlapping_policy_ids(self):
        for policy in self:
            origin = policy._origin
            policy.overlapping_policy_ids = origin._overlapping_policies() if origin.id else False

    @api.depends("combinable", "overlap_priority", "overlap_rule", "excluded_product_ids",
                 "excluded_product_category_ids")
    @api.depends_context("lang")
    def _compute_overlap_text(self):
        for policy in self:
            policy.overlap_text = policy._overlap_terms_text()

    def _overlap_terms_text(self):
        """"Not combined with other policies (priority 10)" and the products never counted."""
        self.ensure_one()
        parts = []
        if not self.combinable:
            if self.overlap_rule == "favourable":
                parts.append(self.env._(
                    "Not combined with other policies: the one more favourable to the customer counts "
                    "(priority %(priority)s)", priority=self.overlap_priority))
            else:
                parts.append(self.env._("Not combined with other policies (priority %(priority)s)",
                                        priority=self.overlap_priority))
        excluded = self.excluded_product_ids.mapped("display_name") \
            + self.excluded_product_category_ids.mapped("display_name")
        if excluded:
            parts.append(self.env._("%(products)s never counted", products=", ".join(excluded)))
        return self._clause_separator().join(parts)

    @api.depends("combinable", "overlap_priority", "overlap_rule", "excluded_product_ids",
                 "excluded_product_category_ids")
    def _compute_summary(self):
        return super()._compute_summary()

    def _overlap_summary_text(self, text):
        """The summary with the overlap terms after it."""
        self.ensure_one()
        extra = self._overlap_terms_text()
        return self.env._("%(rule)s. %(overlap)s", rule=text, overlap=extra) if extra else text

    # ------------------------------------------------------------------ constraints

    @api.constrains("combinable", "min_seniority_months")
    def _check_overlap_terms(self):
        for policy in self:
            if not policy.combinable and policy.min_seniority_months:
                raise ValidationError(self.env._(
                    "Policy %(policy)s cannot be both exclusive and limited to customers of a minimum "
                    "seniority: whether it covers a line would then depend on each customer's first "
                    "invoice. Combine it with other policies, or remove the seniority.",
                    policy=policy.display_name))

    @api.constrains("combinable", "overlap_rule", "state", "date_start", "date_end", "company_id", "partner_ids",
                    "partner_category_ids", "product_ids", "product_category_ids")
    def _check_overlap_rules_agree(self):
        """Exclusive policies that meet decide their shared lines the same way. A line's key puts a
        policy deciding by the more favourable (its share first) above one deciding by priority
        (share 0) whatever they pay back: mixed, the less favourable policy could take the lines
        while its own terms say the more favourable counts."""
        for policy in self:
            if policy.combinable or policy.state not in ("active", "closed") or not policy.date_start:
                continue
            other = policy._overlap_competitors().filtered(lambda o: o.overlap_rule != policy.overlap_rule)[:1]
            if other:
                raise ValidationError(self.env._(
                    "Policies %(policy)s and %(other)s are both exclusive and meet on the same customers, "
                    "products and dates, but one lets the higher priority count the shared purchases and the "
                    "other the more favourable to the customer. Set both the same way.",
                    policy=policy.display_name, other=other.display_name))

    # ------------------------------------------------------------------ exclusions

    def _excluded_product_ids(self):
        """Products the policy never counts (excluded categories with their children)."""
        self.ensure_one()
        products = self.excluded_product_ids
        if self.excluded_product_category_ids:
            products |= self.env["product.product"].with_context(active_test=False).search(
                [("categ_id", "child_of", self.excluded_product_category_ids.ids)])
        return products.ids

    def _exclusion_domain(self):
        """The base domain's term leaving the excluded products out (lines without a product stay)."""
        excluded = self._excluded_product_ids()
        return Domain("product_id", "not in", excluded) if excluded else Domain.TRUE

    def _products_counted(self, products):
        """Of ``products``, those the policy counts (its product scope, less its exclusions)."""
        self.ensure_one()
        scope = self._scope_product_ids()
        scope = None if scope is None else set(scope)
        excluded = set(self._excluded_product_ids())
        return {product for product in products
                if (scope is None or product.id in scope) and product.id not in excluded}

    # ------------------------------------------------------------------ coverage and competitors

    def _period_of(self, day):
        self.ensure_one()
        return period_containing(self.period, day, self.date_start, self.date_end or None)

    def _coverage_domain(self, date_from, date_to):
        """The lines the policy covers between two dates (company, customers, products and
        exclusions), before any overlap is resolved."""
        self.ensure_one()
        domain = Domain([("company_id", "=", self.company_id.id),
                         ("invoice_date", ">=", date_from), ("invoice_date", "<=", date_to)])
        scope_partners = self._scope_partner_ids()
        if scope_partners is not None:
            domain &= Domain("partner_id", "in", scope_partners)
        scope_products = self._scope_product_ids()
        if scope_products is not None:
            domain &= Domain("product_id", "in", scope_products)
        return domain & self._exclusion_domain()

    def _overlap_competitors(self, date_from=None, date_to=None):
        """The other exclusive policies that compute (active or closed) in the same company,
        whose dates meet [date_from, date_to] (default: the policy's own) and whose customers
        and products meet the policy's."""
        self.ensure_one()
        Policy = self.env["rebate.policy"].sudo()
        date_from = date_from or self.date_start
        date_to = date_to or self.date_end
        candidates = Policy.search([
            ("combinable", "=", False), ("state", "in", ("active", "closed")),
            ("company_id", "=", self.company_id.id), ("id", "!=", self.id),
            "|", ("date_end", "=", False), ("date_end", ">=", date_from),
            *([("date_start", "<=", date_to)] if date_to else []),
        ])
        customers, products = self._scope_partner_ids(), self._scope_product_ids()
        competitors = Policy
        for other in candidates:
            other_customers, other_products = other._scope_partner_ids(), other._scope_product_ids()
            if customers is not None and other_customers is not None and not set(customers) & set(other_customers):
                continue
            if products is not None and other_products is not None and not set(products) & set(other_products):
                continue
            competitors |= other
        return competitors

    def _overlap_affected(self):
        """Exclusive policies whose bases move when one of these exclusive policies changes."""
        affected = self.env["rebate.policy"]
        for policy in self.sudo():
            if not policy.combinable and policy.state in ("active", "closed") and policy.date_start:
                affected |= policy._overlap_competitors()
        return affected

    # ------------------------------------------------------------------ who counts a line

    def _overlap_shares(self, period, partner_ids=None):
        """``{partner id: payback share in %}`` of the policy for one of its periods: its rebate on
        every line of the period in its scope (before exclusive policies take lines) over those
        purchases. One aggregate, kept for the computation run."""
        self.ensure_one()
        cache = self.env.cr.cache.get(RATE_CACHE)
        key = (self.id, period.date_start, period.date_end, None if partner_ids is None else frozenset(partner_ids))
        if cache is not None and key in cache:
            return cache[key]
        bases = self.with_context(rebate_gross_base=True)._compute_period_bases(
            period.date_start, period.date_end, partner_ids)
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 1 if self.basis == "quantity" else 0
        shares = {}
        for partner_id, base in bases.items():
            result = compute_rebate(base[measure_index], tiers, self.tier_mode, base[0], cap, rounding)
            shares[partner_id] = payback_share(result.amount, base[0])
        if cache is not None:
            cache[key] = shares
        return shares

    def _overlap_takers(self, ranges, partner_ids=None):
        """Where competitors take the policy's lines, over the date ``ranges`` (within the
        policy's own dates): ``[(competitor, date from, date to, partner condition, facts)]``;
        the condition is None (every customer), ("in", ids) or ("not in", ids); ``facts`` maps a
        customer (None: any other) to (rule, own share, its share)."""
        self.ensure_one()
        if self.combinable or not self.date_start:
            return []
        own_end = self.date_end or max(end for _start, end in ranges)
        ranges = [(max(start, self.date_start), min(end, own_end)) for start, end in ranges]
        ranges = [(start, end) for start, end in ranges if start <= end]
        if not ranges:
            return []
        takers = []
        for other in self._overlap_competitors(min(s for s, _e in ranges), max(e for _s, e in ranges)):
            favourable = self.overlap_rule == "favourable" or other.overlap_rule == "favourable"
            rule = "favourable" if favourable else "priority"
            default = overlap_key(other.overlap_rule == "favourable", ZERO, other.overlap_priority, other.id) \
                > overlap_key(self.overlap_rule == "favourable", ZERO, self.overlap_priority, self.id)
            other_end = other.date_end or own_end
            for start, end in ranges:
                start, end = max(start, other.date_start), min(end, other_end)
                if start > end:
                    continue
                if not favourable:
                    if default:
                        takers.append((other, start, end, None, {None: (rule, ZERO, ZERO)}))
                    continue
                for seg_start, seg_end, own_period, other_period in split_segments(
                        start, end, self._period_of, other._period_of):
                    own = self._overlap_shares(own_period, partner_ids) if self.overlap_rule == "favourable" else {}
                    theirs = other._overlap_shares(other_period, partner_ids) \
                        if other.overlap_rule == "favourable" else {}
                    facts, exceptions = {None: (rule, ZERO, ZERO)}, []
                    for partner_id in set(own) | set(theirs):
                        own_share, their_share = own.get(partner_id, ZERO), theirs.get(partner_id, ZERO)
                        wins = overlap_key(other.overlap_rule == "favourable", their_share, other.overlap_priority,
                                           other.id) > overlap_key(self.overlap_rule == "favourable", own_share,
                                                                   self.overlap_priority, self.id)
                        if wins:
                            facts[partner_id] = (rule, own_share, their_share)
                        if wins != default:
                            exceptions.append(partner_id)
                    if default:
                        condition = ("not in", exceptions) if exceptions else None
                    elif exceptions:
                        condition = ("in", exceptions)
                    else:
                        continue
                    takers.append((other, seg_start, seg_end, condition, facts))
        return takers

    @staticmethod
    def _taker_domain(taker):
        other, start, end, condition, _facts = taker
        domain = other._coverage_domain(start, end)
        if condition is not None:
            domain &= Domain("partner_id", condition[0], condition[1])
        return domain

    def _overlap_exclusion_domain(self, ranges, partner_ids=None):
        """The term of the base domain leaving out the lines that exclusive competitors take
        (TRUE for a policy that combines). ``rebate_gross_base`` in the context: no term (the
        base before overlaps, from which the payback shares are worked out)."""
        self.ensure_one()
        if self.combinable or self.env.context.get("rebate_gross_base"):
            return Domain.TRUE
        takers = self._overlap_takers(ranges, partner_ids)
        if not takers:
            return Domain.TRUE
        return ~Domain.OR(self._taker_domain(taker) for taker in takers)

    def _document_products_counted(self, partner, day, products):
        """Of the ``products`` an order or invoice of ``partner`` on ``day`` adds, those this
        policy would count: in scope, not excluded, and not taken by an exclusive competitor (at
        the shares of the period to date)."""
        self.ensure_one()
        counted = self._products_counted(products)
        if counted and not self.combinable:
            for other, _start, _end, condition, _facts in self._overlap_takers([(day, day)], [partner.id]):
                scope = other._scope_partner_ids()
                if scope is not None and partner.id not in scope:
                    continue
                if condition is not None and (partner.id in condition[1]) != (condition[0] == "in"):
                    continue
                counted -= other._products_counted(counted)
        return counted

    # ------------------------------------------------------------------ what each record lost

    def _record_overlaps(self, period, partner_ids=None):
        """Store, on the period's estimates, what exclusive competitors took from them: per
        competitor (and piece of the period where their periods differ), the purchases it counts
        instead, with the facts that decided. One aggregate over the lines taken, with a filtered
        sum per competitor: a line goes to the competitor that counts it (its own base)."""
        self.ensure_one()
        if self.combinable:
            return
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        Overlap = self.env["rebate.record.overlap"].sudo()
        domain = [("policy_id", "=", self.id), ("date_start", "=", period.date_start)]
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        records = Record.search(domain)
        drafts = records.filtered(lambda r: r.state == "draft")
        # written by the computation in bulk (thousands of customers), as the records are
        if drafts:
            Overlap.flush_model()
            self.env.cr.execute("DELETE FROM rebate_record_overlap WHERE record_id IN %s", [tuple(drafts.ids)])
            Overlap.invalidate_model()
            Record.invalidate_model(["overlap_ids"])
        takers = self._overlap_takers([(period.date_start, period.date_end)], partner_ids)
        if not takers or not drafts:
            return
        Line = self.env["account.move.line"].sudo()
        scratch = Line._search([])
        conditions = []
        for other, start, end, condition, facts in takers:
            counts = self._taker_domain((other, start, end, condition, facts)) \
                & other._overlap_exclusion_domain([(start, end)], partner_ids)
            conditions.append(counts.optimize_full(Line)._to_sql(Line, Line._table, scratch))
        gross = self.with_context(rebate_gross_base=True)._base_line_domain(
            None, None, partner_ids, ranges=[(period.date_start, period.date_end)], moves=False)
        ranges = [(period.date_start, period.date_end)]

        def build(terms):
            columns = [SQL("%s.partner_id", terms["line"])]
            for condition in conditions:
                columns.append(SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], condition))
                columns.append(SQL("SUM(%s) FILTER (WHERE %s)", terms["qty"], condition))
            return SQL(", ").join(columns), SQL("%s.partner_id", terms["line"])

        taken = gross & Domain.custom(to_sql=lambda model, alias, query: SQL("(%s)", SQL(" OR ").join(conditions)))
        rows = self._line_figures_query(taken, ranges, build)
        by_partner = defaultdict(list)
        for record in records:
            by_partner[record.partner_id.id].append(record)
        values = []
        for partner_id, *sums in rows:
            records_of = by_partner.get(partner_id)
            if not records_of:
                continue
            draft = next((r for r in records_of if r.state == "draft"), None)
            if draft is None:
                continue
            frozen = [r for r in records_of if r.state != "draft"]
            for index, (other, start, end, _condition, facts) in enumerate(takers):
                amount, qty = to_decimal(sums[2 * index] or 0), to_decimal(sums[2 * index + 1] or 0)
                for record in frozen:  # an adjustment shows what changed since the confirmed record
                    for row in record.overlap_ids.filtered(lambda o: o.policy_id == other and o.date_from == start):
                        amount -= to_decimal(row.base_amount)
                        qty -= to_decimal(row.base_qty)
                if not amount and not qty:
                    continue
                rule, own_share, their_share = facts.get(partner_id, facts[None])
                values.append({
                    "record_id": draft.id, "policy_id": other.id, "date_from": start, "date_to": end,
                    "base_amount": float(amount), "base_qty": float(qty), "rule": rule,
                    "own_share": float(own_share), "winner_share": float(their_share),
                    "own_priority": self.overlap_priority, "winner_priority": other.overlap_priority,
                })
        if values:
            columns = ("record_id", "company_id", "policy_id", "date_from", "date_to", "base_amount", "base_qty",
                       "rule", "own_share", "winner_share", "own_priority", "winner_priority")
            for vals in values:
                vals["company_id"] = self.company_id.id
            self.env.cr.execute(SQL(
                "INSERT INTO rebate_record_overlap (%s) VALUES %s",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL(", ").join(SQL("(%s)", SQL(", ").join(vals[column] for column in columns)) for vals in values)))
            Overlap.invalidate_model()
            Record.invalidate_model(["overlap_ids"])

    # ------------------------------------------------------------------ compute hooks

    def _compute_records(self, date_from=None, date_to=None, incremental=False, progress=None):
        # the payback shares are read once per run, then forgotten (the lines change after it)
        self.env.cr.cache[RATE_CACHE] = {}
        try:
            return super()._compute_records(date_from, date_to, incremental, progress)
        finally:
            self.env.cr.cache.pop(RATE_CACHE, None)

    def _incremental_work(self, periods, changes, open_from):
        """A changed customer-day also moves, where shares decide, the competitor's share of its
        period holding that day: every period of this policy meeting that competitor's period is
        then recomputed for the customer."""
        if self.combinable:
            return super()._incremental_work(periods, changes, open_from)
        by_day, firsts = changes
        competitors = self._overlap_competitors().filtered(
            lambda other: other.overlap_rule == "favourable" or self.overlap_rule == "favourable")
        if not competitors:
            return super()._incremental_work(periods, changes, open_from)
        extended = defaultdict(set)
        for day, partner_ids in by_day.items():
            extended[day] |= partner_ids
            for other in competitors:
                if day < other.date_start or (other.date_end and day > other.date_end):
                    continue
                theirs = other._period_of(day)
                for period in periods:
                    if period.date_start <= theirs.date_end and period.date_end >= theirs.date_start:
                        extended[period.date_start] |= partner_ids
        return super()._incremental_work(periods, (extended, firsts), open_from)

    def _require_full_compute(self):
        """Other terms for an exclusive policy: its competitors' bases move too."""
        if self.env.context.get("rebate_overlap_competitors_only"):
            return super()._require_full_compute()
        return super(RebatePolicy, self | self._overlap_affected())._require_full_compute()

    def write(self, vals):
        watched = COVERAGE_FIELDS.intersection(vals)
        before = self._overlap_affected() if watched else self.env["rebate.policy"]
        result = super().write(vals)
        if watched:
            affected = (before | self._overlap_affected()) - self
            if affected:
                affected.with_context(rebate_overlap_competitors_only=True)._require_full_compute()
            if vals.get("combinable"):
                # combined again: what its estimates lost to others is not true any more
                self.env["rebate.record.overlap"].sudo().search([
                    ("record_id.policy_id", "in", self.ids), ("record_id.state", "=", "draft")]).unlink()
        return result
