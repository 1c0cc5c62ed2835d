# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RebateCustomerGroup(models.Model):
    """A named group of customers (集团客户) whose purchases count together for the tier of the
    policies pooling by customer group: separate commercial partners, one head that is paid the
    group's rebate where the policy says so."""

    _name = "rebate.customer.group"
    _description = "Rebate Customer Group"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)
    head_id = fields.Many2one(
        "res.partner", required=True, check_company=True, domain="[('parent_id', '=', False)]",
        help="The customer paid the group's whole rebate, on policies that pay the group's head.")
    member_ids = fields.Many2many(
        "res.partner", "rebate_customer_group_member_rel", "group_id", "partner_id", string="Members",
        check_company=True, domain="[('parent_id', '=', False)]",
        help="The customers whose purchases count together; their contacts and addresses count for them.")
    member_count = fields.Integer(compute="_compute_member_count")
    policy_ids = fields.Many2many(
        "rebate.policy", "rebate_policy_pool_group_rel", "group_id", "policy_id", string="Policies",
        readonly=True)

    @api.depends("member_ids")
    def _compute_member_count(self):
        for group in self:
            group.member_count = len(group.member_ids.commercial_partner_id)

    @api.constrains("head_id", "member_ids")
    def _check_head_is_member(self):
        for group in self:
            if group.head_id.commercial_partner_id not in group.member_ids.commercial_partner_id:
                raise ValidationError(self.env._(
                    "Customer group %(group)s: its head %(head)s must be one of its members.",
                    group=group.display_name, head=group.head_id.display_name))

    @api.constrains("member_ids", "active")
    def _check_one_group_per_policy(self):
        self.policy_ids._check_pool_groups_disjoint()

    @api.model_create_multi
    def create(self, vals_list):
        groups = super().create(vals_list)
        groups.policy_ids._require_full_compute()
        return groups

    def write(self, vals):
        # another membership, another group base for every member: the next run of each policy
        # pooling these groups computes every period
        policies = self.policy_ids
        result = super().write(vals)
        if {"member_ids", "head_id", "active", "company_id"} & set(vals):
            (policies | self.policy_ids)._require_full_compute()
        return result

    def unlink(self):
        self.policy_ids._require_full_compute()
        return super().unlink()
