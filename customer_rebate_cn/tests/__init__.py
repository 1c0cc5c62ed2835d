# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_cn_amount_in_words
from . import test_cn_payout_vat
from . import test_cn_demo
from . import test_cn_statement_pdf
