# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""``rebate.policy``, the rebate agreement (返利政策): its terms, its approval and reviews, and how it
turns posted (or paid) invoices into rebate records — one aggregated query per policy and period,
the engine (``engine/``) for the rules, batched writes — and into projections for orders and
invoices. The model is one class in this file, in sections: terms and lifecycle; computation;
paid basis; exclusions and overlapping policies; group volume; annual target with advances;
approval; reviews and ratings. Plain helpers: ``tools/compute_run.py`` (what a run already read),
``tools/pool_groups.py`` (a pooled period's groups)."""

import json
import logging
import types
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import LockError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, format_date, formatLang, ormcache

from ..engine import (
    MAX_AMOUNT, MAX_DATE, MAX_SENIORITY_MONTHS, MAX_TIERS, MIN_DATE, Period, Tier, add_months, advance_target,
    advanced_total, amount_in_bounds, compute_rebate, disjoint_date_ranges, iter_periods, merge_date_ranges,
    month_ranges, period_containing, plan_advances, pooled_advance_targets, pooled_rebate, previous_period, project,
    round_money, same_period_last_year, seniority_reached, to_decimal, validate_bounds, validate_tiers, whole_months,
)
from ..engine.overlap import overlap_key, payback_share, split_segments
from ..tools.compute_run import CURRENT_RUN, DAILY_JOB, ComputeRun, compute_run, daily_job
from ..tools.pool_groups import POOL_FIGURES, PoolGroup, RebatePolicyPool
from .rebate_guard import POLICY_APPROVAL, POLICY_REVISION, POLICY_STATE, is_lifted, lifted
from .rebate_policy_tier import check_numbers

_logger = logging.getLogger(__name__)

# Changing one of these on a policy that already has confirmed records would make those records
# unexplainable: such a change is a new version (action_revise), not an edit. When an invoice counts
# (paid basis), what a policy never counts and how it meets exclusive policies are terms too.
TERM_FIELDS = frozenset({
    "rebate_type", "basis", "period", "date_start", "date_end", "company_id",
    "partner_ids", "partner_category_ids", "product_ids", "product_category_ids",
    "min_seniority_months", "tier_ids", "tier_mode", "amount_type", "cap_amount",
    "pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout",
    "advance_period", "advance_mode", "advance_rate",
    "invoice_basis",
    "excluded_product_ids", "excluded_product_category_ids", "combinable", "overlap_priority", "overlap_rule",
})
# what the approvers approved: the terms, and how and in what the rebate is paid
APPROVED_TERM_FIELDS = TERM_FIELDS | {
    "settlement_method", "goods_product_id", "goods_quantity_mode", "goods_remainder_mode", "balance_max_share",
    "balance_excluded_product_ids", "balance_validity_months", "credit_note_tax_ids",
}
APPROVAL_FIELDS = ("finance_approver_id", "finance_approval_date", "marketing_approver_id", "marketing_approval_date")
FINANCE_GROUP = "customer_rebate.group_rebate_finance_approver"
MARKETING_GROUP = "customer_rebate.group_rebate_marketing_approver"

BASE_MOVE_TYPES = ("out_invoice", "out_refund")
PAID_MOVE_TYPES = ("out_invoice", "out_refund")
REBATE_USER = "customer_rebate.group_rebate_user"
REBATE_MANAGER = "customer_rebate.group_rebate_manager"
ZERO = Decimal(0)

# work_mem of the base aggregates (raised to it for the statement, never lowered)
AGGREGATE_WORK_MEM = "64MB"
# Records are written by the computation, not by a person: no chatter message or follower per
# record (that would be several queries per customer), and tracking only on human changes.
# what the computation creates and removes: no chatter, and (rebate_compute) estimates it removes
# are not put back in the queue as a person's deletion is
COMPUTE_CONTEXT = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "tracking_disable": True,
                   "rebate_compute": True}

# what the customer tags and product categories named by the computing policies depend on (see
# _rebate_named_scope): a change of them forgets what every worker keeps
NAMED_SCOPE_FIELDS = frozenset({
    "state", "active", "partner_category_ids", "product_category_ids", "excluded_product_category_ids",
    "pool_mode", "pool_category_ids"})

# a change of these on an exclusive policy moves lines between it and its competitors
COVERAGE_FIELDS = frozenset({
    "state", "date_start", "date_end", "company_id", "partner_ids", "partner_category_ids", "product_ids",
    "product_category_ids", "excluded_product_ids", "excluded_product_category_ids", "combinable",
    "overlap_priority", "overlap_rule", "tier_ids", "tier_mode", "amount_type", "cap_amount", "basis", "period",
})
# the payback shares of one computation run (see _compute_records): a share is read once per
# policy, period and customers, however many competitors compare with it
RATE_CACHE = "rebate_overlap_shares"

# how deep a chain of parent companies is followed (Odoo refuses cycles; this bounds a corrupt one)
MAX_PARENT_DEPTH = 32

# ratings of 4 and 5 are the happy faces (rating.rating_data.RATING_LIMIT_SATISFIED)
HAPPY_RATING = 4

# What the computation reads of the year's records of an advanced policy, in one query.
RECORD_FIELDS = (
    "partner_id", "date_start", "kind", "state", "revision", "settlement_id", "base_amount", "base_qty", "tier_id",
    "rate", "amount", "year_rebate_amount", "advanced_amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
)
# The money figures of a record a recomputation compares (a change of a cent rewrites it).
MONEY_FIGURES = (
    "base_amount", "amount", "year_rebate_amount", "advanced_amount", "previous_base_amount", "last_year_base_amount",
    "cost_amount", "previous_cost_amount",
)
# What a confirmed year-end settlement's adjustment carries as a difference (see _compute_advance_records).
FINAL_DELTA_FIELDS = (
    "base_amount", "base_qty", "amount", "previous_base_amount", "last_year_base_amount", "cost_amount",
    "previous_cost_amount", "year_rebate_amount", "advanced_amount",
)


def _measures(lines, amount, qty, cost, wanted=("lines", "amount", "qty", "cost")):
    """``{measure: Decimal}`` of an aggregate's four sums (numbers, or sums as text: ``_exact_sum``),
    the ``wanted`` ones that are not zero."""
    return {measure: number for measure, value in (("lines", lines), ("amount", amount), ("qty", qty), ("cost", cost))
            if value is not None and measure in wanted and (number := to_decimal(value))}


def _exact_sum(total):
    """A sum of the aggregates returned as text: read into a Decimal exactly as PostgreSQL added
    it up (Odoo's cursor turns a numeric into a float, and the float back into a Decimal, which
    costs twice the time and rounds a sum of costs to seventeen digits)."""
    return SQL("(%s)::text", total)


def _and_terms(domain):
    """The terms of a conjunction (the domain itself when it is not one)."""
    return list(domain.children) if getattr(domain, "OPERATOR", None) == "&" else [domain]


class RebatePolicy(models.Model):
    _name = "rebate.policy"
    _description = "Rebate Policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, date_start desc, code, version desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(
        readonly=True, copy=False, index=True, default="/",
        help="Reference from the rebate policy sequence; every version of a policy keeps it.")
    version = fields.Integer(default=1, readonly=True, copy=False)
    previous_policy_id = fields.Many2one(
        "rebate.policy", string="Previous Version", readonly=True, copy=False, index="btree_not_null",
        check_company=True)
    next_policy_ids = fields.One2many("rebate.policy", "previous_policy_id", string="Next Versions")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(default=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("to_approve", "To Approve"), ("active", "Active"), ("closed", "Closed")],
        default="draft", required=True, readonly=True, copy=False, tracking=True, index=True)
    rebate_type = fields.Selection(
        [
            ("amount", "Sales Amount"),
            ("quantity", "Quantity Bought"),
            ("promotion", "Promotion"),
            ("partnership", "Long-term Partnership"),
        ],
        required=True, default="amount", tracking=True,
        help="Sales Amount: on what the customer bought in the period. Quantity Bought: on the "
             "units bought. Promotion: on given products bought during a campaign. Long-term "
             "Partnership: for customers who have bought from you for a minimum time.")
    basis = fields.Selection(
        [("amount", "Untaxed Amount"), ("quantity", "Quantity")],
        required=True, default="amount", tracking=True,
        help="What the tier thresholds are compared with: the untaxed sales amount in the company "
             "currency, or the quantity in each product's unit of measure.")
    period = fields.Selection(
        [
            ("month", "Monthly"),
            ("quarter", "Quarterly"),
            ("half_year", "Half-yearly"),
            ("year", "Yearly"),
            ("window", "Whole Date Range"),
        ],
        string="Rebate Period", required=True, default="quarter", tracking=True,
        help="Sales are added up per calendar period, clipped to the policy's dates; one rebate "
             "record per customer and period.")
    date_start = fields.Date(
        string="Start Date", required=True, tracking=True,
        default=lambda self: self._default_date_start())
    date_end = fields.Date(string="End Date", tracking=True, help="Leave empty for an open-ended policy.")
    partner_ids = fields.Many2many(
        "res.partner", string="Customers", check_company=True,
        domain="[('parent_id', '=', False)]",
        help="Only these customers (and their contacts). Leave empty, with no tag either, for every customer.")
    partner_category_ids = fields.Many2many(
        "res.partner.category", string="Customer Tags",
        help="Only customers carrying one of these tags.")
    product_ids = fields.Many2many(
        "product.product", string="Products", check_company=True,
        help="Only sales of these products. Leave empty, with no category either, for every product.")
    product_category_ids = fields.Many2many(
        "product.category", string="Product Categories",
        help="Only sales of products in these categories or their subcategories.")
    min_seniority_months = fields.Integer(
        string="Minimum Seniority (months)", tracking=True,
        help="Only customers whose first posted invoice is at least this many months before the "
             "period starts.")
    tier_ids = fields.One2many("rebate.policy.tier", "policy_id", string="Tiers", copy=True)
    tier_mode = fields.Selection(
        [("retroactive", "Whole base at the tier reached"), ("incremental", "Each slice at its own rate")],
        string="Tier Calculation", required=True, default="retroactive", tracking=True,
        help="Whole base: once a tier is reached, its rate applies to everything bought in the "
             "period (the usual volume rebate). Each slice: only what lies between two thresholds "
             "earns that tier's rate.")
    amount_type = fields.Selection(
        [("rate", "Percentage"), ("fixed", "Fixed Amount")],
        string="Rebate As", required=True, default="rate", tracking=True)
    cap_amount = fields.Monetary(
        string="Cap", currency_field="currency_id", tracking=True, groups="customer_rebate.group_rebate_user",
        help="Highest rebate per customer and period; 0 means no cap.")
    track_progress = fields.Boolean(
        string="Track Customers Below the First Tier", default=True,
        help="Keep a zero-amount record for customers who bought in scope but have not reached the "
             "first tier yet, so they and their salesperson can see how far they are.")
    settlement_method = fields.Selection(
        [
            ("credit_note", "Credit Note"),
            ("cash", "Cash"),
            ("goods", "Goods"),
            ("discount", "Rebate Balance"),
        ],
        string="Payout As", required=True, default="credit_note", tracking=True,
        help="Credit Note: a customer credit note that lowers what the customer owes. Cash: an "
             "entry crediting the customer's receivable, paid out or offset later. Goods: free "
             "products delivered from stock. Rebate Balance (返利抵扣): the rebate goes into the "
             "customer's balance and is used as discount lines on later orders, which lowers the VAT "
             "of those sales.")
    expense_account_id = fields.Many2one(
        "account.account", string="Rebate Expense Account", check_company=True, tracking=True,
        groups="customer_rebate.group_rebate_user",
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost', 'income'))]",
        help="Where the rebate is booked as a sales expense (or as a reduction of income).")
    accrual_account_id = fields.Many2one(
        "account.account", string="Accrued Rebates Account", check_company=True, tracking=True,
        groups="customer_rebate.group_rebate_user",
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="If set, confirming a record books the expense against this liability; the payout "
             "then clears it.")
    journal_id = fields.Many2one(
        "account.journal", check_company=True, tracking=True, groups="customer_rebate.group_rebate_user",
        domain="[('type', 'in', ('sale', 'general'))]",
        help="Journal of the credit notes (a sales journal) or of the cash entries (a miscellaneous journal).")
    goods_product_id = fields.Many2one(
        "product.product", string="Free Product", check_company=True, tracking=True,
        domain="[('type', '=', 'consu')]",
        help="The product given to the customer as a goods rebate.")
    goods_quantity_mode = fields.Selection(
        [
            ("sale_price", "Rebate amount at sales price"),
            ("cost", "Rebate amount at cost"),
            ("fixed", "Fixed quantity per tier"),
        ],
        string="Goods Quantity", default="sale_price",
        help="How many units are given: the rebate amount divided by the product's sales price or "
             "cost (rounded down to its unit of measure), or the quantity set on the tier reached.")
    goods_remainder_mode = fields.Selection(
        [("carry", "Carry into the next goods payout"), ("cash", "Pay to the customer's account")],
        string="Part Not Given in Goods", default="carry", required=True,
        help="What happens to the part of a rebate that whole units cannot make up: added to the "
             "customer's next goods payout of this policy, or credited to their receivable at once.")
    balance_account_id = fields.Many2one(
        "account.account", string="Rebates Owed Account", check_company=True, tracking=True,
        groups="customer_rebate.group_rebate_user",
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Liability for the rebate balances customers have not used yet: credited at payout, "
             "debited by the discount lines of their invoices.")
    balance_max_share = fields.Float(
        string="Balance Share of an Order (%)", digits=(5, 2), default=30.0, tracking=True,
        help="At most this part of an order's untaxed amount can be paid with the balance; 0 for no limit.")
    balance_excluded_product_ids = fields.Many2many(
        "product.product", "rebate_policy_balance_excluded_product_rel", "policy_id", "product_id",
        string="Products the Balance Cannot Discount", check_company=True)
    balance_validity_months = fields.Integer(
        string="Balance Valid For (months)", tracking=True,
        help="What is left of a balance this many months after its payout expires and goes back to "
             "the expense; 0 for no expiry.")
    credit_note_tax_ids = fields.Many2many(
        "account.tax", string="Credit Note Taxes", check_company=True, groups="customer_rebate.group_rebate_user",
        domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes on the rebate lines of credit notes, where the rebate reduces a taxed sale. "
             "Leave empty for an untaxed rebate.")
    goods_output_tax_id = fields.Many2one(
        "account.tax", string="Output VAT on Goods Given", check_company=True, tracking=True,
        groups="customer_rebate.group_rebate_user",
        domain="[('type_tax_use', '=', 'sale'), ('amount_type', '=', 'percent')]",
        help="视同销售: goods given free are a deemed sale. The tax is booked on their sales price when "
             "they are delivered, and the rebate expense is their cost plus that tax.")
    allow_negative_stock = fields.Boolean(
        groups="customer_rebate.group_rebate_user",
        help="Deliver a goods rebate even when the free product is not in stock.")
    mail_template_id = fields.Many2one(
        "mail.template", string="Notice Template", groups="customer_rebate.group_rebate_user",
        domain="[('model', '=', 'rebate.record')]",
        help="Mail sent to the customer with their rebate statement when a rebate is confirmed; "
             "empty for the standard \"rebate earned\" notice.")
    auto_notify = fields.Boolean(
        string="Notify Customers Automatically", groups="customer_rebate.group_rebate_user",
        help="Send the \"rebate earned\" notice when a record is confirmed and the \"rebate paid\" "
             "notice when it is paid out.")
    notice_channel = fields.Selection(
        [("email", "Email"), ("sms", "SMS"), ("email_sms", "Email and SMS")],
        string="Notify By", default="email", required=True, tracking=True,
        help="How customers are told (邮件或短信): an SMS goes to customers with a phone number who "
             "accept rebate notices by SMS.")
    note = fields.Html(string="Internal Notes", groups="customer_rebate.group_rebate_user")

    # ------------------------------------------------------------------ group volume (pool13)
    # 集团客户: a group's purchases decide the tier of all its members (section "Group volume")
    pool_mode = fields.Selection(
        [
            ("none", "No Pooling"),
            ("parent", "Parent Company and Branches"),
            ("tag", "Customer Tag"),
            ("group", "Customer Groups"),
        ],
        string="Group Volume", required=True, default="none", tracking=True,
        help="Customers whose purchases count together for the tier: a parent company with its branches "
             "(the top-most parent company and every company below it), the customers of each pooled tag "
             "(a customer may carry one of them only), or named customer groups. Only customers in the "
             "policy's scope count.")
    pool_category_ids = fields.Many2many(
        "res.partner.category", "rebate_policy_pool_category_rel", "policy_id", "category_id",
        string="Pooled Customer Tags", help="Each tag is one group: its customers reach the tier together.")
    pool_group_ids = fields.Many2many(
        "rebate.customer.group", "rebate_policy_pool_group_rel", "policy_id", "group_id",
        string="Pooled Customer Groups", check_company=True)
    pool_payout = fields.Selection(
        [("member", "Each Member on Its Own Purchases"), ("head", "The Whole Group to Its Head")],
        string="Group Rebate Paid To", required=True, default="member", tracking=True,
        help="Each member: every member earns its own purchases at the rate the group reached. The whole "
             "group to its head: one record for the group's head on the group's purchases.")
    # ------------------------------------------------------------------ advance13: annual target
    # with periodic advances (年度返利，季度预返) and a year-end true-up; rules in engine/advances.py,
    # records in the section "Annual target with advances" below
    advance_period = fields.Selection(
        [("month", "Monthly"), ("quarter", "Quarterly"), ("half_year", "Half-yearly")],
        string="Advances", tracking=True,
        help="Yearly policies only: at the end of each of these periods the customer is advanced the "
             "year-to-date rebate minus what was already advanced; the year-end settlement pays the "
             "rest, or recovers what was advanced too much. Empty: the rebate is paid once, after the year.")
    advance_mode = fields.Selection(
        [("rate", "Provisional rate"), ("tier", "Tier reached so far")],
        string="Advance At", required=True, default="rate", tracking=True,
        help="Provisional rate: the year-to-date sales at the provisional rate, whatever tier they "
             "reach. Tier reached so far: the year's tiers applied to the year-to-date sales.")
    advance_rate = fields.Float(
        string="Provisional Rate (%)", digits=(5, 2), tracking=True,
        help="The rate of the advances, at most the highest tier's rate.")
    # ------------------------------------------------------------------ end of advance13
    summary = fields.Char(compute="_compute_summary", help="The policy's rule in plain words.")

    # ---- paid basis (issue 13, paid13): invoices count when posted, or once paid ----
    invoice_basis = fields.Selection(
        [("posted", "When Posted"), ("paid", "Once Paid")],
        string="Invoices Count", required=True, default="posted", tracking=True,
        help="When Posted: an invoice or credit note counts in the period of its invoice date. "
             "Once Paid: it counts only as it is paid, in the period of each payment — the date of "
             "each reconciliation of its receivable (a payment, a bank statement line or a credit "
             "note matched against it, the later of the two documents' dates); a partial payment "
             "counts the invoice's untaxed lines in scope times the share of the invoice paid. A "
             "credit note matched against an invoice counts its negative share at the same date as "
             "the invoice's share it settles. A payment registered without a journal entry counts "
             "once it is reconciled with the bank.")
    # ---- end of paid basis ----
    # ---------------------------------------------------------------- overlap13: exclusions, overlapping policies
    # (the rules: the section "Exclusions and overlapping policies" below and engine/overlap.py)
    excluded_product_ids = fields.Many2many(
        "product.product", "rebate_policy_excluded_product_rel", "policy_id", "product_id",
        string="Excluded Products", check_company=True,
        help="Never counted, whatever the scope says: services, deposits, freight…")
    excluded_product_category_ids = fields.Many2many(
        "product.category", "rebate_policy_excluded_category_rel", "policy_id", "category_id",
        string="Excluded Product Categories",
        help="Products of these categories (and their subcategories) are never counted.")
    combinable = fields.Boolean(
        string="Combines with Other Policies", default=True, tracking=True,
        help="Combined: the policy counts its sales whatever other policies count. Not combined "
             "(exclusive): where another exclusive policy covers the same invoice line (same "
             "customer, product and date), only one of them counts it, as the overlap rule says.")
    overlap_priority = fields.Integer(
        string="Priority", default=10, tracking=True,
        help="Between exclusive policies on the same invoice line, the higher priority counts it.")
    overlap_rule = fields.Selection(
        [("priority", "Higher priority"), ("favourable", "More favourable to the customer")],
        string="Overlaps Decided By", default="priority", required=True, tracking=True,
        help="Higher priority: the exclusive policy with the higher priority counts the line (the "
             "older policy at equal priority). More favourable to the customer: the policy that "
             "pays back the larger share of the customer's purchases for its period holding the "
             "line (its rebate on every line of that period in its scope, before exclusive policies "
             "take lines, divided by those purchases); equal shares: priority, then the older policy.")
    overlapping_policy_ids = fields.Many2many(
        "rebate.policy", string="Overlapping Active Policies", compute="_compute_overlapping_policy_ids",
        help="Active policies whose customers, products and dates meet this policy's.")
    overlap_text = fields.Char(string="Overlap Terms", compute="_compute_overlap_text")
    # ---------------------------------------------------------------- end overlap13

    _code_version_unique = models.Constraint(
        "UNIQUE(company_id, code, version)",
        "A policy version with this reference already exists in this company.",
    )
    _date_range = models.Constraint(
        "CHECK(date_end IS NULL OR date_end >= date_start)",
        "A rebate policy cannot end before it starts.",
    )
    _seniority_positive = models.Constraint(
        "CHECK(min_seniority_months >= 0)",
        "The minimum seniority cannot be negative.",
    )
    _balance_share_range = models.Constraint(
        "CHECK(balance_max_share >= 0 AND balance_max_share <= 100)",
        "The share of an order a rebate balance may pay must be between 0 and 100 %.",
    )
    _balance_validity_positive = models.Constraint(
        "CHECK(balance_validity_months >= 0 AND balance_validity_months <= 600)",
        "The validity of a rebate balance must be between 0 and 600 months.")
    _cap_positive = models.Constraint(
        "CHECK(cap_amount IS NULL OR cap_amount >= 0)",
        "The cap of a rebate cannot be negative.",
    )

    # ------------------------------------------------------------------ display

    @api.depends("code", "name", "version")
    def _compute_display_name(self):
        for policy in self:
            label = f"[{policy.code}] {policy.name}" if policy.code and policy.code != "/" else policy.name or ""
            if policy.version > 1:
                label = self.env._("%(policy)s (v%(version)s)", policy=label, version=policy.version)
            policy.display_name = label

    def _format_measure(self, value):
        """A threshold as the customer reads it: money with the currency's decimals, a quantity
        without trailing zeros."""
        self.ensure_one()
        if self.basis == "amount":
            return formatLang(self.env, value, digits=self.currency_id.decimal_places)
        digits = max(0, -to_decimal(value).normalize().as_tuple().exponent)
        return formatLang(self.env, value, digits=min(digits, 4))

    @api.model
    def _clause_separator(self):
        """Between the clauses of a rule or a message: "; ", and the full-width "；" in Chinese
        (a lone punctuation mark is not a term Odoo exports for translation)."""
        return "；" if (self.env.lang or "").startswith("zh") else "; "

    def _format_rate(self, value):
        digits = max(0, -to_decimal(value).normalize().as_tuple().exponent)
        return formatLang(self.env, value, digits=min(digits, 4))

    def _measure_phrase(self):
        self.ensure_one()
        if self.invoice_basis == "paid":
            return self._paid_measure_phrase()
        period = {
            "month": self.env._("monthly"),
            "quarter": self.env._("quarterly"),
            "half_year": self.env._("half-yearly"),
            "year": self.env._("yearly"),
            "window": self.env._("campaign"),
        }[self.period]
        if self.basis == "quantity":
            return self.env._("%(period)s units bought", period=period)
        return self.env._("%(period)s purchases", period=period)

    # the terms in words are in the reader's language: a statement printed for customers of two
    # languages reads each one's
    @api.depends_context("lang")
    @api.depends(
        "tier_ids.threshold", "tier_ids.rate", "tier_ids.fixed_amount", "amount_type", "tier_mode",
        "basis", "period", "cap_amount", "currency_id", "min_seniority_months", "invoice_basis",
        "pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout",
        "advance_period", "advance_mode", "advance_rate",
        "combinable", "overlap_priority", "overlap_rule", "excluded_product_ids", "excluded_product_category_ids")
    def _compute_summary(self):
        # The terms in words are what salespeople explain to customers (the statement prints them
        # too): the cap they mention is read as the policy's, not as the user's field.
        for policy in self:
            policy.summary = policy.sudo()._summary_text()

    def _summary_text(self):
        """"5 % of quarterly purchases once they reach 100,000.00", and its multi-tier forms."""
        self.ensure_one()
        tiers = self.tier_ids.sorted(lambda t: (t.sequence, t.threshold, t.id))
        if not tiers:
            return self.env._("No tier yet: add at least one threshold.")
        measure = self._measure_phrase()

        def reward(tier):
            if self.amount_type == "fixed":
                return formatLang(self.env, tier.fixed_amount, currency_obj=self.currency_id)
            return self.env._("%(rate)s %%", rate=self._format_rate(tier.rate))

        if len(tiers) == 1:
            tier = tiers
            if self.amount_type == "fixed":
                text = self.env._("%(reward)s once %(measure)s reach %(threshold)s",
                         reward=reward(tier), measure=measure,
                         threshold=self._format_measure(tier.threshold))
            else:
                text = self.env._("%(reward)s of %(measure)s once they reach %(threshold)s",
                         reward=reward(tier), measure=measure,
                         threshold=self._format_measure(tier.threshold))
        else:
            steps = self._clause_separator().join(
                self.env._("%(reward)s from %(threshold)s", reward=reward(tier),
                  threshold=self._format_measure(tier.threshold))
                for tier in tiers)
            if self.amount_type == "fixed":
                text = self.env._("On %(measure)s: %(steps)s (the highest tier reached)", measure=measure, steps=steps)
            elif self.tier_mode == "incremental":
                text = self.env._("On %(measure)s: %(steps)s, each slice at its own rate", measure=measure, steps=steps)
            else:
                text = self.env._("On %(measure)s: %(steps)s, on everything bought at the highest tier reached",
                         measure=measure, steps=steps)
        if self.cap_amount:
            text = self.env._("%(rule)s, at most %(cap)s", rule=text,
                     cap=formatLang(self.env, self.cap_amount, currency_obj=self.currency_id))
        if self.min_seniority_months:
            text = self.env._("%(rule)s, for customers of at least %(months)s months", rule=text,
                     months=self.min_seniority_months)
        # clauses of the rule first (advances, pooling), then the sentence on what it never counts
        # and how it meets other policies
        if self.advance_period and self.period == "year":
            text = self._advance_summary(text)
        if self.pool_mode != "none":  # group volume
            text = self._pool_summary_text(text)
        return self._overlap_summary_text(text)  # overlap13

    # ------------------------------------------------------------------ onchange / constraints

    @api.onchange("rebate_type")
    def _onchange_rebate_type(self):
        """Fill in the terms each kind of rebate usually has; the user can change them after."""
        if self.rebate_type == "quantity":
            self.basis = "quantity"
        elif self.rebate_type == "amount":
            self.basis = "amount"
        elif self.rebate_type == "promotion":
            self.period = "window"
        elif self.rebate_type == "partnership":
            self.period = "year"
            self.min_seniority_months = self.min_seniority_months or 12

    @api.onchange("amount_type")
    def _onchange_amount_type(self):
        """Keep each tier's reward in the kind the policy pays (the other one would be refused)."""
        for tier in self.tier_ids:
            if self.amount_type == "rate":
                tier.fixed_amount = 0.0
            else:
                tier.rate = 0.0

    @api.constrains("rebate_type", "period", "date_end", "product_ids", "product_category_ids",
                    "min_seniority_months")
    def _check_type_terms(self):
        for policy in self:
            if policy.period == "window" and not policy.date_end:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: a rebate on the whole date range needs an end date.",
                    policy=policy.display_name))
            if policy.rebate_type == "promotion" and not (policy.product_ids or policy.product_category_ids):
                raise ValidationError(self.env._(
                    "Promotion policy %(policy)s: choose the products or product categories of the campaign.",
                    policy=policy.display_name))
            if policy.rebate_type == "promotion" and not policy.date_end:
                raise ValidationError(self.env._(
                    "Promotion policy %(policy)s: a campaign needs an end date.",
                    policy=policy.display_name))
            if policy.rebate_type == "partnership" and policy.min_seniority_months <= 0:
                raise ValidationError(self.env._(
                    "Partnership policy %(policy)s: set the minimum seniority in months.",
                    policy=policy.display_name))

    @api.constrains("settlement_method", "goods_product_id")
    def _check_goods_product(self):
        for policy in self:
            if policy.settlement_method == "goods" and not policy.goods_product_id:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pays out in goods: choose the free product.",
                    policy=policy.display_name))

    @api.constrains("tier_ids", "cap_amount", "date_start", "date_end", "min_seniority_months")
    def _check_bounds(self):
        """Amounts, thresholds, dates, seniority and the number of tiers within the engine's bounds
        (see ``engine/bounds.py``): beyond them a policy would fail every order and invoice of its
        customers, or print pages of tiers on every statement."""
        largest = formatLang(self.env, float(MAX_AMOUNT), digits=0)
        messages = {
            "not_a_number": self.env._("thresholds, rates, amounts and the cap must be numbers"),
            "too_many_tiers": self.env._("a policy has at most %(count)s tiers", count=MAX_TIERS),
            "threshold_too_large": self.env._("a threshold cannot exceed %(max)s", max=largest),
            "amount_too_large": self.env._("a fixed amount cannot exceed %(max)s", max=largest),
            "cap_too_large": self.env._("the cap cannot exceed %(max)s", max=largest),
            "date_out_of_range": self.env._(
                "the dates must lie between %(first)s and %(last)s",
                first=format_date(self.env, MIN_DATE), last=format_date(self.env, MAX_DATE)),
            "seniority_too_long": self.env._(
                "the minimum seniority cannot exceed %(months)s months", months=MAX_SENIORITY_MONTHS),
            "quantity_too_large": self.env._("a free quantity cannot exceed %(max)s", max=largest),
        }
        for policy in self:
            # every figure a tier holds, whichever of them the policy uses
            tiers = [
                Tier(threshold=to_decimal(tier.threshold), rate=to_decimal(tier.rate),
                     fixed_amount=to_decimal(tier.fixed_amount))
                for tier in policy.tier_ids
            ]
            problems = [code for code, _index in validate_bounds(
                tiers, cap=policy.cap_amount, date_start=policy.date_start or None,
                date_end=policy.date_end or None, seniority_months=policy.min_seniority_months)]
            if not all(amount_in_bounds(tier.goods_qty) for tier in policy.tier_ids):
                problems.append("quantity_too_large")
            if problems:
                raise ValidationError(self.env._(
                    "The terms of policy %(policy)s are out of bounds: %(problems)s.",
                    policy=policy.display_name,
                    problems=self._clause_separator().join(messages[code] for code in dict.fromkeys(problems))))

    def _engine_tiers(self):
        """The policy's tiers as engine values, in the order the user set them."""
        self.ensure_one()
        fixed = self.amount_type == "fixed"
        return [
            Tier(
                threshold=to_decimal(tier.threshold),
                rate=None if fixed else to_decimal(tier.rate),
                fixed_amount=to_decimal(tier.fixed_amount) if fixed else None,
                key=tier.id,
            )
            for tier in self.tier_ids.sorted(lambda t: (t.sequence, t.id))
        ]

    @api.constrains("invoice_basis", "advance_period", "period", "combinable")
    def _check_combined_terms(self):
        """Issue 13's terms were each built and tested on their own; the pairs below are refused
        until they are tested together, rather than paid by a rule nobody worked out. (Group volume
        checks its own pairs, see _check_pool_combinations.)"""
        for policy in self:
            refused = []
            advances = policy.period == "year" and policy.advance_period
            if advances and policy.invoice_basis == "paid":
                refused.append(self.env._("advances within the year and invoices counted once paid"))
            if advances and not policy.combinable:
                refused.append(self.env._("advances within the year and an exclusive policy"))
            if policy.invoice_basis == "paid" and not policy.combinable:
                refused.append(self.env._("invoices counted once paid and an exclusive policy"))
            if refused:
                raise ValidationError(self.env._(
                    "Policy %(policy)s combines terms that do not work together yet: %(terms)s.",
                    policy=policy.display_name, terms=self._clause_separator().join(refused)))

    @api.constrains("amount_type")
    def _check_tier_rewards(self):
        self.tier_ids._check_reward_kind()

    @api.constrains("tier_ids", "tier_mode", "amount_type")
    def _check_tiers(self):
        messages = {
            "negative_threshold": self.env._("a threshold cannot be negative"),
            "not_increasing": self.env._("each threshold must be higher than the one above it"),
            "rate_range": self.env._("a rate must be between 0 and 100 %"),
            "negative_amount": self.env._("a fixed amount cannot be negative"),
            "decreasing": self.env._("a higher tier cannot pay less than a lower one"),
            "incremental_fixed": self.env._("slice-by-slice tiers need percentages, not fixed amounts"),
        }
        for policy in self:
            if not policy.tier_ids:
                continue
            problems = [
                messages[code] for code, _index in validate_tiers(policy._engine_tiers(), policy.tier_mode)
                if code in messages
            ]
            if problems:
                raise ValidationError(self.env._(
                    "The tiers of policy %(policy)s are not valid: %(problems)s.",
                    policy=policy.display_name, problems=self._clause_separator().join(dict.fromkeys(problems))))

    # ------------------------------------------------------------------ ORM

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before a number is taken: a refused create leaves no gap
        check_numbers(self, vals_list)
        if any(vals.get("state", "draft") != "draft" for vals in vals_list):
            raise UserError(self.env._("A policy is created as a draft; it is activated with the Activate button."))
        for vals in vals_list:
            if vals.get("code", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["code"] = self.env["ir.sequence"].with_company(company).next_by_code("rebate.policy") or "/"
        return super().create(vals_list)

    def write(self, vals):
        pool_terms = {"pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout"} & set(vals)
        watched = COVERAGE_FIELDS.intersection(vals)
        overlapping_before = self._overlap_affected() if watched else self.env["rebate.policy"]
        if set(APPROVAL_FIELDS + ("approval_requester_id",)).intersection(vals) and not is_lifted(POLICY_APPROVAL):
            raise UserError(self.env._("Approvals are given with the Approve buttons, not written."))
        changes_approved_terms = APPROVED_TERM_FIELDS.intersection(vals) and not is_lifted(POLICY_REVISION)
        if changes_approved_terms:
            self._check_terms_open_to_change()
        check_numbers(self, [vals])
        if "state" in vals and not is_lifted(POLICY_STATE):
            # activate, close, send for approval, back to draft: only the actions move a policy
            raise UserError(self.env._(
                "The status of a policy changes with its buttons (Activate, Close, Reset to Draft), not by writing it."))
        if TERM_FIELDS.intersection(vals) and not is_lifted(POLICY_REVISION):
            self._check_terms_editable()
        if TERM_FIELDS.intersection(vals) or "state" in vals or vals.get("active"):
            # other terms, other figures in every period: the next run computes them all (and
            # after the policy was archived: what moved customers or products meanwhile was not
            # queued for it)
            vals = dict(vals, compute_open_from=False, compute_resume_date=False)
        result = super().write(vals)
        if changes_approved_terms:
            self._reset_approval_on_change()
        if watched:
            self._overlap_after_write(overlapping_before, vals)
        if {"invoice_basis", "advance_period", "combinable", "overlap_rule"} & set(vals):
            self._check_pool_combinations()
        if pool_terms:
            self._pool_forget_groups()
        if NAMED_SCOPE_FIELDS.intersection(vals):
            self.env.registry.clear_cache()
        return result

    @api.model
    @ormcache()
    def _rebate_named_scope(self):
        """``(tag ids, category ids, pooled tag ids, whether one pools by parent company)`` that
        active or closed policies name: their customer tags, their product categories and excluded
        ones, the tags of the policies pooling by tag. Kept between transactions (forgotten when a
        policy's state or those fields change), so that the hooks on every write of a partner, a
        tag, a product or a category read nothing when no policy names them."""
        policies = self.sudo().search([("state", "in", ("active", "closed"))])
        return (frozenset(policies.partner_category_ids.ids),
                frozenset((policies.product_category_ids | policies.excluded_product_category_ids).ids),
                frozenset(policies.filtered(lambda policy: policy.pool_mode == "tag").pool_category_ids.ids),
                any(policy.pool_mode == "parent" for policy in policies))

    def _write_state(self, vals):
        """The one way the actions write ``state`` (see rebate_guard: no client can lift it)."""
        with lifted(POLICY_STATE):
            return self.write(vals)

    def _check_terms_editable(self):
        """Refuse to change the terms of a policy whose records are already confirmed."""
        frozen = self.filtered(lambda p: p._has_frozen_records())
        if frozen:
            raise UserError(self.env._(
                "The terms of %(policies)s cannot change: records computed with them are already "
                "confirmed. Use Revise to start a new version from a date.",
                policies=", ".join(frozen.mapped("display_name"))))

    def _has_frozen_records(self):
        """True when records computed under the current terms are confirmed or settled."""
        self.ensure_one()
        return bool(self.env["rebate.record"].search_count(
            [("policy_id", "=", self.id), ("state", "in", ("confirmed", "settled"))], limit=1))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_draft(self):
        if any(policy.state != "draft" for policy in self):
            raise UserError(self.env._("Only draft policies can be deleted; close or archive the others."))

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if not (default or {}).get("name"):
            for policy, vals in zip(self, vals_list):
                vals["name"] = self.env._("%s (copy)", policy.name)
        return vals_list

    # ------------------------------------------------------------------ actions

    def action_activate(self):
        self._check_approval_for_activation()
        blocked = self._check_activation_readiness()
        if blocked:
            return blocked
        for policy in self:
            if policy.state not in ("draft", "to_approve"):
                raise UserError(self.env._("Only a draft policy can be activated (%s).", policy.display_name))
            if not policy.tier_ids:
                raise UserError(self.env._(
                    "Policy %s has no tier: add at least one threshold before activating it.",
                    policy.display_name))
            previous = policy.previous_policy_id
            if previous and previous.state == "active":
                if policy.date_start <= previous.date_start:
                    raise UserError(self.env._(
                        "Version %(version)s must start after the version it replaces (%(date)s).",
                        version=policy.display_name, date=previous.date_start))
                previous._end_version(policy.date_start - timedelta(days=1))
                previous.message_post(body=self.env._(
                    "Replaced by %(version)s from %(date)s.",
                    version=policy._get_html_link(), date=policy.date_start))
        self._write_state({"state": "active"})
        return True

    def action_close(self):
        today = fields.Date.context_today(self)
        for policy in self:
            if policy.state != "active":
                raise UserError(self.env._("Only an active policy can be closed (%s).", policy.display_name))
            if not policy.date_end or policy.date_end > today:
                policy._end_version(max(today, policy.date_start))
            else:
                policy._write_state({"state": "closed"})
        return True

    def _misc_journal(self):
        """The journal of the policy's own entries (accruals, clearings, expiries): its journal when
        it is a miscellaneous one, else the company's; never a sales journal, whose numbering is
        the invoices'."""
        self.ensure_one()
        if self.journal_id.type == "general":
            return self.journal_id
        stock_journal = self.company_id.account_stock_journal_id
        return self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "general"), ("id", "!=", stock_journal.id)],
            limit=1) or stock_journal

    def _end_version(self, date_end):
        """Close this version on ``date_end``. Its estimates after that day go, in the same
        transaction, and the period holding it is recomputed on its shortened dates: the version
        that takes over computes its own, and a customer-period is never payable under both.
        Confirmed or settled records after that day are refused, not silently handed over."""
        self.ensure_one()
        beyond = self.env["rebate.record"].search([
            ("policy_id", "=", self.id), ("date_end", ">", date_end), ("state", "!=", "cancelled")])
        frozen = beyond.filtered(lambda r: r.state in ("confirmed", "settled"))
        if frozen:
            raise UserError(self.env._(
                "%(policy)s cannot end on %(date)s: %(records)s after that day are already confirmed. "
                "Cancel them (or their settlements) first, or end the policy after their periods.",
                policy=self.display_name, date=date_end,
                records=", ".join(frozen[:5].mapped("display_name"))))
        beyond.filtered(lambda r: r.date_start > date_end).with_context(**COMPUTE_CONTEXT).unlink()
        shortened = beyond.exists()
        with lifted(POLICY_REVISION):
            self._write_state({"date_end": date_end, "state": "closed"})
        shortened.write({"date_end": date_end})
        for date_start in set(shortened.mapped("date_start")):
            self._compute_period_records(date_start, date_end)

    def action_draft(self):
        """Back to draft, to fix the terms of a policy that has not produced frozen records (a
        policy waiting for approval loses the approvals it had)."""
        waiting = self.filtered(lambda p: p.state == "to_approve")
        for policy in self:
            if policy.state == "draft":
                continue
            if policy._has_frozen_records():
                raise UserError(self.env._(
                    "Policy %s already has confirmed records: revise it instead.", policy.display_name))
        self._write_state({"state": "draft"})
        waiting._write_approval(dict.fromkeys(APPROVAL_FIELDS, False))
        return True

    def _default_revision_date(self):
        """The start of the period holding today: records of earlier periods stay with this version."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if today < self.date_start:
            return self.date_start
        if self.period == "window":
            return today
        return period_containing(self.period, today, self.date_start).date_start

    def action_revise(self, date_from=None):
        """Start a new draft version with the same terms, taking over from ``date_from`` (by
        default the start of the current period); activating it closes this one the day before."""
        self.ensure_one()
        if self.state != "active":
            raise UserError(self.env._("Only an active policy can be revised (%s).", self.display_name))
        if self.next_policy_ids.filtered(lambda p: p.state == "draft"):
            raise UserError(self.env._(
                "Policy %s already has a draft new version: finish or delete it first.", self.display_name))
        date_from = fields.Date.to_date(date_from) or self._default_revision_date()
        if not MIN_DATE <= date_from <= MAX_DATE:
            raise UserError(self.env._(
                "A new version starts between %(first)s and %(last)s, not on %(date)s.",
                first=format_date(self.env, MIN_DATE), last=format_date(self.env, MAX_DATE), date=date_from))
        if date_from <= self.date_start:
            date_from = self.date_start + timedelta(days=1)
        if self.period != "window":
            period = period_containing(self.period, date_from, self.date_start)
            if period.date_start != date_from:
                raise UserError(self.env._(
                    "A new version takes over at the start of a period (%(date)s here): from %(asked)s, the "
                    "customers' period would be split between two versions and neither half might reach a tier.",
                    date=period.date_start if period.date_start > self.date_start else period.date_end + timedelta(days=1),
                    asked=date_from))
        revision = self.copy({
            "name": self.name,
            "code": self.code,
            "version": max(self.search([("code", "=", self.code), ("company_id", "=", self.company_id.id),
                                        ("active", "in", (True, False))]).mapped("version")) + 1,
            "previous_policy_id": self.id,
            "date_start": date_from,
            "date_end": self.date_end if self.date_end and self.date_end >= date_from else False,
        })
        self.message_post(body=self.env._("New version %s drafted.", revision._get_html_link()))
        return {
            "type": "ir.actions.act_window",
            "res_model": "rebate.policy",
            "res_id": revision.id,
            "view_mode": "form",
            "target": "current",
        }

    # ---- Computation -----------------------------------------------------------------------------
    # How a policy turns posted invoices into rebate records (one aggregated query per policy and
    # period, the engine for the rules, batched writes) and into projections for orders and invoices.

    record_ids = fields.One2many("rebate.record", "policy_id", string="Records", groups=REBATE_USER)
    record_count = fields.Integer(compute="_compute_record_stats", groups=REBATE_USER)
    record_amount = fields.Monetary(
        string="Rebates Earned", compute="_compute_record_stats", currency_field="currency_id", groups=REBATE_USER)
    last_compute_date = fields.Datetime(string="Last Computed", readonly=True, copy=False, groups=REBATE_USER)
    compute_open_from = fields.Date(
        string="Last Complete Computation", readonly=True, copy=False, groups=REBATE_USER,
        help="Day of the last complete computation: periods begun since are computed in full, the "
             "others only for the customers whose invoices or credit notes changed. Empty: the next "
             "run computes every period.")
    compute_resume_date = fields.Date(
        string="Computation Resumes From", readonly=True, copy=False, groups=REBATE_USER,
        help="Where an interrupted full computation goes on at the next run.")

    def _compute_record_stats(self):
        groups = self.env["rebate.record"]._read_group(
            [("policy_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["policy_id"], ["__count", "amount:sum"])
        stats = {policy.id: (count, amount) for policy, count, amount in groups}
        for policy in self:
            policy.record_count, policy.record_amount = stats.get(policy.id, (0, 0.0))

    # The review sums up every customer's sales under the policy: it follows the effect analysis,
    # which is the managers'.
    review_date = fields.Date(
        string="Review Period", copy=False, groups=REBATE_MANAGER,
        help="A day in the period to review; empty to review every period of the policy.")
    review_period_label = fields.Char(string="Period Reviewed", compute="_compute_review", groups=REBATE_MANAGER)
    review_net_effect = fields.Monetary(
        string="Net Effect", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Gross margin gained over the period before minus the rebates, for ended periods. A "
             "customer whose growth cannot be measured (no sales in the period before) adds its "
             "rebate and no gain.")
    review_margin = fields.Monetary(
        string="Gross Margin", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Sales in scope minus their cost.")
    review_margin_gain = fields.Monetary(
        string="Gross Margin Gained", compute="_compute_review", currency_field="currency_id",
        groups=REBATE_MANAGER, help="Gross margin minus the same customers' gross margin in the period "
                                    "before, where the growth is measured.")
    review_rebate = fields.Monetary(
        string="Rebates of the Period", compute="_compute_review", currency_field="currency_id",
        groups=REBATE_MANAGER, help="Rebates earned or estimated, cancelled ones left out.")
    review_customer_count = fields.Integer(
        string="Customers with Sales", compute="_compute_review", groups=REBATE_MANAGER)
    review_tiers = fields.Char(
        string="Customers per Tier", compute="_compute_review", groups=REBATE_MANAGER,
        help="Each customer once, at the highest tier reached in the periods reviewed.")
    review_sales = fields.Monetary(
        string="Sales in Scope", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_earned = fields.Monetary(
        string="Rebates Confirmed", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_paid = fields.Monetary(
        string="Rebates Paid", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER)
    review_cost_share = fields.Float(
        string="Rebate Cost (% of Sales)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER)
    review_compared = fields.Char(
        string="Growth Measured On", compute="_compute_review", groups=REBATE_MANAGER,
        help="Growth is measured only for ended periods of customers who bought in the period before.")
    review_comparison = fields.Char(string="Compared With", compute="_compute_review", groups=REBATE_MANAGER)
    review_growth_measured = fields.Boolean(compute="_compute_review", groups=REBATE_MANAGER)
    review_inside_growth = fields.Float(
        string="Sales Growth, Policy (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="Growth of the sales of the customers earning a rebate over the periods before.")
    review_comparison_measured = fields.Boolean(compute="_compute_review", groups=REBATE_MANAGER)
    review_comparison_growth = fields.Float(
        string="Sales Growth, Comparison (%)", compute="_compute_review", digits=(16, 2), groups=REBATE_MANAGER,
        help="The same growth for customers outside the policy, or, for a policy over every "
             "customer, for those who stayed below the first tier.")
    review_uplift = fields.Monetary(
        string="Sales Uplift", compute="_compute_review", currency_field="currency_id", groups=REBATE_MANAGER,
        help="Sales of the customers whose growth is measured minus their sales in the periods before.")

    def _review_period(self):
        """The period under review, or None for every period (no review date, or one outside the
        policy's dates)."""
        self.ensure_one()
        if not (self.review_date and self.date_start and self.period):
            return None
        if self.period == "window" and not self.date_end:
            return None
        return period_containing(self.period, self.review_date, self.date_start, self.date_end or None)

    def _review_domain(self, period):
        domain = Domain("policy_id", "=", self._origin.id)
        if period:
            domain &= Domain("date_start", "=", period.date_start)
        return domain

    @api.depends("review_date", "date_start", "date_end", "period")
    def _compute_review(self):
        """Key figures for reviewing a policy over one period or all of them, from the effect
        analysis (a few aggregates per policy)."""
        Effect = self.env["rebate.effect.report"]
        Record = self.env["rebate.record"]
        today = fields.Date.context_today(self)

        def growth(sales, previous):
            return 100.0 * (sales - previous) / previous if previous > 0 else 0.0

        for policy in self:
            period = policy._review_period()
            domain = policy._review_domain(period)
            if period:
                policy.review_period_label = self.env._(
                    "%(start)s – %(end)s", start=format_date(self.env, period.date_start),
                    end=format_date(self.env, period.date_end))
            elif policy.review_date:
                policy.review_period_label = self.env._("Every period (the date is outside the policy's dates)")
            else:
                policy.review_period_label = self.env._("Every period")
            [(sales, rebate, uplift, compared_previous, margin, margin_gain, net_effect)] = Effect._read_group(
                domain, [], ["sales:sum", "rebate:sum", "uplift:sum", "compared_previous_sales:sum",
                             "margin:sum", "margin_gain:sum", "net_effect:sum"])
            sales, rebate, uplift, compared_previous = sales or 0.0, rebate or 0.0, uplift or 0.0, compared_previous or 0.0
            policy.review_sales = sales
            policy.review_rebate = rebate
            policy.review_uplift = uplift
            policy.review_margin = margin or 0.0
            policy.review_margin_gain = margin_gain or 0.0
            policy.review_net_effect = net_effect or 0.0
            policy.review_cost_share = 100.0 * rebate / sales if sales else 0.0

            by_comparison = dict(Effect._read_group(domain, ["comparison"], ["__count"]))
            measured = by_comparison.get("policy", 0) + by_comparison.get("baseline", 0)
            total = sum(by_comparison.values())
            parts = [self.env._("%(measured)s of %(total)s customer periods", measured=measured, total=total)]
            if by_comparison.get("open"):
                parts.append(self.env._("%s in a running period", by_comparison["open"]))
            if by_comparison.get("no_previous"):
                parts.append(self.env._("%s without sales in the period before", by_comparison["no_previous"]))
            policy.review_compared = self._clause_separator().join(parts)

            if policy._has_partner_scope():
                policy.review_comparison = self.env._("Customers outside the policy")
                inside = (uplift + compared_previous, compared_previous)
                outside_domain = Domain("policy_id", "=", policy._origin.id) & Domain("date_end", "<", today) \
                    & Domain("outside_previous_sales", ">", 0)
                if period:
                    outside_domain &= Domain("date_start", "=", period.date_start)
                [outside] = self.env["rebate.policy.period"]._read_group(
                    outside_domain, [], ["outside_sales:sum", "outside_previous_sales:sum"])
            else:
                policy.review_comparison = self.env._("Customers below the first tier")
                reached = {
                    flag: (up + previous, previous) for flag, up, previous in Effect._read_group(
                        domain & Domain("comparable", "=", True), ["reached_tier"],
                        ["uplift:sum", "compared_previous_sales:sum"])
                }
                inside = reached.get(True, (0.0, 0.0))
                outside = reached.get(False, (0.0, 0.0))
            policy.review_growth_measured = inside[1] > 0
            policy.review_inside_growth = growth(*inside)
            policy.review_comparison_measured = (outside[1] or 0.0) > 0
            policy.review_comparison_growth = growth(outside[0] or 0.0, outside[1] or 0.0)

            record_domain = domain & Domain("state", "!=", "cancelled")
            earned = paid = 0.0
            for state, amount in Record._read_group(
                    record_domain & Domain("state", "in", ("confirmed", "settled")), ["state"], ["amount:sum"]):
                earned += amount
                if state == "settled":
                    paid += amount
            policy.review_earned, policy.review_paid = earned, paid

            # each customer once, at the highest tier reached: the counts add up to the customers
            order = {tier.id: index for index, tier in enumerate(policy.tier_ids.sorted(lambda t: (t.sequence, t.id)))}
            highest = {}
            for partner, tier in Record._read_group(record_domain, ["partner_id", "tier_id"]):
                rank = order.get(tier.id, -1) if tier else -1
                highest[partner.id] = max(highest.get(partner.id, -1), rank)
            policy.review_customer_count = len(highest)
            counts = defaultdict(int)
            for rank in highest.values():
                counts[rank] += 1
            tiers = policy.tier_ids.sorted(lambda t: (t.sequence, t.id))
            parts = [
                self.env._("%(tier)s: %(count)s", tier=tier.display_name, count=counts[index])
                for index, tier in enumerate(tiers) if counts.get(index)
            ]
            if counts.get(-1):
                parts.append(self.env._("below the first tier: %s", counts[-1]))
            policy.review_tiers = self._clause_separator().join(parts)

    @api.readonly
    def action_view_effect(self):
        """The effect analysis of the policies, of the period under review when one is chosen."""
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_effect_report_action")
        domain = Domain("policy_id", "in", self.ids)
        if len(self) == 1 and (period := self._review_period()):
            domain &= Domain("date_start", "=", period.date_start)
            action["display_name"] = action["name"] = self.env._(
                "Rebate Effect Analysis: %(policy)s, %(period)s",
                policy=self.display_name, period=self.review_period_label)
        action["domain"] = list(domain)
        return action


    # ------------------------------------------------------------------ the base

    def _has_partner_scope(self):
        self.ensure_one()
        return bool(self.partner_ids or self.partner_category_ids)

    def _scope_partner_ids(self):
        """Commercial partners the policy is limited to, or None for every customer (read once
        per policy inside a run of ``_compute_records``)."""
        self.ensure_one()
        if not self._has_partner_scope():
            return None
        run = CURRENT_RUN.get()
        if run is not None:
            key = ("partners", self.id)
            if key not in run.memo:
                run.memo[key] = self._read_scope_partner_ids()
            return run.memo[key]
        return self._read_scope_partner_ids()

    def _partners_in_scope(self, partner_ids):
        """Those of the commercial partners ``partner_ids`` that the policy's customer scope
        covers, in their order, without reading the whole scope for a few customers (the
        projection, the day's changes): named, or one of their contacts tagged."""
        self.ensure_one()
        if not self._has_partner_scope():
            return list(partner_ids)
        run = CURRENT_RUN.get()
        if (run is not None and ("partners", self.id) in run.memo) or len(partner_ids) > 1000:
            inside = set(self._scope_partner_ids())
        else:
            inside = set(self.partner_ids.commercial_partner_id.ids)
            if self.partner_category_ids:
                inside |= self._tagged_partners_among(partner_ids)
        return [partner_id for partner_id in partner_ids if partner_id in inside]

    def _tagged_partners_among(self, partner_ids):
        """Those of the commercial partners ``partner_ids`` one of whose contacts carries one of
        the policy's tags (inside a run, read once for the policies of the same tags)."""
        def read():
            return set(self.env["res.partner"].with_context(active_test=False).search(
                [("category_id", "in", self.partner_category_ids.ids),
                 ("commercial_partner_id", "in", list(partner_ids))]).commercial_partner_id.ids)

        run = CURRENT_RUN.get()
        if run is None:
            return read()
        key = ("tagged", frozenset(self.partner_category_ids.ids), frozenset(partner_ids))
        if key not in run.memo:
            run.memo[key] = read()
        return run.memo[key]

    def _read_scope_partner_ids(self):
        partners = self.partner_ids
        if self.partner_category_ids:
            partners |= self.env["res.partner"].with_context(active_test=False).search(
                [("category_id", "in", self.partner_category_ids.ids)])
        return partners.commercial_partner_id.ids

    def _scope_product_ids(self):
        """Products the policy is limited to (categories with their children), or None for all
        (read once per policy inside a run of ``_compute_records``)."""
        self.ensure_one()
        if not (self.product_ids or self.product_category_ids):
            return None
        run = CURRENT_RUN.get()
        if run is not None:
            key = ("products", self.id)
            if key not in run.memo:
                run.memo[key] = self._read_scope_product_ids()
            return run.memo[key]
        return self._read_scope_product_ids()

    def _read_scope_product_ids(self):
        products = self.product_ids
        if self.product_category_ids:
            products |= self.env["product.product"].with_context(active_test=False).search(
                [("categ_id", "child_of", self.product_category_ids.ids)])
        return products.ids

    def _product_line_domain(self, date_start, date_end, ranges=None, moves=True):
        """Product lines of posted customer invoices and credit notes between two dates (by
        invoice date), in the policy's company and product scope, for any customer.

        ``ranges`` (a list of (start, end)) takes several date ranges at once; ``moves=False``
        leaves out the condition on the move's type, for the aggregate that joins the moves
        itself (it applies the same condition in SQL)."""
        self.ensure_one()
        ranges = ranges or [(date_start, date_end)]
        # the ranges of consecutive periods as one: the same days, a condition or two per line
        dates = Domain.OR(
            Domain([("invoice_date", ">=", start), ("invoice_date", "<=", end)])
            for start, end in merge_date_ranges(ranges)) \
            if self.invoice_basis != "paid" else self._paid_dates_domain(ranges, moves=moves)
        domain = Domain([
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("display_type", "=", "product"),
            ("is_rebate_discount", "=", False),
        ])
        if moves:
            # a payout's own documents (credit notes, their reversals, recovery invoices) are not
            # sales: counting them would lower the next base by the rebate just paid
            domain &= Domain("move_id", "any", [
                ("move_type", "in", BASE_MOVE_TYPES), ("rebate_settlement_id", "=", False)])
        domain &= dates
        if self.product_ids or self.product_category_ids:
            domain &= self._product_scope_domain()
        return domain & self._exclusion_domain()  # overlap13: products never counted

    def _product_scope_domain(self):
        """The policy's products as a condition on journal items that the ORM turns into SQL:
        the products named, and those of the categories with their children (``child_of``, on
        the categories' parent path), archived ones included."""
        self.ensure_one()
        return Domain.OR([
            Domain("product_id", "in", self.product_ids.ids) if self.product_ids else Domain.FALSE,
            Domain("product_id.categ_id", "child_of", self.product_category_ids.ids)
            if self.product_category_ids else Domain.FALSE,
        ])

    def _partner_scope_domain(self):
        """The policy's customers as a condition on journal items (whose partner is the
        commercial partner) that the ORM turns into SQL: the customers named, and those one of
        whose contacts carries one of the tags."""
        self.ensure_one()
        domain = Domain("partner_id", "in", self.partner_ids.commercial_partner_id.ids) \
            if self.partner_ids else Domain.FALSE
        if self.partner_category_ids:
            # the subquery reads the columns: what the ORM still holds must be written first
            self.env["res.partner"].flush_model(["category_id", "commercial_partner_id"])
            tagged = self.env["res.partner"].with_context(active_test=False)._search(
                [("category_id", "in", self.partner_category_ids.ids)])
            domain |= Domain("partner_id", "any!", tagged.subselect(
                SQL.identifier(tagged.table, "commercial_partner_id")))
        return domain

    def _base_line_domain(self, date_start, date_end, partner_ids=None, ranges=None, moves=True):
        """Journal items that count for the policy between two dates: its product lines for the
        customers in its scope (or ``partner_ids`` among them). The same domain feeds the aggregate
        and the "invoice lines" button, so what a user opens is exactly what was added up."""
        self.ensure_one()
        domain = self._product_line_domain(date_start, date_end, ranges=ranges, moves=moves)
        if partner_ids is not None:
            partner_ids = self._partners_in_scope(list(partner_ids))
            domain &= Domain("partner_id", "in", partner_ids)
        elif self._has_partner_scope():
            domain &= self._partner_scope_domain()
        # overlap13: lines an exclusive policy of a higher key counts are not this one's
        return domain & self._overlap_exclusion_domain(ranges or [(date_start, date_end)], partner_ids)

    def _outside_line_domain(self, date_start, date_end, ranges=None, moves=True):
        """The policy's journal items of the period for the customers its scope leaves out."""
        self.ensure_one()
        domain = self._product_line_domain(date_start, date_end, ranges=ranges, moves=moves)
        return domain & ~self._partner_scope_domain() if self._has_partner_scope() else domain

    # at most this many customers, an aggregate joins their lines to their moves by the moves' key
    FEW_CUSTOMERS = 300

    def _line_figures_query(self, domain, ranges, build, every_customer=False, customers=None, condition=None):
        """Run one aggregate over the journal items of ``domain`` (built with ``moves=False``, for
        the date ``ranges``),
        joined to their move, which must be a customer invoice or credit note that no payout made.
        ``build(terms)`` returns the SELECT list and the GROUP BY (SQL, or None) from the SQL
        terms ``line`` (the line's alias), ``date``, ``amount`` (untaxed, company currency, credit
        notes negative), ``qty`` (in the product's unit, credit notes negative) and ``cost``
        (that quantity at the product's cost in the policy's company). ``every_customer``: the
        domain limits neither the customers nor their number (a whole period of the policy's
        products is read); ``customers``: the domain limits the lines to that many customers (or
        documents); ``condition(terms)``, an SQL condition added to the domain's. Returns the
        rows."""
        self.ensure_one()
        # raw SQL over lines, moves, products and units: what the ORM still holds must be written
        for model in ("account.move.line", "account.move", "product.product", "product.template", "uom.uom"):
            self.env[model].flush_model()
        Line = self.env["account.move.line"].sudo().with_company(self.company_id)
        query = Line._search(domain)
        query.order = None
        line = query.table
        move = query.join(line, "move_id", "account_move", "id", "rebate_move")
        query.add_where(SQL("%s IN %s AND %s IS NULL", SQL.identifier(move, "move_type"), BASE_MOVE_TYPES,
                            SQL.identifier(move, "rebate_settlement_id")))
        # the line's invoice date is its move's: saying it of the moves too lets PostgreSQL read
        # only the moves of the ranges (index on account_move.invoice_date), not all of them; for
        # many ranges (the day's changes of several periods) their span, one comparison a move
        # (dozens of ranges in an OR made PostgreSQL test every one on every move)
        if self.invoice_basis != "paid":  # paid basis: the shares joined below decide the dates
            move_ranges = merge_date_ranges(ranges)
            if len(move_ranges) > 3:
                move_ranges = [(move_ranges[0][0], max(end for _start, end in move_ranges))]
            query.add_where(SQL("(%s)", SQL(" OR ").join(
                SQL("%s BETWEEN %s AND %s", SQL.identifier(move, "invoice_date"), start, end)
                for start, end in move_ranges)))
        product = query.left_join(line, "product_id", "product_product", "id", "rebate_product")
        template = query.left_join(product, "product_tmpl_id", "product_template", "id", "rebate_template")
        line_uom = query.left_join(line, "product_uom_id", "uom_uom", "id", "rebate_line_uom")
        product_uom = query.left_join(template, "uom_id", "uom_uom", "id", "rebate_product_uom")
        # the line's quantity in the product's own unit, with the sign of the document, converted
        # as _compute_period_bases converts it
        # (the same value as sign × quantity × (factor ratio or 1), without the two multiplications
        # by 1 of most lines: a tenth of the aggregate over three quarters)
        signed = SQL("(CASE WHEN %s = 'out_refund' THEN -%s ELSE %s END)", SQL.identifier(move, "move_type"),
                     SQL.identifier(line, "quantity"), SQL.identifier(line, "quantity"))
        qty = SQL(
            "(CASE WHEN %(lu)s IS NOT NULL AND %(pu)s IS NOT NULL AND %(lu)s != %(pu)s"
            " THEN %(signed)s * (%(lf)s::numeric / %(pf)s::numeric) ELSE %(signed)s END)",
            signed=signed, lu=SQL.identifier(line_uom, "id"), pu=SQL.identifier(product_uom, "id"),
            lf=SQL.identifier(line_uom, "factor"), pf=SQL.identifier(product_uom, "factor"))
        # the cost is company-dependent (a jsonb keyed by company): read for the policy's company
        unit_cost = Line.env["product.product"]._field_to_sql(product, "standard_price", query)
        terms = {
            "line": SQL.identifier(line),
            "date": SQL.identifier(line, "invoice_date"),
            "amount": SQL("(-%s)", SQL.identifier(line, "balance")),
            "qty": qty,
            "cost": SQL("(%s * COALESCE(%s, 0)::numeric)", qty, unit_cost),
        }
        if self.invoice_basis == "paid":
            terms = self._join_paid_shares(query, move, ranges, terms)
        if condition is not None:
            query.add_where(condition(terms))
        select, groupby = build(terms)
        cr = self.env.cr
        # For this statement only: no JIT compilation (a tenth of a second or more to compile
        # an aggregate that then runs about as long), and the memory to aggregate the customers
        # in a hash table instead of sorting the lines on disk; the settings are put back after.
        # Reading every customer's lines of a period, also no nested loop: with a product category
        # in the scope PostgreSQL underestimated the lines per product and walked the products'
        # index over every year of their lines (a promotion on a quarter of the products, three
        # months of 2025: 1.4 s, against 0.4 s hashing the period's lines). Reading a few
        # customers' lines of any product, no hash join: it hashed every move of the years read
        # to join a few thousand lines (the day's changes over three years: 110-190 ms, against
        # 45-140 ms by the moves' primary key; with a product scope, nested loops over the
        # products' index came back, so those keep the hash).
        settings = [("jit", "off")]
        if every_customer:
            settings.append(("enable_nestloop", "off"))
        elif customers is not None and customers <= self.FEW_CUSTOMERS \
                and not (self.product_ids or self.product_category_ids):
            settings.append(("enable_hashjoin", "off"))
        names = [name for name, _value in settings] + ["work_mem"]
        cr.execute(SQL(
            "SELECT %s, %s, CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s) "
            "THEN set_config('work_mem', %s, true) END",
            SQL(", ").join(SQL("current_setting(%s)", name) for name in names),
            SQL(", ").join(SQL("set_config(%s, %s, true)", name, value) for name, value in settings),
            AGGREGATE_WORK_MEM, AGGREGATE_WORK_MEM))
        before = cr.fetchone()[:len(names)]
        cr.execute(SQL("%s%s", query.select(select), SQL(" GROUP BY %s", groupby) if groupby is not None else SQL()))
        rows = cr.fetchall()
        # (a failed statement needs no putting back: rolling back its savepoint undoes the settings)
        cr.execute(SQL("SELECT %s", SQL(", ").join(
            SQL("set_config(%s, %s, true)", name, value) for name, value in zip(names, before))))
        return rows

    def _compute_period_figures(self, period, partner_ids=None):
        """``{partner id: {figure: Decimal}}`` for one period, from ONE aggregate over the lines of
        the period, the period before and the same period last year (conditional sums over the
        union of the three date ranges): ``base_amount`` and ``base_qty``, the amounts before and
        last year for the effect analysis, and the cost of the goods (quantity in the product's
        unit times its cost) in the period and the one before; ``lines`` counts the customer's lines
        in the period itself. ``partner_ids`` limits it to some customers.

        Inside a run of ``_compute_records`` (see ``ComputeRun``) the figures may come from that
        run instead: the customers' figures read for several periods at once by one aggregate
        (an incremental run), or the date ranges an earlier period of the same run read for every
        customer (its own period is this one's period before, or its last year), so that only
        what is missing is read."""
        self.ensure_one()
        run = CURRENT_RUN.get()
        if run is not None and partner_ids is not None:
            figures = run.prefetched.pop((self.id, period.date_start, frozenset(partner_ids)), None)
            if figures is not None:
                return figures
        needs = self._period_range_needs(period)
        if run is not None and partner_ids is None:
            by_range = run.ranges_for(self, needs)
        else:
            by_range = self._range_figures(needs, partner_ids)
        return self._assemble_period_figures(period, by_range)

    # what each of a period's ranges is read for: the period itself, the one before, last year
    CURRENT_MEASURES = ("lines", "amount", "qty", "cost")
    PREVIOUS_MEASURES = ("amount", "cost")
    LAST_YEAR_MEASURES = ("amount",)

    def _shared_ranges_key(self, needs):
        """What identifies the journal items of the policy's sums per customer over the date ranges
        of ``needs`` apart from its customer scope — company, products, excluded products — when
        they are the same for any policy with that key; None when they are the policy's own (paid
        basis, or lines an exclusive competitor takes)."""
        self.ensure_one()
        if self.invoice_basis == "paid" or not self._overlap_exclusion_domain(list(needs)).is_true():
            return None
        # the scope as the policy states it (products, categories with their children), not the
        # ids it stands for: no search for the key, and equal terms read the same lines
        return ("lines", self.company_id.id, tuple(sorted(self.product_ids.ids)),
                tuple(sorted(self.product_category_ids.ids)), tuple(sorted(self._excluded_product_ids())))

    def _period_ranges(self, period):
        before, last_year = previous_period(period), same_period_last_year(period)
        return ((period.date_start, period.date_end), (before.date_start, before.date_end),
                (last_year.date_start, last_year.date_end))

    def _period_range_needs(self, period, needs=None):
        """``{(start, end): {measures}}``: the date ranges of a period's figures and what is summed
        over each (added to ``needs`` when given)."""
        needs = needs if needs is not None else {}
        for date_range, measures in zip(self._period_ranges(period),
                                        (self.CURRENT_MEASURES, self.PREVIOUS_MEASURES, self.LAST_YEAR_MEASURES)):
            needs.setdefault(date_range, set()).update(measures)
        return needs

    def _assemble_period_figures(self, period, by_range):
        """A period's figures per customer from the sums per date range (``_range_figures``)."""
        current, before, last_year = (by_range.get(date_range, {}) for date_range in self._period_ranges(period))
        partners = set(current) | set(before) | set(last_year)
        return {
            partner_id: {
                "lines": current.get(partner_id, {}).get("lines", ZERO),
                "base_amount": current.get(partner_id, {}).get("amount", ZERO),
                "base_qty": current.get(partner_id, {}).get("qty", ZERO),
                "cost_amount": current.get(partner_id, {}).get("cost", ZERO),
                "previous_base_amount": before.get(partner_id, {}).get("amount", ZERO),
                "previous_cost_amount": before.get(partner_id, {}).get("cost", ZERO),
                "last_year_base_amount": last_year.get(partner_id, {}).get("amount", ZERO),
            }
            for partner_id in partners
        }

    def _range_figures(self, needs, partner_ids=None):
        """``{(start, end): {partner id: {measure: Decimal}}}`` from ONE aggregate over the
        lines of the union of the date ranges of ``needs`` (``{(start, end): {measures}}``, the
        measures among lines, amount, qty and cost), a conditional sum per range and measure.
        ``partner_ids`` limits it to some customers. Customers without a line in a range are
        left out of it."""
        self.ensure_one()
        ranges = list(needs)
        if not ranges:
            return {}
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)
        if partner_ids is not None and disjoint_date_ranges(ranges):
            return self._range_figures_by_slice(domain, needs, len(partner_ids))
        columns = [(date_range, measure) for date_range in ranges
                   for measure in ("lines", "amount", "qty", "cost") if measure in needs[date_range]]

        def build(terms):
            select = [SQL("%s.partner_id", terms["line"])]
            for (start, end), measure in columns:
                within = SQL("%s BETWEEN %s AND %s", terms["date"], start, end)
                if measure == "lines":
                    select.append(SQL("COUNT(*) FILTER (WHERE %s)", within))
                else:
                    select.append(_exact_sum(SQL("SUM(%s) FILTER (WHERE %s)", terms[measure], within)))
            return SQL(", ").join(select), SQL("%s.partner_id", terms["line"])

        figures = {date_range: {} for date_range in ranges}
        every_customer = partner_ids is None and not self._has_partner_scope()
        customers = len(partner_ids) if partner_ids is not None else None
        for partner_id, *values in self._line_figures_query(domain, ranges, build, every_customer=every_customer,
                                                            customers=customers):
            if not partner_id:
                continue
            for (date_range, measure), value in zip(columns, values):
                if value is not None and (number := to_decimal(value)):
                    figures[date_range].setdefault(partner_id, {})[measure] = number
        return figures

    def _range_figures_by_slice(self, domain, needs, customers):
        """``_range_figures`` for date ranges that share no day (the periods of one policy, for a
        few customers): each line summed once, in the range its date falls in (found by a binary
        search over the ranges' starts), grouped by customer and range — four sums whatever the
        number of ranges, where a conditional sum per range and measure made the day's changes
        over three years of monthly periods hundreds of sums a line."""
        ranges = sorted(needs)
        starts = [start for start, _end in ranges]
        ends = [end for _start, end in ranges]

        def build(terms):
            index = SQL("width_bucket(%s, %s::date[])", terms["date"], starts)
            # a date between two ranges falls in the one before by its start: in none by its end
            within = SQL("CASE WHEN %s <= (%s::date[])[%s] THEN %s END", terms["date"], ends, index, index)
            return SQL("%s.partner_id, %s, COUNT(*), %s, %s, %s", terms["line"], within,
                       _exact_sum(SQL("SUM(%s)", terms["amount"])), _exact_sum(SQL("SUM(%s)", terms["qty"])),
                       _exact_sum(SQL("SUM(%s)", terms["cost"]))), SQL("1, 2")

        figures = {date_range: {} for date_range in needs}
        for partner_id, index, lines, amount, qty, cost in self._line_figures_query(domain, ranges, build,
                                                                                    customers=customers):
            if not partner_id or not index:
                continue
            date_range = ranges[index - 1]
            values = _measures(lines, amount, qty, cost, needs[date_range])
            if values:
                figures[date_range][partner_id] = values
        return figures

    def _range_figures_from_months(self, needs, wanted, run):
        """``_range_figures`` of some customers added up from their sums per calendar month, which
        the ``run`` keeps for the policies over the same journal items (``_shared_ranges_key``) —
        and the daily job for all its policies (``DailyJob``): the day's
        changes are the same customers for every policy, monthly, quarterly and yearly alike, so
        the first policy reads their months and the others add them up. ``wanted`` is
        ``{partner id: the ranges of needs it is summed over}``: each customer's own months are
        read (a credit note dated years back must not make the day's other customers read the
        years between). None when a range is not whole months (a period clipped to the policy's
        dates) or the policy's lines are its own."""
        self.ensure_one()
        key = self._shared_ranges_key(needs)
        range_months = {date_range: whole_months(*date_range) for date_range in needs}
        if key is None or None in range_months.values():
            return None
        kept = run.months_kept().setdefault(key, {})
        # the customers whose months are not all read yet, by the months they miss
        missing = defaultdict(list)
        for partner_id, ranges in wanted.items():
            read = kept[partner_id][0] if partner_id in kept else frozenset()
            months = frozenset(month for date_range in ranges for month in range_months[date_range]) - read
            if months:
                missing[months].append(partner_id)
        if missing:
            found = self._month_figures(missing)
            for months, partner_ids in missing.items():
                for partner_id in partner_ids:
                    read, sums = kept.get(partner_id, (frozenset(), {}))
                    sums.update(found.get(partner_id, {}))
                    kept[partner_id] = (read | months, sums)
        inside = self._partners_in_scope(list(wanted))
        figures = {date_range: {} for date_range in needs}
        for partner_id in inside:
            sums = kept[partner_id][1]
            if not sums:
                continue
            for date_range in wanted[partner_id]:
                totals, measures = {}, needs[date_range]
                for month in range_months[date_range]:
                    for measure, value in sums.get(month, {}).items():
                        if measure in measures:
                            totals[measure] = totals.get(measure, ZERO) + value
                totals = {measure: value for measure, value in totals.items() if value}
                if totals:
                    figures[date_range][partner_id] = totals
        return figures

    def _month_figures(self, missing):
        """``{partner id: {first day of a month: {measure: Decimal}}}``: the sums of the lines,
        amount, quantity and cost of some customers' journal items per calendar month (the
        policy's products, whatever its customer scope), in one aggregate; ``missing`` is
        ``{months (first days): [partner ids]}``, the months read for each customer."""
        self.ensure_one()
        every = month_ranges(frozenset().union(*missing))
        domain = self._product_line_domain(None, None, ranges=every, moves=False)

        def build(terms):
            return SQL("%s.partner_id, date_trunc('month', %s)::date, COUNT(*), %s, %s, %s",
                       terms["line"], terms["date"], _exact_sum(SQL("SUM(%s)", terms["amount"])),
                       _exact_sum(SQL("SUM(%s)", terms["qty"])), _exact_sum(SQL("SUM(%s)", terms["cost"]))), SQL("1, 2")

        def customers_months(terms):
            # each customer's own months, in SQL: the ORM would spend longer optimising the
            # conditions of a few dozen customers' ranges than PostgreSQL reading their lines
            return SQL("(%s)", SQL(" OR ").join(
                SQL("(%s.partner_id = ANY(%s) AND (%s))", terms["line"], sorted(partner_ids), SQL(" OR ").join(
                    SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in month_ranges(months)))
                for months, partner_ids in missing.items()))

        months = defaultdict(dict)
        customers = sum(len(partner_ids) for partner_ids in missing.values())
        for partner_id, month, lines, amount, qty, cost in self._line_figures_query(
                domain, every, build, customers=customers, condition=customers_months):
            if partner_id:
                months[partner_id][month] = _measures(lines, amount, qty, cost)
        return months

    def _prefetch_partner_figures(self, work, run, queued=None):
        """Read the figures of every (period, customers) of an incremental run at once — one
        aggregate over the union of their customers and date ranges, a few periods at a time —
        and leave them in the ``run`` for ``_compute_period_figures``: the day's changes touch
        many periods of few customers, which would otherwise be one aggregate each. With the
        run's ``queued`` changes (rows (id, date, partner, move, posted)), the figures of the
        period before and last year that no change can have moved are taken from the customer's
        estimate (``_comparisons_kept``) instead of being read."""
        self.ensure_one()
        items = [(period, partner_ids) for period, partner_ids in work if partner_ids]
        kept = self._comparisons_kept(items, queued, run) if queued is not None else {}
        every = {}
        for period, _partner_ids in items:
            self._period_range_needs(period, every)
        # ranges that meet each other are read by a conditional sum each, fewer at a time
        limit = self.PREFETCH_RANGES if disjoint_date_ranges(list(every)) else self.PREFETCH_SUMMED_RANGES
        chunk, needs = [], {}
        for index, (period, partner_ids) in enumerate(items):
            chunk.append((period, partner_ids))
            self._period_range_needs(period, needs)
            if len(needs) >= limit or index + 1 == len(items):
                wanted = defaultdict(set)
                for chunk_period, chunk_partners in chunk:
                    ranges = self._period_ranges(chunk_period)
                    for partner_id in chunk_partners:
                        wanted[partner_id].update(
                            ranges[:1] if (chunk_period.date_start, partner_id) in kept else ranges)
                by_range = self._range_figures_from_months(needs, wanted, run)
                if by_range is None:
                    by_range = self._range_figures(needs, set(wanted))
                for chunk_period, chunk_partners in chunk:
                    figures = self._assemble_period_figures(chunk_period, by_range)
                    for partner_id in chunk_partners:
                        comparisons = kept.get((chunk_period.date_start, partner_id))
                        if comparisons is not None:
                            figures.setdefault(partner_id, dict.fromkeys(self.PERIOD_FIGURES, ZERO)).update(comparisons)
                    run.prefetched[(self.id, chunk_period.date_start, frozenset(chunk_partners))] = {
                        partner_id: values for partner_id, values in figures.items() if partner_id in chunk_partners}
                chunk, needs = [], {}

    # the figures of a customer in a period (_assemble_period_figures)
    PERIOD_FIGURES = ("lines", "base_amount", "base_qty", "cost_amount", "previous_base_amount",
                      "previous_cost_amount", "last_year_base_amount")

    def _comparisons_kept(self, items, queued, run):
        """``{(period start, partner id): {figure: Decimal}}``: the period before's and last year's
        figures of the (period, customers) of an incremental run (``items``) that stand as its
        estimate holds them — its only record, an estimate never settled, which the last run
        wrote or found equal — because none of the customer's ``queued`` changes falls in either
        range, and no estimate of the customer was put back (one confirmed may have missed a
        change of its period before). The day's invoices move the open periods only: their
        customers' years before are not read again. A policy whose periods write more than
        records (``_compute_customer_periods``) reads them. The records read are left in the
        ``run`` for ``_compute_customer_periods``."""
        self.ensure_one()
        if not items or self.advance_period or self.pool_mode != "none" or not self.combinable:
            return {}
        read = [(period.date_start, frozenset(partner_ids)) for period, partner_ids in items]
        rows = self._period_record_rows_of(read)
        run.record_rows[self.id] = (read, rows)
        days, put_back = defaultdict(list), set()
        for _queue_id, day, partner_id, move_id, _posted in queued:
            days[partner_id].append(day)
            if not move_id:
                put_back.add(partner_id)
        kept = {}
        for period, partner_ids in items:
            _current, *compared = self._period_ranges(period)
            period_rows = rows.get(period.date_start, {})
            for partner_id in partner_ids:
                found = period_rows.get(partner_id)
                if not found or len(found) > 1 or found[0].state != "draft" or found[0].revision \
                        or partner_id in put_back or any(start <= day <= end for day in days[partner_id] for start, end in compared):
                    continue
                row = found[0]
                kept[(period.date_start, partner_id)] = {
                    "previous_base_amount": to_decimal(row.previous_base_amount),
                    "previous_cost_amount": to_decimal(row.previous_cost_amount),
                    "last_year_base_amount": to_decimal(row.last_year_base_amount),
                }
        return kept

    # date ranges read by one prefetching aggregate at most: a policy's periods share no day, so
    # each line is summed once whatever their number (_range_figures_by_slice); the bound keeps the
    # groups (customers × ranges) of a day of many changes within the aggregate's memory
    PREFETCH_RANGES = 400
    PREFETCH_SUMMED_RANGES = 60

    def _record_outside_period(self, period, partner_ids=None, queued=None):
        """Sales of the customers outside a scoped policy, this period and the one before: the
        comparison group of the review, from one aggregate over both periods. With ``partner_ids``
        (an incremental run), see ``_record_outside_periods``."""
        self.ensure_one()
        if partner_ids is not None:
            return self._record_outside_periods([(period, partner_ids)], queued)
        row = self.env["rebate.policy.period"].search(
            [("policy_id", "=", self.id), ("date_start", "=", period.date_start)])
        self._write_outside_period(period, row)
        self._hold_outside_changes([period])

    def _write_outside_period(self, period, row):
        """Read the comparison group's figures of ``period`` (from what the run read already, or
        one aggregate over the period and the one before) and write them on ``row`` (created when
        empty)."""
        before = previous_period(period)
        ranges = [(period.date_start, period.date_end), (before.date_start, before.date_end)]
        figures = self._outside_from_run(ranges)
        if figures is None:
            domain = self._outside_line_domain(None, None, ranges=ranges, moves=False)

            def build(terms):
                current, previous = (SQL("%s BETWEEN %s AND %s", terms["date"], start, end) for start, end in ranges)
                return SQL(", ").join([
                    SQL("COUNT(DISTINCT %s.partner_id) FILTER (WHERE %s)", terms["line"], current),
                    SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], current),
                    SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], previous),
                ]), None

            [figures] = self._line_figures_query(domain, ranges, build)
        count, sales, previous = figures
        values = {"date_end": period.date_end, "outside_customer_count": count or 0,
                  "outside_sales": float(sales or 0), "outside_previous_sales": float(previous or 0)}
        if row:
            row.write(values)
        else:
            row.create(dict(values, policy_id=self.id, date_start=period.date_start))

    def _record_outside_periods(self, items, queued):
        """The comparison group of the periods of an incremental run (``items``, [(period, partner
        ids)]) for those of whose customers some are outside the scope: when the ``queued``
        changes (rows (id, date, partner, move, posted) since the last run) of those customers are
        documents that were not posted at the last run, by adding what those documents bring —
        their lines are read, not the periods', by one aggregate for all the periods — else the
        period is read again. The periods' rows are read by one search."""
        self.ensure_one()
        inside = set(self._partners_in_scope(list(set().union(*(partner_ids for _period, partner_ids in items)))))
        # a customer queued without a document (its tags changed, or an estimate put back) may
        # have crossed the scope: its periods are read again, even when it is inside now
        unbound = defaultdict(set)
        for _queue_id, day, partner_id, move_id, _posted in queued or []:
            if not move_id:
                unbound[partner_id].add(day)
        work = []
        for period, partner_ids in items:
            before = previous_period(period)
            crossed = any(day in period or day in before for partner_id in partner_ids for day in unbound[partner_id])
            outside = set(partner_ids) - inside
            if crossed or outside:
                work.append((period, outside, crossed))
        if not work:
            return
        rows = {row.date_start: row for row in self.env["rebate.policy.period"].search(
            [("policy_id", "=", self.id), ("date_start", "in", [period.date_start for period, *_rest in work])])}
        added = []
        for period, outside, crossed in work:
            row = rows.get(period.date_start, self.env["rebate.policy.period"])
            moves = self._outside_new_moves(period, outside, queued or []) if row and not crossed else None
            if moves is None:
                self._write_outside_period(period, row)
            elif moves:
                added.append((period, row, moves))
        if added:
            self._add_outside_changes(added)
        self._hold_outside_changes([period for period, *_rest in work])

    def _hold_outside_changes(self, periods):
        """After the comparison group of ``periods`` was read (in full, or added up): the policy's
        queued postings that fall in those periods or the ones before are marked as not postings.
        Their documents are in the rows now, yet the rows stay queued when the run does not take
        them on (committed by a user after the run read its queue — the scheduler takes on those
        of when the job began — or every one when the run computes dates) or stops before it
        dequeues them (the scheduler's time is up after it committed the rows): added again by the
        next run they would count twice, and their customer as new twice. The next run reads those
        periods again instead; a run that finishes dequeues the rows it took on. One UPDATE.
        """
        self.ensure_one()
        if not periods:
            return
        ranges = merge_date_ranges([(day.date_start, day.date_end) for period in periods
                                    for day in (period, previous_period(period))])
        self.env["rebate.compute.queue"].flush_model()
        self.env.cr.execute(SQL(
            "UPDATE rebate_compute_queue SET posted = FALSE WHERE policy_id = %s AND posted AND (%s)",
            self.id, SQL(" OR ").join(SQL("date BETWEEN %s AND %s", start, end) for start, end in ranges)))

    def _outside_new_moves(self, period, outside, queued):
        """The documents of the customers ``outside`` queued since the last run in the period or
        the one before, when every one of them was not posted then (its first change since is a
        posting); None when one was posted at the last run and has left the posted state since
        (what it brought then is not known any more: the period must be read)."""
        before = previous_period(period)
        first = {}
        for _queue_id, day, partner_id, move_id, posted in sorted(queued):
            if partner_id in outside and (day in period or day in before):
                if not move_id:
                    return None
                first.setdefault(move_id, posted)
        return set(first) if all(first.values()) else None

    def _add_outside_changes(self, added):
        """Bring the rows of ``added`` ([(period, row, move ids)]) up to date with what the
        documents, newly posted, add to the comparison group: their lines as they are now (one
        aggregate per document for every period), and the customers they make new to it — those
        all of whose lines in the period are the new documents' (one aggregate of the periods'
        lines of those customers)."""
        ranges = [(date_range.date_start, date_range.date_end) for period, _row, _moves in added
                  for date_range in (period, previous_period(period))]
        moves = set().union(*(moves for _period, _row, moves in added))
        domain = self._outside_line_domain(None, None, ranges=ranges, moves=False) & Domain("move_id", "in", list(moves))

        def by_move(terms):
            return SQL("%s.partner_id, %s.move_id, %s, COUNT(*), SUM(%s)", terms["line"], terms["line"],
                       terms["date"], terms["amount"]), SQL("1, 2, 3")

        lines = self._line_figures_query(domain, ranges, by_move, customers=len(moves))
        changes = []
        for period, row, period_moves in added:
            before = previous_period(period)
            sales = previous = ZERO
            new_lines = defaultdict(int)
            for partner_id, move_id, day, count, amount in lines:
                if move_id not in period_moves:
                    continue
                if day in period:
                    new_lines[partner_id] += count
                    sales += to_decimal(amount or 0)
                elif day in before:
                    previous += to_decimal(amount or 0)
            changes.append((period, row, sales, previous, {p: c for p, c in new_lines.items() if c}))
        # a customer is new to the group when the new documents are all it has in the period:
        # its lines counted from the months the daily job keeps of it, else by one aggregate
        totals, unknown = self._outside_line_counts(changes)
        periods = sorted({(period.date_start, period.date_end) for period, *_rest, new in changes
                          if set(new) & unknown})
        if periods:
            partners = unknown
            starts = [start for start, _end in periods]

            def count_lines(terms):
                index = SQL("width_bucket(%s, %s::date[])", terms["date"], starts)
                return SQL("%s.partner_id, %s, COUNT(*)", terms["line"], index), SQL("1, 2")

            domain = self._outside_line_domain(None, None, ranges=periods, moves=False) \
                & Domain("partner_id", "in", list(partners))
            totals.update({(starts[index - 1], partner_id): count
                           for partner_id, index, count in self._line_figures_query(
                               domain, periods, count_lines, customers=len(partners))
                           if (starts[index - 1], partner_id) not in totals})
        for period, row, sales, previous, new in changes:
            new_customers = sum(1 for partner_id, count in new.items()
                                if totals.get((period.date_start, partner_id)) == count)
            row.write({
                "outside_customer_count": row.outside_customer_count + new_customers,
                "outside_sales": float(to_decimal(row.outside_sales) + sales),
                "outside_previous_sales": float(to_decimal(row.outside_previous_sales) + previous),
            })

    def _outside_line_counts(self, changes):
        """``({(period start, partner id): lines}, {partner ids not counted})``: the lines of the
        candidates new to the comparison group in their periods (``changes``, as
        ``_add_outside_changes`` builds them), counted from the sums per month that the run or
        the daily job keeps of them (``_range_figures_from_months``) where it read every month of
        the period — the day's customers of a policy over the same journal items; the others
        are left to an aggregate."""
        run = CURRENT_RUN.get()
        counts, unknown = {}, set()
        for period, *_rest, new in changes:
            needs = {(period.date_start, period.date_end): {"lines"}}
            key = self._shared_ranges_key(needs)
            kept = run.months_kept().get(key, {}) if run is not None and key is not None else {}
            months = whole_months(period.date_start, period.date_end)
            for partner_id in new:
                read, sums = kept.get(partner_id, (frozenset(), {}))
                if months is None or not read.issuperset(months):
                    unknown.add(partner_id)
                    continue
                counts[(period.date_start, partner_id)] = int(sum(
                    sums.get(month, {}).get("lines", ZERO) for month in months))
        return counts, unknown

    def _outside_from_run(self, ranges):
        """``(customers, sales, sales before)`` of the customers outside the policy's scope over
        the period and the one before (``ranges``), added up from the sums per customer that the
        run already read for every customer of the same journal items — a policy over everyone
        computed first — or None when it has not."""
        run = CURRENT_RUN.get()
        needs = {ranges[0]: {"lines", "amount"}, ranges[1]: {"amount"}}
        key = self._shared_ranges_key(needs)
        kept = run.kept_ranges(key, needs) if run is not None and key is not None else None
        if kept is None:
            return None
        inside = set(self._scope_partner_ids())
        current, before = kept[ranges[0]], kept[ranges[1]]
        return (
            sum(1 for partner_id, values in current.items() if partner_id not in inside and values.get("lines")),
            sum((values.get("amount", ZERO) for partner_id, values in current.items() if partner_id not in inside),
                ZERO),
            sum((values.get("amount", ZERO) for partner_id, values in before.items() if partner_id not in inside),
                ZERO),
        )

    def _compute_period_bases(self, date_start, date_end, partner_ids=None):
        """``{partner id: (base amount, base quantity)}`` as Decimals for the period, from one
        aggregated query: the untaxed amount in company currency (credit notes count negative by
        their sign) and, for a quantity basis, the quantity in each product's reference unit."""
        self.ensure_one()
        if self.invoice_basis == "paid":
            return self._paid_period_bases(date_start, date_end, partner_ids)
        Line = self.env["account.move.line"].sudo()
        domain = self._base_line_domain(date_start, date_end, partner_ids)
        bases = defaultdict(lambda: [ZERO, ZERO])
        if self.basis == "amount":
            for partner, balance in Line._read_group(domain, ["partner_id"], ["balance:sum"]):
                bases[partner.id][0] += -to_decimal(balance)
        else:
            # One row per customer, move type and pair of units: the conversion to the product's
            # unit and the refund sign are applied per group, never per line.
            groups = Line._read_group(
                domain,
                ["partner_id", "move_id.move_type", "product_uom_id", "product_id.product_tmpl_id.uom_id"],
                ["balance:sum", "quantity:sum"])
            for partner, move_type, line_uom, product_uom, balance, quantity in groups:
                factor = to_decimal(line_uom.factor) / to_decimal(product_uom.factor) \
                    if line_uom and product_uom and line_uom != product_uom else Decimal(1)
                sign = -1 if move_type == "out_refund" else 1
                bases[partner.id][0] += -to_decimal(balance)
                bases[partner.id][1] += sign * to_decimal(quantity) * factor
        return {partner_id: (amount, qty) for partner_id, (amount, qty) in bases.items() if partner_id}

    def _first_invoice_dates(self, partner_ids):
        """``{partner id: date of its first posted customer invoice}`` in the policy's company
        (inside a run of ``_compute_records``, read once per customer for all its periods)."""
        self.ensure_one()
        run = CURRENT_RUN.get()
        if run is None:
            return self._read_first_invoice_dates(partner_ids)
        known = run.first_dates.setdefault(self.company_id.id, {})
        missing = [partner_id for partner_id in partner_ids if partner_id not in known]
        if missing:
            found = self._read_first_invoice_dates(missing)
            known.update((partner_id, found.get(partner_id)) for partner_id in missing)
        return {partner_id: known[partner_id] for partner_id in partner_ids if known[partner_id] is not None}

    def _read_first_invoice_dates(self, partner_ids):
        self.ensure_one()
        groups = self.env["account.move"].sudo()._read_group(
            [("company_id", "=", self.company_id.id), ("state", "=", "posted"),
             ("move_type", "=", "out_invoice"), ("rebate_settlement_id", "=", False),
             ("commercial_partner_id", "in", list(partner_ids))],
            ["commercial_partner_id"], ["invoice_date:min"])
        return {partner.id: first for partner, first in groups}

    # ------------------------------------------------------------------ records

    def _record_values(self, result, measure_basis):
        """Field values of a record from an engine result (``measure_basis`` is (amount, qty))."""
        base_amount, base_qty = measure_basis
        return {
            "base_amount": float(base_amount),
            "base_qty": float(base_qty),
            "tier_id": result.tier.key if result.tier is not None else False,
            "rate": float(result.rate),
            "amount": float(result.amount),
        }

    def _values_differ(self, record, values):
        """Whether an estimate (a record, or a row of ``_period_record_rows``) differs from
        ``values``."""
        currency = self.currency_id
        tier = record.tier_id
        tier_id = (tier if isinstance(tier, int) or tier is None else tier.id) or False
        if tier_id == (values["tier_id"] or False) and all(
                getattr(record, field) == values[field] for field in self.COMPARED_FIGURES):
            return False  # the same figures exactly (most estimates of a run where nothing changed)
        return (
            currency.compare_amounts(record.base_amount, values["base_amount"])
            or currency.compare_amounts(record.previous_base_amount, values["previous_base_amount"])
            or currency.compare_amounts(record.last_year_base_amount, values["last_year_base_amount"])
            or currency.compare_amounts(record.cost_amount, values["cost_amount"])
            or currency.compare_amounts(record.previous_cost_amount, values["previous_cost_amount"])
            or currency.compare_amounts(record.amount, values["amount"])
            or float_compare(record.base_qty, values["base_qty"], precision_digits=6)
            or tier_id != (values["tier_id"] or False)
            or float_compare(record.rate, values["rate"], precision_digits=4)
        )

    # the figures _values_differ compares (besides the tier)
    COMPARED_FIGURES = ("base_amount", "previous_base_amount", "last_year_base_amount", "cost_amount",
                        "previous_cost_amount", "amount", "base_qty", "rate")

    # what the computation reads of a period's existing records
    RECORD_ROW_FIELDS = ("id", "partner_id", "state", "revision", "tier_id", "base_amount", "base_qty", "rate",
                         "amount", "previous_base_amount", "last_year_base_amount", "cost_amount",
                         "previous_cost_amount")

    def _period_record_rows(self, date_start, partner_ids=None):
        """``{partner id: [row]}``: the policy's records of the period (those the user may read),
        as plain rows with the fields of ``RECORD_ROW_FIELDS`` — thousands of records read in one
        query without building a record and its cache for each."""
        return self._period_record_rows_of([(date_start, partner_ids)]).get(date_start, {})

    def _period_record_rows_of(self, items):
        """``{period start: {partner id: [row]}}``: ``_period_record_rows`` of several periods
        (``items``, [(period start, partner ids or None for every customer)]) in one query."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.flush_model(self.RECORD_ROW_FIELDS[1:] + ("policy_id", "date_start"))
        query = Record._search(Domain("policy_id", "=", self.id))
        query.order = None
        # the periods' conditions in SQL: the ORM optimising hundreds of them (the day's changes
        # over years of monthly periods) took longer than the query
        query.add_where(SQL("(%s)", SQL(" OR ").join(
            SQL("(%s = %s AND %s = ANY(%s))", SQL.identifier(query.table, "date_start"), date_start,
                SQL.identifier(query.table, "partner_id"), sorted(partner_ids))
            if partner_ids is not None else SQL("%s = %s", SQL.identifier(query.table, "date_start"), date_start)
            for date_start, partner_ids in items)))
        self.env.cr.execute(query.select(*(SQL.identifier(query.table, name)
                                           for name in ("date_start", *self.RECORD_ROW_FIELDS))))
        rows = defaultdict(lambda: defaultdict(list))
        for date_start, *values in self.env.cr.fetchall():
            row = types.SimpleNamespace(**dict(zip(self.RECORD_ROW_FIELDS, values)))
            rows[date_start][row.partner_id].append(row)
        return rows

    def _senior_bases(self, figures, date_start):
        """The customers' figures that make a base: those with lines in the period and, for a
        partnership policy, a first invoice old enough at the period's start."""
        bases = {partner_id: values for partner_id, values in figures.items() if values["lines"]}
        if self.min_seniority_months and bases:
            first_dates = self._first_invoice_dates(bases)
            bases = {
                partner_id: values for partner_id, values in bases.items()
                if seniority_reached(first_dates.get(partner_id), date_start, self.min_seniority_months)
            }
        return bases

    def _compute_period_records(self, date_start, date_end, partner_ids=None, queued=None):
        """Bring the records of one period in line with the posted invoices.

        Estimates (draft) are recomputed, created or removed; confirmed and settled records are
        never touched: a difference with them becomes an adjustment record of its own.
        ``partner_ids`` limits the work to those customers (an incremental run: every figure of a
        record depends on its customer's lines only, with the ``queued`` changes it comes from),
        None is every customer.
        """
        self.ensure_one()
        if self.advance_period:
            # a year paid in advances and settled at year end (_compute_advance_records)
            return self._compute_advance_records(date_start, date_end, partner_ids, queued)
        period = Period(date_start, date_end, self.period, 0)
        if partner_ids is not None and self.pool_mode != "none":
            partner_ids = self._pool_widen(partner_ids)  # group volume: a member moves its whole group
        plan = self._plan_period_records(period, partner_ids, queued, self._period_record_rows(date_start, partner_ids))
        created = self._write_period_plans([plan])
        self._record_overlaps(period, partner_ids)  # overlap13: what exclusive policies took
        if plan["pool"]:
            self._pool_write_records(date_start, plan["pool"], partner_ids)
        return created

    def _compute_customer_periods(self, items, queued=None):
        """The periods of some customers each (``items``, [(period, partner ids)]: the day's changes
        of an incremental run) computed as ``_compute_period_records`` computes them one by one,
        with their records read in one query and written by one DELETE, one UPDATE and one INSERT
        for all: a credit note dated years back touches a period, the one after and a year later,
        for every policy, and a night's few changes over a long history touch hundreds of periods.
        A policy whose periods write more than records (group volume, exclusive competitors,
        advances) computes them one by one. Returns the records created."""
        self.ensure_one()
        if self.advance_period or self.pool_mode != "none" or not self.combinable:
            created = self.env["rebate.record"]
            for period, partner_ids in items:
                created |= self._compute_period_records(period.date_start, period.date_end, partner_ids, queued)
            return created
        read = [(period.date_start, frozenset(partner_ids)) for period, partner_ids in items]
        run = CURRENT_RUN.get()
        known = run.record_rows.pop(self.id, None) if run is not None else None
        # read with the figures (_comparisons_kept) when nothing was written since
        rows = known[1] if known is not None and known[0] == read else self._period_record_rows_of(read)
        # the customer scope read once (a search for each period's customers otherwise)
        self._scope_partner_ids()
        # the customers' first invoices, for the seniority, read once for all the periods
        if self.min_seniority_months:
            self._first_invoice_dates(set().union(*(partner_ids for _period, partner_ids in items)))
        plans = [
            self._plan_period_records(
                Period(period.date_start, period.date_end, self.period, 0), partner_ids, queued,
                {partner_id: rows[period.date_start][partner_id] for partner_id in partner_ids
                 if partner_id in rows.get(period.date_start, {})}, outside=False)
            for period, partner_ids in items
        ]
        if self._has_partner_scope():
            self._record_outside_periods(items, queued)
        return self._write_period_plans(plans)

    def _plan_period_records(self, period, partner_ids, queued, existing, outside=True):
        """What bringing one period's records in line takes (see ``_compute_period_records``):
        ``{"create": [values], "write": [(record id, values)], "unlink": [record ids], "pool":
        the period's groups or None}``, from the period's figures and its ``existing`` records
        (``_period_record_rows``). Writes nothing but the comparison group of a scoped policy
        (unless not ``outside``: the caller writes it)."""
        date_start, date_end = period.date_start, period.date_end
        # one aggregate: the period's base, the period before, last year and the costs
        figures = self._compute_period_figures(period, partner_ids)
        bases = self._senior_bases(figures, date_start)
        if self._has_partner_scope() and outside:
            self._record_outside_period(period, partner_ids, queued)
        # group volume (_pool_period): the groups' bases, the head's row in head payout
        pool = self._pool_period(figures, bases, partner_ids) if self.pool_mode != "none" else None
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 1 if self.basis == "quantity" else 0

        currency = self.currency_id
        # read once, not once a customer
        tier_mode, track_progress, policy_id = self.tier_mode, self.track_progress, self.id
        company_id, rebate_type = self.company_id.id, self.rebate_type
        to_create, to_write, to_unlink = [], [], []
        for partner_id in set(bases) | set(existing):
            rows = existing.get(partner_id, [])
            if any(row.state == "cancelled" and not row.revision for row in rows):
                continue  # a manager cancelled this customer's rebate for the period
            partner_figures = figures.get(partner_id, {})
            base = (partner_figures["base_amount"], partner_figures["base_qty"]) \
                if partner_id in bases else (ZERO, ZERO)
            result = pool.rebate(partner_id, base, measure_index, tiers, tier_mode, cap, rounding) if pool \
                else compute_rebate(base[measure_index], tiers, tier_mode, base[0], cap, rounding)
            values = self._record_values(result, base)
            values["previous_base_amount"] = float(partner_figures.get("previous_base_amount", ZERO))
            values["last_year_base_amount"] = float(partner_figures.get("last_year_base_amount", ZERO))
            # a quantity times a cost, rounded as the currency rounds (half-up), on the exact sum
            values["previous_cost_amount"] = float(round_money(partner_figures.get("previous_cost_amount", ZERO),
                                                               rounding))
            values["cost_amount"] = float(round_money(partner_figures["cost_amount"], rounding)) \
                if partner_id in bases else 0.0
            # the lowest revision first: a record put back to estimate beside the draft adjustment
            # made while it was confirmed (or cancelled) leaves two estimates of the period
            draft = sorted((row for row in rows if row.state == "draft"), key=lambda row: row.revision)
            settled = [row for row in rows if row.state != "draft"]
            if settled:
                # what confirmed, settled and cancelled adjustments already account for
                for field in ("base_amount", "base_qty", "amount", "previous_base_amount", "last_year_base_amount",
                              "cost_amount", "previous_cost_amount"):
                    values[field] -= sum(getattr(row, field) for row in settled)
                keep = bool(
                    self.currency_id.compare_amounts(values["amount"], 0)
                    or self.currency_id.compare_amounts(values["base_amount"], 0)
                    or float_compare(values["base_qty"], 0, precision_digits=6))
                revision = max(row.revision for row in rows) + (0 if draft else 1)
            else:
                keep = partner_id in bases and (result.amount > 0 or track_progress
                                                or bool(pool and partner_id in pool.group_of))
                revision = 0
            if not keep:
                to_unlink += [row.id for row in draft]
            elif draft:
                # one estimate holds what the settled rows do not: the others go (each would count)
                to_unlink += [row.id for row in draft[1:]]
                if self._values_differ(draft[0], values):
                    to_write.append((draft[0].id, values))
            else:
                to_create.append(dict(
                    values, policy_id=policy_id, partner_id=partner_id, date_start=date_start,
                    date_end=date_end, revision=revision, company_id=company_id,
                    rebate_type=rebate_type, **(pool.record_values(partner_id) if pool else {})))
        return {"create": to_create, "write": to_write, "unlink": to_unlink, "pool": pool}

    def _write_period_plans(self, plans):
        """Carry out the plans of ``_plan_period_records``: one DELETE, one UPDATE and one INSERT
        for all of them. Returns the records created."""
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        Record.browse([record_id for plan in plans for record_id in plan["unlink"]]).unlink()
        to_write = [item for plan in plans for item in plan["write"]]
        written = Record.browse([record_id for record_id, _values in to_write])
        Record._write_estimates(list(zip(written, (values for _record_id, values in to_write))))
        return Record._create_estimates([values for plan in plans for values in plan["create"]])

    def _periods_to_compute(self, date_from=None, date_to=None):
        """The policy's periods that have begun (up to today), optionally only those meeting
        [date_from, date_to]."""
        self.ensure_one()
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        today = fields.Date.context_today(self)
        until = min(date_to, today) if date_to else today
        if until < self.date_start:
            return []
        return [
            period for period in iter_periods(self.period, self.date_start, self.date_end or None, until=until)
            if not date_from or period.date_end >= date_from
        ]

    def _lock_for_compute(self):
        """One computation of a policy at a time. The policy rows are locked the ORM's way; a run
        that meets another one still at work is told so at once rather than queueing behind it
        (the daily job skips such a policy). The stamp makes a run whose snapshot predates the
        other's commit fail with a serialization error, which Odoo's request and cron handling
        retry on a fresh snapshot, where the records of the first run are seen: no duplicates."""
        try:
            self.lock_for_update()
        except LockError:
            busy = self - self.try_lock_for_update()
            raise UserError(self.env._(
                "Rebates of %(policies)s are being computed right now, by the daily job or another "
                "user. Try again when that run has finished.",
                policies=", ".join(busy.sudo().mapped("display_name")))) from None
        # the stamp is bookkeeping of the run, not a change of the policy's terms
        self.sudo().write({"last_compute_date": fields.Datetime.now()})
        self.flush_recordset(["last_compute_date"])

    def _check_compute_access(self):
        """Computing creates, rewrites and removes records and stamps the policies: checked before
        any aggregate runs or any row is locked, so a read-only user costs nothing."""
        self.check_access("write")
        self.env["rebate.record"].check_access("create")
        self.env["rebate.record"].check_access("unlink")

    def _require_full_compute(self):
        """Other terms: the next run, even an incremental one, computes every period — of an
        exclusive policy's competitors too, whose bases move with it."""
        policies = self
        if not self.env.context.get("rebate_overlap_competitors_only"):
            policies |= self._overlap_affected()
        if policies:
            policies.sudo().write({"compute_open_from": False, "compute_resume_date": False})

    def _queued_changes(self):
        """``(queue rows, {date: {partner ids}})`` queued for the policy since its last run; a
        row is (id, date, partner id, move id, whether the move entered the posted state), and
        the set of (date, partner id) that may move a customer's first invoice (invoices, and
        records put back to estimate). Inside the scheduler, those queued when the daily job began
        (``DailyJob``)."""
        self.ensure_one()
        job = DAILY_JOB.get()
        known = sorted(job.queue_ids) if job is not None and job.queue_ids is not None else None
        self.env.cr.execute(SQL(
            """SELECT queue.id, queue.date, queue.partner_id, queue.move_id, queue.posted, move.move_type
                 FROM rebate_compute_queue queue
                 LEFT JOIN account_move move ON move.id = queue.move_id
                WHERE queue.policy_id = %s%s""",
            self.id, SQL(" AND queue.id = ANY(%s)", known) if known is not None else SQL()))
        rows, changes, firsts = [], defaultdict(set), set()
        for queue_id, day, partner_id, move_id, posted, move_type in self.env.cr.fetchall():
            rows.append((queue_id, day, partner_id, move_id, posted))
            changes[day].add(partner_id)
            if move_type in (None, "out_invoice"):
                firsts.add((day, partner_id))
        return rows, (changes, firsts)

    def _incremental_work(self, periods, changes, open_from):
        """``[(period, partner ids or None)]``: what an incremental run recomputes. Every period
        that began after the last complete run (``open_from``), for every customer; and, for the
        customers of the queued ``changes`` only, every period already computed whose figures read
        a changed date — the period itself, the period after it (its "previous period") and the
        same period a year later — and, for a policy with a minimum seniority, the periods whose
        seniority the customer's first invoice may have crossed. Every figure of a record depends
        on its own customer's lines only, so the others' records stand as they are. An exclusive
        policy widens the changes to its competitors' periods (``_overlap_widen_changes``); an
        advanced yearly policy computes a year in full when one of its advance periods began
        (``_advance_fresh_years``)."""
        self.ensure_one()
        changes, firsts = self._overlap_widen_changes(periods, changes)
        work = [(period, None) for period in periods if period.date_start > open_from]
        computed = [period for period in periods if period.date_start <= open_from]
        dirty = defaultdict(set)
        reads = [(period, (period, previous_period(period), same_period_last_year(period))) for period in computed]
        for day, partner_ids in changes.items():
            for period, ranges in reads:
                if any(day in date_range for date_range in ranges):
                    dirty[period] |= partner_ids
        if self.min_seniority_months and firsts:
            # an invoice at ``day`` moved the first invoice only if none is earlier now; the
            # seniority then changed for the periods starting from ``day`` + the months up to the
            # current first invoice + the months (when the first is later now: the one at ``day``
            # left), or with no bound (when it is the first now, the one before is not known)
            months = self.min_seniority_months
            first_dates = self._first_invoice_dates({partner_id for _day, partner_id in firsts if partner_id})
            for day, partner_id in firsts:
                first = first_dates.get(partner_id)
                if first is not None and first < day:
                    continue
                until = add_months(first, months) if first is not None and first > day else None
                for period in computed:
                    if add_months(day, months) <= period.date_start and (until is None or period.date_start < until):
                        dirty[period].add(partner_id)
        # a move without customer counts for nobody's base
        work = [(period, partners - {None}) for period, partners in sorted(dirty.items())
                if partners - {None}] + work
        return self._advance_fresh_years(periods, work, open_from)

    def _compute_records(self, date_from=None, date_to=None, incremental=False, progress=None):
        """Compute the records of the policies' periods that have begun (or of those meeting
        [date_from, date_to]). ``incremental`` (no dates) computes only what may have changed
        since the last complete run (see _incremental_work); a full run without dates is the
        reference it must equal. ``progress()`` is called after each period (it commits in the
        cron): when it returns False the run stops there, and the next run resumes."""
        self._check_compute_access()
        policies = self.filtered(lambda p: p.state in ("active", "closed"))
        if not policies:
            return self.env["rebate.record"]
        policies._lock_for_compute()
        # a run of its own, even inside another (its own scopes and figures, read now)
        token = CURRENT_RUN.set(ComputeRun())
        # the payback shares of exclusive policies are read once per run, then forgotten (the lines
        # change after it)
        self.env.cr.cache[RATE_CACHE] = {}
        try:
            return policies._compute_records_run(date_from, date_to, incremental, progress)
        finally:
            CURRENT_RUN.reset(token)
            self.env.cr.cache.pop(RATE_CACHE, None)

    def _compute_records_run(self, date_from, date_to, incremental, progress):
        policies = self
        run = CURRENT_RUN.get()
        created = self.env["rebate.record"]
        whole = not (date_from or date_to)
        today = fields.Date.context_today(self)
        # a closed version still follows the invoices of its own dates (a late credit note dated
        # before its end must not be lost, an estimate must not go stale); the periods after its
        # end belong to the next version, and _periods_to_compute stops at the end date
        for policy in policies:
            periods = policy._periods_to_compute(date_from, date_to)
            queued = []
            if whole:
                queued, changes = policy._queued_changes()
            if whole and incremental and policy.compute_open_from:
                work = policy._incremental_work(periods, changes, policy.compute_open_from)
            elif whole and incremental and policy.compute_resume_date:
                # a full run resumes after the periods an interrupted one already committed (and
                # catches up with what changed in them meanwhile)
                work = policy._incremental_work(
                    periods, changes, policy.compute_resume_date - timedelta(days=1))
            else:
                work = [(period, None) for period in periods]
            policy._prefetch_partner_figures(work, run, queued if whole and incremental else None)
            # the periods of some customers (the day's changes) computed together, then each
            # period of every customer on its own
            customers = [(period, partner_ids) for period, partner_ids in work if partner_ids is not None]
            work = ([(None, customers)] if customers else []) + [item for item in work if item[1] is None]
            for index, (period, partner_ids) in enumerate(work):
                if period is None:
                    created |= policy._compute_customer_periods(partner_ids, queued)
                else:
                    created |= policy._compute_period_records(period.date_start, period.date_end, None, queued)
                    # a period of every customer reads thousands of records: let them go
                    self.env.invalidate_all()
                if progress is None:
                    continue
                if whole and partner_ids is None and not (incremental and policy.compute_open_from) \
                        and index + 1 < len(work) and work[index + 1][1] is None:
                    policy.compute_resume_date = work[index + 1][0].date_start
                if not progress():
                    return created
                policy._lock_for_compute()  # the commit let the lock go
            if whole:
                if queued:
                    self.env.cr.execute("DELETE FROM rebate_compute_queue WHERE id IN %s",
                                        [tuple(row[0] for row in queued)])
                policy.write({"compute_open_from": today, "compute_resume_date": False})
        return created

    def action_compute(self):
        """Bring the records in line with the invoices: the periods that may have changed since
        the last run (every period the first time, or after the terms changed)."""
        self._check_compute_access()
        inactive = self.filtered(lambda p: p.state == "draft")
        if inactive:
            raise UserError(self.env._(
                "Only active policies compute rebates: %s.", ", ".join(inactive.mapped("display_name"))))
        self._compute_records(incremental=True)
        return self.action_view_records()

    def action_compute_full(self):
        """Recompute every period of the policy that has begun, whatever changed."""
        self._check_compute_access()
        inactive = self.filtered(lambda p: p.state == "draft")
        if inactive:
            raise UserError(self.env._(
                "Only active policies compute rebates: %s.", ", ".join(inactive.mapped("display_name"))))
        self._compute_records()
        return self.action_view_records()

    @api.readonly
    def action_view_records(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = [("policy_id", "in", self.ids)]
        action["context"] = {"search_default_group_policy": 1, "search_default_group_period": 1}
        return action

    @api.model
    def _cron_compute_rebates(self):
        """Daily: bring the estimates of every active policy in line with the posted invoices,
        incrementally (only the periods that may have changed). Each policy runs in a savepoint
        and, inside the scheduler, every period is committed on its own: one failing policy is
        logged on its chatter and stops neither the others nor their progress; the run stops when
        Odoo says its time is up and the next run resumes (policies least recently computed
        first). A policy that another worker is computing is skipped (its row is locked), so
        several cron workers can share the policies."""
        # closed versions too, while their last year is recent or something of theirs is unpaid
        recent = fields.Date.context_today(self) - timedelta(days=400)
        policies = self.search(["|", ("state", "=", "active"), "&", ("state", "=", "closed"), "|",
                                ("date_end", ">=", recent), ("record_ids.state", "in", ("draft", "confirmed"))],
                               order="last_compute_date ASC NULLS FIRST, id")
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=len(policies))
        progress = (lambda: self.env["ir.cron"]._commit_progress() > 0) if in_cron else None
        queue_ids = None
        if in_cron:
            # committing as it goes, the job takes on the changes queued when it began (see DailyJob)
            self.env.cr.execute("SELECT id FROM rebate_compute_queue")
            queue_ids = frozenset(row[0] for row in self.env.cr.fetchall())
        with daily_job(queue_ids):
            failed = self._cron_compute_policies(policies, in_cron, progress)
        # the responsible of each policy hears of the periods that ended with estimates to confirm
        policies.exists()._remind_records_to_confirm()
        return failed

    def _cron_compute_policies(self, policies, in_cron, progress):
        failed = self.browse()
        for policy in policies:
            if in_cron and not policy.try_lock_for_update():
                continue  # another worker computes it
            try:
                if in_cron:
                    # committed period by period: a failure undoes the period under way only
                    policy._compute_records(incremental=True, progress=progress)
                else:
                    with self.env.cr.savepoint():
                        policy._compute_records(incremental=True)
            except Exception as error:  # noqa: BLE001 - any failure of one policy must spare the others
                if in_cron:
                    self.env.cr.rollback()
                _logger.warning("Rebate computation of policy %s failed", policy.id, exc_info=True)
                failed |= policy
                policy.message_post(body=self.env._(
                    "The daily rebate computation failed for this policy: %(error)s", error=str(error)))
            if in_cron and not self.env["ir.cron"]._commit_progress(1):
                break
        return failed

    # ------------------------------------------------------------------ projection

    def _applies_to_partner(self, partner, day):
        """Whether the policy covers this commercial partner on ``day``: its customer scope and,
        for a partnership, the seniority at the start of the period."""
        self.ensure_one()
        if not self._partners_in_scope([partner.id]):
            return False
        if self.min_seniority_months:
            period = period_containing(self.period, day, self.date_start, self.date_end or None)
            first = self._first_invoice_dates([partner.id]).get(partner.id)
            return seniority_reached(first, period.date_start, self.min_seniority_months)
        return True

    def _prefetch_projection_bases_or_not(self, partner, day):
        """``_prefetch_projection_bases``, or nothing when it fails for a reason other than the
        database: each policy then reads its own base, and its line says what fails."""
        try:
            self._prefetch_projection_bases(partner, day)
        except psycopg2.Error:
            raise  # the transaction is lost
        except Exception:  # noqa: BLE001 - shown by the policy's own read
            _logger.debug("Rebate projection bases of policies %s read one by one", self.ids, exc_info=True)

    def _prefetch_projection_bases(self, partner, day):
        """Read ``partner``'s period to date of each policy of ``self`` (its period holding
        ``day``) for the projection, in one aggregate: each policy's lines a filtered sum, grouped
        and added up exactly as ``_compute_period_bases`` groups and adds them (so the figures are
        the same). Kept in the run (``projection_bases``) for ``_project_period``; policies
        counted once paid read their own, and nothing is kept outside a run."""
        run = CURRENT_RUN.get()
        # the sub-recordset keeps the whole batch as prefetch: the terms are read once for all
        policies = self.filtered(lambda policy: policy.invoice_basis != "paid").with_prefetch(self._prefetch_ids)
        if run is None or len(policies) < 2:
            return
        periods = {policy.id: period_containing(policy.period, day, policy.date_start, policy.date_end or None)
                   for policy in policies}
        found = policies._read_projection_bases(periods, partner)
        for policy in policies:
            period = periods[policy.id]
            run.projection_bases[(policy.id, period.date_start, period.date_end, partner.id)] = \
                found.get(policy.id, {}).get(partner.id, (Decimal(0), Decimal(0)))

    def _read_projection_bases(self, periods, partner):
        """``{policy id: {partner id: (amount, quantity)}}`` of ``_prefetch_projection_bases``:
        the groups of ``_compute_period_bases`` in its order — per customer for an amount basis,
        per customer, move type and pair of units for a quantity (two grouping sets of the same
        query) — with a filtered sum per policy."""
        Line = self.env["account.move.line"].sudo()
        # the terms every policy's domain has (company, posted sales, the customer...) are
        # optimized once and filter the whole query; each policy's sum is filtered on its own
        # terms (dates, products): common ∧ own_i is exactly its domain
        terms = [_and_terms(policy._base_line_domain(
            periods[policy.id].date_start, periods[policy.id].date_end, [partner.id])) for policy in self]
        common = [term for term in terms[0] if all(term in other for other in terms[1:])]
        domains = [Domain.AND(term for term in own if term not in common).optimize_full(Line) for own in terms]
        query = Line._search(Domain.AND(common).optimize_full(Line) & Domain.OR(domains))
        if query.is_empty():
            return {}
        groupby = ["partner_id", "move_id.move_type", "product_uom_id", "product_id.product_tmpl_id.uom_id"]
        groups = {spec: Line._read_group_groupby(Line._table, spec, query) for spec in groupby}
        fine = list(groups.values())
        # 0 on the finer rows (the quantity basis), not 0 on those of the customer alone (the amount)
        columns = [*fine, SQL("GROUPING(%s)", SQL(", ").join(fine[1:]))]
        quantities = [policy.basis == "quantity" for policy in self]
        for domain, quantity in zip(domains, quantities):
            condition = domain._to_sql(Line, Line._table, query)
            columns.append(SQL("%s FILTER (WHERE %s)", Line._read_group_select("balance:sum", query), condition))
            if quantity:
                columns.append(SQL("%s FILTER (WHERE %s)", Line._read_group_select("quantity:sum", query), condition))
        query.order = Line._read_group_orderby(None, groups, query)
        query.groupby = SQL("GROUPING SETS ((%s), (%s))", fine[0], SQL(", ").join(fine))
        rows = self.env.execute_query(query.select(*columns))
        if not rows:
            return {}
        keys = list(zip(*(Line._read_group_postprocess_groupby(spec, column)
                          for spec, column in zip(groupby, list(zip(*rows))[:len(groupby)]))))
        result = {}
        position = len(groupby) + 1
        for policy, quantity in zip(self, quantities):
            bases = defaultdict(lambda: [ZERO, ZERO])
            for key, row in zip(keys, rows):
                balance = row[position]
                if balance is None or (row[len(groupby)] == 0) != quantity:
                    continue  # none of this policy's lines in the group, or the other grouping
                if not quantity:
                    bases[key[0].id][0] += -to_decimal(balance)
                    continue
                partner_record, move_type, line_uom, product_uom = key
                factor = to_decimal(line_uom.factor) / to_decimal(product_uom.factor) \
                    if line_uom and product_uom and line_uom != product_uom else Decimal(1)
                sign = -1 if move_type == "out_refund" else 1
                bases[partner_record.id][0] += -to_decimal(balance)
                bases[partner_record.id][1] += sign * to_decimal(row[position + 1]) * factor
            position += 2 if quantity else 1
            result[policy.id] = {partner_id: (amount, qty) for partner_id, (amount, qty) in bases.items() if partner_id}
        return result

    def _format_measure_unit(self, value):
        """A measure with its unit when it is a quantity: "600 Units", "12 kg" (the unit of the
        products in scope when they share one, else "units")."""
        self.ensure_one()
        text = self._format_measure(value)
        if self.basis != "quantity":
            return text
        units = self.product_ids.uom_id
        unit = units.name if len(units) == 1 and not self.product_category_ids else self.env._("units")
        return self.env._("%(quantity)s %(unit)s", quantity=text, unit=unit)

    def _filter_applicable(self, partner, day):
        """The policies that apply to ``partner`` on ``day``. A policy whose scope cannot be
        worked out (terms stored out of bounds, a bug) is kept: the projection then shows a line
        saying it cannot be projected, and the form around it still opens."""
        def applies(policy):
            try:
                return policy._applies_to_partner(partner, day)
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 - the projection logs it and shows the line
                _logger.info("Scope of rebate policy %s could not be checked: %s", policy.id, error)
                return True
        with compute_run():  # the customer's first invoice and tagged contacts read once for all
            return self.filtered(applies)

    def _projection_values(self, period, result, base_amount, base_qty, doc_amount, doc_qty):
        self.ensure_one()
        currency = self.currency_id
        quantity = self.basis == "quantity"

        def money(value):
            return formatLang(self.env, float(value), currency_obj=currency)

        tier = result.projected.tier
        if tier is None:
            reached = self.env._("below the first tier")
        elif self.amount_type == "fixed":
            reached = self._format_measure_unit(float(tier.threshold))
        else:
            reached = self.env._("%(rate)s %%", rate=self._format_rate(float(tier.rate)))
        next_text = ""
        if result.next_index is not None:
            next_tier = self._engine_tiers()[result.next_index]
            goal = (self.env._("%(rate)s %%", rate=self._format_rate(float(next_tier.rate)))
                    if not next_tier.is_fixed else money(next_tier.fixed_amount))
            next_text = self.env._(
                "Add %(gap)s before %(date)s to reach %(goal)s",
                gap=self._format_measure_unit(float(result.gap)) if quantity else money(result.gap),
                date=format_date(self.env, period.date_end), goal=goal)
        return {
            "policy": self,
            # what the customer reads: the policy's name, not its internal reference
            "policy_name": self.name,
            "period_start": period.date_start,
            "period_end": period.date_end,
            "base_amount": base_amount,
            "base_qty": base_qty,
            "document_amount": doc_amount,
            "document_qty": doc_qty,
            "tier_index": result.projected.tier_index,
            "projected_amount": result.projected.amount,
            "added_amount": result.added,
            "next_threshold": result.next_threshold,
            "gap": result.gap,
            "next_amount": result.next_amount,
            # display
            "period_text": self.env._("%(start)s – %(end)s", start=format_date(self.env, period.date_start),
                                      end=format_date(self.env, period.date_end)),
            "to_date_text": self._format_measure_unit(float(base_qty if quantity else base_amount)),
            "document_text": self._format_measure_unit(float(doc_qty if quantity else doc_amount)),
            "reached_text": reached,
            "projected_text": money(result.projected.amount),
            "next_text": next_text,
        }

    # ------------------------------------------------------------------ activation, worklist, scope
    # What a policy is checked for when it is activated (what its payouts will need, the active
    # policies it would pay on top of), its responsible's worklist of periods to confirm, and how
    # its scope reads when it covers everyone.

    # user_id (the policy's owner, see Approval) gets the to-do to confirm a period
    confirm_reminder_date = fields.Date(
        readonly=True, copy=False, groups=REBATE_USER,
        help="End of the last period whose confirmation the responsible was reminded of.")
    to_confirm_count = fields.Integer(
        string="Records to Confirm", compute="_compute_to_confirm_count", groups=REBATE_USER,
        help="Estimates of periods that have ended, waiting for confirmation.")
    customer_scope_text = fields.Char(string="Customer Scope", compute="_compute_scope_texts")
    product_scope_text = fields.Char(string="Product Scope", compute="_compute_scope_texts")
    applies_to_partner_id = fields.Many2one(
        "res.partner", string="Applies to Customer", compute="_compute_applies_to_partner_id",
        search="_search_applies_to_partner_id",
        help="Search the policies covering a customer: those naming them, their tags, or every customer.")

    # ------------------------------------------------------------------ defaults and display

    @api.model
    def _default_date_start(self, period=None):
        """The first day of the current period of the policy's kind: a quarterly policy created in
        May starts on 1 April, not mid-quarter (which would make its first period a short one)."""
        today = fields.Date.context_today(self)
        period = period or self.env.context.get("default_period") or "quarter"
        if period == "window":
            return today
        return period_containing(period, today, today.replace(month=1, day=1)).date_start

    @api.onchange("period")
    def _onchange_period_date_start(self):
        if not self._origin.id and self.period:
            self.date_start = self._default_date_start(self.period)

    @api.depends("partner_ids", "partner_category_ids", "product_ids", "product_category_ids")
    @api.depends_context("lang")
    def _compute_scope_texts(self):
        for policy in self:
            policy.customer_scope_text = ", ".join(
                (policy.partner_ids.mapped("display_name") + policy.partner_category_ids.mapped("display_name"))
            ) or self.env._("All customers")
            policy.product_scope_text = ", ".join(
                (policy.product_ids.mapped("display_name") + policy.product_category_ids.mapped("display_name"))
            ) or self.env._("All products")

    def _compute_applies_to_partner_id(self):
        self.applies_to_partner_id = False

    def _search_applies_to_partner_id(self, operator, value):
        if operator not in ("in", "any", "ilike", "="):
            return NotImplemented
        Partner = self.env["res.partner"].with_context(active_test=False)
        if operator == "any":  # a name typed in the search box arrives as a domain on the partner
            partners = Partner.search(Domain(value) if not isinstance(value, models.BaseModel) else [("id", "in", value.ids)])
        elif operator == "ilike" or isinstance(value, str):
            partners = Partner.search([("complete_name", "ilike", value)])
        else:
            partners = Partner.browse([value] if isinstance(value, int) else [v for v in value if v])
        commercial = partners.commercial_partner_id
        every_customer = Domain("partner_ids", "=", False) & Domain("partner_category_ids", "=", False)
        return every_customer | Domain("partner_ids", "in", commercial.ids) \
            | Domain("partner_category_ids", "in", (partners | commercial).category_id.ids)

    # ------------------------------------------------------------------ activation checks

    def _check_activation_readiness(self):
        """Called first by ``action_activate``. Refuses a policy whose payout would fail months
        later for want of a journal, an account or the free product; then, when the user activates
        from the form (context ``rebate_confirm_overlaps``), returns the confirmation wizard listing
        the active policies that would pay on the same sales too. Returns False to go on."""
        for policy in self:
            missing = policy._payout_requirements_missing()
            if missing:
                raise UserError(self.env._(
                    "Policy %(policy)s cannot be activated: its payouts would fail. Missing: %(missing)s.",
                    policy=policy.display_name, missing=self._clause_separator().join(missing)))
        if not self.env.context.get("rebate_confirm_overlaps") or self.env.context.get("rebate_overlaps_confirmed"):
            return False
        overlaps = self._overlapping_policies()
        if not overlaps:
            return False
        wizard = self.env["rebate.policy.activate.wizard"].create({
            "policy_ids": [fields.Command.set(self.ids)],
            "overlap_ids": [fields.Command.set(overlaps.ids)],
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Activate Anyway?"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _payout_requirements_missing(self):
        """What the payout of this policy needs and lacks, in words (empty when it is ready)."""
        self.ensure_one()
        policy = self.sudo()
        missing = []
        method = policy.settlement_method
        if method == "goods":
            if not policy.goods_product_id:
                missing.append(self.env._("the free product given"))
            if not policy.expense_account_id and not policy.accrual_account_id:
                missing.append(self.env._("the rebate expense account (the cost of the goods given is booked there)"))
            elif not policy.expense_account_id:
                missing.append(self.env._("the rebate expense account (the part of the goods' cost the accrual "
                                          "does not cover is booked there)"))
            if not policy._misc_journal():
                missing.append(self.env._("a miscellaneous journal for the entries of the goods given"))
            product = policy.goods_product_id.with_company(policy.company_id)
            if product.is_storable and not product._get_product_accounts()["stock_valuation"]:
                missing.append(self.env._("the stock valuation account of %s", product.display_name))
            return missing
        wanted = "sale" if method == "credit_note" else "general"
        if not policy.journal_id:
            missing.append(self.env._("the journal (a sales journal for credit notes)") if wanted == "sale"
                           else self.env._("the journal (a miscellaneous journal)"))
        elif policy.journal_id.type != wanted:
            missing.append(self.env._(
                "a %(type)s journal instead of %(journal)s",
                type=self.env._("sales") if wanted == "sale" else self.env._("miscellaneous"),
                journal=policy.journal_id.display_name))
        if not policy.expense_account_id:
            missing.append(self.env._("the rebate expense account"))
        if method == "discount" and not policy.balance_account_id:
            missing.append(self.env._("the rebates owed account of the customers' balances"))
        if policy.accrual_account_id and policy.accrual_account_id.account_type not in (
                "liability_current", "liability_non_current"):
            missing.append(self.env._("an accrued rebates account that is a liability"))
        return missing

    def _overlapping_policies(self):
        """Active policies of the same company that would pay a rebate on some of the same sales:
        dates, customers and products meet. The version a policy replaces is not one of them."""
        Policy = self.env["rebate.policy"]
        overlaps = Policy
        for policy in self:
            candidates = Policy.search([
                ("state", "=", "active"), ("company_id", "=", policy.company_id.id),
                ("id", "not in", (self | policy.previous_policy_id).ids),
                "|", ("date_end", "=", False), ("date_end", ">=", policy.date_start),
                *([("date_start", "<=", policy.date_end)] if policy.date_end else []),
            ])
            overlaps |= candidates.filtered(policy._scope_meets)
        return overlaps

    def _scope_meets(self, other):
        """Whether the customers and the products of two policies meet (an open scope meets any)."""
        self.ensure_one()
        for own, theirs in ((self._scope_partner_ids(), other._scope_partner_ids()),
                            (self._scope_product_ids(), other._scope_product_ids())):
            if own is not None and theirs is not None and not set(own) & set(theirs):
                return False
        return True

    # ------------------------------------------------------------------ worklist

    def _to_confirm_domain(self):
        return [("policy_id", "in", self.ids), ("state", "=", "draft"),
                ("date_end", "<", fields.Date.context_today(self))]

    def _compute_to_confirm_count(self):
        counts = dict(self.env["rebate.record"]._read_group(
            self._to_confirm_domain(), ["policy_id"], ["__count"]))
        for policy in self:
            policy.to_confirm_count = counts.get(policy, 0)

    def action_view_records_to_confirm(self):
        action = self.action_view_records()
        action["context"] = {"search_default_to_confirm": 1, "search_default_group_period": 1}
        return action

    def _remind_records_to_confirm(self):
        """A to-do for each policy's responsible when a period has ended with estimates waiting,
        once per policy and period (the date of the last reminder is kept on the policy)."""
        today = fields.Date.context_today(self)
        Record = self.env["rebate.record"].sudo()
        waiting = Domain("state", "=", "draft") & Domain("date_end", "<", today)
        # first the policies with a period ended since their last reminder (a few records each:
        # the daily run does not read every estimate of the history), then what waits in those
        reminded = self.sudo().filtered("confirm_reminder_date")
        due = Domain.OR([
            Domain("policy_id", "in", (self - reminded).ids),
            *(Domain("policy_id", "=", policy.id) & Domain("date_end", ">", policy.confirm_reminder_date)
              for policy in reminded),
        ])
        due_policies = [policy for [policy] in Record._read_group(waiting & due, ["policy_id"])]
        if not due_policies:
            return
        groups = Record._read_group(
            waiting & Domain("policy_id", "in", [policy.id for policy in due_policies]),
            ["policy_id"], ["date_end:max", "__count"])
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for policy, last_end, count in groups:
            policy = policy.sudo()
            user = policy.user_id if policy.user_id.active else policy.create_uid
            policy.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=self.env._("Confirm the rebates of the period ended %(date)s",
                                   date=fields.Date.to_string(last_end)),
                note=self.env._("%(count)s records wait for confirmation.", count=count),
                user_id=(user or self.env.user).id,
                date_deadline=today)
            policy.confirm_reminder_date = last_end

    # ---- Paid basis ------------------------------------------------------------------------------
    # The paid basis of a policy (issue 13): an invoice or credit note counts only as it is paid, in
    # the period of each reconciliation of its receivable, for the share of the document that
    # reconciliation settles.
    #
    # For a customer invoice or credit note ``m`` and each partial reconciliation ``p`` of one of its
    # receivable lines (``display_type = 'payment_term'``)::
    #
    #     share(m, p) = reconciled amount of p on m's side, in m's currency / m's total in its currency
    #     counted(m, p) = share(m, p) × m's untaxed product lines in scope (company currency), at p's date
    #
    # ``p``'s date is Odoo's ``max_date``: the later of the two documents' dates (a payment dated before
    # its invoice counts when the invoice exists). The reconciled amount is read in the document's own
    # currency, where the shares of a fully paid document add up to exactly 1: the company-currency
    # amount of a foreign-currency payment differs from the invoice's by the exchange difference, which
    # Odoo books as an entry of its own (reconciled with no amount in currency: it counts nothing).
    # A credit note matched against an invoice is one partial with both on it: the invoice's share and
    # the credit note's (negative) share count at the same date and net. Everything stays one aggregate
    # per policy and period (the shares are a subquery joined to the moves), no loop over lines.

    def _paid_measure_phrase(self):
        """What the thresholds are compared with on a paid basis, in words."""
        self.ensure_one()
        if self.basis == "quantity":
            return {
                "month": self.env._("units bought and paid in the month"),
                "quarter": self.env._("units bought and paid in the quarter"),
                "half_year": self.env._("units bought and paid in the half-year"),
                "year": self.env._("units bought and paid in the year"),
                "window": self.env._("units bought and paid during the campaign"),
            }[self.period]
        return {
            "month": self.env._("purchases paid in the month"),
            "quarter": self.env._("purchases paid in the quarter"),
            "half_year": self.env._("purchases paid in the half-year"),
            "year": self.env._("purchases paid in the year"),
            "window": self.env._("purchases paid during the campaign"),
        }[self.period]

    def _paid_dates_domain(self, ranges, moves=True):
        """The date condition of a paid-basis line domain: the line's move has a receivable line
        reconciled in one of the ``ranges``. The aggregate (``moves=False``) joins the shares of
        those ranges itself and needs no condition here."""
        if not moves:
            return Domain.TRUE
        dates = Domain.OR(
            Domain([("max_date", ">=", start), ("max_date", "<=", end)]) for start, end in ranges)
        return Domain("move_id", "any", Domain("line_ids", "any", Domain("display_type", "=", "payment_term") & (
            Domain("matched_debit_ids", "any", dates) | Domain("matched_credit_ids", "any", dates))))

    def _paid_shares_sql(self, ranges):
        """SQL of the rows (move_id, date, paid, total): for every customer invoice or credit note of
        the policy's company that no payout made, what of it was reconciled on each date of the
        ``ranges`` (a payment and a credit note on the same day add up) and its total, both in the
        document's currency."""
        self.ensure_one()
        for model in ("account.partial.reconcile", "account.move.line", "account.move"):
            self.env[model].flush_model()
        dates = SQL("(%s)", SQL(" OR ").join(
            SQL("part.max_date BETWEEN %s AND %s", start, end) for start, end in ranges))
        sides = SQL(" UNION ALL ").join(
            SQL("""SELECT receivable.move_id, part.max_date AS date, part.%(amount)s AS amount
                     FROM account_partial_reconcile part
                     JOIN account_move_line receivable ON receivable.id = part.%(side)s
                    WHERE receivable.display_type = 'payment_term' AND receivable.company_id = %(company)s
                      AND %(dates)s""",
                amount=SQL.identifier(amount), side=SQL.identifier(side), company=self.company_id.id, dates=dates)
            for side, amount in (("debit_move_id", "debit_amount_currency"),
                                 ("credit_move_id", "credit_amount_currency")))
        return SQL(
            """SELECT paid.move_id, paid.date, SUM(paid.amount)::numeric AS paid,
                      NULLIF(ABS(paid_move.amount_total_in_currency_signed), 0)::numeric AS total
                 FROM (%(sides)s) paid
                 JOIN account_move paid_move ON paid_move.id = paid.move_id
                WHERE paid_move.move_type IN %(types)s AND paid_move.state = 'posted'
                  AND paid_move.rebate_settlement_id IS NULL
             GROUP BY paid.move_id, paid.date, paid_move.amount_total_in_currency_signed""",
            sides=sides, types=PAID_MOVE_TYPES)

    def _join_paid_shares(self, query, move, ranges, terms):
        """Join the paid shares of ``ranges`` to the aggregate's ``query`` (on its ``move``
        alias) and return its ``terms`` on a paid basis: the date is the reconciliation's, the
        amount (rounded to the currency), quantity and cost are the line's times paid / total (a
        line reconciled on two dates is one row per date)."""
        paid = query.join(move, "id", SQL("(%s)", self._paid_shares_sql(ranges)), "move_id", "rebate_paid")
        amount_paid, total = SQL.identifier(paid, "paid"), SQL.identifier(paid, "total")

        def share(term):
            # multiplied before dividing: a share that settles a whole amount comes out whole
            return SQL("(%s * %s / %s)", term, amount_paid, total)

        return dict(
            terms,
            date=SQL.identifier(paid, "date"),
            # each line's paid share to the cent, as an accountant re-adds it
            amount=SQL("ROUND(%s, %s)", share(terms["amount"]), self.currency_id.decimal_places),
            qty=share(terms["qty"]),
            cost=share(terms["cost"]),
        )

    def _paid_period_bases(self, date_start, date_end, partner_ids=None):
        """``{partner id: (base amount, base quantity)}`` paid between the two dates (what
        ``_compute_period_bases`` gives on a paid basis), from one aggregate."""
        self.ensure_one()
        ranges = [(date_start, date_end)]
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)

        def build(terms):
            return SQL("%s.partner_id, SUM(%s), SUM(%s)", terms["line"], terms["amount"], terms["qty"]), \
                SQL("%s.partner_id", terms["line"])

        bases = defaultdict(lambda: (to_decimal(0), to_decimal(0)))
        for partner_id, amount, qty in self._line_figures_query(domain, ranges, build):
            if partner_id:
                bases[partner_id] = (to_decimal(amount or 0), to_decimal(qty or 0) if self.basis == "quantity"
                                     else to_decimal(0))
        return dict(bases)

    # ---- Exclusions and overlapping policies -----------------------------------------------------
    # overlap13: products a policy never counts, and exclusive (non-combinable) policies meeting on
    # the same invoice lines.
    #
    # A line covered by several exclusive policies (their company, dates, customers and products all
    # take it in) is counted by one of them only: the one with the highest key (engine/overlap.py). The
    # losers' bases leave it out through conditions added to their base domain, so the aggregate, the
    # "invoice lines" button and the projection read the same lines; no Python loop over invoice lines.
    # What a record lost, to which policy and why, is stored on it (rebate.record.overlap).

    @api.depends("combinable", "overlap_priority", "state", "date_start", "date_end", "partner_ids",
                 "partner_category_ids", "product_ids", "product_category_ids")
    def _compute_overlapping_policy_ids(self):
        for policy in self:
            origin = policy._origin
            policy.overlapping_policy_ids = origin._overlapping_policies() if origin.id else False

    @api.depends("combinable", "overlap_priority", "overlap_rule", "excluded_product_ids",
                 "excluded_product_category_ids")
    @api.depends_context("lang")
    def _compute_overlap_text(self):
        for policy in self:
            policy.overlap_text = policy._overlap_terms_text()

    def _overlap_terms_text(self):
        """"Not combined with other policies (priority 10)" and the products never counted."""
        self.ensure_one()
        parts = []
        if not self.combinable:
            if self.overlap_rule == "favourable":
                parts.append(self.env._(
                    "Not combined with other policies: the one more favourable to the customer counts "
                    "(priority %(priority)s)", priority=self.overlap_priority))
            else:
                parts.append(self.env._("Not combined with other policies (priority %(priority)s)",
                                        priority=self.overlap_priority))
        excluded = self.excluded_product_ids.mapped("display_name") \
            + self.excluded_product_category_ids.mapped("display_name")
        if excluded:
            parts.append(self.env._("%(products)s never counted", products=", ".join(excluded)))
        return self._clause_separator().join(parts)


    def _overlap_summary_text(self, text):
        """The summary with the overlap terms after it."""
        self.ensure_one()
        extra = self._overlap_terms_text()
        return self.env._("%(rule)s. %(overlap)s", rule=text, overlap=extra) if extra else text

    # ------------------------------------------------------------------ constraints

    @api.constrains("combinable", "min_seniority_months")
    def _check_overlap_terms(self):
        for policy in self:
            if not policy.combinable and policy.min_seniority_months:
                raise ValidationError(self.env._(
                    "Policy %(policy)s cannot be both exclusive and limited to customers of a minimum "
                    "seniority: whether it covers a line would then depend on each customer's first "
                    "invoice. Combine it with other policies, or remove the seniority.",
                    policy=policy.display_name))

    @api.constrains("combinable", "overlap_rule", "state", "date_start", "date_end", "company_id", "partner_ids",
                    "partner_category_ids", "product_ids", "product_category_ids")
    def _check_overlap_rules_agree(self):
        """Exclusive policies that meet decide their shared lines the same way. A line's key puts a
        policy deciding by the more favourable (its share first) above one deciding by priority
        (share 0) whatever they pay back: mixed, the less favourable policy could take the lines
        while its own terms say the more favourable counts."""
        for policy in self:
            if policy.combinable or policy.state not in ("active", "closed") or not policy.date_start:
                continue
            other = policy._overlap_competitors().filtered(lambda o: o.overlap_rule != policy.overlap_rule)[:1]
            if other:
                raise ValidationError(self.env._(
                    "Policies %(policy)s and %(other)s are both exclusive and meet on the same customers, "
                    "products and dates, but one lets the higher priority count the shared purchases and the "
                    "other the more favourable to the customer. Set both the same way.",
                    policy=policy.display_name, other=other.display_name))

    # ------------------------------------------------------------------ exclusions

    def _excluded_product_ids(self):
        """Products the policy never counts (excluded categories with their children)."""
        self.ensure_one()
        products = self.excluded_product_ids
        if self.excluded_product_category_ids:
            products |= self.env["product.product"].with_context(active_test=False).search(
                [("categ_id", "child_of", self.excluded_product_category_ids.ids)])
        return products.ids

    def _exclusion_domain(self):
        """The base domain's term leaving the excluded products out (lines without a product stay)."""
        excluded = self._excluded_product_ids()
        return Domain("product_id", "not in", excluded) if excluded else Domain.TRUE

    def _products_counted(self, products):
        """Of ``products``, those the policy counts (its product scope, less its exclusions)."""
        self.ensure_one()
        scope = self._scope_product_ids()
        scope = None if scope is None else set(scope)
        excluded = set(self._excluded_product_ids())
        return {product for product in products
                if (scope is None or product.id in scope) and product.id not in excluded}

    # ------------------------------------------------------------------ coverage and competitors

    def _period_of(self, day):
        self.ensure_one()
        return period_containing(self.period, day, self.date_start, self.date_end or None)

    def _coverage_domain(self, date_from, date_to):
        """The lines the policy covers between two dates (company, customers, products and
        exclusions), before any overlap is resolved."""
        self.ensure_one()
        domain = Domain([("company_id", "=", self.company_id.id),
                         ("invoice_date", ">=", date_from), ("invoice_date", "<=", date_to)])
        scope_partners = self._scope_partner_ids()
        if scope_partners is not None:
            domain &= Domain("partner_id", "in", scope_partners)
        scope_products = self._scope_product_ids()
        if scope_products is not None:
            domain &= Domain("product_id", "in", scope_products)
        return domain & self._exclusion_domain()

    def _overlap_competitors(self, date_from=None, date_to=None):
        """The other exclusive policies that compute (active or closed) in the same company,
        whose dates meet [date_from, date_to] (default: the policy's own) and whose customers
        and products meet the policy's."""
        self.ensure_one()
        Policy = self.env["rebate.policy"].sudo()
        date_from = date_from or self.date_start
        date_to = date_to or self.date_end
        candidates = Policy.search([
            ("combinable", "=", False), ("state", "in", ("active", "closed")),
            ("company_id", "=", self.company_id.id), ("id", "!=", self.id),
            "|", ("date_end", "=", False), ("date_end", ">=", date_from),
            *([("date_start", "<=", date_to)] if date_to else []),
        ])
        return candidates.filtered(self._scope_meets)

    def _overlap_affected(self):
        """Exclusive policies whose bases move when one of these exclusive policies changes."""
        affected = self.env["rebate.policy"]
        for policy in self.sudo():
            if not policy.combinable and policy.state in ("active", "closed") and policy.date_start:
                affected |= policy._overlap_competitors()
        return affected

    # ------------------------------------------------------------------ who counts a line

    def _overlap_shares(self, period, partner_ids=None):
        """``{partner id: payback share in %}`` of the policy for one of its periods: its rebate on
        every line of the period in its scope (before exclusive policies take lines) over those
        purchases. Kept for the computation run, which reads them in one aggregate for the policy
        and its competitors deciding by the more favourable on the same period (each of them asks
        for its own shares next)."""
        self.ensure_one()
        cache = self.env.cr.cache.get(RATE_CACHE)
        customers = None if partner_ids is None else frozenset(partner_ids)
        key = (self.id, period.date_start, period.date_end, customers)
        if cache is not None and key in cache:
            return cache[key]
        policies = self
        if cache is not None:
            policies |= self._overlap_competitors(period.date_start, period.date_end).filtered(
                lambda other: other.overlap_rule == "favourable"
                and other.date_start <= period.date_start and (not other.date_end or other.date_end >= period.date_end)
                and other._period_of(period.date_start).date_end == period.date_end
                and other._period_of(period.date_start).date_start == period.date_start
                and (other.id, period.date_start, period.date_end, customers) not in cache)
        bases = policies._gross_period_bases(period, partner_ids)
        for policy in policies:
            shares = policy._payback_shares(bases[policy.id])
            if cache is not None:
                cache[(policy.id, period.date_start, period.date_end, customers)] = shares
        return cache[key] if cache is not None else shares

    def _payback_shares(self, bases):
        """``{partner id: payback share in %}`` from ``{partner id: (amount, quantity)}``."""
        self.ensure_one()
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 1 if self.basis == "quantity" else 0
        shares = {}
        for partner_id, base in bases.items():
            result = compute_rebate(base[measure_index], tiers, self.tier_mode, base[0], cap, rounding)
            shares[partner_id] = payback_share(result.amount, base[0])
        return shares

    def _gross_period_bases(self, period, partner_ids=None):
        """``{policy id: {partner id: (amount, quantity)}}``: each policy's base of ``period`` on
        every line of its scope, before exclusive policies take lines (as ``_compute_period_bases``
        counts them), from one aggregate for all the policies (a filtered sum per policy)."""
        if len(self) == 1:
            return {self.id: self.with_context(rebate_gross_base=True)._compute_period_bases(
                period.date_start, period.date_end, partner_ids)}
        Line = self.env["account.move.line"].sudo()
        scratch = Line._search([])
        ranges = [(period.date_start, period.date_end)]
        domains = [policy.with_context(rebate_gross_base=True)._base_line_domain(
            None, None, partner_ids, ranges=ranges, moves=False) for policy in self]
        conditions = [domain.optimize_full(Line)._to_sql(Line, Line._table, scratch) for domain in domains]

        def build(terms):
            columns = [SQL("%s.partner_id", terms["line"])]
            for condition in conditions:
                columns.append(SQL("SUM(%s) FILTER (WHERE %s)", terms["amount"], condition))
                columns.append(SQL("SUM(%s) FILTER (WHERE %s)", terms["qty"], condition))
            return SQL(", ").join(columns), SQL("%s.partner_id", terms["line"])

        rows = self[0]._line_figures_query(Domain.OR(domains), ranges, build)
        # the policies' terms read once, not once per row (one row per customer)
        policies = [(index, policy.id, policy.basis == "quantity") for index, policy in enumerate(self)]
        bases = {policy_id: {} for _index, policy_id, _quantity in policies}
        for partner_id, *sums in rows:
            if not partner_id:
                continue
            for index, policy_id, quantity in policies:
                amount, qty = sums[2 * index], sums[2 * index + 1]
                if amount is None:  # none of this policy's lines
                    continue
                bases[policy_id][partner_id] = (to_decimal(amount), to_decimal(qty or 0) if quantity else ZERO)
        return bases

    def _overlap_takers(self, ranges, partner_ids=None):
        """Where competitors take the policy's lines, over the date ``ranges`` (within the
        policy's own dates): ``[(competitor, date from, date to, partner condition, facts)]``;
        the condition is None (every customer), ("in", ids) or ("not in", ids); ``facts`` maps a
        customer (None: any other) to (rule, own share, its share). Kept for the computation run
        (the shares they are decided from are)."""
        self.ensure_one()
        if self.combinable or not self.date_start:
            return []
        cache = self.env.cr.cache.get(RATE_CACHE)
        key = ("takers", self.id, tuple(ranges), None if partner_ids is None else frozenset(partner_ids))
        if cache is not None and key in cache:
            return cache[key]
        takers = self._decide_overlap_takers(ranges, partner_ids)
        if cache is not None:
            cache[key] = takers
        return takers

    def _decide_overlap_takers(self, ranges, partner_ids=None):
        """``_overlap_takers`` worked out: the competitors, their dates and the customers whose
        shares make them take the lines."""
        own_end = self.date_end or max(end for _start, end in ranges)
        ranges = [(max(start, self.date_start), min(end, own_end)) for start, end in ranges]
        ranges = [(start, end) for start, end in ranges if start <= end]
        if not ranges:
            return []
        takers = []
        for other in self._overlap_competitors(min(s for s, _e in ranges), max(e for _s, e in ranges)):
            favourable = self.overlap_rule == "favourable" or other.overlap_rule == "favourable"
            rule = "favourable" if favourable else "priority"
            default = overlap_key(other.overlap_rule == "favourable", ZERO, other.overlap_priority, other.id) \
                > overlap_key(self.overlap_rule == "favourable", ZERO, self.overlap_priority, self.id)
            other_end = other.date_end or own_end
            for start, end in ranges:
                start, end = max(start, other.date_start), min(end, other_end)
                if start > end:
                    continue
                if not favourable:
                    if default:
                        takers.append((other, start, end, None, {None: (rule, ZERO, ZERO)}))
                    continue
                for seg_start, seg_end, own_period, other_period in split_segments(
                        start, end, self._period_of, other._period_of):
                    own = self._overlap_shares(own_period, partner_ids) if self.overlap_rule == "favourable" else {}
                    theirs = other._overlap_shares(other_period, partner_ids) \
                        if other.overlap_rule == "favourable" else {}
                    facts, exceptions = {None: (rule, ZERO, ZERO)}, []
                    for partner_id in set(own) | set(theirs):
                        own_share, their_share = own.get(partner_id, ZERO), theirs.get(partner_id, ZERO)
                        wins = overlap_key(other.overlap_rule == "favourable", their_share, other.overlap_priority,
                                           other.id) > overlap_key(self.overlap_rule == "favourable", own_share,
                                                                   self.overlap_priority, self.id)
                        if wins:
                            facts[partner_id] = (rule, own_share, their_share)
                        if wins != default:
                            exceptions.append(partner_id)
                    if default:
                        condition = ("not in", exceptions) if exceptions else None
                    elif exceptions:
                        condition = ("in", exceptions)
                    else:
                        continue
                    takers.append((other, seg_start, seg_end, condition, facts))
        return takers

    @staticmethod
    def _taker_domain(taker):
        other, start, end, condition, _facts = taker
        domain = other._coverage_domain(start, end)
        if condition is not None:
            domain &= Domain("partner_id", condition[0], condition[1])
        return domain

    def _overlap_exclusion_domain(self, ranges, partner_ids=None):
        """The term of the base domain leaving out the lines that exclusive competitors take
        (TRUE for a policy that combines). ``rebate_gross_base`` in the context: no term (the
        base before overlaps, from which the payback shares are worked out)."""
        self.ensure_one()
        if self.combinable or self.env.context.get("rebate_gross_base"):
            return Domain.TRUE
        takers = self._overlap_takers(ranges, partner_ids)
        if not takers:
            return Domain.TRUE
        return ~Domain.OR(self._taker_domain(taker) for taker in takers)

    def _document_products_counted(self, partner, day, products):
        """Of the ``products`` an order or invoice of ``partner`` on ``day`` adds, those this
        policy would count: in scope, not excluded, and not taken by an exclusive competitor (at
        the shares of the period to date)."""
        self.ensure_one()
        counted = self._products_counted(products)
        if counted and not self.combinable:
            for other, _start, _end, condition, _facts in self._overlap_takers([(day, day)], [partner.id]):
                scope = other._scope_partner_ids()
                if scope is not None and partner.id not in scope:
                    continue
                if condition is not None and (partner.id in condition[1]) != (condition[0] == "in"):
                    continue
                counted -= other._products_counted(counted)
        return counted

    # ------------------------------------------------------------------ what each record lost

    def _record_overlaps(self, period, partner_ids=None):
        """Store, on the period's estimates, what exclusive competitors took from them: per
        competitor (and piece of the period where their periods differ), the purchases it counts
        instead, with the facts that decided. One aggregate over the lines taken, with a filtered
        sum per competitor: a line goes to the competitor that counts it (its own base)."""
        self.ensure_one()
        if self.combinable:
            return
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        Overlap = self.env["rebate.record.overlap"].sudo()
        domain = [("policy_id", "=", self.id), ("date_start", "=", period.date_start)]
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        records = Record.search(domain)
        drafts = records.filtered(lambda r: r.state == "draft")
        # written by the computation in bulk (thousands of customers), as the records are
        if drafts:
            Overlap.flush_model()
            self.env.cr.execute("DELETE FROM rebate_record_overlap WHERE record_id IN %s", [tuple(drafts.ids)])
            Overlap.invalidate_model()
            Record.invalidate_model(["overlap_ids"])
        takers = self._overlap_takers([(period.date_start, period.date_end)], partner_ids)
        if not takers or not drafts:
            return
        taken = self._overlap_attribution(period, partner_ids, takers)
        by_partner = defaultdict(list)
        for record in records:
            by_partner[record.partner_id.id].append(record)
        values = []
        for partner_id, sums in taken.items():
            records_of = by_partner.get(partner_id)
            if not records_of:
                continue
            draft = next((r for r in records_of if r.state == "draft"), None)
            if draft is None:
                continue
            frozen = [r for r in records_of if r.state != "draft"]
            for index, (other, start, end, _condition, facts) in enumerate(takers):
                amount, qty = (to_decimal(value or 0) for value in sums.get(index, (0, 0)))
                for record in frozen:  # an adjustment shows what changed since the confirmed record
                    for row in record.overlap_ids.filtered(lambda o: o.policy_id == other and o.date_from == start):
                        amount -= to_decimal(row.base_amount)
                        qty -= to_decimal(row.base_qty)
                if not amount and not qty:
                    continue
                rule, own_share, their_share = facts.get(partner_id, facts[None])
                values.append({
                    "record_id": draft.id, "policy_id": other.id, "date_from": start, "date_to": end,
                    "base_amount": float(amount), "base_qty": float(qty), "rule": rule,
                    "own_share": float(own_share), "winner_share": float(their_share),
                    "own_priority": self.overlap_priority, "winner_priority": other.overlap_priority,
                })
        if values:
            columns = ("record_id", "company_id", "policy_id", "date_from", "date_to", "base_amount", "base_qty",
                       "rule", "own_share", "winner_share", "own_priority", "winner_priority")
            for vals in values:
                vals["company_id"] = self.company_id.id
            self.env.cr.execute(SQL(
                "INSERT INTO rebate_record_overlap (%s) VALUES %s",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL(", ").join(SQL("(%s)", SQL(", ").join(vals[column] for column in columns)) for vals in values)))
            Overlap.invalidate_model()
            Record.invalidate_model(["overlap_ids"])

    def _overlap_attribution(self, period, partner_ids, takers):
        """``{partner id: {taker index: (amount, quantity)}}``: of the policy's purchases in
        ``period``, what each of its ``takers`` counts instead. Where every taker competes on this
        same period, from the aggregate the policy shares with them (kept for the computation run:
        each of them asks next, for the same group); otherwise from one aggregate of its own."""
        self.ensure_one()
        cache = self.env.cr.cache.get(RATE_CACHE)
        bounds = (period.date_start, period.date_end)
        if cache is None or any((start, end) != bounds for _other, start, end, _condition, _facts in takers):
            return self._overlap_attribution_of_takers(period, partner_ids, takers)
        group = self.browse(sorted({self.id} | {taker[0].id for taker in takers}))
        key = ("attribution", tuple(group.ids), bounds, None if partner_ids is None else frozenset(partner_ids))
        if key not in cache:
            cache[key] = group._overlap_attribution_shared(period, partner_ids)
        index_of = {taker[0].id: index for index, taker in enumerate(takers)}
        return {
            partner_id: {index_of[winner]: figures for winner, figures in winners.items()}
            for partner_id, winners in cache[key][self.id].items()
        }

    def _overlap_attribution_shared(self, period, partner_ids=None):
        """``{policy id: {partner id: {policy id counting instead: (amount, quantity)}}}`` for
        exclusive policies competing on the same ``period``, each one's takers among them: one
        aggregate over the lines any of them covers, grouped by customer, by the policy that counts
        the line (one ``CASE`` a line: its own base's conditions) and by which of them cover it."""
        Line = self.env["account.move.line"].sudo()
        scratch = Line._search([])
        ranges = [(period.date_start, period.date_end)]

        def condition(domain):
            return SQL("(%s)", domain.optimize_full(Line)._to_sql(Line, Line._table, scratch))

        gross = [policy.with_context(rebate_gross_base=True)._base_line_domain(
            None, None, partner_ids, ranges=ranges, moves=False) for policy in self]
        counted = [policy._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False) for policy in self]

        def build(terms):
            winner = SQL("CASE %s END", SQL(" ").join(
                SQL("WHEN %s THEN %s", condition(domain), index) for index, domain in enumerate(counted)))
            columns = [SQL("%s.partner_id", terms["line"]), winner, *(condition(domain) for domain in gross),
                       SQL("SUM(%s)", terms["amount"]), SQL("SUM(%s)", terms["qty"])]
            return SQL(", ").join(columns), SQL(", ".join(str(position) for position in range(1, len(self) + 3)))

        rows = self[0]._line_figures_query(Domain.OR(gross), ranges, build)
        # plain ids in the loop over the rows (tens of thousands): no recordset per row
        policy_ids = self.ids
        attribution = {policy_id: defaultdict(dict) for policy_id in policy_ids}
        for partner_id, winner, *covers_and_sums in rows:
            *covers, amount, qty = covers_and_sums
            if winner is None or not partner_id:
                continue
            winner_id = policy_ids[winner]
            figures = (to_decimal(amount or 0), to_decimal(qty or 0))
            for policy_id, covered in zip(policy_ids, covers):
                if covered and policy_id != winner_id:
                    lost = attribution[policy_id][partner_id]
                    before = lost.get(winner_id, (ZERO, ZERO))
                    lost[winner_id] = (before[0] + figures[0], before[1] + figures[1])
        return attribution

    def _overlap_attribution_of_takers(self, period, partner_ids, takers):
        """``_overlap_attribution`` from one aggregate of the policy's own: its lines grouped by
        the taker that counts each (one ``CASE`` a line)."""
        Line = self.env["account.move.line"].sudo()
        scratch = Line._search([])
        conditions = []
        for other, start, end, condition, facts in takers:
            counts = self._taker_domain((other, start, end, condition, facts)) \
                & other._overlap_exclusion_domain([(start, end)], partner_ids)
            conditions.append(counts.optimize_full(Line)._to_sql(Line, Line._table, scratch))
        gross = self.with_context(rebate_gross_base=True)._base_line_domain(
            None, None, partner_ids, ranges=[(period.date_start, period.date_end)], moves=False)
        ranges = [(period.date_start, period.date_end)]

        def build(terms):
            # a line goes to the one competitor that counts it: which one, computed once per line
            taker = SQL("CASE %s END", SQL(" ").join(
                SQL("WHEN %s THEN %s", condition, index) for index, condition in enumerate(conditions)))
            return SQL("%s.partner_id, %s, SUM(%s), SUM(%s)", terms["line"], taker, terms["amount"], terms["qty"]), \
                SQL("1, 2")

        taken = defaultdict(dict)
        for partner_id, index, amount, qty in self._line_figures_query(gross, ranges, build):
            if index is not None:
                taken[partner_id][index] = (amount, qty)
        return taken

    # ------------------------------------------------------------------ compute hooks

    def _overlap_widen_changes(self, periods, changes):
        """A changed customer-day also moves, where shares decide, the competitor's share of its
        period holding that day: every period of this policy meeting that competitor's period is
        then recomputed for the customer."""
        if self.combinable:
            return changes
        by_day, firsts = changes
        competitors = self._overlap_competitors().filtered(
            lambda other: other.overlap_rule == "favourable" or self.overlap_rule == "favourable")
        if not competitors:
            return changes
        extended = defaultdict(set)
        for day, partner_ids in by_day.items():
            extended[day] |= partner_ids
            for other in competitors:
                if day < other.date_start or (other.date_end and day > other.date_end):
                    continue
                theirs = other._period_of(day)
                for period in periods:
                    if period.date_start <= theirs.date_end and period.date_end >= theirs.date_start:
                        extended[period.date_start] |= partner_ids
        return extended, firsts

    def _overlap_after_write(self, before, vals):
        """After a change of coverage (``COVERAGE_FIELDS``): the exclusive policies this one met
        before or meets now compute everything again, and a policy combined again forgets what its
        estimates lost."""
        affected = (before | self._overlap_affected()) - self
        if affected:
            affected.with_context(rebate_overlap_competitors_only=True)._require_full_compute()
        if vals.get("combinable"):
            # combined again: what its estimates lost to others is not true any more
            self.env["rebate.record.overlap"].sudo().search([
                ("record_id.policy_id", "in", self.ids), ("record_id.state", "=", "draft")]).unlink()

    # ---- Group volume (集团客户) ---------------------------------------------------------------------
    # Group volume (集团客户): the customers of a group pool their bases for the tier.
    #
    # A policy's ``pool_mode`` says what a group is: a parent company with its branches (separate
    # commercial partners linked by ``parent_id``; the group is the top-most parent company's tree), a
    # customer tag of ``pool_category_ids`` (one group per tag), or an explicit ``rebate.customer.group``
    # of ``pool_group_ids``. The group's base (the sum of its members' bases, from the period's one
    # aggregate per customer) decides the tier of every member; each member then earns its own base at
    # that rate, or, with ``pool_payout`` = ``head``, the whole group is one record of the group's head.
    # Only the customers in the policy's scope count (their lines are the only ones aggregated).
    #
    # A customer carrying two of the pooled tags, or in two of the policy's groups, is refused (the
    # computation stops with a message naming them): its group would otherwise depend on an order no
    # one chose.

    @api.constrains("pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout", "amount_type")
    def _check_pool_terms(self):
        for policy in self:
            if policy.pool_mode == "tag" and not policy.pool_category_ids:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customers by tag: choose the tags whose customers are pooled.",
                    policy=policy.display_name))
            if policy.pool_mode == "group" and not policy.pool_group_ids:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customer groups: choose the groups.", policy=policy.display_name))
            if policy.pool_mode == "tag" and policy.pool_payout == "head":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: a customer tag has no head to pay; pay each member, or pool by "
                    "parent company or by customer groups.", policy=policy.display_name))
            if policy.pool_mode != "none" and policy.pool_payout == "member" and policy.amount_type == "fixed":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: a fixed amount reached by a group is paid once, to the group's head, "
                    "not to each member.", policy=policy.display_name))
        self._check_pool_groups_disjoint()
        self._check_pool_combinations()

    def _check_pool_combinations(self):
        """Group volume is not built together with some terms of issue 13's other parts: a paid
        basis, and exclusive policies decided by what is more favourable to the customer. Each is refused, not guessed. (Advances within the
        year are pooled: the group's year to date decides the tier, see
        ``_compute_advance_records``.)"""
        for policy in self.filtered(lambda p: p.pool_mode != "none"):
            refused = []
            if policy.invoice_basis == "paid":
                refused.append(self.env._("invoices counted once paid"))
            if not policy.combinable and policy.overlap_rule == "favourable":
                refused.append(self.env._("exclusive overlaps decided by what is more favourable to the customer"))
            if refused:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pools customers in groups, which does not combine with %(terms)s yet.",
                    policy=policy.display_name, terms=self._clause_separator().join(refused)))

    def _check_pool_groups_disjoint(self):
        for policy in self.filtered(lambda p: p.pool_mode == "group"):
            seen = {}
            for group in policy.pool_group_ids.filtered("active"):
                for partner in group.member_ids.commercial_partner_id:
                    if partner.id in seen and seen[partner.id] != group:
                        raise ValidationError(self.env._(
                            "Policy %(policy)s: %(customer)s is a member of two of its customer groups "
                            "(%(first)s and %(second)s); a customer pools with one group only.",
                            policy=policy.display_name, customer=partner.display_name,
                            first=seen[partner.id].display_name, second=group.display_name))
                    seen[partner.id] = group

    def _pool_forget_groups(self):
        """Other groups: the estimates forget their group until the next (full) run fills it again."""
        self.env["rebate.record"].flush_model()
        self.env.cr.execute(SQL(
            "UPDATE rebate_record SET %s WHERE policy_id IN %s AND state = 'draft' AND pool_key IS NOT NULL",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in POOL_FIGURES),
            tuple(self.ids)))
        self.env["rebate.record"].invalidate_model(list(POOL_FIGURES))

    # ------------------------------------------------------------------ the groups

    def _pool_groups(self, partner_ids):
        """``{key: PoolGroup}``: the groups that hold any of the commercial partners
        ``partner_ids``, with all their members."""
        self.ensure_one()
        partner_ids = [p for p in partner_ids if p]
        if self.pool_mode == "parent":
            return self._pool_parent_groups(partner_ids)
        if self.pool_mode == "tag":
            return self._pool_tag_groups()
        if self.pool_mode == "group":
            return self._pool_list_groups()
        return {}

    def _pool_parent_groups(self, partner_ids):
        """A company with its branches: each partner's top-most parent company and, from those,
        every commercial partner below them (two recursive queries for any number of customers).
        A company with neither parent nor branches is no group."""
        if not partner_ids:
            return {}
        self.env["res.partner"].flush_model(["parent_id", "is_company", "commercial_partner_id"])
        self.env.cr.execute(SQL(
            """WITH RECURSIVE up(partner_id, ancestor_id, depth) AS (
                   SELECT id, id, 0 FROM res_partner WHERE id = ANY(%(partners)s)
                    UNION ALL
                   SELECT up.partner_id, partner.parent_id, up.depth + 1
                     FROM up JOIN res_partner partner ON partner.id = up.ancestor_id
                    WHERE partner.parent_id IS NOT NULL AND up.depth < %(depth)s)
               SELECT DISTINCT up.ancestor_id FROM (
                   SELECT DISTINCT ON (up.partner_id) up.ancestor_id
                     FROM up JOIN res_partner ancestor ON ancestor.id = up.ancestor_id
                    WHERE ancestor.is_company
                    ORDER BY up.partner_id, up.depth DESC) up""",
            partners=list(partner_ids), depth=MAX_PARENT_DEPTH))
        tops = [row[0] for row in self.env.cr.fetchall()]
        if not tops:
            return {}
        self.env.cr.execute(SQL(
            """WITH RECURSIVE down(top_id, partner_id, depth) AS (
                   SELECT id, id, 0 FROM res_partner WHERE id = ANY(%(tops)s)
                    UNION ALL
                   SELECT down.top_id, partner.id, down.depth + 1
                     FROM down JOIN res_partner partner ON partner.parent_id = down.partner_id
                    WHERE down.depth < %(depth)s)
               SELECT down.top_id, down.partner_id
                 FROM down JOIN res_partner partner ON partner.id = down.partner_id
                WHERE partner.commercial_partner_id = partner.id""",
            tops=tops, depth=MAX_PARENT_DEPTH))
        members = defaultdict(set)
        for top_id, partner_id in self.env.cr.fetchall():
            members[top_id].add(partner_id)
        heads = self.env["res.partner"].browse(members).with_context(active_test=False)
        return {
            f"parent:{head.id}": PoolGroup(f"parent:{head.id}", head.name or head.display_name, head.id,
                                           members[head.id])
            for head in heads if len(members[head.id]) > 1
        }

    def _pool_tag_groups(self):
        """One group per pooled tag: the commercial partners of the partners carrying it."""
        self.env["res.partner"].flush_model(["category_id", "commercial_partner_id"])
        self.env.cr.execute(SQL(
            """SELECT DISTINCT rel.category_id, partner.commercial_partner_id
                 FROM res_partner_res_partner_category_rel rel
                 JOIN res_partner partner ON partner.id = rel.partner_id
                WHERE rel.category_id = ANY(%s) AND partner.commercial_partner_id IS NOT NULL""",
            self.pool_category_ids.ids))
        groups = {}
        tags = {tag.id: tag for tag in self.pool_category_ids}
        for tag_id, partner_id in self.env.cr.fetchall():
            group = groups.setdefault(f"tag:{tag_id}", PoolGroup(f"tag:{tag_id}", tags[tag_id].display_name, None))
            group.member_ids.add(partner_id)
        self._pool_refuse_double_members(groups)
        return groups

    def _pool_list_groups(self):
        groups = {}
        for group in self.pool_group_ids.filtered("active"):
            key = f"group:{group.id}"
            groups[key] = PoolGroup(key, group.name, group.head_id.commercial_partner_id.id,
                                    set(group.member_ids.commercial_partner_id.ids))
        self._pool_refuse_double_members(groups)
        return groups

    def _pool_refuse_double_members(self, groups):
        owner = {}
        for group in groups.values():
            for partner_id in group.member_ids:
                if partner_id in owner:
                    partner = self.env["res.partner"].browse(partner_id)
                    raise UserError(self.env._(
                        "Policy %(policy)s pools %(customer)s in two groups (%(first)s and %(second)s): a "
                        "customer pools with one group only. Remove one of its tags, or pool by customer "
                        "groups.", policy=self.display_name, customer=partner.display_name,
                        first=owner[partner_id].name, second=group.name))
                owner[partner_id] = group

    def _pool_widen(self, partner_ids):
        """The customers of an incremental run with every other member of their groups: a change
        for one member changes the group's base, hence every member's rate."""
        self.ensure_one()
        partner_ids = set(partner_ids)
        for group in self._pool_groups(partner_ids).values():
            if group.member_ids & partner_ids:
                partner_ids |= group.member_ids
                if group.head_id:
                    partner_ids.add(group.head_id)
        return partner_ids

    def _pool_period(self, figures, bases, partner_ids=None):
        """The groups of a period from the per-customer figures (a sum in Python over one row per
        customer, never over invoice lines). With the head paid, the members' rows are replaced
        by one row for the head holding the group's sums, in ``figures`` and ``bases``. An
        incremental run (``partner_ids``, whole groups by ``_pool_widen``) leaves the other
        groups as they are."""
        self.ensure_one()
        groups = self._pool_groups(list(bases) + list(figures))
        if partner_ids is not None:
            groups = {key: group for key, group in groups.items() if group.member_ids & set(partner_ids)}
        group_of = {}
        for group in groups.values():
            for partner_id in sorted(group.member_ids):
                if partner_id in bases:
                    group.base_amount += bases[partner_id]["base_amount"]
                    group.base_qty += bases[partner_id]["base_qty"]
                    group.contributors.append(partner_id)
                    group.member_bases[partner_id] = (bases[partner_id]["base_amount"], bases[partner_id]["base_qty"])
                group_of[partner_id] = group
        pool = RebatePolicyPool(self, groups, group_of)
        if pool.head_payout:
            for group in groups.values():
                if not group.contributors:
                    continue
                totals = defaultdict(lambda: ZERO)
                for partner_id in group.contributors:
                    for name, value in figures.pop(partner_id).items():
                        totals[name] += value
                    bases.pop(partner_id, None)
                # the other figures (the period before, last year, costs) of the head are its group's
                for partner_id in group.member_ids - set(group.contributors):
                    for name, value in figures.pop(partner_id, {}).items():
                        totals[name] += value
                figures[group.head_id] = bases[group.head_id] = dict(totals)
        return pool

    def _pool_year_to_date(self, pool, year_to_date, advance_count):
        """A year paid in advances: ``({group key: [(lines, amount, quantity) to the end of each
        advance period]}, {member id: its own figures})``, summed in Python over one row per
        customer (``year_to_date`` of ``_compute_year_figures``; the members counted are the
        group's base's). With the head paid, the members' rows of ``year_to_date`` are replaced
        by one row for the head holding the group's, as ``_pool_period`` does for the year."""
        self.ensure_one()
        group_to_date, member_to_date = {}, {}
        for group in pool.groups.values():
            sums = [[0, ZERO, ZERO] for _index in range(advance_count)]
            for partner_id in group.contributors:
                figures = year_to_date.get(partner_id)
                if not figures:
                    continue
                member_to_date[partner_id] = figures
                for total, (lines, amount, qty) in zip(sums, figures):
                    total[0] += lines
                    total[1] += amount
                    total[2] += qty
            group_to_date[group.key] = [tuple(total) for total in sums]
            if pool.head_payout and group.contributors:
                for partner_id in group.contributors:
                    year_to_date.pop(partner_id, None)
                year_to_date[group.head_id] = group_to_date[group.key]
        return group_to_date, member_to_date

    def _pool_write_advance_records(self, updates):
        """Write the group figures of a year's advances and year-end settlement, ``updates`` a
        list of (record id, ``POOL_FIGURES`` values) — only the records whose group figures
        changed — in one UPDATE; the records paid to a group's head list the members that made up
        their base (their relation rows rewritten)."""
        self.ensure_one()
        if not updates:
            return
        Record = self.env["rebate.record"]
        Record.flush_model([*POOL_FIGURES, "pool_member_ids"])
        rows = [
            SQL("(%s, %s, %s, %s::int, %s::numeric, %s::numeric, %s::int, %s::boolean, %s::jsonb)",
                record_id, values["pool_key"], values["pool_name"], values["pool_head_id"],
                values["pool_base_amount"], values["pool_base_qty"], values["pool_member_count"],
                values["pool_own_tier"],
                json.dumps(values["pool_member_bases"]) if values["pool_member_bases"] is not None else None)
            for record_id, values in updates
        ]
        self.env.cr.execute(SQL(
            """UPDATE rebate_record AS record
                  SET %s
                 FROM (VALUES %s) AS figures(id, %s)
                WHERE record.id = figures.id""",
            SQL(", ").join(SQL("%s = figures.%s", SQL.identifier(name), SQL.identifier(name))
                           for name in POOL_FIGURES),
            SQL(", ").join(rows), SQL(", ").join(SQL.identifier(name) for name in POOL_FIGURES)))
        record_ids = [record_id for record_id, _values in updates]
        self.env.cr.execute(SQL("DELETE FROM rebate_record_pool_member_rel WHERE record_id = ANY(%s)", record_ids))
        pairs = [(record_id, int(member_id))
                 for record_id, values in updates for member_id in (values["pool_member_bases"] or {})]
        if pairs:
            # two integer arrays as literals: fifty thousand pairs of a VALUES list cost a second to parse
            self.env.cr.execute(SQL(
                """INSERT INTO rebate_record_pool_member_rel (record_id, partner_id)
                   SELECT * FROM unnest(%s::int[], %s::int[])""",
                "{%s}" % ",".join(str(record_id) for record_id, _member_id in pairs),
                "{%s}" % ",".join(str(member_id) for _record_id, member_id in pairs)))
        Record.browse(record_ids).invalidate_recordset([*POOL_FIGURES, "pool_member_ids", "pool_breakdown"])

    def _pool_write_records(self, date_start, pool, partner_ids=None):
        """Write each draft record of the period its group, the group's base, and whether the
        member kept its own higher tier (one UPDATE); the head's record lists the members that
        made up its base. The estimates of customers (of ``partner_ids``, None: all) no longer in
        a group forget it."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.flush_model()
        pooled = [partner_id for partner_id, group in pool.group_of.items()
                  if not pool.head_payout or partner_id == group.head_id]
        self.env.cr.execute(SQL(
            """UPDATE rebate_record SET %s
                WHERE policy_id = %s AND date_start = %s AND state = 'draft' AND pool_key IS NOT NULL
                  AND NOT (partner_id = ANY(%s)) %s""",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in POOL_FIGURES),
            self.id, date_start, pooled,
            SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()))
        rows = []
        for partner_id, group in pool.group_of.items():
            if pool.head_payout and partner_id != group.head_id:
                continue
            # a head's record keeps what each member bought: its statement re-adds its base as
            # it was computed, however the members' invoices change after it is confirmed
            member_bases = json.dumps({
                str(member_id): [float(amount), float(qty)]
                for member_id, (amount, qty) in sorted(group.member_bases.items())}) if pool.head_payout else None
            rows.append(SQL("(%s, %s, %s, %s::int, %s::numeric, %s::numeric, %s, %s, %s::jsonb)",
                            partner_id, group.key, group.name, group.head_id, group.base_amount, group.base_qty,
                            len(group.contributors), partner_id in pool.own_tier, member_bases))
        if rows:
            self.env.cr.execute(SQL(
                """UPDATE rebate_record AS record
                      SET pool_key = figures.pool_key, pool_name = figures.pool_name,
                          pool_head_id = figures.pool_head_id, pool_base_amount = figures.pool_base_amount,
                          pool_base_qty = figures.pool_base_qty, pool_member_count = figures.pool_member_count,
                          pool_own_tier = figures.pool_own_tier, pool_member_bases = figures.pool_member_bases
                     FROM (VALUES %s) AS figures(partner_id, pool_key, pool_name, pool_head_id, pool_base_amount,
                                                 pool_base_qty, pool_member_count, pool_own_tier,
                                                 pool_member_bases)
                    WHERE record.policy_id = %s AND record.date_start = %s AND record.state = 'draft'
                      AND record.partner_id = figures.partner_id
                      AND (record.pool_key, record.pool_name, record.pool_head_id, record.pool_base_amount,
                           record.pool_base_qty, record.pool_member_count, record.pool_own_tier,
                           record.pool_member_bases)
                          IS DISTINCT FROM (figures.pool_key, figures.pool_name, figures.pool_head_id,
                                            figures.pool_base_amount, figures.pool_base_qty,
                                            figures.pool_member_count, figures.pool_own_tier,
                                            figures.pool_member_bases)""",
                SQL(", ").join(rows), self.id, date_start))
        if pool.head_payout:
            # which members made up the head's base: the relation rows of the period's head
            # records, rewritten only where they changed
            wanted = {group.head_id: set(group.contributors) for group in pool.groups.values() if group.head_id}
            self.env.cr.execute(SQL(
                """SELECT record.id, record.partner_id, ARRAY_REMOVE(ARRAY_AGG(rel.partner_id), NULL)
                     FROM rebate_record record
                     LEFT JOIN rebate_record_pool_member_rel rel ON rel.record_id = record.id
                    WHERE record.policy_id = %s AND record.date_start = %s AND record.state = 'draft'
                      AND record.partner_id = ANY(%s)
                    GROUP BY record.id, record.partner_id""",
                self.id, date_start, list(wanted)))
            changed = {record_id: wanted[head_id] for record_id, head_id, members in self.env.cr.fetchall()
                       if set(members) != wanted[head_id]}
            if changed:
                self.env.cr.execute(SQL("DELETE FROM rebate_record_pool_member_rel WHERE record_id = ANY(%s)",
                                        list(changed)))
                pairs = [SQL("(%s, %s)", record_id, member)
                         for record_id, members in changed.items() for member in sorted(members)]
                if pairs:
                    self.env.cr.execute(SQL(
                        "INSERT INTO rebate_record_pool_member_rel (record_id, partner_id) VALUES %s",
                        SQL(", ").join(pairs)))
        Record.invalidate_model([*POOL_FIGURES, "pool_member_ids"])

    # ------------------------------------------------------------------ words

    def _pool_summary_text(self, text):
        """"…, with customers of tag Key Accounts pooled" and its other forms."""
        self.ensure_one()
        if self.pool_mode == "parent":
            pooled = self.env._("%(rule)s, with each parent company and its branches pooled", rule=text)
        elif self.pool_mode == "tag":
            pooled = self.env._("%(rule)s, with customers of tag %(tags)s pooled", rule=text,
                                tags=", ".join(self.pool_category_ids.mapped("display_name")))
        elif self.pool_mode == "group":
            pooled = self.env._("%(rule)s, with the customers of group %(groups)s pooled", rule=text,
                                groups=", ".join(self.pool_group_ids.mapped("display_name")))
        else:
            return text
        if self.pool_payout == "head":
            pooled = self.env._("%(rule)s, paid to the group's head", rule=pooled)
        return pooled

    def _pool_projection(self, period, partner, base_amount, base_qty, doc_amount, doc_qty):
        """The projection of a pooled customer: its group's period to date (one aggregate over
        the group's customers) plus the document decides the tier; the rebate is the customer's
        own purchases at that tier, or the group's when the head is paid. None when the customer
        pools with no one."""
        self.ensure_one()
        group = next((g for g in self._pool_groups([partner.id]).values() if partner.id in g.member_ids), None)
        if group is None:
            return None
        bases = self._compute_period_bases(period.date_start, period.date_end, list(group.member_ids))
        group_amount = sum((values[0] for values in bases.values()), ZERO)
        group_qty = sum((values[1] for values in bases.values()), ZERO)
        quantity = self.basis == "quantity"
        head = self.pool_payout == "head"
        result = project(
            group_qty if quantity else group_amount, self._engine_tiers(), self.tier_mode,
            amount_to_date=group_amount if head else base_amount,
            measure_document=doc_qty if quantity else doc_amount, amount_document=doc_amount,
            cap=to_decimal(self.cap_amount) if self.cap_amount else None,
            rounding=to_decimal(self.currency_id.rounding))
        values = self._projection_values(period, result, base_amount, base_qty, doc_amount, doc_qty)
        group_text = self._pool_format_base(group_amount, group_qty)
        if head:
            head_partner = self.env["res.partner"].browse(group.head_id)
            values["pool_text"] = self.env._(
                "Group %(group)s to date: %(base)s; the group's rebate is paid to %(head)s",
                group=group.name, base=group_text, head=head_partner.display_name)
        else:
            values["pool_text"] = self.env._("Group %(group)s to date: %(base)s", group=group.name, base=group_text)
        currency = self.currency_id
        values["pool"] = {
            "key": group.key,
            "name": group.name,
            "head_id": group.head_id or None,
            "payout": self.pool_payout,
            "base_amount": currency.round(float(group_amount)),
            "base_qty": float(group_qty),
        }
        return values

    def _pool_format_base(self, amount, qty):
        """A group's base as the record's computation writes bases: "120,000.00", "600 Units"."""
        self.ensure_one()
        return self._format_measure_unit(float(qty if self.basis == "quantity" else amount))

    # ---- Annual target with advances (年度返利，季度预返) -------------------------------------------------
    # Annual rebates paid in advances (年度返利，季度预返) and settled at year end.
    #
    # A yearly policy with an advance period keeps, per customer and year, one ``advance`` record per
    # advance period (its dates; its base is the year to date at the period's end) and one ``final``
    # record of the year (its base is the year's; its amount is the year's rebate minus the advances).
    # Both are ordinary records: confirmed, accrued, settled by any payout method, and, when negative,
    # netted against the next payout or recovered with an invoice (issue 7's negative adjustments). The
    # rules are the engine's (``engine/advances.py``); this file gathers the figures in two aggregates
    # per year and writes the records in bulk.

    @api.constrains("advance_period", "advance_mode", "advance_rate", "period", "tier_ids", "amount_type",
                    "settlement_method", "goods_quantity_mode")
    def _check_advances(self):
        for policy in self:
            if policy.advance_rate < 0 or policy.advance_rate > 100:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: the provisional rate of the advances must be between 0 and 100 %%.",
                    policy=policy.display_name))
            if not policy.advance_period:
                continue
            if policy.period != "year":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: advances are paid on a yearly rebate; choose the yearly period "
                    "or no advances.", policy=policy.display_name))
            if policy.advance_mode == "rate":
                if policy.advance_rate <= 0:
                    raise ValidationError(self.env._(
                        "Policy %(policy)s: set the provisional rate of the advances.", policy=policy.display_name))
                highest = max(policy.tier_ids.mapped("rate") or [0.0])
                if policy.amount_type == "rate" and policy.tier_ids and float_compare(
                        policy.advance_rate, highest, precision_digits=4) > 0:
                    raise ValidationError(self.env._(
                        "Policy %(policy)s: the provisional rate (%(advance)s %%) cannot exceed the highest "
                        "tier's rate (%(rate)s %%): the advances would pay more than the year can earn.",
                        policy=policy.display_name, advance=policy._format_rate(policy.advance_rate),
                        rate=policy._format_rate(highest)))
            if policy.settlement_method == "goods" and policy.goods_quantity_mode == "fixed":
                raise ValidationError(self.env._(
                    "Policy %(policy)s: advances are amounts of money; a fixed quantity of goods per tier "
                    "cannot be advanced. Give the goods at their sales price or cost instead.",
                    policy=policy.display_name))

    def _advance_summary(self, text):
        """The rule in words with its advances: "…, advanced quarterly at 3 %"."""
        self.ensure_one()
        period = {
            "month": self.env._("monthly"),
            "quarter": self.env._("quarterly"),
            "half_year": self.env._("half-yearly"),
        }[self.advance_period]
        if self.advance_mode == "tier":
            return self.env._("%(rule)s, advanced %(period)s at the tier reached so far", rule=text, period=period)
        return self.env._("%(rule)s, advanced %(period)s at %(rate)s %%", rule=text, period=period,
                          rate=self._format_rate(self.advance_rate))

    def _advance_year_records(self, partner, year):
        """The advances and year-end settlements (with their adjustments) of ``partner`` in
        ``year`` (a period of the policy), cancelled ones left out."""
        self.ensure_one()
        return self.env["rebate.record"].sudo().search([
            ("policy_id", "=", self.id), ("partner_id", "=", partner.id), ("kind", "in", ("advance", "final")),
            ("date_start", ">=", year.date_start), ("date_start", "<=", year.date_end), ("state", "!=", "cancelled"),
        ])

    # ------------------------------------------------------------------ computation

    def _advance_periods(self, year):
        """The advance periods of ``year`` (a policy period) that have begun, clipped to it."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if today < year.date_start:
            return []
        return list(iter_periods(self.advance_period, year.date_start, year.date_end, until=min(today, year.date_end)))

    def _compute_year_figures(self, year, advance_periods, partner_ids=None):
        """``({partner id: {figure: Decimal}}, {partner id: [(lines, amount, quantity) to the end of
        each advance period]})``: the year's figures as ``_compute_period_figures`` gives them (the
        year, the year before, costs) and the year to date at the end of each advance period, from
        ONE aggregate. The aggregate sums each customer's lines per slice of the year (the advance
        periods, then the rest of the year) and per range before it, four plain sums a row; the
        year and its year to date are added up here from those slices (a few rows per customer,
        never the invoice lines): a conditional sum per figure and advance period read every line
        nineteen times."""
        self.ensure_one()
        before, last_year = previous_period(year), same_period_last_year(year)
        ranges = [(year.date_start, year.date_end), (before.date_start, before.date_end),
                  (last_year.date_start, last_year.date_end)]
        domain = self._base_line_domain(None, None, partner_ids, ranges=ranges, moves=False)
        slices = len(advance_periods)  # the slice after the advance periods: the rest of the year

        def build(terms):
            date = terms["date"]
            slice_of = SQL("CASE %s ELSE %s END", SQL(" ").join(
                SQL("WHEN %s BETWEEN %s AND %s THEN %s", date, period.date_start, period.date_end, index)
                for index, period in enumerate(advance_periods)
            ) if advance_periods else SQL("WHEN FALSE THEN 0"), slices)
            columns = [
                SQL("%s.partner_id", terms["line"]),
                SQL("CASE WHEN %s BETWEEN %s AND %s THEN %s END", date, year.date_start, year.date_end, slice_of),
                SQL("%s BETWEEN %s AND %s", date, before.date_start, before.date_end),
                SQL("%s BETWEEN %s AND %s", date, last_year.date_start, last_year.date_end),
                SQL("COUNT(*)"),
                SQL("SUM(%s)", terms["amount"]),
                SQL("SUM(%s)", terms["qty"]),
                SQL("SUM(%s)", terms["cost"]),
            ]
            return SQL(", ").join(columns), SQL("1, 2, 3, 4")

        names = ("lines", "base_amount", "base_qty", "cost_amount", "previous_base_amount", "previous_cost_amount",
                 "last_year_base_amount")
        figures, year_to_date = {}, {}
        for partner_id, index, in_before, in_last_year, lines, amount, qty, cost in self._line_figures_query(
                domain, ranges, build):
            if not partner_id:
                continue
            amount, qty, cost = to_decimal(amount or 0), to_decimal(qty or 0), to_decimal(cost or 0)
            partner = figures.get(partner_id)
            if partner is None:
                partner = figures[partner_id] = dict.fromkeys(names, ZERO)
                partner["lines"] = 0
                year_to_date[partner_id] = [[0, ZERO, ZERO] for _period in advance_periods]
            if index is not None:
                partner["lines"] += lines
                partner["base_amount"] += amount
                partner["base_qty"] += qty
                partner["cost_amount"] += cost
                # a slice counts in the year to date of its advance period and of every later one
                for to_date in year_to_date[partner_id][index:]:
                    to_date[0] += lines
                    to_date[1] += amount
                    to_date[2] += qty
            if in_before:
                partner["previous_base_amount"] += amount
                partner["previous_cost_amount"] += cost
            if in_last_year:
                partner["last_year_base_amount"] += amount
        return figures, {partner_id: [tuple(to_date) for to_date in figures_to_date]
                         for partner_id, figures_to_date in year_to_date.items()}

    def _compute_advance_records(self, date_start, date_end, partner_ids=None, queued=None):
        """The records of one year of a policy with advances: the advances of the advance periods
        begun so far and the year-end settlement, per customer. Estimates follow the invoices;
        confirmed and settled advances stay as they are (the next advance, or the year-end
        settlement, makes up any difference); a confirmed year-end settlement gets adjustments."""
        self.ensure_one()
        Record = self.env["rebate.record"].with_context(**COMPUTE_CONTEXT)
        # a version ending mid-year recomputes the periods it shortened, an advance's among them:
        # they all belong to the year holding them
        year = period_containing(self.period, date_start, self.date_start, self.date_end or None) \
            or Period(date_start, date_end, self.period, 0)
        year = Period(year.date_start, min(year.date_end, date_end), self.period, 0)
        date_start, date_end = year.date_start, year.date_end
        advance_periods = self._advance_periods(year)
        if partner_ids is not None and self.pool_mode != "none":
            partner_ids = self._pool_widen(partner_ids)  # group volume: a member moves its whole group
        # one aggregate: the year, the year before, the costs and the year to date per advance period
        figures, year_to_date = self._compute_year_figures(year, advance_periods, partner_ids)
        bases = self._senior_bases(figures, date_start)
        if self._has_partner_scope():
            self._record_outside_period(year, partner_ids, queued)
        # group volume: the group's year and year to date decide the tier of every member (or the
        # head is paid the group's: its rows replace the members')
        pool = self._pool_period(figures, bases, partner_ids) if self.pool_mode != "none" else None
        group_to_date, member_to_date = self._pool_year_to_date(pool, year_to_date, len(advance_periods)) \
            if pool else ({}, {})
        pool_updates, pool_created = [], []
        tiers = self._engine_tiers()
        rounding = to_decimal(self.currency_id.rounding)
        cap = to_decimal(self.cap_amount) if self.cap_amount else None
        measure_index = 2 if self.basis == "quantity" else 1  # in (lines, amount, quantity)
        advance_rate = to_decimal(self.advance_rate)

        currency = self.currency_id
        tier_mode, advance_mode, track_progress = self.tier_mode, self.advance_mode, self.track_progress
        common = {"policy_id": self.id, "company_id": self.company_id.id, "rebate_type": self.rebate_type}
        # the year's records as plain rows, read in one query: ten thousand customers' records
        # read field by field through the ORM would cost seconds
        existing = defaultdict(lambda: defaultdict(list))
        for row in self._advance_record_rows(date_start, date_end, partner_ids, with_pool=bool(pool)):
            existing[row["partner_id"]][row["date_start"] if row["kind"] == "advance" else "final"].append(row)

        def differ(row, values):
            return any(
                abs((row[name] or 0.0) - values[name]) >= half_unit for name in MONEY_FIGURES
            ) or abs((row["base_qty"] or 0.0) - values["base_qty"]) >= 5e-7 \
                or abs((row["rate"] or 0.0) - values["rate"]) >= 5e-5 \
                or (row["tier_id"] or False) != (values["tier_id"] or False)

        half_unit = currency.rounding / 2
        to_create, to_write, to_unlink = [], [], []

        def pool_differ(row, values):
            # the bulk insert writes a False as NULL: an own tier not kept reads None
            return any(row[name] != values[name] for name in POOL_FIGURES if name not in (
                "pool_base_amount", "pool_base_qty", "pool_own_tier")) \
                or bool(row["pool_own_tier"]) != bool(values["pool_own_tier"]) \
                or abs((row["pool_base_amount"] or 0.0) - (values["pool_base_amount"] or 0.0)) >= half_unit \
                or abs((row["pool_base_qty"] or 0.0) - (values["pool_base_qty"] or 0.0)) >= 5e-7

        def place(draft, values, keep, pool_values=None, **new):
            """An estimate removed, rewritten where it changed, or created (with its group's
            figures when the policy pools customers)."""
            if not keep:
                if draft:
                    to_unlink.append(draft["id"])
            elif draft:
                if differ(draft, values):
                    to_write.append((draft["id"], values))
                if pool_values is not None and pool_differ(draft, pool_values):
                    pool_updates.append((draft["id"], pool_values))
            else:
                to_create.append(dict(values, **new, **common, **(pool_values or {})))
                if pool_values and pool_values["pool_member_bases"] is not None:
                    pool_created.append(((new["partner_id"], new["date_start"], new["kind"]), pool_values))

        no_figures = [(0, ZERO, ZERO)] * len(advance_periods)
        for partner_id in set(bases) | set(existing):
            records = existing.get(partner_id, {})
            eligible = partner_id in bases
            to_date = year_to_date.get(partner_id, no_figures) if eligible else no_figures
            group = pool.group_of.get(partner_id) if pool else None
            member_pooled = group is not None and not pool.head_payout
            own_tiers = [False] * len(advance_periods)
            if member_pooled and eligible:
                # the group's year to date decides the tier reached so far; the member earns its
                # own year to date at that rate, never less than its own tier gives
                pairs = pooled_advance_targets(
                    [(figure[measure_index], figure[1]) for figure in to_date],
                    [figures_to_date[measure_index] for figures_to_date in group_to_date[group.key]],
                    tiers, tier_mode, cap, advance_mode, advance_rate, rounding)
                results = [result for result, _pooled in pairs]
                own_tiers = [not pooled for _result, pooled in pairs]
            else:
                results = [
                    advance_target(figure[measure_index], tiers, tier_mode, figure[1], cap, advance_mode,
                                   advance_rate, rounding)
                    for figure in to_date
                ]
            frozen = []
            for period in advance_periods:
                rows = records.get(period.date_start, [])
                if any(row["state"] == "cancelled" for row in rows):
                    frozen.append(False)  # a manager cancelled this advance: it pays nothing
                elif any(row["state"] in ("confirmed", "settled") for row in rows):
                    frozen.append(to_decimal(sum(row["amount"] for row in rows)))
                else:
                    frozen.append(None)
            steps = plan_advances([result.amount for result in results], frozen)
            for index, (period, figure, result, step) in enumerate(zip(advance_periods, to_date, results, steps)):
                if step.frozen:
                    continue
                draft = records.get(period.date_start, [None])[0]
                values = {
                    "base_amount": float(figure[1]),
                    "base_qty": float(figure[2]),
                    "tier_id": result.tier.key if result.tier is not None else False,
                    "rate": float(result.rate if advance_mode == "tier" else advance_rate),
                    "amount": float(step.amount),
                    "year_rebate_amount": float(step.target),
                    "advanced_amount": float(step.advanced_before),
                    "previous_base_amount": 0.0, "last_year_base_amount": 0.0,
                    "cost_amount": 0.0, "previous_cost_amount": 0.0,
                }
                keep = bool(step.amount) or (bool(figure[0]) and track_progress)
                pool_values = pool.year_record_values(partner_id, group_to_date, member_to_date, index,
                                                      own_tiers[index]) if pool else None
                place(draft, values, keep, pool_values, partner_id=partner_id, date_start=period.date_start,
                      date_end=period.date_end, revision=0, kind="advance")
            # the year-end settlement
            finals = records.get("final", [])
            if any(row["state"] == "cancelled" and not row["revision"] for row in finals):
                continue
            partner_figures = figures.get(partner_id, {})
            base = (partner_figures["base_amount"], partner_figures["base_qty"]) if eligible else (ZERO, ZERO)
            own_tier = False
            if member_pooled and eligible:
                year_result, pooled = pooled_rebate(base[1 if self.basis == "quantity" else 0], base[0],
                                                    pool.measure(group), tiers, tier_mode, cap, rounding)
                own_tier = not pooled
            else:
                year_result = compute_rebate(base[1 if self.basis == "quantity" else 0], tiers, tier_mode, base[0],
                                             cap, rounding)
            advanced = advanced_total(steps)
            values = self._record_values(year_result, base)
            values.update(
                amount=float(year_result.amount - advanced),
                year_rebate_amount=float(year_result.amount),
                advanced_amount=float(advanced),
                cost_amount=currency.round(float(partner_figures["cost_amount"])) if eligible else 0.0,
                previous_cost_amount=currency.round(float(partner_figures.get("previous_cost_amount", ZERO))),
                previous_base_amount=float(partner_figures.get("previous_base_amount", ZERO)),
                last_year_base_amount=float(partner_figures.get("last_year_base_amount", ZERO)),
            )
            # a year-end settlement put back to estimate beside its draft adjustment: one estimate
            # (the lowest revision) holds what the settled rows do not, the other goes
            drafts = sorted((row for row in finals if row["state"] == "draft"), key=lambda row: row["revision"])
            draft = drafts[0] if drafts else None
            to_unlink.extend(row["id"] for row in drafts[1:])
            settled = [row for row in finals if row["state"] != "draft"]
            if settled:
                # what the confirmed year-end settlement and its adjustments already account for
                for field in FINAL_DELTA_FIELDS:
                    values[field] -= sum(row[field] or 0.0 for row in settled)
                keep = bool(
                    currency.compare_amounts(values["amount"], 0)
                    or currency.compare_amounts(values["base_amount"], 0)
                    or float_compare(values["base_qty"], 0, precision_digits=6))
                revision = max(row["revision"] for row in finals) + (0 if draft else 1)
            else:
                # a pooled member keeps its record of the year: it shows its group's progress
                keep = (eligible and (year_result.amount > 0 or track_progress or member_pooled)) or bool(advanced)
                revision = 0
            pool_values = pool.year_record_values(partner_id, group_to_date, member_to_date, None, own_tier) \
                if pool else None
            place(draft, values, keep, pool_values, partner_id=partner_id, date_start=date_start, date_end=date_end,
                  revision=revision, kind="final")
        Record.browse(to_unlink).unlink()
        Record._write_estimates([(Record.browse(record_id), values) for record_id, values in to_write])
        created = Record._create_estimates(to_create)
        if pool:
            if pool_created:
                # the records paid to a head, just inserted: their members' bases and relation rows
                self.env.cr.execute(SQL(
                    "SELECT id, partner_id, date_start, kind FROM rebate_record WHERE id = ANY(%s)", created.ids))
                ids = {(partner_id, day, kind): record_id for record_id, partner_id, day, kind in self.env.cr.fetchall()}
                pool_updates += [(ids[key], values) for key, values in pool_created if key in ids]
            self._pool_write_advance_records(pool_updates)
        return created

    def _advance_record_rows(self, date_start, date_end, partner_ids=None, with_pool=False):
        """The advances and year-end settlements of a year (of ``partner_ids`` when given) as
        dicts of their ``RECORD_FIELDS`` and id (and group figures, ``with_pool``), from one
        query."""
        self.ensure_one()
        Record = self.env["rebate.record"]
        Record.check_access("read")
        columns = (*RECORD_FIELDS, *POOL_FIGURES) if with_pool else RECORD_FIELDS
        Record.flush_model(columns)
        self.env.cr.execute(SQL(
            """SELECT id, %s FROM rebate_record
                WHERE policy_id = %s AND date_start BETWEEN %s AND %s AND kind IN ('advance', 'final') %s""",
            SQL(", ").join(SQL.identifier(name) for name in columns), self.id, date_start, date_end,
            SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()))
        names = ("id", *columns)
        return [dict(zip(names, row)) for row in self.env.cr.fetchall()]

    def _advance_fresh_years(self, periods, work, open_from):
        """An advance period that began since the last complete run brings a new advance for every
        customer of its year: that year is computed in full, as a new period is."""
        if not self.advance_period:
            return work
        today = fields.Date.context_today(self)
        fresh = {
            period for period in periods
            if period.date_start <= open_from and any(
                open_from < advance.date_start <= today for advance in self._advance_periods(period))
        }
        if not fresh:
            return work
        return [(period, partners) for period, partners in work if period not in fresh] \
            + [(period, None) for period in sorted(fresh)]

    # ---- Approval --------------------------------------------------------------------------------
    # Approval of a policy by finance and marketing (与财务部及市场部密切协作) before it runs.
    #
    # Where the company's ``rebate_approval`` setting is on, a draft policy is sent for approval
    # (``to_approve``); one finance approver and one marketing approver approve it (or refuse it, with a
    # reason, which sends it back to draft); only then does ``action_activate`` let it run. Any change to
    # its terms clears the approvals and sends it back to draft; a revision is a new policy, approved
    # again. Two roles, two groups: a small approval of our own rather than OCA's generic tier
    # validation (see the README for why).

    user_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user, tracking=True, index=True,
        domain="[('share', '=', False)]",
        help="Who answers for the policy: gets a to-do when a period ends and its rebates wait for "
             "confirmation, and its review activities.")
    approval_required = fields.Boolean(related="company_id.rebate_approval")
    approval_requester_id = fields.Many2one(
        "res.users", string="Approval Requested By", readonly=True, copy=False)
    finance_approver_id = fields.Many2one("res.users", string="Approved by Finance", readonly=True, copy=False)
    finance_approval_date = fields.Datetime(readonly=True, copy=False)
    marketing_approver_id = fields.Many2one("res.users", string="Approved by Marketing", readonly=True, copy=False)
    marketing_approval_date = fields.Datetime(readonly=True, copy=False)
    can_approve_finance = fields.Boolean(compute="_compute_can_approve")
    can_approve_marketing = fields.Boolean(compute="_compute_can_approve")

    @api.depends_context("uid")
    @api.depends("state", "finance_approver_id", "marketing_approver_id")
    def _compute_can_approve(self):
        finance = self.env.user.has_group(FINANCE_GROUP)
        marketing = self.env.user.has_group(MARKETING_GROUP)
        for policy in self:
            waiting = policy.state == "to_approve"
            policy.can_approve_finance = waiting and finance and not policy.finance_approver_id
            policy.can_approve_marketing = waiting and marketing and not policy.marketing_approver_id

    def _is_approved(self):
        self.ensure_one()
        return bool(self.finance_approver_id and self.marketing_approver_id)

    # ------------------------------------------------------------------ terms change

    @api.constrains("user_id")
    def _check_user_internal(self):
        for policy in self:
            if policy.user_id and policy.user_id.share:
                raise ValidationError(self.env._(
                    "The owner of policy %(policy)s must be an internal user, not %(user)s.",
                    policy=policy.display_name, user=policy.user_id.name))


    def _check_terms_open_to_change(self):
        """With approval on, a running policy's terms are the ones approved: they change only
        through a revision, approved again."""
        running = self.filtered(lambda p: p.approval_required and p.state == "active")
        if running:
            raise UserError(self.env._(
                "The terms of %(policies)s were approved and the policy is running: revise it to change them.",
                policies=", ".join(running.mapped("display_name"))))

    def _write_approval(self, vals):
        """Approvers read policies, they do not edit them: their approvals are written here only
        (the guards are lifted in Python, see rebate_guard, never by a context key)."""
        with lifted(POLICY_APPROVAL, POLICY_STATE):
            self.sudo().write(vals)

    def _reset_approval_on_change(self):
        """New terms were not what the approvers saw: back to draft, approvals cleared."""
        # an active policy keeps the record of who approved it (its terms are frozen by the form)
        touched = self.filtered(lambda p: p.state == "to_approve" or (
            p.state == "draft" and (p.finance_approver_id or p.marketing_approver_id)))
        if not touched:
            return
        touched._write_approval(dict(dict.fromkeys(APPROVAL_FIELDS, False), state="draft"))
        for policy in touched:
            policy.message_post(body=self.env._(
                "The terms changed: the approvals are cleared and the policy is back to draft."))

    # ------------------------------------------------------------------ actions

    def action_request_approval(self):
        for policy in self:
            if policy.state != "draft":
                raise UserError(self.env._("Only a draft policy can be sent for approval (%s).", policy.display_name))
            if not policy.approval_required:
                raise UserError(self.env._(
                    "Approval of rebate policies is off for %s: activate the policy directly.",
                    policy.company_id.name))
            if not policy.tier_ids:
                raise UserError(self.env._(
                    "Policy %s has no tier: add at least one threshold before asking for approval.",
                    policy.display_name))
        self.check_access("write")
        self._write_approval({"state": "to_approve", "approval_requester_id": self.env.uid})
        for policy in self:
            # the approvers' companies are not the requester's to read: searched in sudo, by domain
            approvers = self.env["res.users"].sudo().search([
                ("all_group_ids", "in", [self.env.ref(FINANCE_GROUP).id, self.env.ref(MARKETING_GROUP).id]),
                ("share", "=", False), ("company_ids", "in", policy.company_id.id)])
            policy.message_post(
                body=self.env._("Approval requested from finance and marketing."),
                partner_ids=approvers.partner_id.ids,
                subtype_xmlid="mail.mt_comment")
        return True

    def _approve(self, role):
        group, user_field, date_field, label = {
            "finance": (FINANCE_GROUP, "finance_approver_id", "finance_approval_date", self.env._("finance")),
            "marketing": (MARKETING_GROUP, "marketing_approver_id", "marketing_approval_date",
                          self.env._("marketing")),
        }[role]
        if not self.env.user.has_group(group):
            raise UserError(self.env._("Only a %(role)s approver of rebate policies can approve for %(role)s.",
                                       role=label))
        for policy in self:
            if policy.state != "to_approve":
                raise UserError(self.env._("Policy %s is not waiting for approval.", policy.display_name))
            if policy[user_field]:
                raise UserError(self.env._(
                    "Policy %(policy)s is already approved for %(role)s by %(user)s.",
                    policy=policy.display_name, role=label, user=policy[user_field].name))
            if policy.approval_requester_id == self.env.user:
                raise UserError(self.env._(
                    "You asked for the approval of policy %s: another person approves it.", policy.display_name))
            if self.env.user in (policy.finance_approver_id | policy.marketing_approver_id):
                raise UserError(self.env._(
                    "You already approved policy %s: the second approval is another person's.",
                    policy.display_name))
        self._write_approval({user_field: self.env.uid, date_field: fields.Datetime.now()})
        for policy in self:
            policy._notify_requester(self.env._("Approved for %(role)s by %(user)s.", role=label, user=self.env.user.name))
        return True

    def action_approve_finance(self):
        return self._approve("finance")

    def action_approve_marketing(self):
        return self._approve("marketing")

    def _refuse(self, reason):
        """Refused by an approver: back to draft with the reason in the chatter, approvals cleared."""
        if not (self.env.user.has_group(FINANCE_GROUP) or self.env.user.has_group(MARKETING_GROUP)):
            raise UserError(self.env._("Only a finance or marketing approver of rebate policies can refuse one."))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the policy is refused."))
        if any(policy.state != "to_approve" for policy in self):
            raise UserError(self.env._("Only a policy waiting for approval can be refused."))
        self._write_approval(dict(dict.fromkeys(APPROVAL_FIELDS, False), state="draft"))
        for policy in self:
            policy._notify_requester(self.env._(
                "Refused by %(user)s: %(reason)s", user=self.env.user.name, reason=reason.strip()))
        return True

    def action_refuse(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse the Policy"),
            "res_model": "rebate.policy.refuse.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_policy_ids": self.ids},
        }

    def _notify_requester(self, body):
        """Log in the chatter and notify whoever asked for the approval (by mail or inbox, as they
        chose)."""
        self.ensure_one()
        requester = self.approval_requester_id or self.create_uid
        # approvers read policies, they do not edit them: the message is theirs, posted as superuser
        self.sudo().message_post(body=body, partner_ids=requester.partner_id.ids, subtype_xmlid="mail.mt_comment",
                                 author_id=self.env.user.partner_id.id)

    def _check_approval_for_activation(self):
        """With approval on, a policy runs only once finance and marketing have both approved it."""
        for policy in self:
            if not policy.approval_required:
                continue
            if not policy._is_approved():
                missing = [label for approved, label in (
                    (policy.finance_approver_id, self.env._("finance")),
                    (policy.marketing_approver_id, self.env._("marketing"))) if not approved]
                raise UserError(self.env._(
                    "Policy %(policy)s needs the approval of finance and marketing before it is "
                    "activated; missing: %(missing)s.", policy=policy.display_name, missing=", ".join(missing)))


    # ---- Reviews and ratings ---------------------------------------------------------------------
    # Regular reviews of a policy (定期审核与优化): when a period closes, at the policy's cadence, its
    # owner gets a review activity; the outcome (keep, revise, close) is recorded with a note, and
    # "revise" starts the new version.

    review_cadence = fields.Selection(
        [("period", "Every Period End"), ("quarter", "Quarterly"), ("year", "Yearly"), ("none", "No Review")],
        default="period", required=True, tracking=True,
        help="When the policy's owner is asked to review it: at the end of each rebate period, of "
             "each calendar quarter or of each year.")
    review_ids = fields.One2many("rebate.policy.review", "policy_id", string="Reviews", groups=REBATE_USER)
    rating_total_count = fields.Integer(
        string="Customer Ratings", compute="_compute_rating_stats", groups=REBATE_USER)
    rating_average = fields.Float(
        string="Average Rating", compute="_compute_rating_stats", digits=(16, 2), groups=REBATE_USER,
        help="Average of the customers' ratings of the payouts of this policy (1 unhappy, 3 neutral, 5 happy).")
    rating_happy_share = fields.Float(
        string="Happy Customers (%)", compute="_compute_rating_stats", digits=(16, 1), groups=REBATE_USER,
        help="Share of the ratings that are happy faces.")

    # ------------------------------------------------------------------ ratings

    def _rating_stats(self, per_period=False):
        """``{policy id (, period start): (count, average, happy share %)}`` of the customers'
        ratings of the payouts that paid this policy's records: one aggregate, each rating counted
        once per policy (and period) however many of its records one payout paid."""
        if not self.ids:
            return {}
        self.env["rating.rating"].flush_model(["res_model", "res_id", "rating", "consumed"])
        self.env["rebate.record"].flush_model(["policy_id", "date_start"])
        period = SQL(", r.date_start") if per_period else SQL("")
        self.env.cr.execute(SQL(
            """SELECT policy_id%s, COUNT(*), AVG(rating), COUNT(*) FILTER (WHERE rating >= %s)
                 FROM (SELECT DISTINCT rt.id, rt.rating, r.policy_id%s
                         FROM rating_rating rt
                         JOIN rebate_settlement_paid_record_rel rel ON rel.settlement_id = rt.res_id
                         JOIN rebate_record r ON r.id = rel.record_id
                        WHERE rt.res_model = 'rebate.settlement' AND rt.consumed AND rt.rating >= 1
                          AND r.policy_id IN %s
                          -- one rating per payout and customer, the latest: posting again replaces it
                          AND NOT EXISTS (
                              SELECT 1 FROM rating_rating later
                               WHERE later.res_model = 'rebate.settlement' AND later.res_id = rt.res_id
                                 AND later.partner_id IS NOT DISTINCT FROM rt.partner_id
                                 AND later.consumed AND later.rating >= 1 AND later.id > rt.id)) AS rated
             GROUP BY policy_id%s""",
            SQL(", date_start") if per_period else SQL(""), HAPPY_RATING, period, tuple(self.ids),
            SQL(", date_start") if per_period else SQL("")))
        stats = {}
        for row in self.env.cr.fetchall():
            key = tuple(row[:2]) if per_period else row[0]
            count, average, happy = row[-3:]
            stats[key] = (count, float(average or 0.0), 100.0 * happy / count if count else 0.0)
        return stats

    def _compute_rating_stats(self):
        stats = self._rating_stats()
        for policy in self:
            policy.rating_total_count, policy.rating_average, policy.rating_happy_share = \
                stats.get(policy.id, (0, 0.0, 0.0))

    def _rated_settlements(self):
        return self.env["rebate.settlement"].search([("paid_record_ids.policy_id", "in", self.ids)])

    def action_view_ratings(self):
        """The customers' ratings and comments on the payouts of this policy."""
        title = self.env._("Customer Ratings")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "rating.rating",
            "view_mode": "list,form",
            "domain": [("res_model", "=", "rebate.settlement"), ("res_id", "in", self._rated_settlements().ids),
                       ("consumed", "=", True)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ reviews

    def _review_due_period(self, today):
        """``(start, end)`` of the last review period (at the policy's cadence) that closed before
        ``today``, or None."""
        self.ensure_one()
        if self.review_cadence == "none" or today <= self.date_start:
            return None
        kind = self.period if self.review_cadence == "period" else self.review_cadence
        if kind == "window" and not self.date_end:
            return None
        until = today - timedelta(days=1)
        if self.date_end:
            until = min(until, self.date_end)
        closed = [period for period in iter_periods(kind, self.date_start, self.date_end or None, until=until)
                  if period.date_end < today]
        return (closed[-1].date_start, closed[-1].date_end) if closed else None

    @api.model
    def _cron_schedule_reviews(self):
        """Daily: a review, with an activity for the policy's owner, for the last period closed at
        each policy's cadence, once per policy and period."""
        today = fields.Date.context_today(self)
        policies = self.search([
            ("review_cadence", "!=", "none"), "|", ("state", "=", "active"),
            "&", ("state", "=", "closed"), ("date_end", ">=", today - timedelta(days=40))])
        Review = self.env["rebate.policy.review"]
        existing = {(review.policy_id.id, review.date_end) for review in Review.search([("policy_id", "in", policies.ids)])}
        to_create = []
        for policy in policies:
            due = policy._review_due_period(today)
            if due and (policy.id, due[1]) not in existing:
                to_create.append({"policy_id": policy.id, "date_start": due[0], "date_end": due[1],
                                  "user_id": (policy.user_id or policy.create_uid).id})
        reviews = Review.create(to_create)
        reviews._schedule_activity()
        return reviews
