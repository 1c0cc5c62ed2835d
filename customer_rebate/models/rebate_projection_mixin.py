# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from collections import defaultdict
from decimal import Decimal

import psycopg2

from odoo import api, fields, models
from odoo.tools import formatLang

from ..engine import Period, period_containing, project, to_decimal
from ..tools.compute_run import CURRENT_RUN, compute_run

_logger = logging.getLogger(__name__)


class RebateProjectionMixin(models.AbstractModel):
    """Where the customer stands while still buying: for each active policy that applies to the
    document's customer, the period to date, what this document adds, the tier it reaches, the
    projected rebate and how much more reaches the next tier. Computed on the fly, never stored."""

    _name = "rebate.projection.mixin"
    _description = "Rebate Projection"

    rebate_projection_html = fields.Html(
        string="Rebate Projection", compute="_compute_rebate_projection_html", sanitize=False,
        help="The customer's rebates in the current period, with this document.")
    # the same figures for machines (the API, the portal, a shop), as sale_loyalty does for rewards
    rebate_projection_json = fields.Json(
        string="Rebate Projection Figures", compute="_compute_rebate_projection_html",
        help="One object per policy: period, to date, this document, tier, projected rebate, gap to the next tier.")

    # what each document says about itself -----------------------------------------------------

    def _rebate_partner(self):
        raise NotImplementedError

    def _rebate_date(self):
        raise NotImplementedError

    def _rebate_document_lines(self):
        """``[(product, untaxed amount in company currency, quantity in the product's unit)]`` of
        what this document adds to the customer's period (nothing when it is already counted)."""
        raise NotImplementedError

    @api.model
    def _group_rebate_lines(self, items):
        """Sum (product, amount, quantity) triples per product."""
        totals = defaultdict(lambda: [0.0, 0.0])
        for product, amount, qty in items:
            totals[product][0] += amount
            totals[product][1] += qty
        return [(product, amount, qty) for product, (amount, qty) in totals.items()]

    # projection --------------------------------------------------------------------------------

    def _rebate_candidate_policies(self):
        """The active policies of the document's company running on its date, before their
        customer scope is looked at."""
        self.ensure_one()
        day = self._rebate_date()
        if not self._rebate_partner().commercial_partner_id or not day:
            return self.env["rebate.policy"]
        return self.env["rebate.policy"].sudo().search([
            ("state", "=", "active"), ("company_id", "=", self.company_id.id),
            ("date_start", "<=", day), "|", ("date_end", "=", False), ("date_end", ">=", day),
        ])

    def _get_rebate_projections(self):
        """One dict per applicable policy, the figures as Decimals and their display texts.

        A policy whose projection fails (terms stored before today's bounds, a bug) never stops the
        order or invoice from opening or printing: its line says so and the error is logged."""
        self.ensure_one()
        partner = self._rebate_partner().commercial_partner_id
        day = self._rebate_date()
        with compute_run():  # each policy's scope read once
            return self._get_rebate_projections_run(partner, day)

    def _get_rebate_projections_run(self, partner, day):
        # first which policies apply (their scopes and the customer's first invoice read once for
        # all of them), then their periods to date in one aggregate per basis, then each projection
        candidates = self._rebate_candidate_policies()
        applies = {}
        for policy in candidates:
            try:
                applies[policy.id] = policy._applies_to_partner(partner, day)
            except psycopg2.Error:
                raise  # the transaction is lost: nothing sensible to show
            except Exception:  # whatever fails in one policy is shown in its line, not raised
                _logger.warning("Rebate projection of policy %s (id %s) on %s failed",
                                policy.display_name, policy.id, self, exc_info=True)
                applies[policy.id] = None
        # the policies shown, as one batch (their summaries computed for them, not the others)
        policies = candidates.browse([policy.id for policy in candidates if applies[policy.id]])
        policies._prefetch_projection_bases_or_not(partner, day)
        lines = None
        projections = []
        by_id = {policy.id: policy for policy in policies}
        for candidate in candidates:
            if applies[candidate.id] is None:
                projections.append(self._rebate_projection_failure(candidate))
                continue
            policy = by_id.get(candidate.id)
            if policy is None:
                continue
            try:
                if lines is None:
                    lines = self._rebate_document_lines()
                projections.append(self._project_rebate_policy(policy, partner, day, lines))
            except psycopg2.Error:
                raise  # the transaction is lost: nothing sensible to show
            except Exception:  # whatever fails in one policy is shown in its line, not raised
                _logger.warning("Rebate projection of policy %s (id %s) on %s failed",
                                policy.display_name, policy.id, self, exc_info=True)
                projections.append(self._rebate_projection_failure(policy))
        return projections

    def _project_rebate_policy(self, policy, partner, day, lines):
        """The projection of one policy for ``partner``'s period holding ``day`` with the
        document's ``lines`` [(product id, amount, quantity)] added; for a yearly policy paid in
        advances, with what was advanced (``_project_advances``)."""
        values = self._project_period(policy, partner, day, lines)
        if policy.advance_period and policy.period == "year":
            values = self._project_advances(policy, partner, values)
        return values

    def _project_period(self, policy, partner, day, lines):
        period = period_containing(policy.period, day, policy.date_start, policy.date_end or None)
        run = CURRENT_RUN.get()
        prefetched = run.projection_bases.pop((policy.id, period.date_start, period.date_end, partner.id), None) \
            if run is not None else None
        base_amount, base_qty = prefetched if prefetched is not None else policy._compute_period_bases(
            period.date_start, period.date_end, [partner.id]).get(partner.id, (Decimal(0), Decimal(0)))
        if policy.invoice_basis == "paid":
            lines = []  # counted once paid: an open document adds nothing yet
        counted = policy._document_products_counted(partner, day, {p for p, _a, _q in lines})  # overlap13
        doc_amount = sum((to_decimal(a) for p, a, _q in lines if p in counted), Decimal(0))
        doc_qty = sum((to_decimal(q) for p, _a, q in lines if p in counted), Decimal(0))
        if policy.pool_mode != "none":  # group volume: the group's period to date decides the tier
            pooled = policy._pool_projection(period, partner, base_amount, base_qty, doc_amount, doc_qty)
            if pooled is not None:
                return pooled
        quantity = policy.basis == "quantity"
        result = project(
            base_qty if quantity else base_amount, policy._engine_tiers(), policy.tier_mode,
            amount_to_date=base_amount if quantity else None,
            measure_document=doc_qty if quantity else doc_amount,
            amount_document=doc_amount if quantity else None,
            cap=to_decimal(policy.cap_amount) if policy.cap_amount else None,
            rounding=to_decimal(policy.currency_id.rounding))
        values = policy._projection_values(period, result, base_amount, base_qty, doc_amount, doc_qty)
        if policy.invoice_basis == "paid":
            values["paid_basis_text"] = self.env._(
                "Counted once paid: the period to date is what was paid in it; this document adds "
                "nothing until it is paid, then counts in the period of its payment.")
        return values

    def _rebate_projection_failure(self, policy):
        return {
            "policy": policy,
            "policy_name": policy.name,
            "failed": True,
            "message": self.env._(
                "This rebate cannot be projected: check the policy's terms (details in the server log)."),
        }

    def _get_rebate_projections_for_customer(self):
        """The projections as the customer reads them, on the printed order or invoice (see
        ``_rebate_projection_for_customer``)."""
        return [self._rebate_projection_for_customer(values) for values in self._get_rebate_projections()]

    @api.model
    def _rebate_projection_for_customer(self, values):
        """What a customer may read of a projection: where a tag pools customers that are not
        one company, a member is told the tier its group reached and where the next one starts,
        never how much the others bought nor the gap that would tell it (as on its statement)."""
        pool = values.get("pool")
        if not pool or not pool["key"].startswith("tag:") or pool["payout"] == "head":
            return values
        policy = values["policy"]
        index = values["tier_index"]
        if index is None:
            pool_text = self.env._("Pooled with the customers of %(group)s: together below the first tier",
                                   group=pool["name"])
        else:
            pool_text = self.env._(
                "Pooled with the customers of %(group)s: together they reached tier %(number)s (≥ %(threshold)s)",
                group=pool["name"], number=index + 1,
                threshold=policy._format_measure(float(policy._engine_tiers()[index].threshold)))
        next_text = self.env._(
            "The next tier starts at %(threshold)s, reached together with the customers of %(group)s",
            threshold=policy._format_measure(float(values["next_threshold"])), group=pool["name"],
        ) if values.get("next_threshold") is not None else ""
        return dict(values, pool_text=pool_text, next_text=next_text, gap=None,
                    pool={key: pool[key] for key in ("key", "name", "head_id", "payout")})

    def _rebate_figures_visible(self):
        """Whether the current user may see this document's customer's rebate standing: an
        internal user of the document's company, and, where the company keeps rebate users to
        their own customers, one of theirs (or a manager, or a salesperson of all documents).
        The projection reads as superuser, so this is where what it shows is decided."""
        self.ensure_one()
        user = self.env.user
        if user.share or self.company_id not in user.company_ids:
            return False
        partner = self._rebate_partner().commercial_partner_id
        if not self.company_id.rebate_own_customers_only or user.has_group("customer_rebate.group_rebate_manager") \
                or user.has_group("sales_team.group_sale_salesman_all_leads"):
            return True
        return partner.user_id in (user, self.env["res.users"])

    @api.depends_context("lang", "uid")
    def _compute_rebate_projection_html(self):
        for document in self:
            projections = document._get_rebate_projections() \
                if document._rebate_partner() and document._rebate_figures_visible() else []
            document.rebate_projection_html = self.env["ir.qweb"]._render(
                "customer_rebate.rebate_projection_table", {"projections": projections}
            ) if projections else False
            document.rebate_projection_json = [self._rebate_projection_data(values) for values in projections]

    @api.model
    def _rebate_projection_data(self, values):
        """A projection as plain JSON: amounts rounded to the currency, quantities as floats,
        dates in ISO form, the display texts beside them."""
        policy = values["policy"]
        data = {"policy_id": policy.id, "policy_name": values["policy_name"], "failed": bool(values.get("failed"))}
        if data["failed"]:
            return dict(data, message=values["message"])
        currency = policy.currency_id

        def number(key, money=False):
            value = values.get(key)
            if value is None:
                return None
            return currency.round(float(value)) if money else float(value)

        data = dict(
            data,
            currency=currency.name,
            basis=policy.basis,
            invoice_basis=policy.invoice_basis,
            period_start=values["period_start"].isoformat(),
            period_end=values["period_end"].isoformat(),
            base_amount=number("base_amount", money=True),
            base_qty=number("base_qty"),
            document_amount=number("document_amount", money=True),
            document_qty=number("document_qty"),
            tier_index=values["tier_index"],
            projected_amount=number("projected_amount", money=True),
            added_amount=number("added_amount", money=True),
            next_threshold=number("next_threshold", money=policy.basis == "amount"),
            gap=number("gap", money=policy.basis == "amount"),
            next_amount=number("next_amount", money=True),
            texts={key[:-5]: values[key] for key in values if key.endswith("_text")},
            **({"pool": values["pool"]} if values.get("pool") else {}),
        )
        if "advanced_amount" in values:
            data["advanced_amount"] = currency.round(float(values["advanced_amount"]))
            data["advance_left_amount"] = currency.round(float(values["projected_amount"] - values["advanced_amount"]))
        return data

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

    def _project_advances(self, policy, partner, values):
        """A yearly rebate paid in advances: what was advanced this year, and what the year-end
        settlement would pay (or take back) on the projected year."""
        year = Period(values["period_start"], values["period_end"], policy.period, 0)
        pool = values.get("pool")
        if pool and pool["payout"] == "head" and pool["head_id"]:
            # group volume paid to the head: the head's advances are the group's
            partner = self.env["res.partner"].browse(pool["head_id"])
        advanced = sum(policy._advance_year_records(partner, year).filtered(
            lambda r: r.kind == "advance").mapped("amount"))
        left = float(values["projected_amount"]) - advanced
        money = policy.currency_id

        def text(value):
            return formatLang(self.env, value, currency_obj=money)

        values["advanced_amount"] = Decimal(str(advanced))
        values["advance_text"] = self.env._(
            "Advanced so far %(advanced)s; left for the year-end settlement %(left)s",
            advanced=text(advanced), left=text(left))
        return values

