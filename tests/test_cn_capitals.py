"""金额大写: amounts in Chinese capital numerals, as the China addon writes them (pure, no Odoo)."""

import importlib.util
from decimal import Decimal

import pytest
from conftest import REPO

_spec = importlib.util.spec_from_file_location("rebate_cn_capitals", REPO / "customer_rebate_cn" / "tools" / "capitals.py")
capitals = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(capitals)


@pytest.mark.parametrize(("amount", "words"), [
    (1252.50, "人民币壹仟贰佰伍拾贰元伍角"),
    (6000, "人民币陆仟元整"),
    (Decimal("0.05"), "人民币伍分"),
    (Decimal("1000000.01"), "人民币壹佰万元零壹分"),
    (0, "人民币零元整"),
    (Decimal("-12.30"), "人民币负壹拾贰元叁角"),
    (Decimal("0.005"), "人民币壹分"),  # rounded half up to the fen
])
def test_rmb_amounts_as_banks_write_them(amount, words):
    assert capitals.amount_in_capitals(amount, "CNY") == words


def test_other_currencies_are_named():
    assert capitals.amount_in_capitals(100, "USD") == "美元壹佰元整"
    assert capitals.amount_in_capitals(100, "XYZ") == "XYZ壹佰元整"
