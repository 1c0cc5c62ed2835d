from . import res_company
from . import res_currency
from . import rebate_policy
from . import rebate_settlement
from . import account_move
