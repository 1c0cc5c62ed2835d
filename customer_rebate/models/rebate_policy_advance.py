# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Annual rebates paid in advances (年度返利，季度预返) and settled at year end.

A yearly policy with an advance period keeps, per customer and year, one ``advance`` record per
advance period (its dates; its base is the year to date at the period's end) and one ``final``
record of the year (its base is the year's; its amount is the year's rebate minus the advances).
Both are ordinary records: confirmed, accrued, settled by any payout method, and, when negative,
netted against the next payout or recovered with an invoice (issue 7's negative adjustments). The
rules are the engine's (``engine/advances.py``); this file gathers the figures in two aggregates
per year and writes the records in bulk."""

from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, float_compare, formatLang

from ..engine import (
    Period, advance_target, advanced_total, compute_rebate, iter_periods, period_containing, plan_advances,
    previous_period, same_period_last_year, to_decimal,
)
from .rebate_policy_compute import COMPUTE_CONTEXT

ZERO = Decimal(0)
# What a confirmed year-end settlement's adjustment carries as a difference (see _final_values).
# What the computation reads of the year's records, in one query.
RECORD_FIELDS = (
    "partner_id", "date_start", "kind", "state", "revision", "settlement_id", "base_amount", "base_qty", "tier_id",
    "rate", "amount", "year_rebate_amount", "advanced_amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
)
# The money figures of a record a recomputation compares (a change of a cent rewrites it).
MONEY_FIGURES = (
    "base_amount", "amount", "year_rebate_amount", "advanced_amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
)
FINAL_DELTA_FIELDS = (
    "base_amount", "base_qty", "amount", "previous_base_amount", "last_year_base_amount", "cost_amount",
    "previous_cost_amount", "year_rebate_amount", "advanced_amount",
)


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ terms

    @api.constrains("advance_period", "advance_mode", "advance_rate", "period", "tier_ids", "amount_type",
                    "settlement_method", "goods_quantity_mode")
    def _check_advances(self):
        for policy in self:
            if policy.advance_rate < 0 or policy.advance_rate > 100:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: the provisional rate of the advances must be between 0 and 100 %%.",
                    policy=policy.display_name))
            if not policy.advance_period:
                continue
            if policy.period != "year":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: advances are paid on a yearly rebate; choose the yearly period "
                    "or no advances.", policy=policy.display_name))
            if policy.advance_mode == "rate":
                if policy.advance_rate <= 0:
                    raise ValidationError(self.env._(
                        "Policy %(policy)s: set the provisional rate of the advances.", policy=policy.display_name))
                highest = max(policy.tier_ids.mapped("rate") or [0.0])
                if policy.amount_type == "rate" and policy.tier_ids and float_compare(
                        policy.advance_rate, highest, precision_digits=4) > 0:
                    raise ValidationError(self.env._(
                        "Policy %(policy)s: the provisional rate (%(advance)s %%) cannot exceed the highest "
                        "tier's rate (%(rate)s %%): the advances would pay more than the year can earn.",
                        policy=policy.display_name, advance=policy._format_rate(policy.advance_rate),
                        rate=policy._format_rate(highest)))
            if policy.settlement_method == "goods" and policy.goods_quantity_mode == "fixed":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: advances are amounts of money; a fixed quantity of goods per tier "
                    "cannot be advanced. Give the goods at their sales price or cost instead.",
                    policy=policy.display_name))

    def _advance_summary(self, text):
        """The rule in words with its advances: "…, advanced quarterly at 3 %"."""
        self.ensure_one()
        period = {
            "month": self.env._("monthly"),
            "quarter": self.env._("quarterly"),
            "half_year": self.env._("half-yearly"),
        }[self.advance_period]
        if self.advance_mode == "tier":
            return self.env._("%(rule)s, advanced %(period)s at the tier reached so far", rule=text, period=period)
        return self.env._("%(rule)s, advanced %(period)s at %(rate)s %%", rule=text, period=period,
                          rate=self._format_rate(self.advance_rate))

    def _advance_year_records(self, partner, year):
        """The advances and year-end settlements (with their adjustments) of ``partner`` in
        ``year`` (a period of the policy), cancelled ones left out."""
        self.ensure_one()
        return self.env["rebate.record"].sudo().search([
            ("policy_id", "=", self.id), ("partner_id", "=", partner.id), ("kind", "in", ("advance", "final")),
            ("date_start", ">=", year.date_start), ("date_start", "<=", year.date_end), ("state", "!=", "cancelled"),
        ])

    # ------------------------------------------------------------------ computation

    def _advance_periods(self, year):
        """The advance periods of ``year`` (a policy period) that have begun, clipped to it."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if today < year.date_start:
            return []
        return list(iter_periods(self.advance_period, year.date_start, year.date_end, until=min(today, year.date_end)))

    def _compute_year_figures(self, year, advance_periods, partner_ids=None):
        """``({partner id: {figure: Decimal}}, {partner id: [(lines, amount, quantity) to the end of
        each advance period]})``: the year's figures as ``_compute_period_figures`` gives them (the
        year, the year before, costs) and the year to date at the end of each advance period, from
        ONE aggregate (conditional sums over the same lines)."""
        self.ensure_one()
        before, last_year = previous_period(year), same_period_last_year(year)
        ranges = [(year.date_start, year.date_end), (before.date_start, before.date_end),
                  (last_year.date_start, last_year.date_end)]
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)
        names = ("lines", "base_amount", "base_qty", "cost_amount", "previous_base_amount", "previous_cost_amount",
                 "last_year_base_amount")

        def build(terms):
            current, previous, past = (
                SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in ranges)
            columns = [
                SQL("%s.partner_id", terms["line"]),
                SQL("COUNT(*) FILTER (WHERE %s)", current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["qty"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["cost"], current),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], previous),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["cost"], previous),
                SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], past),
            ]
            for period in advance_periods:
                to_date = SQL("%s BETWEEN %s AND %s", terms["date"], year.date_start, period.date_end)
                columns += [
                    SQL("COUNT(*) FILTER (WHERE %s)", to_date),
                    SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], to_date),
                    SQL("SUM(%s) FILTER (WHERE %s)", terms["qty"], to_date),
                ]
            return SQL(", ").join(columns), SQL("%s.partner_id", terms["line"])

        figures, year_to_date = {}, {}
        for partner_id, *values in self._line_figures_query(domain, ranges, build):
            if not partner_id:
                continue
            figures[partner_id] = {name: to_decimal(value or 0) for name, value in zip(names, values)}
            rest = values[len(names):]
            year_to_date[partner_id] = [
                (rest[index] or 0, to_decimal(rest[index + 1] or 0), to_decimal(rest[index + 2] or 0))
                for index in range(0, len(rest), 3)
            ]
        return figures, year_to_date

    def _compute_advance_records(self, date_start, date_end, partner_ids=None, queued=None):
        """The records of one year of a policy with advances: the advances of the advance periods
        begun so far and the year-end settlement, per customer. Estimates follow the invoices;
        confirmed and settled advances stay as they are (the next advance, or the year-end
        settlement, makes up any difference); a confirmed year-end settlement gets adjustments."""
        self.ensure_one()
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        # a version ending mid-year recomputes the periods it shortened, an advance's among them:
        # they all belong to the year holding them
        year = period_containing(self.period, date_start, self.date_start, self.date_end or None) \
            or Period(date_start, date_end, self.period, 0)
        year = Period(year.date_start, min(year.date_end, date_end), self.period, 0)
        date_start, date_end = year.date_start, year.date_end
        advance_periods = self._advance_periods(year)
        # one aggregate: the year, the year before, the costs and the year to date per advance period
        figures, year_to_date = self._compute_year_figures(year, advance_periods, partner_ids)
        bases = self._senior_bases(figures, date_start)
        if self._has_partner_scope():
            self._record_outside_period(year, partner_ids, queued)
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 2 if self.basis == "quantity" else 1  # in (lines, amount, quantity)
        advance_rate = to_decimal(self.advance_rate)

        currency = self.currency_id
        tier_mode, advance_mode, track_progress = self.tier_mode, self.advance_mode, self.track_progress
        common = {"policy_id": self.id, "company_id": self.company_id.id, "rebate_type": self.rebate_type}
        # the year's records as plain rows, read in one query: ten thousand customers' records
        # read field by field through the ORM would cost seconds
        existing = defaultdict(lambda: defaultdict(list))
        for row in self._advance_record_rows(date_start, date_end, partner_ids):
            existing[row["partner_id"]][row["date_start"] if row["kind"] == "advance" else "final"].append(row)

        def differ(row, values):
            return any(
                abs((row[name] or 0.0) - values[name]) >= half_unit for name in MONEY_FIGURES
            ) or abs((row["base_qty"] or 0.0) - values["base_qty"]) >= 5e-7 \
                or abs((row["rate"] or 0.0) - values["rate"]) >= 5e-5 \
                or (row["tier_id"] or False) != (values["tier_id"] or False)

        half_unit = currency.rounding / 2
        to_create, to_write, to_unlink = [], [], []

        def place(draft, values, keep, **new):
            """An estimate removed, rewritten where it changed, or created."""
            if not keep:
                if draft:
                    to_unlink.append(draft["id"])
            elif draft:
                if differ(draft, values):
                    to_write.append((draft["id"], values))
            else:
                to_create.append(dict(values, **new, **common))

        no_figures = [(0, ZERO, ZERO)] * len(advance_periods)
        for partner_id in set(bases) | set(existing):
            records = existing.get(partner_id, {})
            eligible = partner_id in bases
            to_date = year_to_date.get(partner_id, no_figures) if eligible else no_figures
            results = [
                advance_target(figure[measure_index], tiers, tier_mode, figure[1], cap, advance_mode,
                               advance_rate, rounding)
                for figure in to_date
            ]
            frozen = []
            for period in advance_periods:
                rows = records.get(period.date_start, [])
                if any(row["state"] == "cancelled" for row in rows):
                    frozen.append(False)  # a manager cancelled this advance: it pays nothing
                elif any(row["state"] in ("confirmed", "settled") for row in rows):
                    frozen.append(to_decimal(sum(row["amount"] for row in rows)))
                else:
                    frozen.append(None)
            steps = plan_advances([result.amount for result in results], frozen)
            for period, figure, result, step in zip(advance_periods, to_date, results, steps):
                if step.frozen:
                    continue
                draft = records.get(period.date_start, [None])[0]
                values = {
                    "base_amount": float(figure[1]),
                    "base_qty": float(figure[2]),
                    "tier_id": result.tier.key if result.tier is not None else False,
                    "rate": float(result.rate if advance_mode == "tier" else advance_rate),
                    "amount": float(step.amount),
                    "year_rebate_amount": float(step.target),
                    "advanced_amount": float(step.advanced_before),
                    "previous_base_amount": 0.0, "last_year_base_amount": 0.0,
                    "cost_amount": 0.0, "previous_cost_amount": 0.0,
                }
                keep = bool(step.amount) or (bool(figure[0]) and track_progress)
                place(draft, values, keep, partner_id=partner_id, date_start=period.date_start,
                      date_end=period.date_end, revision=0, kind="advance")
            # the year-end settlement
            finals = records.get("final", [])
            if any(row["state"] == "cancelled" and not row["revision"] for row in finals):
                continue
            partner_figures = figures.get(partner_id, {})
            base = (partner_figures["base_amount"], partner_figures["base_qty"]) if eligible else (ZERO, ZERO)
            year_result = compute_rebate(base[1 if self.basis == "quantity" else 0], tiers, tier_mode, base[0],
                                         cap, rounding)
            advanced = advanced_total(steps)
            values = self._record_values(year_result, base)
            values.update(
                amount=float(year_result.amount - advanced),
                year_rebate_amount=float(year_result.amount),
                advanced_amount=float(advanced),
                cost_amount=currency.round(float(partner_figures["cost_amount"])) if eligible else 0.0,
                previous_cost_amount=currency.round(float(partner_figures.get("previous_cost_amount", ZERO))),
                previous_base_amount=float(partner_figures.get("previous_base_amount", ZERO)),
                last_year_base_amount=float(partner_figures.get("last_year_base_amount", ZERO)),
            )
            draft = next((row for row in finals if row["state"] == "draft"), None)
            settled = [row for row in finals if row["state"] != "draft"]
            if settled:
                # what the confirmed year-end settlement and its adjustments already account for
                for field in FINAL_DELTA_FIELDS:
                    values[field] -= sum(row[field] or 0.0 for row in settled)
                keep = bool(
                    currency.compare_amounts(values["amount"], 0)
                    or currency.compare_amounts(values["base_amount"], 0)
                    or float_compare(values["base_qty"], 0, precision_digits=6))
                revision = max(row["revision"] for row in finals) + (0 if draft else 1)
            else:
                keep = (eligible and (year_result.amount > 0 or track_progress)) or bool(advanced)
                revision = 0
            place(draft, values, keep, partner_id=partner_id, date_start=date_start, date_end=date_end,
                  revision=revision, kind="final")
        Record.browse(to_unlink).unlink()
        Record._write_estimates([(Record.browse(record_id), values) for record_id, values in to_write])
        return Record._create_estimates(to_create)

    def _advance_record_rows(self, date_start, date_end, partner_ids=None):
        """The advances and year-end settlements of a year (of ``partner_ids`` when given) as
        dicts of their ``RECORD_FIELDS`` and id, from one query."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.check_access("read")
        Record.flush_model(RECORD_FIELDS)
        self.env.cr.execute(SQL(
            """SELECT id, %s FROM rebate_record
                WHERE policy_id = %s AND date_start BETWEEN %s AND %s AND kind IN ('advance', 'final') %s""",
            SQL(", ").join(SQL.identifier(name) for name in RECORD_FIELDS), self.id, date_start, date_end,
            SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()))
        names = ("id", *RECORD_FIELDS)
        return [dict(zip(names, row)) for row in self.env.cr.fetchall()]

    def _incremental_work(self, periods, changes, open_from):
        """An advance period that began since the last complete run brings a new advance for every
        customer of its year: that year is computed in full, as a new period is."""
        work = super()._incremental_work(periods, changes, open_from)
        if not self.advance_period:
            return work
        today = fields.Date.context_today(self)
        fresh = {
            period for period in periods
            if period.date_start <= open_from and any(
                open_from < advance.date_start <= today for advance in self._advance_periods(period))
        }
        if not fresh:
            return work
        return [(period, partners) for period, partners in work if period not in fresh] \
            + [(period, None) for period in sorted(fresh)]


class RebateProjectionMixin(models.AbstractModel):
    _inherit = "rebate.projection.mixin"

    def _project_rebate_policy(self, policy, partner, day, lines):
        """A yearly rebate paid in advances: what was advanced this year, and what the year-end
        settlement would pay (or take back) on the projected year."""
        values = super()._project_rebate_policy(policy, partner, day, lines)
        if not (policy.advance_period and policy.period == "year"):
            return values
        year = Period(values["period_start"], values["period_end"], policy.period, 0)
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

    @api.model
    def _rebate_projection_data(self, values):
        data = super()._rebate_projection_data(values)
        if "advanced_amount" in values:
            currency = values["policy"].currency_id
            data["advanced_amount"] = currency.round(float(values["advanced_amount"]))
            data["advance_left_amount"] = currency.round(float(values["projected_amount"] - values["advanced_amount"]))
        return data


class RebateRecord(models.Model):
    _inherit = "rebate.record"  # pylint: disable=consider-merging-classes-inherited

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

    def _computation_text(self):
        """An advance: "Year to date 250,000.00 (1 Jan – 30 Jun) at 3 % → 7,500.00; advanced before
        3,000.00 → advance 4,500.00". A year-end settlement: the year's computation, then the
        advances and what is left."""
        self.ensure_one()
        if self.kind == "period":
            return super()._computation_text()
        policy = self.policy_id
        currency = self.currency_id

        def money(value):
            return formatLang(self.env, value, digits=currency.decimal_places)

        measure = self.base_qty if policy.basis == "quantity" else self.base_amount
        if self.kind == "advance":
            if self.tier_id or policy.advance_mode == "tier":
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
            year = super()._computation_text()
            text = self.env._(
                "Rebate of the year %(year)s; advances paid %(advanced)s → left to settle %(left)s",
                year=money(self.year_rebate_amount), advanced=money(self.advanced_amount),
                left=money(self.amount))
            text = self.env._("%(year)s. %(settlement)s", year=year.rsplit(" → ", 1)[0], settlement=text)
        return text

    def action_confirm(self):
        """Confirming a year-end settlement confirms the advances of its year still estimated: the
        settlement was worked out from them, they cannot change after it."""
        finals = self.filtered(lambda r: r.kind == "final" and r.state == "draft")
        if not finals:
            return super().action_confirm()
        years = defaultdict(list)
        for final in finals:
            years[(final.policy_id.id, final.partner_id.id)].append((final.date_start, final.date_end))
        candidates = self.search([
            ("policy_id", "in", finals.policy_id.ids), ("partner_id", "in", finals.partner_id.ids),
            ("kind", "=", "advance"), ("state", "=", "draft"),
            ("date_start", ">=", min(finals.mapped("date_start"))), ("date_end", "<=", max(finals.mapped("date_end")))])
        advances = candidates.filtered(lambda r: any(
            start <= r.date_start and r.date_end <= end for start, end in years[(r.policy_id.id, r.partner_id.id)]))
        return super(RebateRecord, (advances - self) | self).action_confirm()

    def action_cancel(self):
        """A cancelled advance pays nothing: the next advance (or the year-end settlement) of its
        customer makes up for it, so the incremental run computes its year again."""
        result = super().action_cancel()
        advances = self.filtered(lambda r: r.kind == "advance")
        if advances:
            self.env["rebate.compute.queue"].sudo()._enqueue_records(advances)
        return result
