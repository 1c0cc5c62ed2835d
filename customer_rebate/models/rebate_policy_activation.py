"""What a policy is checked for when it is activated (what its payouts will need, the active
policies it would pay on top of), its owner's worklist of periods to confirm, and how its scope
reads when it covers everyone."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..engine import period_containing

REBATE_USER = "customer_rebate.group_rebate_user"


class RebatePolicy(models.Model):
    _inherit = "rebate.policy"

    date_start = fields.Date(default=lambda self: self._default_date_start())
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
        help="Gets a to-do when a period of the policy ends and its rebates wait for confirmation.")
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
                    policy=policy.display_name, missing="; ".join(missing)))
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
            customers, products = policy._scope_partner_ids(), policy._scope_product_ids()
            for other in candidates:
                other_customers, other_products = other._scope_partner_ids(), other._scope_product_ids()
                if customers is not None and other_customers is not None \
                        and not set(customers) & set(other_customers):
                    continue
                if products is not None and other_products is not None and not set(products) & set(other_products):
                    continue
                overlaps |= other
        return overlaps

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
        groups = self.env["rebate.record"].sudo()._read_group(
            [("policy_id", "in", self.ids), ("state", "=", "draft"), ("date_end", "<", today)],
            ["policy_id"], ["date_end:max", "__count"])
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for policy, last_end, count in groups:
            policy = policy.sudo()
            if policy.confirm_reminder_date and policy.confirm_reminder_date >= last_end:
                continue
            user = policy.user_id if policy.user_id.active else policy.create_uid
            policy.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=self.env._("Confirm the rebates of the period ended %(date)s",
                                   date=fields.Date.to_string(last_end)),
                note=self.env._("%(count)s records wait for confirmation.", count=count),
                user_id=(user or self.env.user).id,
                date_deadline=today)
            policy.confirm_reminder_date = last_end

    @api.model
    def _cron_compute_rebates(self):
        failed = super()._cron_compute_rebates()
        self.search([("state", "in", ("active", "closed"))])._remind_records_to_confirm()
        return failed
