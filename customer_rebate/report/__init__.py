from . import rebate_effect_report
from . import rebate_statement_report
from . import rebate_effect_report_rating
