# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Pure rebate rules: periods, tier maths, projections and rounding.

Nothing here imports ``odoo``: the models translate records into these plain values (``Decimal``
amounts, ``datetime.date`` days) in bulk, call the functions, and write the results back. That keeps
every rule testable in milliseconds without a database, and keeps one implementation of each rule.
"""

from .advances import (
    ADVANCE_MODES, AdvanceStep, advance_target, advanced_total, plan_advances, pooled_advance_targets, true_up,
)
from .bounds import (
    MAX_AMOUNT, MAX_DATE, MAX_SENIORITY_MONTHS, MAX_TIERS, MIN_DATE, amount_in_bounds, date_in_bounds,
    validate_bounds,
)
from .periods import (
    Period, add_months, disjoint_date_ranges, iter_periods, merge_date_ranges, month_ranges, period_containing,
    previous_period, same_period_last_year, seniority_reached, whole_months,
)
from .rounding import round_money, to_decimal
from .tiers import RebateResult, Tier, compute_rebate, validate_tiers
from .projection import Projection, project
from .pooling import group_totals, pooled_rebate

__all__ = [
    "ADVANCE_MODES",
    "AdvanceStep",
    "MAX_AMOUNT",
    "MAX_DATE",
    "MAX_SENIORITY_MONTHS",
    "MAX_TIERS",
    "MIN_DATE",
    "Period",
    "Projection",
    "RebateResult",
    "Tier",
    "add_months",
    "advance_target",
    "advanced_total",
    "amount_in_bounds",
    "compute_rebate",
    "date_in_bounds",
    "group_totals",
    "disjoint_date_ranges",
    "iter_periods",
    "merge_date_ranges",
    "month_ranges",
    "period_containing",
    "pooled_rebate",
    "plan_advances",
    "pooled_advance_targets",
    "previous_period",
    "project",
    "round_money",
    "same_period_last_year",
    "seniority_reached",
    "whole_months",
    "to_decimal",
    "true_up",
    "validate_bounds",
    "validate_tiers",
]
