# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, float_round, formatLang

from ..engine import to_decimal
from ..tools.entries import signed_line
from .rebate_guard import SETTLEMENT_INTERNAL, SETTLEMENT_UNDO, is_lifted, lifted

METHODS = [("credit_note", "Credit Note"), ("cash", "Cash"), ("goods", "Goods"), ("discount", "Rebate Balance")]


# Fields a person may still change on a settlement that is done or cancelled: its notes and its
# chatter. Everything else is the record of a payout that was made.
OPEN_FIELDS_AFTER_PAYOUT = frozenset({"note", "notice_sent"})
# The settlement itself writes its paid-out fields and undoes its documents under guards lifted in
# Python (rebate_guard.SETTLEMENT_INTERNAL / SETTLEMENT_UNDO), never under a context key a client
# could send: account_move.py, stock_move.py and stock_picking.py refuse the undo to anyone else.


class RebateSettlement(models.Model):
    _name = "rebate.settlement"
    _description = "Rebate Settlement"
    # rating.mixin first, as core's rated models: it extends mail.thread
    _inherit = ["rating.mixin", "mail.thread", "mail.activity.mixin", "rebate.notice.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/", index="trigram")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    record_ids = fields.One2many("rebate.record", "settlement_id", string="Rebate Records", readonly=True)
    paid_record_ids = fields.Many2many(
        "rebate.record", "rebate_settlement_paid_record_rel", "settlement_id", "record_id",
        string="Records Paid", readonly=True, copy=False,
        help="The records this payout paid, kept after a cancellation for the audit trail.")
    method = fields.Selection(METHODS, string="Payout As", required=True, readonly=True, tracking=True)
    journal_id = fields.Many2one("account.journal", readonly=True, check_company=True,
                                 groups="customer_rebate.group_rebate_user",
                                 help="The journal of the policies paid: one payout document per journal.")
    is_recovery = fields.Boolean(
        string="Recovery", readonly=True,
        help="Recovers from the customer what negative adjustments say they owe back, with an invoice.")
    amount = fields.Monetary(compute="_compute_amount", store=True, tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done"), ("cancelled", "Cancelled")],
        default="draft", required=True, readonly=True, copy=False, tracking=True, index=True)
    move_id = fields.Many2one("account.move", string="Accounting Document", readonly=True, copy=False,
                              check_company=True, index="btree_not_null")
    reversal_move_id = fields.Many2one("account.move", string="Reversal", readonly=True, copy=False,
                                       check_company=True)
    clearing_move_id = fields.Many2one(
        "account.move", string="Accrual Clearing", readonly=True, copy=False, check_company=True,
        help="Clears what the payout document did not take off the accrued rebates back to the expense "
             "(goods, whose cost is booked at delivery, or a credit note whose taxes are included).")
    document_ids = fields.One2many("account.move", "rebate_settlement_id", string="Journal Entries")
    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True, copy=False,
                                 check_company=True, index="btree_not_null")
    picking_ids = fields.One2many("stock.picking", "rebate_settlement_id", string="Transfers")
    return_picking_id = fields.Many2one("stock.picking", string="Return", readonly=True, copy=False,
                                        check_company=True)
    goods_remainder = fields.Monetary(
        string="Not Given in Goods", readonly=True, copy=False,
        help="The part of the rebate that whole units of the free product could not make up: paid "
             "to the customer's account or carried into their next goods payout, as the policy says.")
    remainder_to_carry = fields.Boolean(readonly=True, copy=False)
    carried_remainder = fields.Monetary(
        string="Brought Forward", readonly=True, copy=False,
        help="What earlier goods payouts could not give and this one adds to its quantity.")
    remainder_carried_to_id = fields.Many2one(
        "rebate.settlement", readonly=True, copy=False, index="btree_not_null")
    note = fields.Html(groups="customer_rebate.group_rebate_user")
    method_label = fields.Char(compute="_compute_method_label", help="The payout method in words, for notices.")
    move_label = fields.Char(
        string="Payout Document", compute="_compute_move_label",
        help="The document the payout made, named as the accountant looks for it.")
    payout_payment_state = fields.Selection(
        [("not_paid", "Outstanding"), ("partial", "Partially Paid or Offset"), ("paid", "Paid or Offset")],
        string="Paid / Reconciled", compute="_compute_payout_payment_state",
        help="Whether the customer's side of the payout document has been paid out or offset: the "
             "credit note's payment status, or the reconciliation of the cash entry's receivable line.")
    document_count = fields.Integer(compute="_compute_document_count")
    picking_count = fields.Integer(compute="_compute_picking_count")

    @api.depends("move_id.name", "move_id.move_type")
    @api.depends_context("lang")
    def _compute_move_label(self):
        for settlement in self:
            move = settlement.move_id
            if not move:
                settlement.move_label = False
            elif move.move_type == "out_refund":
                settlement.move_label = self.env._("Credit note %s", move.name)
            elif move.move_type == "out_invoice":
                settlement.move_label = self.env._("Invoice %s", move.name)
            else:
                settlement.move_label = self.env._("Journal entry %s", move.name)

    @api.depends("move_id.payment_state", "move_id.line_ids.amount_residual", "move_id.line_ids.reconciled")
    def _compute_payout_payment_state(self):
        for settlement in self:
            move = settlement.move_id.sudo()
            if not move or move.state != "posted" or settlement.method == "discount":
                settlement.payout_payment_state = False
            elif move.is_invoice(include_receipts=True):
                settlement.payout_payment_state = {
                    "paid": "paid", "in_payment": "paid", "reversed": "paid", "partial": "partial",
                }.get(move.payment_state, "not_paid")
            else:
                receivable = move.line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
                if not receivable:
                    settlement.payout_payment_state = False
                elif all(line.reconciled for line in receivable):
                    settlement.payout_payment_state = "paid"
                elif any(line.currency_id.compare_amounts(line.amount_residual, line.balance) for line in receivable):
                    settlement.payout_payment_state = "partial"
                else:
                    settlement.payout_payment_state = "not_paid"

    def _compute_document_count(self):
        counts = dict(self.env["account.move"].sudo()._read_group(
            [("rebate_settlement_id", "in", self.ids)], ["rebate_settlement_id"], ["__count"]))
        for settlement in self:
            settlement.document_count = counts.get(settlement, 0)

    def _compute_picking_count(self):
        """Counted as superuser: an accountant follows a goods payout without stock rights."""
        counts = dict(self.env["stock.picking"].sudo()._read_group(
            [("rebate_settlement_id", "in", self.ids)], ["rebate_settlement_id"], ["__count"]))
        for settlement in self:
            pickings = counts.get(settlement, 0)
            if settlement.sudo().picking_id and not settlement.sudo().picking_id.rebate_settlement_id:
                pickings += 1
            settlement.picking_count = pickings

    @api.depends("method")
    def _compute_method_label(self):
        labels = dict(self._fields["method"]._description_selection(self.env))
        for settlement in self:
            settlement.method_label = labels.get(settlement.method, "")

    @api.depends("record_ids.amount", "paid_record_ids.amount")
    def _compute_amount(self):
        for settlement in self:
            settlement.amount = sum((settlement.record_ids or settlement.paid_record_ids).mapped("amount"))

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Rebate Statement %s", self.name)

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before a number is taken: a refused create leaves no gap
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("rebate.settlement") or "/"
        return super().create(vals_list)

    def write(self, vals):
        if not is_lifted(SETTLEMENT_INTERNAL) and any(s.state != "draft" for s in self):
            changed = {
                name for name in vals
                if name not in OPEN_FIELDS_AFTER_PAYOUT and not name.startswith(("message_", "activity_"))
            }
            if changed:
                raise UserError(self.env._(
                    "Settlement %(settlement)s is %(state)s: it can no longer be changed (%(fields)s). "
                    "Cancel it and settle the records again.",
                    settlement=self.filtered(lambda s: s.state != "draft")[0].name,
                    state=self.env._("paid out") if "done" in self.mapped("state") else self.env._("cancelled"),
                    fields=", ".join(self._fields[name].string for name in sorted(changed) if name in self._fields)))
        return super().write(vals)

    def _write_internal(self, vals):
        with lifted(SETTLEMENT_INTERNAL):
            return self.write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_draft(self):
        if any(settlement.state != "draft" for settlement in self):
            raise UserError(self.env._("Only draft settlements can be deleted; cancel the others."))

    def unlink(self):
        self.record_ids.write({"settlement_id": False})
        return super().unlink()

    # ------------------------------------------------------------------ creating settlements

    @api.model
    def _settlement_groups(self, records, recover=False):
        """``({(company, partner, method, journal, policy): records}, skipped records)``.

        What the customer owes back from earlier negative adjustments of the same policies is
        netted into their payout. A group whose net is not a payout (or, when recovering, not a
        debt) is skipped, not refused, so one customer with nothing to pay stops nobody."""
        Record = self.env["rebate.record"]
        if not recover:
            pairs = {(record.partner_id.id, record.policy_id.id) for record in records}
            records |= Record.search([
                ("state", "=", "confirmed"), ("settlement_id", "=", False), ("amount", "<", 0),
                ("partner_id", "in", records.partner_id.ids), ("policy_id", "in", records.policy_id.ids),
            ]).filtered(lambda r: (r.partner_id.id, r.policy_id.id) in pairs)
        groups = defaultdict(lambda: Record)
        for record in records:
            policy = record.policy_id
            # a goods payout is one free product: one settlement per goods policy
            key = (record.company_id, record.partner_id, policy.settlement_method, policy.journal_id,
                   policy if policy.settlement_method == "goods" else None)
            groups[key] |= record
        kept, skipped = {}, Record
        for key, group in groups.items():
            sign = group.currency_id[:1].compare_amounts(sum(group.mapped("amount")), 0) if group.currency_id else 0
            if (sign < 0) if recover else (sign > 0):
                kept[key] = group
            else:
                skipped |= group
        return kept, skipped

    @api.model
    def _create_from_records(self, records, date=None, recover=False):
        """One draft settlement per company, customer, payout method and journal (and goods policy)
        for confirmed records. Locks the records first, so that two users settling the same records
        at the same moment get one settlement and one clear error, never two payouts."""
        records = records.exists()
        if not records:
            raise UserError(self.env._("Select the rebate records to settle."))
        not_ready = records.filtered(lambda r: r.state != "confirmed" or r.settlement_id)
        if not_ready:
            raise UserError(self.env._(
                "Only confirmed records that are not in a settlement yet can be settled: %s.",
                ", ".join(not_ready[:5].mapped("display_name"))))
        if recover and records.filtered(lambda r: r.amount > 0):
            raise UserError(self.env._(
                "Only negative adjustments (what a customer owes back) are recovered; pay the others out."))
        groups, skipped = self._settlement_groups(records, recover)
        if not groups:
            raise UserError(self.env._(
                "Nothing to pay: the selected rebates of %(partners)s add up to zero or less. Negative "
                "adjustments are netted against the customer's next payout, or recovered on demand.",
                partners=", ".join(skipped.partner_id[:5].mapped("display_name"))))
        chosen = self.env["rebate.record"].union(*groups.values())
        chosen._lock_for_settlement()
        return self.create([
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "method": method,
                "journal_id": journal.id,
                "is_recovery": recover,
                "date": date or fields.Date.context_today(self),
                "record_ids": [Command.set(group.ids)],
            }
            for (company, partner, method, journal, _policy), group in groups.items()
        ])

    # ------------------------------------------------------------------ validation

    def _policies(self):
        return self.record_ids.policy_id

    def _accrued_records(self):
        return self.record_ids.filtered(lambda r: r.accrual_move_id and not r.accrual_reversal_move_id)

    def _check_can_validate(self):
        for settlement in self:
            if settlement.state != "draft":
                raise UserError(self.env._("Settlement %s is not a draft.", settlement.name))
            if not settlement.record_ids:
                raise UserError(self.env._("Settlement %s has no rebate record.", settlement.name))
            if settlement.record_ids.company_id != settlement.company_id:
                raise UserError(self.env._(
                    "Settlement %s mixes records of several companies: settle each company on its own.",
                    settlement.name))
            if settlement.record_ids.currency_id != settlement.currency_id:
                raise UserError(self.env._(
                    "Settlement %(settlement)s mixes currencies: its records must be in %(currency)s.",
                    settlement=settlement.name, currency=settlement.currency_id.name))
            if any(record.state != "confirmed" for record in settlement.record_ids):
                raise UserError(self.env._("Settlement %s holds records that are not confirmed.", settlement.name))
            sign = settlement.currency_id.compare_amounts(settlement.amount, 0)
            if (sign >= 0) if settlement.is_recovery else (sign <= 0):
                raise UserError(self.env._(
                    "Settlement %(settlement)s adds up to %(amount)s: nothing to %(what)s.",
                    settlement=settlement.name, amount=settlement.amount,
                    what=self.env._("recover") if settlement.is_recovery else self.env._("pay")))
            for policy in settlement._policies():
                if policy.settlement_method != settlement.method:
                    raise UserError(self.env._(
                        "Policy %(policy)s pays out as %(method)s, not as this settlement does.",
                        policy=policy.display_name,
                        method=dict(policy._fields["settlement_method"]._description_selection(self.env))[
                            policy.settlement_method]))
                settlement._check_policy_accounting(policy)

    def _check_policy_accounting(self, policy):
        self.ensure_one()
        records = self.record_ids.filtered(lambda r: r.policy_id == policy)
        if self.method == "goods" and not self.is_recovery:
            if not policy.goods_product_id:
                raise UserError(self.env._("Policy %s pays out in goods but has no free product.", policy.display_name))
            if not policy.expense_account_id:
                raise UserError(self.env._(
                    "Set the rebate expense account of policy %s: the cost of the goods given is booked there.",
                    policy.display_name))
            product = policy.goods_product_id.with_company(self.company_id)
            if product.is_storable and not product._get_product_accounts()["stock_valuation"]:
                raise UserError(self.env._(
                    "%(product)s has no stock valuation account in %(company)s: the cost of the goods "
                    "given could not be booked. Set it on its category or in the inventory settings.",
                    product=product.display_name, company=self.company_id.display_name))
            if not self._goods_journal():
                raise UserError(self.env._(
                    "Policy %s: choose a miscellaneous journal for the goods rebate's entries.", policy.display_name))
            if policy.goods_remainder_mode == "cash" and not self._receivable_account():
                raise UserError(self.env._("Customer %s has no receivable account in this company.",
                                           self.partner_id.display_name))
            return
        if self.is_recovery:
            if not self._recovery_journal():
                raise UserError(self.env._("Company %s has no sales journal to invoice the recovery.",
                                           self.company_id.display_name))
        else:
            if not policy.journal_id:
                raise UserError(self.env._(
                    "Set the journal of policy %s before settling its rebates.", policy.display_name))
            wanted = "sale" if self.method == "credit_note" else "general"
            if self.method == "discount" and not policy.balance_account_id:
                raise UserError(self.env._(
                    "Policy %s pays into the customer's rebate balance: set its rebates owed account.",
                    policy.display_name))
            if policy.journal_id.type != wanted:
                raise UserError(self.env._(
                    "Policy %(policy)s: %(method)s payouts need a %(type)s journal, not %(journal)s.",
                    policy=policy.display_name,
                    method={"credit_note": self.env._("credit note"), "discount": self.env._("rebate balance")}.get(
                        self.method, self.env._("cash")),
                    type=self.env._("sales") if wanted == "sale" else self.env._("miscellaneous"),
                    journal=policy.journal_id.display_name))
        if any(not r.accrual_move_id for r in records) and not policy.expense_account_id:
            raise UserError(self.env._("Set the rebate expense account of policy %s before settling its rebates.",
                              policy.display_name))
        if self.method == "cash" and not self._receivable_account():
            raise UserError(self.env._("Customer %s has no receivable account in this company.",
                              self.partner_id.display_name))

    def _receivable_account(self):
        return self.partner_id.with_company(self.company_id).property_account_receivable_id

    def _recovery_journal(self):
        if self.journal_id.type == "sale":
            return self.journal_id
        return self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "sale")], limit=1)

    def _goods_journal(self):
        policies = (self.record_ids or self.paid_record_ids).policy_id
        return policies[:1]._misc_journal() if policies else self.env["account.journal"]

    @staticmethod
    def _debit_account(record):
        """The rebate is charged to the accrual booked for it (the account of that entry, whatever
        the policy says today), else to the policy's expense."""
        return record.accrual_account_id if record.accrual_move_id else record.policy_id.expense_account_id

    def _debit_lines(self):
        """``{(policy, account): amount}`` of what the payout charges (negative adjustments net)."""
        self.ensure_one()
        amounts = defaultdict(float)
        for record in self.record_ids:
            amounts[(record.policy_id, self._debit_account(record))] += record.amount
        return {key: amount for key, amount in amounts.items() if not self.currency_id.is_zero(amount)}

    def _line_label(self, policy):
        records = self.record_ids.filtered(lambda r: r.policy_id == policy)
        periods = ", ".join(dict.fromkeys(records.sorted("date_start").mapped("period_label")))
        return self.env._("Rebate %(policy)s, %(periods)s", policy=policy.display_name, periods=periods)

    def _credit_note_taxes(self, policy):
        """The policy's credit-note taxes as the customer's fiscal position maps them."""
        if not policy.credit_note_tax_ids:
            return policy.credit_note_tax_ids
        fiscal_position = self.env["account.fiscal.position"].with_company(self.company_id)._get_fiscal_position(
            self.partner_id)
        return fiscal_position.map_tax(policy.credit_note_tax_ids)

    def _prepare_invoice_vals(self, move_type, journal, sign):
        """A credit note (payout) or an invoice (recovery) with one line per policy and account."""
        self.ensure_one()
        return {
            "move_type": move_type,
            "partner_id": self.partner_id.id,
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": self.date,
            "date": self.date,
            "ref": self.name,
            "invoice_origin": self.name,
            "rebate_settlement_id": self.id,
            "invoice_line_ids": [
                Command.create({
                    "name": self._line_label(policy),
                    "account_id": account.id,
                    "quantity": 1.0,
                    "price_unit": sign * amount,
                    "tax_ids": [Command.set(self._credit_note_taxes(policy).ids if self.method == "credit_note" else [])],
                })
                for (policy, account), amount in self._debit_lines().items()
            ],
        }

    def _prepare_credit_note_vals(self):
        self.ensure_one()
        return self._prepare_invoice_vals("out_refund", self.journal_id, 1)

    def _prepare_recovery_invoice_vals(self):
        self.ensure_one()
        return self._prepare_invoice_vals("out_invoice", self._recovery_journal(), -1)

    def _prepare_cash_move_vals(self):
        self.ensure_one()
        partner = self.partner_id.id
        lines = [
            Command.create(signed_line(account, amount, name=self._line_label(policy), partner_id=partner))
            for (policy, account), amount in self._debit_lines().items()
        ]
        lines.append(Command.create(signed_line(
            self._receivable_account(), -self.amount, name=self.env._("Rebate %s", self.name), partner_id=partner)))
        return self._prepare_entry_vals(lines)

    def _prepare_entry_vals(self, lines, journal=None, date=None, ref=None):
        """A journal entry of this payout: on the customer, linked back to the settlement."""
        self.ensure_one()
        return {
            "move_type": "entry",
            "journal_id": (journal or self.journal_id).id,
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "date": date or self.date,
            "ref": ref or self.name,
            "rebate_settlement_id": self.id,
            "line_ids": lines,
        }

    def _prepare_balance_move_vals(self):
        """返利抵扣: the rebate is owed to the customer as a balance, not paid yet."""
        self.ensure_one()
        partner = self.partner_id.id
        lines = []
        for (policy, account), amount in self._debit_lines().items():
            label = self._line_label(policy)
            lines += [
                Command.create(signed_line(account, amount, name=label, partner_id=partner)),
                Command.create(signed_line(
                    self.env["rebate.balance"].sudo()._get_or_create(self.partner_id, policy).account_id,
                    -amount, name=label, partner_id=partner)),
            ]
        return self._prepare_entry_vals(lines)

    def _prepare_document_vals(self):
        self.ensure_one()
        if self.is_recovery:
            return self._prepare_recovery_invoice_vals()
        if self.method == "credit_note":
            return self._prepare_credit_note_vals()
        if self.method == "discount":
            return self._prepare_balance_move_vals()
        return self._prepare_cash_move_vals()

    def _balance_amounts(self):
        """``{policy: amount}`` this payout puts into (or, cancelled, takes out of) the balance."""
        self.ensure_one()
        amounts = defaultdict(float)
        for record in self.record_ids or self.paid_record_ids:
            amounts[record.policy_id] += record.amount
        return amounts

    def _credit_balances(self):
        Balance = self.env["rebate.balance"].sudo()
        vals_list = []
        for settlement in self:
            for policy, amount in settlement._balance_amounts().items():
                balance = Balance._get_or_create(settlement.partner_id, policy)
                vals_list.append({
                    "balance_id": balance.id, "kind": "earned", "amount": amount, "date": settlement.date,
                    "expiry_date": Balance._expiry_date(policy, settlement.date), "settlement_id": settlement.id,
                    "move_id": settlement.move_id.id, "name": settlement._line_label(policy),
                })
        if vals_list:
            Balance._add_lines(vals_list)

    def _check_balance_unused(self):
        """A cancelled balance payout takes its amount back: refused once orders used it."""
        self.ensure_one()
        Balance = self.env["rebate.balance"].sudo()
        for policy, amount in self._balance_amounts().items():
            balance = Balance._get_or_create(self.partner_id, policy)
            balance._lock()
            if balance.currency_id.compare_amounts(balance.amount, amount) < 0:
                raise UserError(self.env._(
                    "Settlement %(settlement)s cannot be cancelled: %(partner)s has already used part of the "
                    "balance it paid (%(left)s left of %(paid)s). Cancel or credit those orders first.",
                    settlement=self.name, partner=self.partner_id.display_name, left=balance.amount, paid=amount))

    def _take_back_balances(self, reversal):
        self.ensure_one()
        Balance = self.env["rebate.balance"].sudo()
        Balance._add_lines([
            {
                "balance_id": Balance._get_or_create(self.partner_id, policy).id, "kind": "reversed",
                "amount": -amount, "settlement_id": self.id, "move_id": reversal.id,
                "name": self.env._("Cancellation of %s", self.name),
            }
            for policy, amount in self._balance_amounts().items()
        ])

    # ------------------------------------------------------------------ goods

    def _carried_in(self):
        """Earlier goods payouts of this customer and policy whose remainder waits for this one."""
        self.ensure_one()
        return self.search([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("method", "=", "goods"), ("state", "=", "done"), ("remainder_to_carry", "=", True),
            ("remainder_carried_to_id", "=", False), ("record_ids.policy_id", "in", self._policies().ids),
        ])

    def _goods_quantities(self):
        """``{product: (quantity, remainder)}``: whole units the rebate (with what earlier payouts
        carried forward) buys at the policy's price, rounded down to the unit of measure; or the
        quantity of each record's tier, an adjustment giving the difference with the tier before."""
        self.ensure_one()
        result = {}
        carried = sum(self._carried_in().mapped("goods_remainder"))
        for policy in self._policies():
            records = self.record_ids.filtered(lambda r: r.policy_id == policy)
            product = policy.goods_product_id
            if policy.goods_quantity_mode == "fixed":
                quantity, remainder = sum(record._fixed_goods_qty() for record in records), 0.0
            else:
                amount = sum(records.mapped("amount")) + carried
                price = product.lst_price if policy.goods_quantity_mode == "sale_price" else product.standard_price
                if price <= 0:
                    raise UserError(self.env._(
                        "The free product %s has no price to turn the rebate into a quantity.",
                        product.display_name))
                # whole units of the product's unit of measure: a rebate never gives a fraction of a crate
                quantity = max(float_round(float(to_decimal(amount) / to_decimal(price)),
                                           precision_rounding=1.0, rounding_method="DOWN"), 0.0)
                remainder = self.currency_id.round(amount - quantity * price)
            previous = result.get(product, (0.0, 0.0))
            result[product] = (previous[0] + max(quantity, 0.0), previous[1] + remainder)
        return result

    def _warehouse(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company_id.id)], limit=1)
        if not warehouse:
            raise UserError(self.env._("Company %s has no warehouse to deliver goods rebates from.",
                                       self.company_id.display_name))
        return warehouse

    def _prepare_procurements(self, quantities):
        """Procurements for the warehouse's delivery route: one, two or three steps, as its sales
        deliveries go. Every move it makes carries the settlement (stock_move.py)."""
        self.ensure_one()
        warehouse = self._warehouse()
        reference = self.env["stock.reference"].create({"name": self.name})
        destination = self.partner_id.with_company(self.company_id).property_stock_customer
        values = {
            "reference_ids": reference,
            "warehouse_id": warehouse,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id,
            "date_planned": fields.Datetime.now(),
            "rebate_settlement_id": self.id,
        }
        Procurement = self.env["stock.rule"].Procurement
        return [
            Procurement(product, quantity, product.uom_id, destination, product.display_name, self.name,
                        self.company_id, dict(values))
            for product, (quantity, _remainder) in quantities.items()
            if product.uom_id.compare(quantity, 0.0) > 0
        ]

    def _check_goods_available(self, quantities):
        warehouse = self._warehouse()
        allow_negative = all(policy.allow_negative_stock for policy in self._policies())
        if allow_negative:
            return
        for product, (quantity, _remainder) in quantities.items():
            available = product.with_context(warehouse_id=warehouse.id).free_qty
            if product.is_storable and product.uom_id.compare(available, quantity) < 0:
                raise UserError(self.env._(
                    "Not enough %(product)s in %(warehouse)s for the goods rebate of %(partner)s: "
                    "%(needed)s needed, %(available)s available.",
                    product=product.display_name, warehouse=warehouse.display_name,
                    partner=self.partner_id.display_name, needed=quantity, available=available))

    def _prepare_goods_entry_vals(self, remainder):
        """The goods payout's own entry: a remainder the policy pays in cash credited to the
        customer; None when there is none. The accrual stays until the goods leave: the company
        still owes them (see ``_goods_accrual_clearing``)."""
        self.ensure_one()
        partner = self.partner_id.id
        lines = []
        policy = self._policies()[:1]
        if policy.goods_remainder_mode == "cash" and not self.currency_id.is_zero(remainder):
            label = self.env._("Rebate %s: the part not given in goods", self.name)
            lines += [
                Command.create(signed_line(policy.expense_account_id, remainder, name=label, partner_id=partner)),
                Command.create(signed_line(self._receivable_account(), -remainder, name=label, partner_id=partner)),
            ]
        return self._prepare_entry_vals(lines, journal=self._goods_journal()) if lines else None

    def _post_goods_cost(self, stock_moves):
        """Book the cost of free goods that crossed to the customer (or came back): the rebate
        expense against the stock valuation account, at the value Odoo's valuation gave the move.
        Odoo 19 books no entry for a delivery without an invoice, so without this the expense
        would never reach the books and the next stock closing would count the goods as a loss."""
        vals_list = []
        for settlement in self:
            settlement = settlement.with_company(settlement.company_id)
            lines = []
            for move in stock_moves.filtered(lambda m: m.rebate_settlement_id == settlement):
                cost = abs(move.value)
                if move.location_id.usage == "customer":
                    cost = -cost  # a return: the goods and their cost come back
                returned = move.location_id.usage == "customer"
                policy = settlement.paid_record_ids.policy_id.filtered(
                    lambda p: p.goods_product_id == move.product_id)[:1] or settlement.paid_record_ids.policy_id[:1]
                product = move.product_id.with_company(settlement.company_id)
                label = self.env._("Goods rebate %(settlement)s: %(quantity)s %(product)s",
                                   settlement=settlement.name, quantity=move.quantity, product=product.display_name)
                # goods at no cost still owe the output VAT of a deemed sale on their price
                deemed = settlement._deemed_sale_tax_lines(policy, move, label, returned=returned)
                expense = cost - sum(line["balance"] for line in deemed)
                lines += [
                    Command.create(line) for line in (
                        signed_line(policy.expense_account_id, expense, name=label,
                                    partner_id=settlement.partner_id.id, product_id=product.id),
                        signed_line(product._get_product_accounts()["stock_valuation"], -cost,
                                    name=label, product_id=product.id),
                        *deemed,
                    ) if not settlement.currency_id.is_zero(line["balance"])
                ]
            lines += [Command.create(line) for line in settlement._goods_accrual_clearing()]
            if lines:
                vals_list.append(settlement._prepare_entry_vals(
                    lines, journal=settlement._goods_journal(), date=fields.Date.context_today(self)))
        if vals_list:
            self.env["account.move"].sudo().create(vals_list).action_post()

    def _goods_accrual_clearing(self):
        """Journal item values clearing the accrued goods rebates in step with what has reached
        the customer: the accrual times the share of the owed quantity delivered net of returns,
        less what earlier deliveries cleared. Until the goods leave, the company still owes them,
        so the month-end books keep the liability and its expense; a return puts them back."""
        self.ensure_one()
        accrued = defaultdict(float)
        for record in self._accrued_records():
            accrued[(record.accrual_account_id, record.accrual_expense_account_id,
                     record.policy_id.goods_product_id)] += record.amount
        if not accrued:
            return []
        moves = self.env["stock.move"].sudo().search([("rebate_settlement_id", "=", self.id)])
        out = moves.filtered(lambda m: m.location_dest_id.usage == "customer" and m.location_id.usage != "customer")
        back = moves.filtered(lambda m: m.location_id.usage == "customer" and m.location_dest_id.usage != "customer")
        documents = self.sudo().document_ids.filtered(lambda m: m.state == "posted")
        partner = self.partner_id.id
        lines = []
        for (accrual, expense, product), amount in accrued.items():
            owed = sum(out.filtered(lambda m: m.product_id == product and m.state != "cancel").mapped("product_qty"))
            delivered = sum(out.filtered(lambda m: m.product_id == product and m.state == "done").mapped("product_qty")) \
                - sum(back.filtered(lambda m: m.product_id == product and m.state == "done").mapped("product_qty"))
            share = min(max(delivered / owed, 0.0), 1.0) if owed else 0.0
            cleared = sum(documents.line_ids.filtered(
                lambda l: l.account_id == accrual and l.product_id == product).mapped("balance"))
            delta = self.currency_id.round(amount * share - cleared)
            if self.currency_id.is_zero(delta):
                continue
            label = self.env._("Accrued goods rebate of %(settlement)s cleared: %(share)s %% delivered",
                               settlement=self.name, share=formatLang(self.env, share * 100, digits=0))
            lines += [
                signed_line(accrual, delta, name=label, partner_id=partner, product_id=product.id),
                signed_line(expense, -delta, name=label, partner_id=partner, product_id=product.id),
            ]
        return lines

    def _deemed_sale_tax_lines(self, policy, stock_move, label, returned=False):
        """视同销售: the output tax on the goods' sales price, as journal item values (credit; debit
        for a return). The expense line carries the tax on top of the cost."""
        tax = policy.goods_output_tax_id
        if not tax:
            return []
        product = stock_move.product_id.with_company(self.company_id)
        base = self.currency_id.round(product.lst_price * stock_move.quantity)
        computed = tax.compute_all(base, currency=self.currency_id, product=product, partner=self.partner_id,
                                   handle_price_include=False)
        sign = 1 if returned else -1
        return [
            signed_line(self.env["account.account"].browse(tax_data["account_id"]), sign * tax_data["amount"],
                        name=self.env._("%(label)s, output VAT on %(base)s (deemed sale)", label=label, base=base),
                        partner_id=self.partner_id.id, tax_line_id=tax_data["id"],
                        tax_repartition_line_id=tax_data["tax_repartition_line_id"], tax_base_amount=base)
            for tax_data in computed["taxes"] if tax_data["account_id"] and not self.currency_id.is_zero(tax_data["amount"])
        ]

    def _deliver_goods(self):
        """Run the deliveries of the goods payouts and post their own entries."""
        entries = {}
        for settlement in self:
            settlement = settlement.with_company(settlement.company_id)
            quantities = settlement._goods_quantities()
            remainder = sum(rest for _quantity, rest in quantities.values())
            carried = settlement._carried_in()
            procurements = settlement._prepare_procurements(quantities)
            if procurements:
                self.env["stock.rule"].with_company(settlement.company_id).run(procurements)
            pickings = settlement.picking_ids
            pickings.move_ids.filtered(lambda m: m.state in ("confirmed", "partially_available"))._action_assign()
            settlement._write_internal({
                # the step that reaches the customer; with a multi-step route it is pushed later
                "picking_id": (pickings.filtered(lambda p: p.location_dest_id.usage == "customer") or pickings)[:1].id,
                "goods_remainder": remainder,
                "remainder_to_carry": settlement._policies()[:1].goods_remainder_mode == "carry"
                                      and settlement.currency_id.compare_amounts(remainder, 0) > 0,
                "carried_remainder": sum(carried.mapped("goods_remainder")),
            })
            carried._write_internal({"remainder_carried_to_id": settlement.id})
            entry = settlement._prepare_goods_entry_vals(remainder)
            if entry:
                entries[settlement] = entry
        if entries:
            moves = self.env["account.move"].create(list(entries.values()))
            moves.action_post()
            for settlement, move in zip(entries, moves):
                settlement._write_internal({"move_id": move.id})

    # ------------------------------------------------------------------ payout

    def _accrual_left(self, documents):
        """``{(accrual account, expense account): amount}`` of what the settlement's accrued
        records put on the accrual and its documents did not take off (a credit note whose tax is
        included in its price books less than the rebate on the accrual)."""
        self.ensure_one()
        left = defaultdict(float)
        for record in self._accrued_records():
            left[(record.accrual_account_id, record.accrual_expense_account_id)] += record.amount
        accounts = {account for account, _expense in left}
        cleared = defaultdict(float)
        for line in documents.line_ids.filtered(lambda l: l.account_id in accounts):
            cleared[line.account_id] += line.balance
        for (account, expense) in list(left):
            left[(account, expense)] -= cleared.pop(account, 0.0)
        return {key: amount for key, amount in left.items() if not self.currency_id.is_zero(amount)}

    def _post_accrual_clearing(self):
        vals_list, settlements = [], []
        for settlement in self.filtered(lambda s: s.method != "goods" and s.move_id):
            left = settlement._accrual_left(settlement.move_id)
            if not left:
                continue
            label = self.env._("Accrued rebates of %s cleared in full", settlement.name)
            partner = settlement.partner_id.id
            lines = []
            for (accrual, expense), amount in left.items():
                lines += [
                    Command.create(signed_line(accrual, amount, name=label, partner_id=partner)),
                    Command.create(signed_line(expense, -amount, name=label, partner_id=partner)),
                ]
            vals_list.append(settlement._prepare_entry_vals(lines, journal=settlement._goods_journal(), ref=label))
            settlements.append(settlement)
        if vals_list:
            moves = self.env["account.move"].create(vals_list)
            moves.action_post()
            for settlement, move in zip(settlements, moves):
                settlement._write_internal({"clearing_move_id": move.id})

    def action_done(self):
        """Create the documents of the payout: a posted credit note, a posted journal entry, a
        delivery of the free products through the warehouse's route, or (recovery) an invoice.
        All checks come first: nothing is half-written."""
        self._check_can_validate()
        for settlement in self.filtered(lambda s: s.method == "goods" and not s.is_recovery):
            settlement = settlement.with_company(settlement.company_id)
            settlement._check_goods_available(settlement._goods_quantities())
        documents = self.filtered(lambda s: s.method != "goods" or s.is_recovery)
        moves = self.env["account.move"]
        for company, settlements in documents.grouped("company_id").items():
            # one create for all the company's payouts: account.move batches its computations
            settlements = settlements.with_company(company)
            company_moves = self.env["account.move"].with_company(company).create(
                [settlement._prepare_document_vals() for settlement in settlements])
            for settlement, move in zip(settlements, company_moves):
                settlement._write_internal({"move_id": move.id})
            moves |= company_moves
        moves.action_post()
        documents._post_accrual_clearing()
        documents.filtered(lambda s: s.method == "discount" and not s.is_recovery)._credit_balances()
        (self - documents)._deliver_goods()
        self._write_internal({"state": "done"})
        self._keep_paid_records()
        self.record_ids.write({"state": "settled"})
        self._auto_notify()
        return True

    def _keep_paid_records(self):
        """Remember which records each payout paid (one INSERT for the batch, not a write per
        settlement): a cancellation takes the records back, the audit trail keeps them."""
        if not self:
            return
        self.flush_recordset(["record_ids"])
        self.env["rebate.record"].flush_model(["settlement_id"])
        self.env.cr.execute(SQL(
            """INSERT INTO rebate_settlement_paid_record_rel (settlement_id, record_id)
               SELECT settlement_id, id FROM rebate_record WHERE settlement_id IN %s
               ON CONFLICT DO NOTHING""", tuple(self.ids)))
        self.invalidate_recordset(["paid_record_ids"])

    def action_cancel(self):
        with lifted(SETTLEMENT_UNDO):
            result = self._action_cancel_undo()
        # a new payout of the same records is a new event
        self.write(self._notice_fields_reset())
        return result

    def _action_cancel_undo(self):
        """Undo the payout: reverse its entries or credit note, cancel its open transfers and
        return what was delivered, and put the records back to confirmed so they can be settled
        again. The settlement keeps what it paid and for which records."""
        for settlement in self:
            if settlement.state == "cancelled":
                continue
            carried_to = settlement.remainder_carried_to_id
            if carried_to.state == "done":
                raise UserError(self.env._(
                    "The part of %(settlement)s not given in goods was carried into %(later)s, which gave it: "
                    "cancel %(later)s first.", settlement=settlement.name, later=carried_to.name))
            taking_back = settlement.method == "discount" and not settlement.is_recovery and settlement.state == "done"
            if taking_back:
                settlement._check_balance_unused()
            to_reverse = (settlement.move_id | settlement.clearing_move_id).filtered(lambda m: m.state == "posted")
            for move in to_reverse:
                receivable = move.line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
                if any(line.reconciled or line.matched_debit_ids or line.matched_credit_ids for line in receivable):
                    raise UserError(self.env._(
                        "%(document)s of settlement %(settlement)s is already reconciled: unreconcile it "
                        "first, then cancel the settlement.", document=move.display_name, settlement=settlement.name))
            today = fields.Date.context_today(self)
            reversals = to_reverse._reverse_moves([
                {"ref": self.env._("Cancellation of %s", settlement.name), "date": today,
                 "invoice_date": today if move.is_invoice() else False, "rebate_settlement_id": settlement.id}
                for move in to_reverse
            ], cancel=True) if to_reverse else self.env["account.move"]
            (settlement.move_id | settlement.clearing_move_id).filtered(lambda m: m.state == "draft").button_cancel()
            if taking_back:
                settlement._take_back_balances(reversals.filtered(lambda m: m.reversed_entry_id == settlement.move_id))
            deliveries = settlement.picking_ids.filtered(
                lambda p: p.state == "done" and p.location_dest_id.usage == "customer" and not p.return_id)
            returns = self.env["stock.picking"]
            for picking in deliveries:
                returns |= settlement._return_picking(picking)
            settlement.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).action_cancel()
            self.search([("remainder_carried_to_id", "=", settlement.id)])._write_internal(
                {"remainder_carried_to_id": False})
            settlement._write_internal({
                "reversal_move_id": reversals.filtered(lambda m: m.reversed_entry_id == settlement.move_id)[:1].id
                                    or reversals[:1].id,
                "return_picking_id": returns[:1].id,
            })
        records = self.record_ids
        open_settlements = self.filtered(lambda s: s.state != "cancelled")
        open_settlements.filtered(lambda s: s.state == "done")._keep_paid_records()
        open_settlements._write_internal({"state": "cancelled"})
        records.write({"state": "confirmed", "settlement_id": False})
        return True

    def _return_picking(self, picking):
        """Return what the delivery gave and no return brought back yet (the warehouse may have
        returned part of it already)."""
        wizard = self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_ids=picking.ids, active_model="stock.picking").create({})
        left = 0.0
        for line in wizard.product_return_moves:
            returned = sum(line.move_id.returned_move_ids.filtered(lambda m: m.state == "done").mapped("quantity"))
            line.quantity = max(line.move_id.quantity - returned, 0.0)
            left += line.quantity
        if not left:
            return self.env["stock.picking"]
        returned = wizard._create_return()
        returned.action_confirm()
        returned.action_assign()
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
        returned.move_ids.picked = True
        returned.button_validate()
        return returned

    @api.readonly
    def action_view_move(self):
        self.ensure_one()
        return self.move_id._get_records_action(name=self.move_id.display_name) if self.move_id else False

    @api.readonly
    def action_view_documents(self):
        self.ensure_one()
        return self.document_ids._get_records_action(name=self.env._("Journal Entries of %s", self.name))

    @api.readonly
    def action_view_picking(self):
        self.ensure_one()
        pickings = self.sudo().picking_ids or self.sudo().picking_id
        if not pickings:
            return False
        action = pickings.with_env(self.env)._get_records_action(name=self.env._("Transfers of %s", self.name))
        if not self.env.user.has_group("stock.group_stock_user"):
            # an accountant has read access to transfers but not to all that the warehouse's own
            # form shows (packages and their history): a plain read-only view of the delivery
            views = {"list": "customer_rebate.stock_picking_view_list_rebate",
                     "form": "customer_rebate.stock_picking_view_form_rebate_readonly"}
            action["views"] = [(self.env.ref(views[kind]).id, kind) for _view, kind in action["views"]]
            action["context"] = {"create": False, "edit": False, "delete": False}
        return action

    # ---- Customer notices ------------------------------------------------------------------------
    # Customer notices: "rebate earned" when a record is confirmed, "rebate paid" when its settlement
    # is done. Each is posted in the chatter with the statement attached, once per event.

    policy_auto_notify = fields.Boolean(compute="_compute_policy_auto_notify")

    def _compute_policy_auto_notify(self):
        for settlement in self:
            settlement.policy_auto_notify = any(settlement.record_ids.policy_id.mapped("auto_notify"))

    def _notice_template(self):
        return self.env.ref("customer_rebate.mail_template_rebate_paid")

    def _sms_template(self):
        return self.env.ref("customer_rebate.sms_template_rebate_paid")

    def _notice_policies(self):
        return (self.record_ids or self.paid_record_ids).policy_id

    def _notice_ready(self):
        return self.state == "done"


    # ---- Ratings of a payout ---------------------------------------------------------------------
    # The customer rates a payout from the "rebate paid" notice: one click on a face, an
    #     optional comment, no login (rating's /rate/<token>/<score> pages). Ratings and comments land
    #     on the settlement and feed the policy's review.

    # a portal customer comments on their own statement (portal chatter): read access is enough
    _mail_post_access = "read"

    def _rating_get_partner(self):
        return self.partner_id.commercial_partner_id

    def _rating_url(self, score):
        """The link of one face in the notice (creates the rating token on first use)."""
        self.ensure_one()
        return f"{self.get_base_url()}/rate/{self._rating_get_access_token()}/{score}"

    # a payout is rated from the notice's faces (rating pages, with the rating's token); a rating
    # sent with each chatter post would give one customer as many ratings as posts: ignored here
    def _get_allowed_message_params(self):
        return super()._get_allowed_message_params() - {"rating_value"}

    def message_post(self, **kwargs):
        kwargs.pop("rating_value", None)
        return super().message_post(**kwargs)

    def _message_update_content(self, message, /, *, body, rating_value=None, **kwargs):
        return super()._message_update_content(message, body=body, **kwargs)
