from . import test_policy_constraints
from . import test_policy_states
from . import test_policy_summary
from . import test_policy_access
