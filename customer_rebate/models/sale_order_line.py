# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

# the balance itself writes its discount lines (sale_order.py) under a guard lifted in Python
from .rebate_guard import BALANCE_APPLY, BALANCE_SYNC, is_lifted, lifted


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    is_rebate_discount = fields.Boolean(
        string="Rebate Balance Used", readonly=True, copy=False, index="btree_not_null",
        help="A discount line paid with the customer's rebate balance (返利抵扣).")
    rebate_balance_id = fields.Many2one("rebate.balance", readonly=True, copy=False, index="btree_not_null")

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.is_rebate_discount:
            # the discount uses up what the company owes the customer: the liability, not income
            values.update(is_rebate_discount=True,
                          account_id=self.rebate_balance_id.account_id.id)
        return values

    def _rebate_balance_used(self):
        """``{line: untaxed amount the line took from its balance, net of what came back}``."""
        groups = self.env["rebate.balance.line"].sudo()._read_group(
            [("sale_line_id", "in", self.ids)], ["sale_line_id"], ["amount:sum"])
        return {line: -amount for line, amount in groups}

    def _rebate_balance_due(self):
        """``{line: untaxed amount the line stands for}``: what its invoices (not cancelled; credit
        notes count negative) take off the rebates owed, plus what the confirmed order has still
        to invoice. A credit note, a cancelled invoice, an invoice edited in draft or re-issued all
        move this, and the ledger follows it."""
        due = dict.fromkeys(self, 0.0)
        invoice_lines = self.env["account.move.line"].sudo().search([
            ("sale_line_ids", "in", self.ids), ("is_rebate_discount", "=", True), ("parent_state", "!=", "cancel")])
        for invoice_line in invoice_lines:
            for line in invoice_line.sale_line_ids & self:
                due[line] += invoice_line.balance
        for line in self:
            if line.order_id.state == "sale" and line.product_uom_qty:
                unit = -line.price_subtotal / line.product_uom_qty
                due[line] += max(line.product_uom_qty - line.qty_invoiced, 0.0) * unit
        return {line: line.currency_id.round(amount) for line, amount in due.items()}

    def _sync_rebate_balance(self, reason, move=None):
        """Bring the ledger in line with what each discount line stands for: take more from the
        balance (under its row lock, never more than is available) or give back the difference."""
        lines = self.filtered("is_rebate_discount")
        if not lines:
            return
        used = lines._rebate_balance_used()
        changes = {}
        for line, due in lines._rebate_balance_due().items():
            delta = line.currency_id.round(due - used.get(line, 0.0))
            if not line.currency_id.is_zero(delta):
                changes[line] = delta
        if not changes:
            return
        balances = self.env["rebate.balance"].sudo().union(*(line.rebate_balance_id for line in changes))
        balances._lock()
        needed = {}
        for line, delta in changes.items():
            if delta > 0:
                needed[line.rebate_balance_id] = needed.get(line.rebate_balance_id, 0.0) + delta
        for balance, amount in needed.items():
            order = next(line.order_id for line in changes if line.rebate_balance_id == balance)
            available = balance._available(order._rebate_date())
            if balance.currency_id.compare_amounts(amount, available) > 0:
                raise UserError(self.env._(
                    "%(partner)s has %(available)s of rebate balance left under %(policy)s (what expired "
                    "excluded): the %(amount)s this order uses is more. Apply the balance again.",
                    partner=balance.partner_id.display_name,
                    available=format_amount(self.env, available, balance.currency_id),
                    policy=balance.policy_id.display_name, amount=format_amount(self.env, amount, balance.currency_id)))
        self.env["rebate.balance"].sudo()._add_lines([
            {"balance_id": line.rebate_balance_id.id, "kind": "used" if delta > 0 else "restored", "amount": -delta,
             "sale_order_id": line.order_id.id, "sale_line_id": line.id, "move_id": move.id if move else False,
             "date": line.order_id._rebate_date(),
             "name": self.env._("Used on %s", line.order_id.name) if delta > 0 else reason}
            for line, delta in changes.items()
        ])

    def _release_uninvoiced_rebate_discount(self):
        """After a credit note or a cancelled invoice, the discount is not invoiced again without
        its balance: the line keeps only what stays invoiced."""
        for line in self.filtered(lambda l: l.is_rebate_discount and l.order_id.state == "sale"):
            invoiced = max(line.qty_invoiced, 0.0)
            if line.product_uom_id.compare(line.product_uom_qty, invoiced) > 0:
                with lifted(BALANCE_SYNC):
                    line.with_context(skip_procurement=True).product_uom_qty = invoiced

    @api.model_create_multi
    def create(self, vals_list):
        # a discount paid with a balance is made by the balance (action_apply_rebate_balance),
        # never typed in or sent over RPC: it would move a customer's balance at will
        if not is_lifted(BALANCE_APPLY) and any(
                vals.get("is_rebate_discount") or vals.get("rebate_balance_id") for vals in vals_list):
            raise UserError(self.env._("Rebate balance lines are added with Use Rebate Balance on a quotation."))
        return super().create(vals_list)

    def write(self, vals):
        if not is_lifted(BALANCE_APPLY) and {"is_rebate_discount", "rebate_balance_id"} & set(vals):
            raise UserError(self.env._("Rebate balance lines are added with Use Rebate Balance on a quotation."))
        # a discount paid with the balance is changed through the balance, not by hand, once used
        if not is_lifted(BALANCE_SYNC) and {"price_unit", "product_uom_qty", "tax_ids",
                                                                 "discount"} & set(vals):
            used = self.filtered(lambda l: l.is_rebate_discount and l.order_id.state not in ("draft", "sent"))
            if used:
                raise UserError(self.env._(
                    "%s is paid with the customer's rebate balance: it cannot be changed on a confirmed order. "
                    "Credit the invoice or cancel the order to give the balance back.", used[0].order_id.name))
        return super().write(vals)
