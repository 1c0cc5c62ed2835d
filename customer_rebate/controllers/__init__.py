from . import portal
from . import rebate_balance_portal
from . import portal_policy
