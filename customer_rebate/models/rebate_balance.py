# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class RebateBalance(models.Model):
    """返利余额: what a customer may still use as discount on later orders under one policy, in one
    company. ``amount`` is the running total of its ledger lines, kept by the database check from
    going below zero: two orders using the same balance at the same moment cannot both succeed."""

    _name = "rebate.balance"
    _description = "Rebate Balance"
    _order = "partner_id, policy_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    policy_id = fields.Many2one("rebate.policy", required=True, readonly=True, index=True, ondelete="restrict",
                                check_company=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    account_id = fields.Many2one(
        "account.account", string="Rebates Owed Account", readonly=True, check_company=True,
        groups="customer_rebate.group_rebate_user",
        help="The liability this balance is booked on, kept from its first payout: a change of the "
             "policy's account later does not split what is owed over two accounts.")
    expense_account_id = fields.Many2one(
        "account.account", readonly=True, check_company=True, groups="customer_rebate.group_rebate_user",
        help="Where what expires goes back.")
    amount = fields.Monetary(string="Balance", readonly=True, default=0.0,
                             help="Untaxed amount the customer can still use.")
    line_ids = fields.One2many("rebate.balance.line", "balance_id", string="Ledger")

    _partner_policy_unique = models.Constraint(
        "UNIQUE(partner_id, policy_id)", "A customer has one rebate balance per policy.")
    _amount_not_negative = models.Constraint(
        "CHECK(amount >= 0)", "A rebate balance cannot go below zero.")

    @api.depends("partner_id", "policy_id")
    def _compute_display_name(self):
        for balance in self:
            balance.display_name = f"{balance.partner_id.display_name} · {balance.policy_id.display_name}"

    @api.model
    def _get_or_create(self, partner, policy):
        balance = self.search([("partner_id", "=", partner.id), ("policy_id", "=", policy.id)])
        return balance or self.create({
            "partner_id": partner.id, "policy_id": policy.id, "account_id": policy.balance_account_id.id,
            "expense_account_id": policy.expense_account_id.id,
        })

    def _lock(self):
        """Row locks without waiting: a second order using the same balance at the same moment is
        told so at once. A lock taken after the first one committed fails on the update instead
        (repeatable read), and Odoo retries the request on the new balance."""
        locked = self.try_lock_for_update()
        if locked != self:
            raise UserError(self.env._(
                "The rebate balance of %s is being used by another order right now: try again in a moment.",
                (self - locked)[0].partner_id.display_name))

    def _add_lines(self, vals_list):
        """Write ledger lines and move each balance's running total by their amounts, in one UPDATE."""
        lines = self.env["rebate.balance.line"].sudo().create(vals_list)
        self.env.flush_all()
        totals = {}
        for line in lines:
            totals[line.balance_id.id] = totals.get(line.balance_id.id, 0.0) + line.amount
        self.env.cr.execute(SQL(
            "UPDATE rebate_balance b SET amount = COALESCE(b.amount, 0) + v.delta, write_date = NOW() AT TIME ZONE 'UTC' "
            "FROM (VALUES %s) AS v(id, delta) WHERE b.id = v.id",
            SQL(", ").join(SQL("(%s, %s::numeric)", balance_id, delta) for balance_id, delta in totals.items())))
        self.browse(totals).invalidate_recordset(["amount"])
        return lines

    def _expiring_amounts(self, day):
        """``{balance id: amount}``: what is left, on ``day``, of the credits that expire by then.

        Use is taken from the credits that expire soonest (those without an expiry last), and an
        expiry line is use of the credits it expired: so a credit's remainder is what the use did
        not reach, and nothing expires twice. Use and expiries come from one aggregate whatever the
        ledger's length; credits are one line per payout, their payout not cancelled."""
        if not self.ids:
            return {}
        self.env["rebate.balance.line"].flush_model(
            ["balance_id", "kind", "amount", "expiry_date", "date", "settlement_id"])
        self.env.cr.execute(SQL(
            """SELECT balance_id, -SUM(amount) FROM rebate_balance_line
                WHERE balance_id IN %s AND kind IN ('used', 'restored', 'expired') GROUP BY balance_id""",
            tuple(self.ids)))
        consumed = {balance_id: float(amount) for balance_id, amount in self.env.cr.fetchall()}
        self.env.cr.execute(SQL(
            """SELECT credit.balance_id, credit.expiry_date, credit.amount FROM rebate_balance_line credit
                WHERE credit.balance_id IN %s AND credit.kind = 'earned'
                  AND NOT EXISTS (SELECT 1 FROM rebate_balance_line cancel
                                   WHERE cancel.kind = 'reversed' AND cancel.balance_id = credit.balance_id
                                     AND cancel.settlement_id = credit.settlement_id)
                ORDER BY credit.balance_id, credit.expiry_date NULLS LAST, credit.date, credit.id""",
            tuple(self.ids)))
        result = dict.fromkeys(self.ids, 0.0)
        for balance_id, expiry_date, amount in self.env.cr.fetchall():
            taken = min(consumed.get(balance_id, 0.0), float(amount))
            consumed[balance_id] = consumed.get(balance_id, 0.0) - taken
            if expiry_date and expiry_date <= day:
                result[balance_id] += float(amount) - taken
        return {balance_id: self.browse(balance_id).currency_id.round(amount) for balance_id, amount in result.items()}

    def _available(self, day=None):
        """What the balance can still be used for on ``day`` (what expires by then excluded)."""
        self.ensure_one()
        expiring = self._expiring_amounts(day or fields.Date.context_today(self)).get(self.id, 0.0)
        return self.currency_id.round(self.amount - expiring)

    def _expire(self, day=None):
        """Take back what expired: a ledger line and an entry that returns the liability to the
        expense (what is left of a rebate after its validity is no longer owed)."""
        day = day or fields.Date.context_today(self)
        vals_list, entries = [], []
        expiring = self._expiring_amounts(day)
        for balance in self:
            amount = expiring.get(balance.id, 0.0)
            if balance.currency_id.is_zero(amount):
                continue
            policy = balance.policy_id
            label = self.env._("Rebate balance of %(partner)s expired (%(policy)s)",
                               partner=balance.partner_id.display_name, policy=policy.display_name)
            entries.append((balance, {
                "move_type": "entry",
                "journal_id": policy._misc_journal().id,
                "company_id": balance.company_id.id,
                "partner_id": balance.partner_id.id,
                "date": day,
                "ref": label,
                "line_ids": [
                    fields.Command.create({"account_id": balance.account_id.id, "name": label,
                                           "partner_id": balance.partner_id.id, "balance": amount}),
                    fields.Command.create({"account_id": balance.expense_account_id.id, "name": label,
                                           "partner_id": balance.partner_id.id, "balance": -amount}),
                ],
            }))
            vals_list.append({"balance_id": balance.id, "kind": "expired", "amount": -amount, "date": day,
                              "name": label})
        if not vals_list:
            return
        moves = self.env["account.move"].sudo().create([vals for _balance, vals in entries])
        moves.action_post()
        for vals, move in zip(vals_list, moves):
            vals["move_id"] = move.id
        self._add_lines(vals_list)

    @api.model
    def _cron_expire_balances(self):
        today = fields.Date.context_today(self)
        candidates = self.env["rebate.balance.line"].search(
            [("kind", "=", "earned"), ("expiry_date", "<=", today), ("balance_id.amount", ">", 0)]).balance_id
        for company, balances in candidates.grouped("company_id").items():
            balances.with_company(company)._expire(today)

    @staticmethod
    def _expiry_date(policy, day):
        if not policy.balance_validity_months:
            return False
        return fields.Date.to_date(day) + relativedelta(months=policy.balance_validity_months)
