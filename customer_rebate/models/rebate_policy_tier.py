# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import formatLang

from .rebate_guard import POLICY_REVISION, is_lifted

# a tier's part of its policy's terms
TIER_TERM_FIELDS = ("threshold", "rate", "fixed_amount", "sequence", "goods_qty")
# beyond this, a float is a typo or an attack, and Odoo's rounding overflows before any bounds check
MAX_FLOAT_INPUT = 1e100  # the bounds check (1e12, engine/bounds.py) answers with its own message below it
MAX_INTEGER_INPUT = 2_147_483_647  # PostgreSQL's integer


def check_numbers(model, vals_list):
    """NaN and Infinity reach float fields over JSON-RPC, where Odoo's rounding then fails with a
    technical error: they are refused first, with a message naming the field."""
    for vals in vals_list:
        for name, value in vals.items():
            field = model._fields.get(name)
            if field and field.type in ("float", "monetary") and isinstance(value, float) and not math.isfinite(value):
                raise ValidationError(model.env._(
                    "%(field)s must be a number, not %(value)s.",
                    field=field._description_string(model.env), value=value))
            if field and field.type in ("float", "monetary") and isinstance(value, (int, float)) and \
                    abs(value) > MAX_FLOAT_INPUT:
                raise ValidationError(model.env._(
                    "%(field)s is out of range: %(value)s is more than %(max)s.",
                    field=field._description_string(model.env), value=value, max="1e100"))
            if field and field.type == "integer" and isinstance(value, int) and abs(value) > MAX_INTEGER_INPUT:
                raise ValidationError(model.env._(
                    "%(field)s is out of range: %(value)s is more than %(max)s.",
                    field=field._description_string(model.env), value=value, max=MAX_INTEGER_INPUT))


class RebatePolicyTier(models.Model):
    _name = "rebate.policy.tier"
    _description = "Rebate Policy Tier"
    _order = "policy_id, sequence, threshold, id"

    policy_id = fields.Many2one("rebate.policy", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    threshold = fields.Float(
        digits=(16, 2), required=True,
        help="Reached when the customer's period amount (or quantity) is at least this.")
    rate = fields.Float(string="Rate (%)", digits=(5, 2), help="Percentage of the period's sales amount.")
    fixed_amount = fields.Monetary(currency_field="currency_id", help="Rebate paid once this tier is reached.")
    goods_qty = fields.Float(
        string="Free Quantity", digits="Product Unit",
        help="For goods rebates with a fixed quantity per tier: units of the free product given.")

    _threshold_positive = models.Constraint(
        "CHECK(threshold >= 0)", "A tier's threshold cannot be negative.")
    _rate_range = models.Constraint(
        "CHECK(rate >= 0 AND rate <= 100)", "A tier's rate must be between 0 and 100 %.")
    _fixed_amount_positive = models.Constraint(
        "CHECK(fixed_amount IS NULL OR fixed_amount >= 0)", "A tier's fixed amount cannot be negative.")
    _goods_qty_positive = models.Constraint(
        "CHECK(goods_qty IS NULL OR goods_qty >= 0)", "A tier's free quantity cannot be negative.")

    @api.depends("threshold", "rate", "fixed_amount", "policy_id.amount_type", "policy_id.basis")
    def _compute_display_name(self):
        for tier in self:
            policy = tier.policy_id
            threshold = policy._format_measure(tier.threshold) if policy else tier.threshold
            if policy.amount_type == "fixed":
                reward = formatLang(self.env, tier.fixed_amount, currency_obj=tier.currency_id)
            else:
                reward = self.env._("%(rate)s %%", rate=policy._format_rate(tier.rate))
            tier.display_name = self.env._("≥ %(threshold)s: %(reward)s", threshold=threshold, reward=reward)

    @api.constrains("rate", "fixed_amount")
    def _check_reward_kind(self):
        """A fixed amount on a percentage policy (or a rate on a fixed one) would pay 0 without a word."""
        for tier in self:
            policy = tier.policy_id
            if policy.amount_type == "rate" and tier.fixed_amount:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pays a percentage: tier %(tier)s has a fixed amount instead of a rate.",
                    policy=policy.display_name, tier=tier.display_name))
            if policy.amount_type == "fixed" and tier.rate:
                raise ValidationError(self.env._(
                    "Policy %(policy)s pays fixed amounts: tier %(tier)s has a rate instead of an amount.",
                    policy=policy.display_name, tier=tier.display_name))

    @api.constrains("policy_id", "threshold", "fixed_amount", "goods_qty")
    def _check_bounds(self):
        self.policy_id._check_bounds()

    # A tier is part of its policy's terms: the policy's freeze applies, a change sends a policy
    # under approval back to draft, and the next run computes every period.

    @api.model_create_multi
    def create(self, vals_list):
        if not is_lifted(POLICY_REVISION):
            policy_ids = {vals.get("policy_id") for vals in vals_list} - {False, None}
            self.env["rebate.policy"].browse(policy_ids)._check_terms_open_to_change()
        check_numbers(self, vals_list)
        tiers = super().create(vals_list)
        if not is_lifted(POLICY_REVISION):
            tiers.policy_id._check_terms_editable()
        tiers.policy_id._require_full_compute()
        if not is_lifted(POLICY_REVISION):
            tiers.policy_id._reset_approval_on_change()
        return tiers

    def write(self, vals):
        changes_terms = set(TIER_TERM_FIELDS).intersection(vals) and not is_lifted(POLICY_REVISION)
        if changes_terms:
            self.policy_id._check_terms_open_to_change()
        check_numbers(self, [vals])
        if "policy_id" in vals and any(tier.policy_id.id != vals["policy_id"] for tier in self):
            raise UserError(self.env._("A tier belongs to its policy: add a new tier to the other policy instead."))
        if changes_terms:
            self.policy_id._check_terms_editable()
        if {"threshold", "rate", "fixed_amount", "sequence", "policy_id"}.intersection(vals):
            self.policy_id._require_full_compute()
        result = super().write(vals)
        if "policy_id" in vals:
            self.policy_id._require_full_compute()
        if changes_terms:
            self.policy_id._reset_approval_on_change()
        return result

    def unlink(self):
        policies = self.policy_id
        if not is_lifted(POLICY_REVISION):
            policies._check_terms_open_to_change()
        result = super().unlink()
        policies.exists()._reset_approval_on_change()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_frozen_terms(self):
        self.policy_id._check_terms_editable()
        self.policy_id._require_full_compute()
