# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import rebate_effect_report
from . import rebate_statement_report
from . import rebate_effect_report_rating
