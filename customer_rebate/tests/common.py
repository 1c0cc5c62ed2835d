# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class RebateCommon(AccountTestInvoicingCommon):
    """A company with a chart of accounts (from account's own test common), two customers, and the
    source text's policy: a quarter of at least 100,000 earns a 5 % cash rebate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("customer_rebate.group_rebate_manager")
        cls.expense_account = cls.company_data["default_account_expense"]
        cls.misc_journal = cls.company_data["default_journal_misc"]
        cls.customer_tag = cls.env["res.partner.category"].create({"name": "Distributor"})
        cls.rebate_user = new_test_user(
            cls.env, login="rebate_user", groups="customer_rebate.group_rebate_user",
            company_id=cls.env.company.id)
        cls.policy = cls.create_policy()
        cls.customer_a = cls.partner_a
        cls.customer_b = cls.partner_b
        # a product with no tax, so totals read as plain numbers
        cls.goods = cls._create_product(name="Rebate goods", lst_price=100.0, standard_price=60.0,
                                        taxes_id=[Command.clear()])

    @classmethod
    def create_policy(cls, tiers=((100000.0, 5.0),), **values):
        """A policy with ``tiers`` as (threshold, rate) pairs, or (threshold, fixed) when
        ``amount_type='fixed'``; the source text's terms unless ``values`` says otherwise."""
        fixed = values.get("amount_type") == "fixed"
        vals = {
            "name": "Quarterly volume rebate",
            "rebate_type": "amount",
            "basis": "amount",
            "period": "quarter",
            "date_start": "2026-01-01",
            "settlement_method": "cash",
            "expense_account_id": cls.expense_account.id,
            "journal_id": cls.misc_journal.id,
            "tier_ids": [
                Command.create({
                    "sequence": index,
                    "threshold": threshold,
                    "fixed_amount" if fixed else "rate": value,
                })
                for index, (threshold, value) in enumerate(tiers)
            ],
        }
        vals.update(values)
        return cls.env["rebate.policy"].create(vals)

    def twins(self, company=None, **values):
        """Two policies on the same terms (by default 2 % from 1,000, 4 % from 5,000), active:
        the first computed incrementally, the second fully. ``company``: another company's
        (``self.other``, ``setup_other_company``), with its accounts."""
        company = company or self.env.company
        values.setdefault("tier_ids", [Command.create({"sequence": 1, "threshold": 1000.0, "rate": 2.0}),
                                       Command.create({"sequence": 2, "threshold": 5000.0, "rate": 4.0})])
        if company != self.env.company:
            values.update(company_id=company.id, expense_account_id=self.other["default_account_expense"].id,
                          journal_id=self.other["default_journal_misc"].id)
        policies = self.create_policy(**values) | self.create_policy(**values)
        policies.action_activate()
        return policies

    @classmethod
    def invoice(cls, partner, invoice_date, amount=None, lines=None, move_type="out_invoice",
                currency=None, post=True, company=None):
        """A customer invoice (or credit note) of ``amount`` on ``goods``, or of ``lines`` as
        (product, quantity, unit price[, unit of measure]) tuples, without taxes unless a line's
        product carries them."""
        lines = lines or [(cls.goods, 1.0, amount)]
        company = company or cls.env.company
        move = cls.env["account.move"].with_company(company).create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "date": invoice_date,
            "currency_id": (currency or company.currency_id).id,
            "invoice_line_ids": [
                Command.create({
                    "product_id": line[0].id,
                    "quantity": line[1],
                    "price_unit": line[2],
                    **({"product_uom_id": line[3].id} if len(line) > 3 else {}),
                })
                for line in lines
            ],
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def refund(cls, partner, invoice_date, amount=None, **kwargs):
        return cls.invoice(partner, invoice_date, amount, move_type="out_refund", **kwargs)

    def records(self, policy=None, **domain):
        """The records of ``policy`` (default: the source example's), filtered by field values."""
        return self.env["rebate.record"].search(
            [("policy_id", "=", (policy or self.policy).id), *((k, "=", v) for k, v in domain.items())],
            order="date_start, partner_id, revision")

    def both_computed(self, incremental, full):
        """Compute twin policies, the first incrementally and the second fully: the same records."""
        incremental.action_compute()
        full.action_compute_full()
        self.assertEqual(self.computed_snapshot(incremental), self.computed_snapshot(full))

    @staticmethod
    def post_or_cancel_one(rng, drafts, post_share):
        """A random draft of ``drafts`` posted (``post_share`` of the time) or cancelled."""
        draft = drafts[rng.randrange(len(drafts))]
        if rng.random() < post_share:
            draft.action_post()
        else:
            draft.button_cancel()

    # the figures of a record an incremental and a full computation must agree on
    COMPUTED_FIGURES = ("base_amount", "base_qty", "previous_base_amount", "last_year_base_amount", "cost_amount",
                        "previous_cost_amount", "rate", "amount")

    def computed_snapshot(self, policy):
        """Every record of ``policy`` and its comparison-group rows as comparable values: what an
        incremental computation must leave exactly as a full one of a twin policy does."""
        tiers = policy.tier_ids.sorted("threshold")
        records = {
            (record.partner_id.id, record.date_start, record.kind, record.revision): (
                record.state, record.date_end, list(tiers).index(record.tier_id) if record.tier_id else None,
                *(round(record[name], 4) for name in self.COMPUTED_FIGURES))
            for record in self.env["rebate.record"].search([("policy_id", "=", policy.id)])
        }
        periods = {
            row.date_start: (row.date_end, row.outside_customer_count, round(row.outside_sales, 2),
                             round(row.outside_previous_sales, 2))
            for row in self.env["rebate.policy.period"].search([("policy_id", "=", policy.id)])
        }
        return records, periods

    @classmethod
    def confirmed_record(cls, policy=None, partner=None, amount=120000.0):
        """The source example's record, confirmed: ``amount`` bought in Q3 2026 (computed as of
        15 October 2026)."""
        policy = policy or cls.policy
        partner = partner or cls.customer_a
        if policy.state == "draft":
            policy.action_activate()
        cls.invoice(partner, "2026-07-10", amount, company=policy.company_id)
        with freeze_time("2026-10-15"):
            policy.action_compute()
        record = cls.env["rebate.record"].search([
            ("policy_id", "=", policy.id), ("partner_id", "=", partner.id), ("date_start", "=", "2026-07-01")])
        record.action_confirm()
        return record

    def account_balance(self, account, partner=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return sum(self.env["account.move.line"].search(domain).mapped("balance"))

    def flush_tracking(self):
        """Write the pending tracking values, as a commit would (what mail's MailCommon does)."""
        self.env.flush_all()
        self.env.cr.flush()
