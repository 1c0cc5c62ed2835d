from . import rebate_policy
from . import rebate_policy_tier
from . import rebate_policy_compute
from . import rebate_record
from . import res_partner
