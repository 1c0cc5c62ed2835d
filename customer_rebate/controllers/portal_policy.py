# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields
from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from .portal import RebatePortal


class RebatePolicyPortal(RebatePortal):
    """Transparency (透明度): the terms a customer buys under, in plain words, with where they stand
    in the current period — the same figures as the projection on their orders (one engine, one
    method) — and the page of a payout with its statement and a thread to comment on it."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        # a customer who has earned nothing yet still finds the terms they buy under
        if "rebate_count" in counters and not values.get("rebate_count"):
            values["rebate_count"] = len(self._rebate_portal_policies()[0])
        return values

    def _rebate_portal_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _rebate_portal_policies(self):
        """The active policies of the customer's companies that cover them today (read as
        superuser: a customer has no access to policies; what they see is decided here)."""
        partner = self._rebate_portal_partner()
        today = fields.Date.context_today(request.env.user)
        policies = request.env["rebate.policy"].sudo().search([
            ("state", "=", "active"), ("company_id", "in", request.env.user.company_ids.ids),
            ("date_start", "<=", today), "|", ("date_end", "=", False), ("date_end", ">=", today),
        ], order="date_start desc, id desc")
        return policies.filtered(lambda policy: policy._applies_to_partner(partner, today)), partner, today

    def _rebate_policy_progress(self, policies, partner, today):
        """``[(policy, projection values)]``: the order projection of each policy with nothing on
        the order (what the customer has bought so far in the period)."""
        Projection = request.env["rebate.projection.mixin"].sudo().with_context(lang=request.env.user.lang)
        return [
            (policy, Projection._rebate_projection_for_customer(Projection._project_rebate_policy(
                policy.with_context(lang=request.env.user.lang), partner, today, [])))
            for policy in policies
        ]

    def _rebate_layout_values(self, page_name):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": page_name, "title": request.env._("Rebates")})
        return values

    @route(["/my/rebates/policies"], type="http", auth="user", website=True)
    def portal_my_rebate_policies(self, **kw):
        policies, partner, today = self._rebate_portal_policies()
        values = self._rebate_layout_values("rebate_policies")
        values["rebate_progress"] = self._rebate_policy_progress(policies, partner, today)
        return request.render("customer_rebate.portal_my_rebate_policies", values)

    @route(["/my/rebates/policies/<int:policy_id>"], type="http", auth="user", website=True)
    def portal_my_rebate_policy(self, policy_id, **kw):
        policies, partner, today = self._rebate_portal_policies()
        policy = policies.filtered(lambda p: p.id == policy_id)
        if not policy:
            return request.redirect("/my")
        values = self._rebate_layout_values("rebate_policy")
        values["rebate_progress"] = self._rebate_policy_progress(policy, partner, today)
        values["rebate_policy"] = policy
        return request.render("customer_rebate.portal_my_rebate_policy", values)

    @route(["/my/rebates/settlement/<int:settlement_id>"], type="http", auth="user", website=True)
    def portal_my_rebate_settlement(self, settlement_id, **kw):
        try:
            settlement_sudo = self._document_check_access("rebate.settlement", settlement_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._rebate_layout_values("rebate_settlement")
        values.update({"settlement": settlement_sudo, "object": settlement_sudo.with_user(request.env.user),
                       "disable_composer": False})
        return request.render("customer_rebate.portal_my_rebate_settlement", values)
