from . import rebate_policy
from . import rebate_policy_tier
