from . import test_policy_constraints
from . import test_policy_states
from . import test_policy_summary
from . import test_policy_access
from . import test_record_source_example
from . import test_record_compute
from . import test_record_terms
from . import test_record_queries
