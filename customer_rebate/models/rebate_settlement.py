from collections import defaultdict

from psycopg2.errors import LockNotAvailable

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, float_round, mute_logger

from ..engine import to_decimal

METHODS = [("credit_note", "Credit Note"), ("cash", "Cash"), ("goods", "Goods")]


def signed_line(account, amount, **values):
    """Journal item values putting ``amount`` on the debit side when positive, credit when negative."""
    return dict(values, account_id=account.id, debit=max(amount, 0.0), credit=max(-amount, 0.0))


class RebateSettlement(models.Model):
    _name = "rebate.settlement"
    _description = "Rebate Settlement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/", index="trigram")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    record_ids = fields.One2many("rebate.record", "settlement_id", string="Rebate Records", readonly=True)
    method = fields.Selection(METHODS, string="Payout As", required=True, readonly=True, tracking=True)
    amount = fields.Monetary(compute="_compute_amount", store=True, tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done"), ("cancelled", "Cancelled")],
        default="draft", required=True, readonly=True, copy=False, tracking=True, index=True)
    move_id = fields.Many2one("account.move", string="Accounting Document", readonly=True, copy=False,
                              check_company=True, index="btree_not_null")
    reversal_move_id = fields.Many2one("account.move", string="Reversal", readonly=True, copy=False,
                                       check_company=True)
    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True, copy=False,
                                 check_company=True, index="btree_not_null")
    return_picking_id = fields.Many2one("stock.picking", string="Return", readonly=True, copy=False,
                                        check_company=True)
    goods_remainder = fields.Monetary(
        string="Not Given in Goods", readonly=True, copy=False,
        help="The part of the rebate that whole units of the free product could not make up.")
    note = fields.Html(groups="customer_rebate.group_rebate_user")

    @api.depends("record_ids.amount")
    def _compute_amount(self):
        for settlement in self:
            settlement.amount = sum(settlement.record_ids.mapped("amount"))

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Rebate Statement %s", self.name)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("rebate.settlement") or "/"
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(settlement.state != "draft" for settlement in self):
            raise UserError(self.env._("Only draft settlements can be deleted; cancel the others."))

    def unlink(self):
        self.record_ids.write({"settlement_id": False})
        return super().unlink()

    # ------------------------------------------------------------------ creating settlements

    @api.model
    def _create_from_records(self, records, date=None):
        """One draft settlement per company, customer and payout method for confirmed records.
        Locks the records first, so that two users settling the same records at the same moment
        get one settlement and one clear error, never two payouts."""
        records = records.exists()
        if not records:
            raise UserError(self.env._("Select the rebate records to settle."))
        not_ready = records.filtered(lambda r: r.state != "confirmed" or r.settlement_id)
        if not_ready:
            raise UserError(self.env._(
                "Only confirmed records that are not in a settlement yet can be settled: %s.",
                ", ".join(not_ready[:5].mapped("display_name"))))
        records._lock_for_settlement()
        groups = defaultdict(lambda: self.env["rebate.record"])
        for record in records:
            groups[(record.company_id, record.partner_id, record.policy_id.settlement_method)] |= record
        settlements = self.create([
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "method": method,
                "date": date or fields.Date.context_today(self),
                "record_ids": [Command.set(group.ids)],
            }
            for (company, partner, method), group in groups.items()
        ])
        for settlement in settlements:
            if settlement.currency_id.compare_amounts(settlement.amount, 0) <= 0:
                raise UserError(self.env._(
                    "Nothing to pay to %(partner)s: the selected rebates add up to %(amount)s.",
                    partner=settlement.partner_id.display_name, amount=settlement.amount))
        return settlements

    # ------------------------------------------------------------------ validation

    def _policies(self):
        return self.record_ids.policy_id

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
        if self.method == "goods":
            if not policy.goods_product_id:
                raise UserError(self.env._("Policy %s pays out in goods but has no free product.", policy.display_name))
            return
        if not policy.journal_id:
            raise UserError(self.env._("Set the journal of policy %s before settling its rebates.", policy.display_name))
        wanted = "sale" if self.method == "credit_note" else "general"
        if policy.journal_id.type != wanted:
            raise UserError(self.env._(
                "Policy %(policy)s: %(method)s payouts need a %(type)s journal, not %(journal)s.",
                policy=policy.display_name,
                method=self.env._("credit note") if self.method == "credit_note" else self.env._("cash"),
                type=self.env._("sales") if wanted == "sale" else self.env._("miscellaneous"),
                journal=policy.journal_id.display_name))
        records = self.record_ids.filtered(lambda r: r.policy_id == policy)
        if any(not r.accrual_move_id for r in records) and not policy.expense_account_id:
            raise UserError(self.env._("Set the rebate expense account of policy %s before settling its rebates.",
                              policy.display_name))
        if self.method == "cash" and not self._receivable_account():
            raise UserError(self.env._("Customer %s has no receivable account in this company.",
                              self.partner_id.display_name))

    def _receivable_account(self):
        return self.partner_id.with_company(self.company_id).property_account_receivable_id

    def _debit_account(self, record):
        """The rebate is charged to the accrual when one was booked, else to the expense."""
        policy = record.policy_id
        return policy.accrual_account_id if record.accrual_move_id else policy.expense_account_id

    def _debit_lines(self):
        """``{(policy, account): amount}`` of what the payout charges."""
        self.ensure_one()
        amounts = defaultdict(float)
        for record in self.record_ids:
            amounts[(record.policy_id, self._debit_account(record))] += record.amount
        return amounts

    def _line_label(self, policy):
        records = self.record_ids.filtered(lambda r: r.policy_id == policy)
        periods = ", ".join(dict.fromkeys(records.sorted("date_start").mapped("period_label")))
        return self.env._("Rebate %(policy)s, %(periods)s", policy=policy.display_name, periods=periods)

    def _prepare_credit_note_vals(self):
        self.ensure_one()
        journal = self._policies()[:1].journal_id
        return {
            "move_type": "out_refund",
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
                    "price_unit": amount,
                    "tax_ids": [Command.set(policy.credit_note_tax_ids.ids)],
                })
                for (policy, account), amount in self._debit_lines().items()
            ],
        }

    def _prepare_cash_move_vals(self):
        self.ensure_one()
        journal = self._policies()[:1].journal_id
        partner = self.partner_id.id
        lines = [
            Command.create(signed_line(account, amount, name=self._line_label(policy), partner_id=partner))
            for (policy, account), amount in self._debit_lines().items()
        ]
        lines.append(Command.create(signed_line(
            self._receivable_account(), -self.amount, name=self.env._("Rebate %s", self.name), partner_id=partner)))
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "date": self.date,
            "ref": self.name,
            "rebate_settlement_id": self.id,
            "line_ids": lines,
        }

    def _goods_quantities(self):
        """``{product: (quantity, remainder)}``: whole units the rebate buys at the policy's price
        (rounded down to the unit of measure), or the fixed quantity of the tiers reached."""
        self.ensure_one()
        result = {}
        for policy in self._policies():
            records = self.record_ids.filtered(lambda r: r.policy_id == policy)
            product = policy.goods_product_id
            amount = sum(records.mapped("amount"))
            if policy.goods_quantity_mode == "fixed":
                quantity, remainder = sum(records.tier_id.mapped("goods_qty")), 0.0
            else:
                price = product.lst_price if policy.goods_quantity_mode == "sale_price" else product.standard_price
                if price <= 0:
                    raise UserError(self.env._(
                        "The free product %s has no price to turn the rebate into a quantity.",
                        product.display_name))
                # whole units of the product's unit of measure: a rebate never gives a fraction of a crate
                quantity = float_round(float(to_decimal(amount) / to_decimal(price)),
                                       precision_rounding=1.0, rounding_method="DOWN")
                remainder = self.currency_id.round(amount - quantity * price)
            previous = result.get(product, (0.0, 0.0))
            result[product] = (previous[0] + quantity, previous[1] + remainder)
        return result

    def _warehouse(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company_id.id)], limit=1)
        if not warehouse:
            raise UserError(self.env._("Company %s has no warehouse to deliver goods rebates from.",
                                       self.company_id.display_name))
        return warehouse

    def _prepare_picking_vals(self, quantities):
        self.ensure_one()
        picking_type = self._warehouse().out_type_id
        source = picking_type.default_location_src_id
        destination = self.partner_id.with_company(self.company_id).property_stock_customer
        return {
            "picking_type_id": picking_type.id,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": self.name,
            "rebate_settlement_id": self.id,
            "move_ids": [
                Command.create({
                    "product_id": product.id,
                    "product_uom_qty": quantity,
                    "product_uom": product.uom_id.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                })
                for product, (quantity, _remainder) in quantities.items() if quantity > 0
            ],
        }

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

    def action_done(self):
        """Create the documents of the payout: a posted credit note, a posted journal entry, or an
        outgoing delivery of the free products. All checks come first: nothing is half-written."""
        self._check_can_validate()
        for settlement in self:
            settlement = settlement.with_company(settlement.company_id)
            if settlement.method == "goods":
                quantities = settlement._goods_quantities()
                settlement._check_goods_available(quantities)
        moves = self.env["account.move"]
        for company, settlements in self.filtered(lambda s: s.method != "goods").grouped("company_id").items():
            # one create for all the company's payouts: account.move batches its computations
            settlements = settlements.with_company(company)
            company_moves = self.env["account.move"].with_company(company).create([
                settlement._prepare_credit_note_vals() if settlement.method == "credit_note"
                else settlement._prepare_cash_move_vals()
                for settlement in settlements
            ])
            for settlement, move in zip(settlements, company_moves):
                settlement.move_id = move
            moves |= company_moves
        moves.action_post()
        for settlement in self.filtered(lambda s: s.method == "goods"):
            settlement = settlement.with_company(settlement.company_id)
            quantities = settlement._goods_quantities()
            picking = self.env["stock.picking"].with_company(settlement.company_id).create(
                settlement._prepare_picking_vals(quantities))
            picking.action_confirm()
            picking.action_assign()
            settlement.write({
                "picking_id": picking.id,
                "goods_remainder": sum(remainder for _quantity, remainder in quantities.values()),
            })
        self.write({"state": "done"})
        self.record_ids.write({"state": "settled"})
        return True

    def action_cancel(self):
        """Undo the payout: reverse the entry or credit note, cancel or return the delivery, and
        put the records back to confirmed so they can be settled again."""
        for settlement in self:
            if settlement.state == "cancelled":
                continue
            move = settlement.move_id
            if move.state == "posted":
                receivable = move.line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
                if any(line.reconciled or line.matched_debit_ids or line.matched_credit_ids for line in receivable):
                    raise UserError(self.env._(
                        "%(document)s of settlement %(settlement)s is already reconciled: unreconcile it "
                        "first, then cancel the settlement.", document=move.display_name, settlement=settlement.name))
                settlement.reversal_move_id = move._reverse_moves(
                    [{"ref": self.env._("Cancellation of %s", settlement.name), "date": fields.Date.context_today(self),
                      "invoice_date": fields.Date.context_today(self) if move.is_invoice() else False}],
                    cancel=True)
            elif move.state == "draft":
                move.button_cancel()
            picking = settlement.picking_id
            if picking.state == "done":
                settlement.return_picking_id = settlement._return_picking(picking)
            elif picking and picking.state != "cancel":
                picking.action_cancel()
        records = self.record_ids
        self.write({"state": "cancelled"})
        records.write({"state": "confirmed", "settlement_id": False})
        return True

    def _return_picking(self, picking):
        wizard = self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_ids=picking.ids, active_model="stock.picking").create({})
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        returned = wizard._create_return()
        returned.action_confirm()
        returned.action_assign()
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
        returned.move_ids.picked = True
        returned.button_validate()
        return returned

    def action_view_move(self):
        self.ensure_one()
        return self.move_id._get_records_action(name=self.move_id.display_name) if self.move_id else False

    def action_view_picking(self):
        self.ensure_one()
        return self.picking_id._get_records_action(name=self.picking_id.display_name) if self.picking_id else False


class RebateRecordSettlement(models.Model):
    _inherit = "rebate.record"

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

    def _lock_for_settlement(self):
        """Row locks on the records, taken without waiting: a second user settling the same
        records at the same moment is told so at once, instead of paying them twice."""
        self.flush_recordset(["settlement_id"])
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    "SELECT id FROM rebate_record WHERE id IN %s AND settlement_id IS NULL FOR UPDATE NOWAIT",
                    tuple(self.ids)))
                locked = {row[0] for row in self.env.cr.fetchall()}
        except LockNotAvailable:
            locked = set()
        if locked != set(self.ids):
            raise UserError(self.env._(
                "Some of these rebates are being settled by someone else right now, or were just settled. "
                "Reload the list and try again."))

    def action_settle(self):
        """One draft settlement per customer (and payout method) for the selected confirmed records."""
        settlements = self.env["rebate.settlement"]._create_from_records(self)
        return settlements._get_records_action(name=self.env._("Rebate Settlements"))

    # ------------------------------------------------------------------ accruals

    def action_confirm(self):
        result = super().action_confirm()
        self._post_accruals()
        return result

    def _post_accruals(self):
        """Debit the rebate expense, credit the accrued rebates: one entry per policy for the
        records just confirmed, one line pair per customer."""
        to_accrue = self.filtered(lambda r: r.policy_id.accrual_account_id and r.amount and not r.accrual_move_id)
        moves_by_policy = {}
        for policy in to_accrue.policy_id:
            records = to_accrue.filtered(lambda r: r.policy_id == policy)
            if not policy.journal_id or not policy.expense_account_id:
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
            moves_by_policy[policy] = {
                "move_type": "entry",
                "journal_id": policy.journal_id.id,
                "company_id": policy.company_id.id,
                "date": max(records.mapped("date_end")),
                "ref": self.env._("Rebate accrual %s", policy.display_name),
                "line_ids": lines,
            }
        if not moves_by_policy:
            return
        moves = self.env["account.move"].create(list(moves_by_policy.values()))
        moves.action_post()
        for policy, move in zip(moves_by_policy, moves):
            to_accrue.filtered(lambda r: r.policy_id == policy).accrual_move_id = move

    def action_cancel(self):
        in_settlement = self.filtered(lambda r: r.settlement_id and r.settlement_id.state == "draft")
        if in_settlement:
            raise UserError(self.env._(
                "%s is in a draft settlement: delete or cancel that settlement first.",
                in_settlement[0].display_name))
        accrued = self.filtered(lambda r: r.accrual_move_id and not r.accrual_reversal_move_id)
        result = super().action_cancel()
        accrued._reverse_accruals()
        return result

    def _reverse_accruals(self):
        """An entry of its own per cancelled record: the policy's accrual entry holds other
        customers' accruals, which stay."""
        vals_list = []
        for record in self:
            policy = record.policy_id
            label = self.env._("Reversal of accrued rebate %s", record.display_name)
            vals_list.append({
                "move_type": "entry",
                "journal_id": record.accrual_move_id.journal_id.id,
                "company_id": record.company_id.id,
                "date": fields.Date.context_today(self),
                "ref": label,
                "line_ids": [
                    Command.create(signed_line(policy.accrual_account_id, record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                    Command.create(signed_line(policy.expense_account_id, -record.amount, name=label,
                                               partner_id=record.partner_id.id)),
                ],
            })
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        for record, move in zip(self, moves):
            record.accrual_reversal_move_id = move

    def action_draft(self):
        if self.filtered("accrual_move_id") - self.filtered("accrual_reversal_move_id"):
            raise UserError(self.env._(
                "A rebate with a booked accrual cannot go back to estimate: cancel it first, which reverses the accrual."))
        self.write({"accrual_move_id": False, "accrual_reversal_move_id": False})
        return super().action_draft()
