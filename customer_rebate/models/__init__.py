# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import rebate_notice
from . import rebate_policy
from . import rebate_policy_tier
from . import rebate_policy_period
from . import rebate_policy_review
from . import rebate_compute_queue
from . import rebate_record
from . import rebate_record_overlap
from . import rebate_customer_group
from . import rebate_settlement
from . import rebate_balance
from . import rebate_balance_line
from . import rebate_projection_mixin
from . import res_company
from . import res_config_settings
from . import res_currency
from . import res_partner
from . import res_partner_category
from . import product_category
from . import product_template
from . import account_move
from . import account_move_line
from . import account_partial_reconcile
from . import sale_order
from . import sale_order_line
from . import stock_move
from . import stock_picking
from . import stock_rule
