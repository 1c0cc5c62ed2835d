# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import math
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import format_amount

from .rebate_guard import BALANCE_APPLY, lifted


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "rebate.projection.mixin"]

    rebate_balance_available = fields.Monetary(
        string="Rebate Balance", compute="_compute_rebate_balance_available", currency_field="company_currency_id",
        help="What the customer can still use as a discount on this order (返利余额).")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    rebate_discount_amount = fields.Monetary(
        string="Rebate Balance Used", compute="_compute_rebate_balance_available",
        help="The untaxed discount this order takes from the customer's rebate balance.")

    @api.depends("partner_id", "company_id", "order_line.price_subtotal", "order_line.is_rebate_discount")
    def _compute_rebate_balance_available(self):
        groups = self.env["rebate.balance"].sudo()._read_group(
            [("partner_id", "in", self.partner_id.commercial_partner_id.ids), ("amount", ">", 0)],
            ["partner_id", "company_id"], ["amount:sum"])
        totals = {(partner.id, company.id): amount for partner, company, amount in groups}
        for order in self:
            order.rebate_balance_available = totals.get(
                (order.partner_id.commercial_partner_id.id, order.company_id.id), 0.0) \
                if order.partner_id and order._rebate_figures_visible() else 0.0
            order.rebate_discount_amount = -sum(order.order_line.filtered("is_rebate_discount").mapped("price_subtotal"))

    @api.depends("partner_id", "date_order", "order_line.price_subtotal", "order_line.product_uom_qty",
                 "order_line.qty_invoiced_posted", "order_line.product_id", "state", "company_id")
    def _compute_rebate_projection_html(self):
        return super()._compute_rebate_projection_html()

    rebate_policy_count = fields.Integer(
        string="Rebate Policies", compute="_compute_rebate_policy_count",
        help="The active policies that apply to the customer on the order's date.")

    @api.depends("partner_id", "date_order", "company_id")
    def _compute_rebate_policy_count(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            order.rebate_policy_count = len(order._rebate_candidate_policies()._filter_applicable(
                partner, order._rebate_date())) if partner else 0

    def action_view_rebate_policies(self):
        """The policies that apply to the customer, their terms in words, for the salesperson to
        explain (read-only)."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_view_rebate_policies()

    def _rebate_partner(self):
        return self.partner_id

    def _rebate_date(self):
        return fields.Date.context_today(self, self.date_order) if self.date_order else fields.Date.context_today(self)

    def _rebate_document_lines(self):
        """The part of the order not in a posted invoice yet: posted invoices are in the base already,
        a draft one is not (the order stays in the projection until its invoice is posted)."""
        if self.state == "cancel":
            return []
        items = []
        for line in self.order_line.filtered(lambda l: l.product_id and not l.display_type and not l.is_rebate_discount):
            ordered = line.product_uom_qty
            if not ordered:
                continue
            share = max(ordered - line.qty_invoiced_posted, 0.0) / ordered
            amount = self.currency_id._convert(
                line.price_subtotal * share, self.company_id.currency_id, self.company_id, self._rebate_date())
            qty = line.product_uom_id._compute_quantity(
                (ordered - line.qty_invoiced_posted) if share else 0.0, line.product_id.uom_id, round=False)
            items.append((line.product_id, amount, qty))
        return self._group_rebate_lines(items)

    # ------------------------------------------------------------------ 返利抵扣: the balance as discount

    def _rebate_balance_limits(self):
        """``(plan, balance, usable)``: the plan, the customer's balance in the order's company, and
        what this order can take from it today."""
        plan = self._rebate_balance_plan()
        available = sum(balance.amount for balance, _usable, _cap, _lines in plan)
        usable = self.currency_id.round(min(
            sum(usable for _balance, usable, _cap, _lines in plan),
            # two policies of 30 % each do not make 60 %: the order's cap is the largest share
            max((cap for _balance, _usable, cap, _lines in plan), default=0.0)))
        return plan, available, usable

    def _rebate_balance_plan(self):
        """``[(balance, usable, cap, eligible lines)]``: for each of the customer's balances in the
        order's company, what it can pay of this order today (its policy's share of the lines it
        may discount, never more than what has not expired)."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        balances = self.env["rebate.balance"].sudo().search([
            ("partner_id", "=", partner.id), ("company_id", "=", self.company_id.id), ("amount", ">", 0)],
            order="id")
        day = self._rebate_date()
        plan = []
        for balance in balances:
            cap, lines = self._rebate_balance_cap(balance.policy_id)
            usable = self.currency_id.round(min(balance._available(day), cap))
            plan.append((balance, max(usable, 0.0), cap, lines))
        return plan

    def _rebate_balance_cap(self, policy):
        """``(cap, lines)``: the most ``policy``'s balances may pay of this order — its share of the
        untaxed amount of the lines it may discount — and those lines."""
        self.ensure_one()
        lines = self.order_line.filtered(
            lambda l: not l.display_type and not l.is_rebate_discount and l.product_id and l.price_subtotal > 0
            and l.product_id not in policy.balance_excluded_product_ids)
        base = sum(lines.mapped("price_subtotal"))
        cap = base * policy.balance_max_share / 100.0 if policy.balance_max_share else base
        return self.currency_id.round(cap), lines

    def _check_rebate_balance_order(self):
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            raise UserError(self.env._("The rebate balance is used on quotations, before they are confirmed."))
        if self.currency_id != self.company_id.currency_id:
            raise UserError(self.env._(
                "Rebate balances are in %(currency)s: this order is in %(order_currency)s.",
                currency=self.company_id.currency_id.name, order_currency=self.currency_id.name))

    def action_apply_rebate_balance(self, amount=None):
        # the balance writes its own lines: the guard is lifted in Python (rebate_guard), no
        # context key a client could send
        with lifted(BALANCE_APPLY):
            return self._apply_rebate_balance(amount)

    def _apply_rebate_balance(self, amount=None):
        """Add discount lines paid with the customer's balance, up to ``amount`` (None: as much as
        the policies allow). Each line is split per tax like the goods it discounts, so the invoice
        states sale and discount separately and VAT is computed on the net. Applying again
        replaces the previous lines; the balance itself is used when the order is confirmed."""
        self.ensure_one()
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float))
                                   or not math.isfinite(amount)):
            # a public method, so reachable over RPC with whatever a client sends
            raise UserError(self.env._("The amount of rebate balance to use must be a number."))
        self._check_rebate_balance_order()
        self.order_line.filtered("is_rebate_discount").unlink()
        plan, available, usable = self._rebate_balance_limits()
        if amount is None:
            amount = usable
        amount = self.currency_id.round(amount)
        if self.currency_id.compare_amounts(amount, 0) < 0:
            raise UserError(self.env._("The amount of rebate balance to use cannot be negative."))
        if not plan or self.currency_id.is_zero(usable) and self.currency_id.is_zero(amount):
            if plan and self.currency_id.is_zero(usable):
                raise UserError(self.env._(
                    "%s has a rebate balance, but none of it can be used on this order (expired, or no "
                    "line it may discount).", self.partner_id.commercial_partner_id.display_name))
            raise UserError(self.env._("%(partner)s has no rebate balance to use in %(company)s.",
                                       partner=self.partner_id.commercial_partner_id.display_name,
                                       company=self.company_id.name))
        if self.currency_id.compare_amounts(amount, available) > 0:
            raise UserError(self.env._(
                "%(partner)s has %(available)s of rebate balance: %(amount)s cannot be used.",
                partner=self.partner_id.commercial_partner_id.display_name,
                available=format_amount(self.env, available, self.currency_id),
                amount=format_amount(self.env, amount, self.currency_id)))
        if self.currency_id.compare_amounts(amount, usable) > 0:
            raise UserError(self.env._(
                "At most %(usable)s of the rebate balance can be used on this order (the policies' share of "
                "the order and the balance not expired): %(amount)s is too much.",
                usable=format_amount(self.env, usable, self.currency_id),
                amount=format_amount(self.env, amount, self.currency_id)))
        commands = []
        left = amount
        for balance, balance_usable, _cap, lines in plan:
            use = min(left, balance_usable)
            if self.currency_id.is_zero(use):
                continue
            commands += self._prepare_rebate_discount_lines(balance, use, lines)
            left = self.currency_id.round(left - use)
        self.write({"order_line": commands})
        return True

    def _prepare_rebate_discount_lines(self, balance, amount, lines):
        """One discount line per group of taxes, each the group's share of ``amount`` (untaxed)."""
        product = self.env.ref("customer_rebate.product_rebate_balance_discount")
        by_taxes = defaultdict(float)
        for line in lines:
            by_taxes[line.tax_ids] += line.price_subtotal
        base = sum(by_taxes.values())
        commands, left = [], amount
        groups = sorted(by_taxes.items(), key=lambda item: -item[1])
        for index, (taxes, subtotal) in enumerate(groups):
            part = left if index == len(groups) - 1 else self.currency_id.round(amount * subtotal / base)
            left = self.currency_id.round(left - part)
            price = part
            if any(tax.price_include for tax in taxes):
                # the balance is untaxed: a price that includes the tax carries it on top
                price = taxes.compute_all(part, currency=self.currency_id, handle_price_include=False)["total_included"]
            commands.append(Command.create({
                "product_id": product.id,
                "name": self.env._("Rebate balance used (%(policy)s)%(taxes)s", policy=balance.policy_id.display_name,
                                   taxes=f" – {', '.join(taxes.mapped('name'))}" if taxes else ""),
                "product_uom_qty": 1.0,
                "price_unit": -price,
                "tax_ids": [Command.set(taxes.ids)],
                "is_rebate_discount": True,
                "rebate_balance_id": balance.id,
                "sequence": 10000,
            }))
        return commands

    def _check_rebate_discounts(self):
        """Before confirming: each discount line pays its own customer's order in its company and
        currency, and no more than its policy's share of the lines it may discount (the goods may
        have changed since the balance was applied)."""
        for order in self:
            lines = order.order_line.filtered(lambda l: l.is_rebate_discount and l.product_uom_qty)
            if not lines:
                continue
            for balance in lines.rebate_balance_id:
                if balance.partner_id not in (order.partner_id.commercial_partner_id
                                              & order.partner_invoice_id.commercial_partner_id) \
                        or balance.company_id != order.company_id:
                    raise UserError(self.env._(
                        "Order %(order)s uses the rebate balance of %(partner)s in %(company)s: a balance pays only "
                        "its own customer's orders in its company. Apply the balance again.",
                        order=order.name, partner=balance.partner_id.display_name, company=balance.company_id.name))
            if order.currency_id != order.company_id.currency_id:
                raise UserError(self.env._("Order %s is not in the rebate balance's currency.", order.name))
            caps = {balance: order._rebate_balance_cap(balance.policy_id)[0] for balance in lines.rebate_balance_id}
            used = sum(-line.price_subtotal for line in lines)
            for balance in lines.rebate_balance_id:
                amount = sum(-line.price_subtotal for line in lines if line.rebate_balance_id == balance)
                if order.currency_id.compare_amounts(amount, caps.get(balance, 0.0)) > 0:
                    raise UserError(self.env._(
                        "Order %(order)s takes %(amount)s from the rebate balance, more than %(policy)s allows on "
                        "it (%(cap)s): the goods changed since the balance was applied. Apply it again.",
                        order=order.name, amount=format_amount(self.env, amount, order.currency_id),
                        policy=balance.policy_id.display_name,
                        cap=format_amount(self.env, caps.get(balance, 0.0), order.currency_id)))
            if caps and order.currency_id.compare_amounts(used, max(caps.values())) > 0:
                raise UserError(self.env._(
                    "Order %(order)s takes %(amount)s from rebate balances, more than the largest share a policy "
                    "allows (%(cap)s). Apply the balance again.", order=order.name,
                    amount=format_amount(self.env, used, order.currency_id),
                    cap=format_amount(self.env, max(caps.values()), order.currency_id)))

    def write(self, vals):
        # the balance belongs to the customer the order was confirmed for: no moving it to another
        if {"partner_id", "partner_invoice_id", "company_id"} & set(vals):
            used = self.filtered(lambda o: o.state == "sale" and o.order_line.filtered("is_rebate_discount"))
            if used:
                raise UserError(self.env._(
                    "Order %s uses a customer's rebate balance: its customer, invoice address and company "
                    "cannot change. Cancel it and make a new one.", used[0].name))
        return super().write(vals)

    def _get_invoiceable_lines(self, final=False):
        """A balance discount is invoiced with goods that carry it: never alone (a credit note
        that would pay the balance out in money), never on goods worth less than it (a negative
        invoice); it waits for the invoice of the rest."""
        lines = super()._get_invoiceable_lines(final=final)
        discounts = lines.filtered("is_rebate_discount")
        if discounts:
            goods = sum((lines - discounts).filtered(lambda l: not l.display_type).mapped(
                lambda l: l.price_unit * (1 - (l.discount or 0.0) / 100.0) * l.qty_to_invoice))
            if self.currency_id[:1].compare_amounts(goods, -sum(discounts.mapped("price_subtotal"))) < 0:
                lines -= discounts
        return lines

    def action_confirm(self):
        quotations = self.filtered(lambda o: o.state in ("draft", "sent"))
        quotations._check_rebate_discounts()
        result = super().action_confirm()
        # the balance is taken now, under its row lock: two orders using it at the same moment give
        # one success and one clear error, never a negative balance
        quotations.order_line._sync_rebate_balance(self.env._("Confirmed"))
        return result

    def _action_cancel(self):
        lines = self.order_line.filtered("is_rebate_discount")
        result = super()._action_cancel()
        for order in lines.order_id:
            lines.filtered(lambda l: l.order_id == order)._sync_rebate_balance(
                self.env._("Given back: %s cancelled", order.name))
        return result

    def action_open_rebate_balance_wizard(self):
        self.ensure_one()
        self._check_rebate_balance_order()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Use Rebate Balance"),
            "res_model": "rebate.balance.apply.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }
