# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Plain helpers of the models (no model of their own): what one computation run has read, the
groups of a pooled period."""
