# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import res_company
from . import res_currency
from . import rebate_policy
from . import rebate_settlement
from . import account_move
