# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Journal item values of the addon's entries (accruals, payouts)."""


def signed_line(account, amount, **values):
    """Journal item values for ``amount`` on ``account``: its balance (a debit when positive, a
    credit when negative), from which Odoo derives debit and credit."""
    return dict(values, account_id=account.id, balance=amount)
