from . import rebate_compute_wizard
