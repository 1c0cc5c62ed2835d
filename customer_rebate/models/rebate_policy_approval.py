# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Approval of a policy by finance and marketing (与财务部及市场部密切协作) before it runs.

Where the company's ``rebate_approval`` setting is on, a draft policy is sent for approval
(``to_approve``); one finance approver and one marketing approver approve it (or refuse it, with a
reason, which sends it back to draft); only then does ``action_activate`` let it run. Any change to
its terms clears the approvals and sends it back to draft; a revision is a new policy, approved
again. Two roles, two groups: a small approval of our own rather than OCA's generic tier
validation (see the README for why)."""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .rebate_guard import POLICY_APPROVAL, POLICY_REVISION, POLICY_STATE, is_lifted, lifted
from .rebate_policy import TERM_FIELDS
from .rebate_policy_tier import TIER_TERM_FIELDS

FINANCE_GROUP = "customer_rebate.group_rebate_finance_approver"
MARKETING_GROUP = "customer_rebate.group_rebate_marketing_approver"
# what the approvers approved: the terms, and how and in what the rebate is paid
APPROVED_TERM_FIELDS = TERM_FIELDS | {
    "settlement_method", "goods_product_id", "goods_quantity_mode", "goods_remainder_mode", "balance_max_share",
    "balance_excluded_product_ids", "balance_validity_months", "credit_note_tax_ids",
}
APPROVAL_FIELDS = ("finance_approver_id", "finance_approval_date", "marketing_approver_id", "marketing_approval_date")


# kept apart from the policy's other files so that approval merges and reads on its own
class RebatePolicy(models.Model):
    _inherit = "rebate.policy"  # pylint: disable=consider-merging-classes-inherited

    state = fields.Selection(selection_add=[("to_approve", "To Approve"), ("active",)],
                             ondelete={"to_approve": "set default"})
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

    def write(self, vals):
        if set(APPROVAL_FIELDS + ("approval_requester_id",)).intersection(vals) and not is_lifted(POLICY_APPROVAL):
            raise UserError(self.env._("Approvals are given with the Approve buttons, not written."))
        changes_terms = APPROVED_TERM_FIELDS.intersection(vals) and not is_lifted(POLICY_REVISION)
        if changes_terms:
            self._check_terms_open_to_change()
        result = super().write(vals)
        if changes_terms:
            self._reset_approval_on_change()
        return result

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

    def action_activate(self):
        self._check_approval_for_activation()
        return super().action_activate()

    def action_draft(self):
        waiting = self.filtered(lambda p: p.state == "to_approve")
        result = super().action_draft()
        waiting._write_approval(dict.fromkeys(APPROVAL_FIELDS, False))
        return result


class RebatePolicyTier(models.Model):
    _inherit = "rebate.policy.tier"

    # a tier is part of its policy's terms: changing one sends a policy under approval back to draft

    @api.model_create_multi
    def create(self, vals_list):
        if not is_lifted(POLICY_REVISION):
            policy_ids = {vals.get("policy_id") for vals in vals_list} - {False, None}
            self.env["rebate.policy"].browse(policy_ids)._check_terms_open_to_change()
        tiers = super().create(vals_list)
        if not is_lifted(POLICY_REVISION):
            tiers.policy_id._reset_approval_on_change()
        return tiers

    def write(self, vals):
        changes_terms = set(TIER_TERM_FIELDS).intersection(vals) and not is_lifted(POLICY_REVISION)
        if changes_terms:
            self.policy_id._check_terms_open_to_change()
        result = super().write(vals)
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
