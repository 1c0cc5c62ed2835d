from . import rebate_policy
from . import rebate_policy_tier
from . import rebate_policy_compute
from . import rebate_record
from . import rebate_settlement
from . import res_partner
from . import account_move
from . import stock_picking
