# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Long random sequences of sales, credit notes, computations and payouts keep the books right.

Each seed drives one company with four policies at once (cash with an accrual; credit note with a
sales tax, for tagged customers; goods with an accrual, for one product, its remainder carried or
paid in cash; rebate balance, for two customers) through invoices, credit notes on old periods,
computations, confirmations, settlements, deliveries, cancellations, recoveries, record
cancellations and policy revisions, moving "today" across 2026 into 2027 so periods close. After
every step the books are checked against figures worked out here, independently of the addon's own
computation (no call to ``_compute_period_bases`` or the engine):

1. rebates follow the true base: per policy version, customer and period, the records add up to
   the tier function of the posted sales (an SQL aggregate over invoice lines);
2. a record is paid at most once, and done settlements add up to the records they settled; a
   customer-period is payable under one version only;
3. each accrual account holds exactly the accruals of the confirmed, unpaid records;
4. the expense each payout books is its rebate (cash, credit note, balance, recovery) or the cost
   of the goods delivered (goods), and each expense account adds up to that;
5. every entry on a rebate account is a settlement's document or a record's accrual, and every
   document of a settlement links back to it;
6. no payout document is ever part of a base;
and goods given are worth the rebates paid in goods, balances hold what balance payouts put in.

A failure names the seed, the step and the operations so far; replay with
``REBATE_INVARIANT_SEED=<seed>`` (several: ``REBATE_INVARIANT_SEED=1,2,3``).
"""

import os
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RebateCommon

SEEDS = (2, 5, 7)
STEPS = 50
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2027, 6, 30)
# small thresholds, so that a few invoices cross a tier and a credit note falls back below it
TIERS = ((10000.0, 2.0), (30000.0, 5.0))
REVISED_TIERS = ((10000.0, 3.0), (30000.0, 6.0))
FREE_PRICE, FREE_COST = 70.0, 40.0
CENT = Decimal("0.01")

# how often each operation is drawn (when it can run at all)
WEIGHTS = {
    "invoice": 24, "refund": 12, "compute": 14, "confirm": 12, "settle": 16, "deliver": 8,
    "cancel_settlement": 8, "recover": 6, "revise": 2, "cancel_record": 3,
}


def quarter_start(day):
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day):
    start = quarter_start(day)
    month = start.month + 3
    return date(start.year + (month > 12), (month - 1) % 12 + 1, 1) - timedelta(days=1)


def version_period(version, day):
    """The calendar quarter holding ``day`` clipped to the version's dates (as the design says)."""
    start = max(quarter_start(day), version.date_start)
    end = quarter_end(day) if not version.date_end else min(quarter_end(day), version.date_end)
    return start, end


def tier_amount(base, tiers):
    """The rule, written out: the rate of the highest threshold the base reaches, on the whole
    base, rounded half-up to the cent; nothing below the first threshold (or for a negative base)."""
    base = Decimal(repr(round(base, 2)))
    rate = None
    for threshold, tier_rate in sorted(tiers):
        if base >= Decimal(repr(threshold)):
            rate = Decimal(repr(tier_rate))
    if rate is None:
        return Decimal(0)
    return (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


class Refused(Exception):
    """An operation the addon legitimately refused (rolled back, logged as such)."""


class Run:
    """What one seed's run knows: the random source, today, the log, the policy lines (all
    versions of one policy), the tiers each version was given, the sales documents posted and
    whether each line's records were computed after the last change to its sales."""

    def __init__(self, seed, lines, tiers):
        self.seed = seed
        self.rng = Random(seed)
        self.today = date(2026, 1, 10)
        self.step = -1
        self.ops = []
        self.lines = {name: [policy] for name, policy in lines.items()}
        self.tiers = {policy.id: tiers for policy in lines.values()}
        self.clean = dict.fromkeys(lines, False)
        self.sales = []  # dicts: partner, product, day, amount (negative: credit note), refundable
        self.revisions = 0

    def versions(self):
        return [version for versions in self.lines.values() for version in versions]


@tagged("post_install", "-at_install")
class TestBooksInvariants(RebateCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Account = cls.env["account.account"]
        # accounts of their own, so that every line on them is a rebate's and balances are exact
        cls.expense_accounts = {
            name: Account.create({"code": f"REBX{index}", "name": f"Rebates {name}", "account_type": "expense"})
            for index, name in enumerate(("cash", "credit_note", "goods", "discount"), start=1)
        }
        cls.accrual_accounts = {
            name: Account.create({"code": f"REBA{index}", "name": f"Accrued rebates {name}",
                                  "account_type": "liability_current"})
            for index, name in enumerate(("cash", "goods"), start=1)
        }
        cls.balance_account = Account.create({"code": "REBB1", "name": "Rebates owed to customers",
                                              "account_type": "liability_current"})
        # what a payout costs lands on these: the expense, or the accrual booked for it
        cls.cost_accounts = Account.union(*cls.expense_accounts.values(), *cls.accrual_accounts.values())
        cls.rebate_accounts = cls.cost_accounts | cls.balance_account

        cls.customer_c = cls.env["res.partner"].create({"name": "Customer C", "is_company": True})
        cls.contact_c = cls.env["res.partner"].create({"name": "Buyer at C", "parent_id": cls.customer_c.id})
        (cls.customer_b | cls.customer_c).category_id = [Command.link(cls.customer_tag.id)]
        # sales to the contact count for its company
        cls.buyers = [cls.customer_a, cls.customer_b, cls.customer_c, cls.contact_c]
        cls.taxed_goods = cls._create_product(name="Taxed goods", lst_price=100.0,
                                              taxes_id=[Command.set(cls.tax_sale_a.ids)])
        cls.sold_products = [cls.goods, cls.taxed_goods]
        cls.free_product = cls._create_product(
            name="Free crate", is_storable=True, lst_price=FREE_PRICE, standard_price=FREE_COST)
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.free_product, warehouse.lot_stock_id, 100000.0)

        cls.base_policies = {
            "cash": cls.create_policy(
                TIERS, name="Cash rebate", settlement_method="cash",
                expense_account_id=cls.expense_accounts["cash"].id,
                accrual_account_id=cls.accrual_accounts["cash"].id),
            "credit_note": cls.create_policy(
                TIERS, name="Credit note rebate", settlement_method="credit_note",
                journal_id=cls.company_data["default_journal_sale"].id,
                expense_account_id=cls.expense_accounts["credit_note"].id,
                credit_note_tax_ids=[Command.set(cls.tax_sale_a.ids)],
                partner_category_ids=[Command.set(cls.customer_tag.ids)]),
            "goods": cls.create_policy(
                TIERS, name="Goods rebate", settlement_method="goods",
                expense_account_id=cls.expense_accounts["goods"].id,
                accrual_account_id=cls.accrual_accounts["goods"].id,
                goods_product_id=cls.free_product.id, goods_quantity_mode="sale_price",
                goods_remainder_mode="carry", product_ids=[Command.set(cls.goods.ids)]),
            "discount": cls.create_policy(
                TIERS, name="Balance rebate", settlement_method="discount",
                expense_account_id=cls.expense_accounts["discount"].id,
                balance_account_id=cls.balance_account.id,
                partner_ids=[Command.set((cls.customer_a | cls.customer_c).ids)]),
        }
        for policy in cls.base_policies.values():
            policy.action_activate()

    # ------------------------------------------------------------------ the driver

    def test_random_operations_keep_the_books_right(self):
        replay = os.environ.get("REBATE_INVARIANT_SEED")
        for seed in ([int(seed) for seed in replay.split(",")] if replay else SEEDS):
            with self.subTest(seed=seed):
                # every seed starts from the same fixtures: its changes are rolled back after it
                savepoint = self.env.cr.savepoint()
                try:
                    self.run_seed(seed)
                finally:
                    savepoint.close(rollback=True)

    def run_seed(self, seed):
        run = Run(seed, self.base_policies, TIERS)
        # the part of a goods rebate that whole units cannot make up: carried, or paid in cash
        remainder_mode = run.rng.choice(("carry", "cash"))
        self.base_policies["goods"].goods_remainder_mode = remainder_mode
        run.ops.append(f"-- goods remainder: {remainder_mode}")
        operations = {name: getattr(self, f"op_{name}") for name in WEIGHTS}
        for step in range(STEPS):
            run.step = step
            run.today = min(run.today + timedelta(days=run.rng.randint(0, 18)), LAST_DAY)
            names = list(WEIGHTS)
            with freeze_time(f"{run.today} 12:00:00"):
                while True:
                    name = run.rng.choices(names, [WEIGHTS[n] for n in names])[0]
                    try:
                        entry = operations[name](run)
                    except Refused as refusal:
                        entry = f"{name}: refused ({refusal})"
                    except Exception as error:
                        raise AssertionError(self.replay(run, f"{name} failed: {error!r}")) from error
                    if entry is not None:
                        break
                    names.remove(name)  # nothing to do it on now: draw another operation
                run.ops.append(f"{step:02d} {run.today} {entry}")
                try:
                    self.check_books(run)
                except AssertionError as error:
                    raise AssertionError(self.replay(run, f"invariant broken: {error}")) from None

    def replay(self, run, message):
        return (f"seed={run.seed} step={run.step} (replay with REBATE_INVARIANT_SEED={run.seed}) "
                f"ops=\n  " + "\n  ".join(run.ops) + f"\n{message}")

    def attempt(self, action, refusal=None):
        """Run ``action`` in a savepoint. A UserError matching ``refusal`` (a regex) is the addon
        refusing on purpose: rolled back and raised as Refused. Any other error is a failure."""
        try:
            with self.env.cr.savepoint():
                return action()
        except UserError as error:
            if refusal and re.search(refusal, str(error)):
                raise Refused(str(error).splitlines()[0]) from None
            raise

    # ------------------------------------------------------------------ operations

    def all_versions(self, run):
        return self.env["rebate.policy"].union(*run.versions())

    def line_of(self, run, policy):
        return next(name for name, versions in run.lines.items() if policy in versions)

    def op_invoice(self, run):
        rng = run.rng
        partner = rng.choice(self.buyers)
        product = rng.choice(self.sold_products)
        # mostly the current quarter, sometimes an earlier one (already closed, maybe paid)
        start = quarter_start(run.today) if rng.random() < 0.7 else FIRST_DAY
        day = start + timedelta(days=rng.randint(0, (run.today - start).days))
        amount = rng.randrange(200000, 2500000) / 100
        self.invoice(partner, day, lines=[(product, 1.0, amount)])
        run.sales.append({"partner": partner, "product": product, "day": day, "amount": amount,
                          "refundable": amount})
        run.clean = dict.fromkeys(run.clean, False)
        return f"invoice {partner.name} {day} {amount:.2f} {product.name}"

    def op_refund(self, run):
        rng = run.rng
        candidates = [sale for sale in run.sales if sale["refundable"] >= 1.0]
        if not candidates:
            return None
        sale = rng.choice(candidates)
        amount = round(sale["refundable"] * rng.choice((0.1, 0.25, 0.5, 1.0)), 2)
        # most credit notes fall in the sale's own period, even one already confirmed or paid
        last = min(quarter_end(sale["day"]), run.today) if rng.random() < 0.6 else run.today
        day = sale["day"] + timedelta(days=rng.randint(0, (last - sale["day"]).days))
        self.refund(sale["partner"], day, lines=[(sale["product"], 1.0, amount)])
        sale["refundable"] = round(sale["refundable"] - amount, 2)
        run.sales.append({"partner": sale["partner"], "product": sale["product"], "day": day,
                          "amount": -amount, "refundable": 0.0})
        run.clean = dict.fromkeys(run.clean, False)
        return f"refund {sale['partner'].name} {day} {amount:.2f} of the sale of {sale['day']}"

    def op_compute(self, run):
        draw = run.rng.random()
        if draw < 0.2:
            # the daily run: every active policy
            failed = self.env["rebate.policy"]._cron_compute_rebates()
            self.assertFalse(failed, f"the daily computation failed for {failed.mapped('display_name')}")
            run.clean = dict.fromkeys(run.clean, True)
            return "compute (daily run)"
        names = [run.rng.choice(sorted(run.lines))] if draw < 0.45 else sorted(run.lines)
        done = []
        for name in names:
            versions = self.env["rebate.policy"].union(*run.lines[name])
            versions.filtered(lambda p: p.state == "active").action_compute()
            # A user asks every version of the policy to compute, so that late sales and credit
            # notes in a closed version's periods are taken in, however the addon chooses to do it.
            for version in versions.filtered(lambda p: p.state != "active"):
                try:
                    self.attempt(version.action_compute, refusal="Only active policies compute")
                except Refused:
                    done.append(f"{version.display_name} refused (closed)")
            run.clean[name] = True
            done.append(name)
        return f"compute {', '.join(done)}"

    def op_confirm(self, run):
        drafts = self.env["rebate.record"].search([
            ("policy_id", "in", self.all_versions(run).ids), ("state", "=", "draft"),
            ("date_end", "<", run.today)], order="id")
        if not drafts:
            return None
        chosen = drafts.filtered(lambda r: run.rng.random() < 0.7) or drafts[0]
        chosen.action_confirm()
        return f"confirm {chosen.ids}"

    def op_settle(self, run):
        rng = run.rng
        candidates = self.env["rebate.record"].search([
            ("policy_id", "in", self.all_versions(run).ids), ("state", "=", "confirmed"),
            ("settlement_id", "=", False)], order="id")
        if not candidates:
            return None
        if rng.random() < 0.4:
            partner = rng.choice(list(candidates.partner_id))
            chosen = candidates.filtered(lambda r: r.partner_id == partner)
        else:
            chosen = candidates.filtered(lambda r: rng.random() < 0.5) or candidates[-1]
        # What the rule says: what a customer owes back under the same policy (negative
        # adjustments) is netted in; a group (customer, payout method, journal, and the policy for
        # goods) is paid when it comes out positive, and left alone otherwise.
        pairs = {(record.partner_id, record.policy_id) for record in chosen}
        netted = chosen | candidates.filtered(lambda r: r.amount < 0 and (r.partner_id, r.policy_id) in pairs)
        groups = defaultdict(float)
        for record in netted:
            policy = record.policy_id
            groups[(record.partner_id.id, policy.settlement_method, policy.journal_id.id,
                    policy.id if policy.settlement_method == "goods" else None)] += record.amount
        payable = any(self.env.company.currency_id.compare_amounts(total, 0) > 0 for total in groups.values())

        def settle():
            settlements = self.env["rebate.settlement"]._create_from_records(chosen)
            settlements.action_done()
            return settlements

        try:
            settlements = self.attempt(settle, refusal=None if payable else "Nothing to pay")
        except Refused:
            return f"settle {chosen.ids}: refused, nothing to pay (expected)"
        self.assertTrue(payable, f"settling {chosen.ids} should have been refused: the groups net to {dict(groups)}")
        return f"settle {chosen.ids} -> {[(s.id, s.method, s.amount) for s in settlements]}"

    def op_deliver(self, run):
        pickings = self.env["stock.picking"].search([
            ("rebate_settlement_id.state", "=", "done"), ("state", "not in", ("done", "cancel")),
            ("location_dest_id.usage", "=", "customer")], order="id")
        if not pickings:
            return None
        picking = run.rng.choice(list(pickings))
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        result = picking.button_validate()
        self.assertEqual(picking.state, "done", f"validating {picking.name} returned {result}")
        return f"deliver {picking.name} of settlement {picking.rebate_settlement_id.id}"

    def op_cancel_settlement(self, run):
        done = self.env["rebate.settlement"].search([
            ("record_ids.policy_id", "in", self.all_versions(run).ids), ("state", "=", "done")], order="id")
        if not done:
            return None
        settlement = run.rng.choice(list(done))
        # refused on purpose: a goods payout whose remainder a later payout already gave, or a
        # balance payout that orders already used
        self.attempt(settlement.action_cancel, refusal="carried into .* cancel .* first|already used part of the balance")
        return f"cancel settlement {settlement.id} ({settlement.method}, {settlement.amount})"

    def op_recover(self, run):
        negatives = self.env["rebate.record"].search([
            ("policy_id", "in", self.all_versions(run).ids), ("state", "=", "confirmed"),
            ("settlement_id", "=", False), ("amount", "<", 0)], order="id")
        if not negatives:
            return None
        partner = run.rng.choice(list(negatives.partner_id))
        chosen = negatives.filtered(lambda r: r.partner_id == partner)
        chosen = chosen.filtered(lambda r: run.rng.random() < 0.7) or chosen[0]
        action = chosen.action_recover()
        settlements = self.env["rebate.settlement"].browse(
            [action["res_id"]] if action.get("res_id") else action["domain"][0][2])
        settlements.action_done()
        return f"recover {chosen.ids} -> {[(s.id, s.amount) for s in settlements]}"

    def op_revise(self, run):
        if run.revisions >= 2 or run.today < date(2026, 4, 1):
            return None
        name = run.rng.choice(sorted(run.lines))
        current = run.lines[name][-1]
        if current.state != "active" or current.date_start > run.today:
            return None
        # the default takes over at the start of the current quarter; sometimes from the next
        # quarter, or from today (splitting the quarter between the two versions)
        date_from = run.rng.choices(
            [None, quarter_end(run.today) + timedelta(days=1), run.today], [6, 2, 2])[0]
        tiers = REVISED_TIERS if run.tiers[current.id] == TIERS else TIERS

        def revise():
            action = current.action_revise(date_from=date_from)
            revision = self.env["rebate.policy"].browse(action["res_id"])
            for tier, (threshold, rate) in zip(revision.tier_ids.sorted(lambda t: (t.sequence, t.id)), tiers):
                tier.write({"threshold": threshold, "rate": rate})
            revision.action_activate()
            return revision

        # refused on purpose: a version with confirmed records after the day it would end, or a
        # revision that would split a period between two versions
        revision = self.attempt(revise, refusal="cannot end on|takes over at the start of a period")
        run.revisions += 1
        run.lines[name].append(revision)
        run.tiers[revision.id] = tiers
        run.clean[name] = False  # the new version has not computed yet
        return (f"revise {name} from {revision.date_start} at {tiers}: "
                f"{current.display_name} ends {current.date_end}, {current.state}")

    def op_cancel_record(self, run):
        Record = self.env["rebate.record"]
        confirmed = Record.search([
            ("policy_id", "in", self.all_versions(run).ids), ("state", "=", "confirmed"),
            ("settlement_id", "=", False)], order="id")
        # An adjustment may be waived on its own. A period's own record is only cancelled while it
        # stands alone: cancelling it under standing adjustments has no defined meaning here.
        candidates = confirmed.filtered(lambda r: r.revision or Record.search_count([
            ("policy_id", "=", r.policy_id.id), ("partner_id", "=", r.partner_id.id),
            ("date_start", "=", r.date_start)]) == 1)
        if not candidates:
            return None
        record = run.rng.choice(list(candidates))
        record.action_cancel()
        return f"cancel record {record.id} (revision {record.revision}, {record.amount})"

    # ------------------------------------------------------------------ invariants

    def check_books(self, run):
        self.env.flush_all()
        self.env.invalidate_all()
        versions = self.all_versions(run)
        records = self.env["rebate.record"].search([("policy_id", "in", versions.ids)])
        Settlement = self.env["rebate.settlement"]
        settlements = Settlement.search([("record_ids.policy_id", "in", versions.ids)]) | \
            Settlement.search([("paid_record_ids.policy_id", "in", versions.ids)])
        self.assertFalse(settlements.filtered(lambda s: s.state == "draft"),
                         "no settlement is left in draft: each one is validated or refused at once")
        rows = self.invoice_line_rows()
        self.check_rebates_follow_the_base(run, records, rows)
        self.check_versions_do_not_overlap(run, records)
        self.check_paid_once(records, settlements)
        self.check_accruals(run, records)
        self.check_expenses(run, records, settlements)
        self.check_payout_documents(settlements)
        self.check_documents_link_back(records, settlements)
        self.check_payouts_are_not_sales(run, rows)
        self.check_goods_given(settlements)
        self.check_rebate_balances(run, settlements)

    def invoice_line_rows(self):
        """Product lines of posted customer invoices and credit notes, per move, customer, invoice
        date and product, with the move's settlement: the raw material of every base."""
        self.env.cr.execute("""
            SELECT m.id, m.commercial_partner_id, m.invoice_date, l.product_id, m.rebate_settlement_id,
                   SUM(-l.balance)
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
             WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
               AND l.display_type = 'product' AND m.company_id = %s
             GROUP BY m.id, m.commercial_partner_id, m.invoice_date, l.product_id, m.rebate_settlement_id
        """, [self.env.company.id])
        return self.env.cr.fetchall()

    def in_scope(self, policy, partner_id, product_id):
        if policy.product_ids and product_id not in policy.product_ids.ids:
            return False
        if policy.partner_ids and partner_id not in policy.partner_ids.ids:
            return False
        if policy.partner_category_ids:
            return bool(self.env["res.partner"].browse(partner_id).category_id & policy.partner_category_ids)
        return True

    def check_rebates_follow_the_base(self, run, records, rows):
        """1. Per version, customer and period: the records add up to the tier function of the true
        base. A cancelled adjustment is a waived correction that the addon counts as accounted for
        (it is not re-created), so: sum of every record of the customer-period, cancelled
        adjustments included, = tier(base), i.e. what stands = tier(base) - what was waived; the
        bases add up the same way. A customer-period whose own record (revision 0) is cancelled is
        waived: nothing else of it may stand.
        Only lines computed after their last sale or credit note are up to date, so only those; all
        their versions, closed ones included (a credit note may fall in a closed version's period)."""
        currency = self.env.company.currency_id
        sales = [row for row in rows if not row[4]]  # payout documents are never sales (checked in 6)
        by_key = defaultdict(lambda: self.env["rebate.record"])
        for record in records:
            by_key[(record.policy_id, record.partner_id.id, record.date_start)] |= record
        for name, versions in run.lines.items():
            if not run.clean[name]:
                continue
            for version in versions:
                keys = {key for key in by_key if key[0] == version}
                for _move, partner_id, day, product_id, _settlement, _amount in sales:
                    if day < version.date_start or (version.date_end and day > version.date_end):
                        continue
                    if self.in_scope(version, partner_id, product_id):
                        keys.add((version, partner_id, version_period(version, day)[0]))
                for key in sorted(keys, key=lambda k: (k[1], k[2])):
                    group = by_key[key]
                    _version, partner_id, start = key
                    end = version_period(version, start)[1]
                    where = f"{version.display_name}, partner {partner_id}, period {start}..{end}"
                    self.assertEqual(set(group.mapped("date_end")) or {end}, {end}, f"{where}: period end")
                    base = round(sum(
                        amount for _move, row_partner, day, product_id, _s, amount in sales
                        if row_partner == partner_id and start <= day <= end
                        and self.in_scope(version, row_partner, product_id)), 2)
                    own = group.filtered(lambda r: r.revision == 0)
                    if own.state == "cancelled":
                        self.assertEqual(set(group.mapped("state")), {"cancelled"},
                                         f"{where}: the period was waived, yet records stand")
                        continue
                    expected = tier_amount(base, run.tiers[version.id])
                    total = sum(group.mapped("amount"))
                    self.assertFalse(
                        currency.compare_amounts(total, float(expected)),
                        f"{where}: base {base} earns {expected}, the records add up to {total}: "
                        f"{[(r.id, r.revision, r.state, r.base_amount, r.amount) for r in group]}")
                    self.assertFalse(
                        currency.compare_amounts(sum(group.mapped("base_amount")), base),
                        f"{where}: base {base}, the records say "
                        f"{[(r.id, r.revision, r.state, r.base_amount) for r in group]}")

    def check_versions_do_not_overlap(self, run, records):
        """2. A customer-period is payable once across the versions of a policy: the standing
        records of two versions never cover the same day for the same customer."""
        for name, versions in run.lines.items():
            standing = records.filtered(lambda r: r.policy_id in versions and r.state != "cancelled")
            for partner in standing.partner_id:
                spans = sorted({(r.date_start, r.date_end, r.policy_id.id)
                                for r in standing if r.partner_id == partner})
                for (_start1, end1, v1), (start2, _end2, v2) in zip(spans, spans[1:]):
                    if v1 != v2:
                        self.assertLess(end1, start2, f"{name}: {partner.name} has records of versions "
                                                      f"{v1} and {v2} over the same days")

    def check_paid_once(self, records, settlements):
        """2. No record in two done settlements; a settled record is in exactly one, and done
        settlements add up to the records they settled."""
        currency = self.env.company.currency_id
        done = settlements.filtered(lambda s: s.state == "done")
        paid = defaultdict(list)
        for settlement in done:
            self.assertEqual(settlement.record_ids, settlement.paid_record_ids,
                             f"settlement {settlement.id}: records and records paid differ")
            self.assertFalse(currency.compare_amounts(settlement.amount, sum(settlement.record_ids.mapped("amount"))))
            self.assertEqual(currency.compare_amounts(settlement.amount, 0), -1 if settlement.is_recovery else 1,
                             f"settlement {settlement.id} pays {settlement.amount}")
            for record in settlement.paid_record_ids:
                paid[record].append(settlement.id)
        for settlement in settlements - done:
            self.assertFalse(settlement.record_ids, f"cancelled settlement {settlement.id} still holds records")
        for record, settlement_ids in paid.items():
            self.assertEqual(len(settlement_ids), 1, f"record {record.id} paid by settlements {settlement_ids}")
        settled = records.filtered(lambda r: r.state == "settled")
        self.assertEqual(set(paid), set(settled), "settled records = records paid by a done settlement")
        for record in records:
            if record.state == "settled":
                self.assertEqual(record.settlement_id.id, paid[record][0])
            else:
                self.assertFalse(record.settlement_id, f"record {record.id} ({record.state}) in a settlement")
        self.assertFalse(currency.compare_amounts(
            sum(done.mapped("amount")), sum(settled.mapped("amount"))), "done settlements = settled records")

    def accrued_outstanding(self, run, records, name):
        """Amount accrued and not yet cleared for a line: its confirmed (unpaid) records. Every one
        with an amount was accrued at confirmation (the policy has an accrual account) and not
        reversed; a settled one was cleared by its payout (goods: as they reach the customer), a
        cancelled one reversed."""
        if name not in self.accrual_accounts:
            self.assertFalse(records.filtered(lambda r: r.policy_id in run.lines[name]).accrual_move_id,
                             f"{name} has no accrual account, yet accrued")
            return 0.0
        outstanding = 0.0
        currency = self.env.company.currency_id
        # a goods payout keeps the accrual of what has not reached the customer yet
        for settlement in records.filtered(
                lambda r: r.policy_id in run.lines[name] and r.state == "settled"
                and r.settlement_id.method == "goods").settlement_id:
            accrued = settlement.record_ids.filtered(lambda r: r.accrual_move_id and not r.accrual_reversal_move_id)
            moves = self.env["stock.move"].search([("rebate_settlement_id", "=", settlement.id)])
            out = moves.filtered(lambda m: m.location_dest_id.usage == "customer" and m.location_id.usage != "customer")
            back = moves.filtered(lambda m: m.location_id.usage == "customer" and m.location_dest_id.usage != "customer")
            owed = sum(out.filtered(lambda m: m.state != "cancel").mapped("product_qty"))
            delivered = sum(out.filtered(lambda m: m.state == "done").mapped("product_qty")) - sum(
                back.filtered(lambda m: m.state == "done").mapped("product_qty"))
            total = sum(accrued.mapped("amount"))
            outstanding += total - currency.round(total * min(max(delivered / owed, 0.0), 1.0)) if owed else total
        for record in records.filtered(lambda r: r.policy_id in run.lines[name]):
            accrued = record.accrual_move_id and not record.accrual_reversal_move_id
            if record.state == "confirmed" and record.amount:
                self.assertTrue(accrued, f"confirmed record {record.id} of {name} has no standing accrual")
                outstanding += record.amount
            elif record.state == "cancelled" and record.accrual_move_id:
                self.assertTrue(record.accrual_reversal_move_id, f"cancelled record {record.id}: accrual stands")
            elif record.state == "draft":
                self.assertFalse(accrued, f"estimate {record.id} has an accrual")
        return outstanding

    def account_balances(self):
        self.env.cr.execute("""
            SELECT account_id, SUM(balance) FROM account_move_line
             WHERE parent_state = 'posted' AND account_id IN %s GROUP BY account_id
        """, [tuple(self.rebate_accounts.ids)])
        balances = dict(self.env.cr.fetchall())
        return {account: balances.get(account.id, 0.0) for account in self.rebate_accounts}

    def check_accruals(self, run, records):
        """3. Each accrual account holds exactly what is accrued and not cleared: minus the amounts
        of the line's confirmed records (a liability: a credit balance)."""
        currency = self.env.company.currency_id
        balances = self.account_balances()
        for name, account in self.accrual_accounts.items():
            outstanding = self.accrued_outstanding(run, records, name)
            self.assertFalse(currency.compare_amounts(balances[account], -outstanding),
                             f"accrual {name}: balance {balances[account]}, accrued and unpaid {outstanding}")

    def goods_cost(self, settlement):
        """Cost of the goods a settlement delivered, net of what came back, at standard cost: from
        the stock moves' quantities, and the same from Odoo's own valuation of the moves."""
        moves = self.env["stock.move"].search([("rebate_settlement_id", "=", settlement.id), ("state", "=", "done")])
        cost = value = 0.0
        for move in moves:
            sign = 1 if move.location_dest_id.usage == "customer" else -1 if move.location_id.usage == "customer" else 0
            cost += sign * move.quantity * FREE_COST
            value += sign * abs(move.value)
        self.assertFalse(self.env.company.currency_id.compare_amounts(cost, value),
                         f"settlement {settlement.id}: stock valuation {value} is not quantity x cost {cost}")
        return cost

    def check_expenses(self, run, records, settlements):
        """4. Per payout, the net debit its documents book on the expense and accrual accounts
        (taken together: a payout clears an accrual instead of the expense, and a clearing entry
        moves between the two) is the rebate for cash, credit notes (untaxed), balances and
        recoveries; for goods it is the cost of the goods delivered net of returns (the accrual
        cleared in full back to the expense nets to zero), plus the remainder when the policy pays
        it in cash. A cancelled settlement nets to zero: entries reversed, goods returned.
        Per line, the expense account then holds: accruals of confirmed unpaid records + what the
        done payouts booked (an accrual of a settled record stays on the expense; its payout
        cleared the accrual account)."""
        currency = self.env.company.currency_id
        self.env.cr.execute("""
            SELECT m.rebate_settlement_id, SUM(l.balance)
              FROM account_move_line l JOIN account_move m ON m.id = l.move_id
             WHERE l.parent_state = 'posted' AND l.account_id IN %s AND m.rebate_settlement_id IS NOT NULL
             GROUP BY m.rebate_settlement_id
        """, [tuple(self.cost_accounts.ids)])
        booked = dict(self.env.cr.fetchall())
        expected_expense = {name: self.accrued_outstanding(run, records, name) for name in self.expense_accounts}
        for settlement in settlements:
            name = self.line_of(run, settlement.paid_record_ids.policy_id[:1])
            goods = settlement.method == "goods" and not settlement.is_recovery
            cost = self.goods_cost(settlement) if goods else 0.0
            if settlement.state == "done":
                expected = settlement.amount
                if goods:
                    cash_remainder = 0.0 if settlement.remainder_to_carry else settlement.goods_remainder
                    expected = cost + cash_remainder
            else:
                expected = 0.0
                self.assertFalse(currency.compare_amounts(cost, 0.0),
                                 f"cancelled settlement {settlement.id} kept goods worth {cost}")
            self.assertFalse(
                currency.compare_amounts(booked.get(settlement.id, 0.0), expected),
                f"settlement {settlement.id} ({settlement.method}, {settlement.state}, amount {settlement.amount}) "
                f"books {booked.get(settlement.id, 0.0)} on the expense and accrual accounts, expected {expected}")
            expected_expense[name] += expected
        balances = self.account_balances()
        for name, account in self.expense_accounts.items():
            self.assertFalse(currency.compare_amounts(balances[account], expected_expense[name]),
                             f"expense {name}: balance {balances[account]}, expected {expected_expense[name]}")

    def check_payout_documents(self, settlements):
        """The payout document of each done settlement says what the accounting table says: cash
        credits the customer's receivable (partner set) with the rebate, a credit note is a posted
        out_refund of the rebate before tax, a recovery a posted invoice of what is owed back."""
        currency = self.env.company.currency_id
        for settlement in settlements.filtered(lambda s: s.state == "done"):
            move = settlement.move_id
            receivable = move.line_ids.filtered(lambda l: l.account_id.account_type == "asset_receivable")
            if settlement.is_recovery:
                self.assertEqual((move.move_type, move.state), ("out_invoice", "posted"))
                self.assertFalse(currency.compare_amounts(move.amount_untaxed, -settlement.amount))
            elif settlement.method == "credit_note":
                self.assertEqual((move.move_type, move.state), ("out_refund", "posted"))
                self.assertFalse(currency.compare_amounts(move.amount_untaxed, settlement.amount))
            elif settlement.method == "cash":
                self.assertFalse(currency.compare_amounts(sum(receivable.mapped("balance")), -settlement.amount),
                                 f"cash settlement {settlement.id}: receivable {receivable.mapped('balance')}")
                self.assertEqual(receivable.partner_id, settlement.partner_id)
            elif settlement.method == "discount":
                self.assertFalse(receivable, "a balance payout owes the customer, it pays nothing yet")

    def check_documents_link_back(self, records, settlements):
        """5. Every posted entry on a rebate account is a settlement's document or a record's
        accrual (or its reversal); every document of a settlement points back to it."""
        accruals = records.accrual_move_id | records.accrual_reversal_move_id
        moves = self.env["account.move.line"].search([
            ("account_id", "in", self.rebate_accounts.ids), ("parent_state", "=", "posted")]).move_id
        for move in moves:
            self.assertTrue(move.rebate_settlement_id in settlements or move in accruals,
                            f"{move.display_name} ({move.ref}) books on rebate accounts but belongs to nothing")
            self.assertFalse(move.rebate_settlement_id and move in accruals,
                             f"{move.display_name} is both an accrual and a payout document")
        for settlement in settlements:
            documents = settlement.move_id | settlement.clearing_move_id | settlement.reversal_move_id
            documents |= self.env["account.move"].search([("reversed_entry_id", "in", documents.ids)])
            for move in documents:
                self.assertEqual(move.rebate_settlement_id, settlement, f"{move.display_name} of {settlement.id}")
            if settlement.state == "done" and not (settlement.method == "goods" and not settlement.is_recovery):
                self.assertEqual(settlement.move_id.state, "posted", f"settlement {settlement.id} has no payout")
            if settlement.state == "cancelled" and settlement.move_id:
                self.assertTrue(settlement.reversal_move_id, f"cancelled settlement {settlement.id} not reversed")
            for picking in settlement.picking_id | settlement.return_picking_id | settlement.picking_ids:
                self.assertEqual(picking.rebate_settlement_id, settlement, f"{picking.name} of {settlement.id}")
        # the free product moves only for rebates: every move of it belongs to a settlement
        for move in self.env["stock.move"].search([("product_id", "=", self.free_product.id)]):
            self.assertIn(move.rebate_settlement_id, settlements, f"stock move {move.id} belongs to nothing")
            self.assertEqual(move.picking_id.rebate_settlement_id, move.rebate_settlement_id)

    def check_payouts_are_not_sales(self, run, rows):
        """6. The base without the settlement filter and with it differ exactly by the product lines
        of the payout documents (the customer invoices and credit notes booking on rebate
        accounts): the addon marks every credit note, reversal and recovery invoice it makes, and
        nothing else. What is left, the true base, is exactly the test's own sales documents."""
        currency = self.env.company.currency_id
        payout_moves = self.env["account.move.line"].search([
            ("account_id", "in", self.rebate_accounts.ids), ("parent_state", "=", "posted"),
            ("move_id.move_type", "in", ("out_invoice", "out_refund"))]).move_id
        self.assertEqual({row[0] for row in rows if row[4]}, set(payout_moves.ids),
                         "customer documents marked as payouts = those booking on rebate accounts")
        self.assertEqual(len({row[0] for row in rows if not row[4]}), len(run.sales),
                         "documents counted as sales = the invoices and credit notes posted")
        difference = sum(row[5] for row in rows) - sum(row[5] for row in rows if not row[4])
        payout_lines = sum(-line.balance for line in payout_moves.line_ids if line.display_type == "product")
        self.assertFalse(currency.compare_amounts(difference, payout_lines))
        self.assertFalse(currency.compare_amounts(
            sum(row[5] for row in rows if not row[4]), sum(sale["amount"] for sale in run.sales)),
            "the true base adds up to the invoices and credit notes posted")

    def check_goods_given(self, settlements):
        """Goods given are worth the rebates paid in goods. Per done goods payout: rebate + what it
        brought forward = units x sales price + what it leaves. Per customer: what the done goods
        payouts paid = goods promised + remainders paid in cash + remainders still waiting (not
        carried into a done payout yet). A remainder carried from a payout that is then cancelled
        would be given twice: this catches it."""
        currency = self.env.company.currency_id
        goods = settlements.filtered(lambda s: s.method == "goods" and not s.is_recovery and s.state == "done")
        for partner in goods.partner_id:
            mine = goods.filtered(lambda s: s.partner_id == partner)
            given = 0.0
            for settlement in mine:
                units = sum(self.env["stock.move"].search([
                    ("rebate_settlement_id", "=", settlement.id), ("state", "!=", "cancel"),
                    ("location_dest_id.usage", "=", "customer")]).mapped("product_uom_qty"))
                given += units * FREE_PRICE
                self.assertFalse(currency.compare_amounts(
                    settlement.amount + settlement.carried_remainder, units * FREE_PRICE + settlement.goods_remainder),
                    f"goods settlement {settlement.id}: {settlement.amount} + {settlement.carried_remainder} "
                    f"brought forward vs {units} units + {settlement.goods_remainder} left")
                if not settlement.remainder_to_carry:
                    given += settlement.goods_remainder  # paid to the customer's account at once
            waiting = sum(s.goods_remainder for s in mine if s.remainder_to_carry and not s.remainder_carried_to_id)
            self.assertFalse(currency.compare_amounts(sum(mine.mapped("amount")), given + waiting),
                             f"{partner.name}: goods payouts of {sum(mine.mapped('amount'))} gave {given} "
                             f"(goods and cash) with {waiting} still to carry")

    def check_rebate_balances(self, run, settlements):
        """A balance payout (返利抵扣) owes the customer what it paid: per customer and policy version
        the balance is what its done payouts put in (nothing is used on orders or expires here),
        and the "rebates owed" account holds the same as a credit."""
        currency = self.env.company.currency_id
        owed = defaultdict(float)
        for settlement in settlements.filtered(
                lambda s: s.method == "discount" and not s.is_recovery and s.state == "done"):
            for record in settlement.record_ids:
                owed[(record.partner_id, record.policy_id)] += record.amount
        total = sum(owed.values())
        for balance in self.env["rebate.balance"].search([("policy_id", "in", self.all_versions(run).ids)]):
            paid = owed.pop((balance.partner_id, balance.policy_id), 0.0)
            self.assertFalse(currency.compare_amounts(balance.amount, paid),
                             f"balance of {balance.display_name} is {balance.amount}, payouts put in {paid}")
        self.assertFalse({key: value for key, value in owed.items() if currency.round(value)},
                         f"payouts into balances that do not exist: {owed}")
        self.assertFalse(currency.compare_amounts(self.account_balances()[self.balance_account], -total),
                         f"rebates owed account vs {total} paid into balances")
