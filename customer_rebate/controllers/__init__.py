from . import portal
from . import rebate_balance_portal
