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

    def flush_tracking(self):
        """Write the pending tracking values, as a commit would (what mail's MailCommon does)."""
        self.env.flush_all()
        self.env.cr.flush()
