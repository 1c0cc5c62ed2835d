# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import portal
from . import rebate_balance_portal
from . import portal_policy
