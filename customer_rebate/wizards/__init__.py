# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import rebate_compute_wizard
from . import rebate_settle_wizard
from . import rebate_export_wizard
from . import rebate_balance_apply_wizard
from . import account_move_reversal
from . import rebate_policy_refuse_wizard
from . import rebate_policy_activate_wizard
