from . import rebate_effect_report
