# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Amounts in Chinese capital numerals (金额大写), as banks and fapiao require: 人民币壹仟贰佰伍拾贰元伍角,
人民币陆仟元整. Pure Python over cn2an (what Odoo's l10n_cn uses for its vouchers): no Odoo import."""

from decimal import ROUND_HALF_UP, Decimal

from cn2an import an2cn

# How a written amount names its currency; others are named by their code.
CURRENCY_NAMES = {"CNY": "人民币", "USD": "美元", "EUR": "欧元", "HKD": "港币", "JPY": "日元", "GBP": "英镑",
                  "TWD": "新台币", "MOP": "澳门元", "SGD": "新加坡元"}


def amount_in_capitals(amount, currency_code="CNY"):
    """``Decimal``/float → "人民币壹仟贰佰伍拾贰元伍角". 整 follows 元 when there are no 角 and 分."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    words = an2cn(f"{abs(value):.2f}", "rmb") if value else "零元整"
    sign = "负" if value < 0 else ""
    return f"{CURRENCY_NAMES.get(currency_code, currency_code)}{sign}{words}"
