# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, formatLang

from ..engine import (
    MAX_AMOUNT, MAX_DATE, MAX_SENIORITY_MONTHS, MAX_TIERS, MIN_DATE, Tier, amount_in_bounds, period_containing,
    to_decimal, validate_bounds, validate_tiers,
)
from .rebate_guard import POLICY_REVISION, POLICY_STATE, is_lifted, lifted
from .rebate_policy_tier import check_numbers

# Changing one of these on a policy that already has confirmed records would make those records
# unexplainable: such a change is a new version (action_revise), not an edit.
TERM_FIELDS = frozenset({
    "rebate_type", "basis", "period", "date_start", "date_end", "company_id",
    "partner_ids", "partner_category_ids", "product_ids", "product_category_ids",
    "min_seniority_months", "tier_ids", "tier_mode", "amount_type", "cap_amount",
    # group volume (pool13)
    "pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout",
    "advance_period", "advance_mode", "advance_rate",
})
# paid basis (issue 13): when an invoice counts is a term of the policy too
TERM_FIELDS = TERM_FIELDS | {"invoice_basis"}
# overlap13: what a policy never counts and how it meets exclusive policies are terms too
TERM_FIELDS |= {"excluded_product_ids", "excluded_product_category_ids", "combinable", "overlap_priority",
                "overlap_rule"}


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
        [("draft", "Draft"), ("active", "Active"), ("closed", "Closed")],
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
        default=lambda self: fields.Date.context_today(self).replace(day=1))
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
    # 集团客户: a group's purchases decide the tier of all its members (rebate_policy_pool.py)
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
    # records in rebate_policy_advance.py
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
    # (the rules: models/rebate_policy_overlap.py and engine/overlap.py)
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

    @api.depends(
        "tier_ids.threshold", "tier_ids.rate", "tier_ids.fixed_amount", "amount_type", "tier_mode",
        "basis", "period", "cap_amount", "currency_id", "min_seniority_months", "invoice_basis",
        "pool_mode", "pool_category_ids", "pool_group_ids", "pool_payout",
        "advance_period", "advance_mode", "advance_rate")
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
        if self.pool_mode != "none":  # group volume (rebate_policy_pool.py)
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
        checks its own pairs, see rebate_policy_pool.py.)"""
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
        check_numbers(self, [vals])
        if "state" in vals and not is_lifted(POLICY_STATE):
            # activate, close, send for approval, back to draft: only the actions move a policy
            raise UserError(self.env._(
                "The status of a policy changes with its buttons (Activate, Close, Reset to Draft), not by writing it."))
        if TERM_FIELDS.intersection(vals) and not is_lifted(POLICY_REVISION):
            self._check_terms_editable()
        if TERM_FIELDS.intersection(vals) or "state" in vals:
            # other terms, other figures in every period: the next run computes them all
            vals = dict(vals, compute_open_from=False, compute_resume_date=False)
        return super().write(vals)

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
        """Hook: true when records computed under the current terms are confirmed or settled.
        Rebate records extend it."""
        self.ensure_one()
        return False

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
        beyond.filtered(lambda r: r.date_start > date_end).unlink()
        shortened = beyond.exists()
        with lifted(POLICY_REVISION):
            self._write_state({"date_end": date_end, "state": "closed"})
        shortened.write({"date_end": date_end})
        for date_start in set(shortened.mapped("date_start")):
            self._compute_period_records(date_start, date_end)

    def action_draft(self):
        """Back to draft, to fix the terms of a policy that has not produced frozen records."""
        for policy in self:
            if policy.state == "draft":
                continue
            if policy._has_frozen_records():
                raise UserError(self.env._(
                    "Policy %s already has confirmed records: revise it instead.", policy.display_name))
        self._write_state({"state": "draft"})
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
