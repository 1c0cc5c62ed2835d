# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError


class RebateComputeWizard(models.TransientModel):
    _name = "rebate.compute.wizard"
    _description = "Compute Rebates"

    policy_ids = fields.Many2many(
        "rebate.policy", string="Policies", required=True,
        domain="[('state', '=', 'active')]",
        default=lambda self: self._default_policies())
    date_from = fields.Date(string="Periods From", help="Only periods ending on or after this date.")
    date_to = fields.Date(string="Periods Until", help="Only periods starting on or before this date.")
    recompute_all = fields.Boolean(
        string="Recompute Every Period",
        help="Without dates, only what changed since the last run is computed (the periods and customers "
             "whose invoices or credit notes were posted, reset or cancelled, and the periods begun since); "
             "tick this to recompute every period.")

    @api.model
    def _default_policies(self):
        if self.env.context.get("active_model") == "rebate.policy":
            return self.env["rebate.policy"].browse(self.env.context.get("active_ids")).filtered(
                lambda p: p.state == "active")
        return self.env["rebate.policy"].search([("state", "=", "active")])

    def action_compute(self):
        self.ensure_one()
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise UserError(self.env._("The periods cannot end before they start."))
        inactive = self.policy_ids.filtered(lambda p: p.state != "active")
        if inactive:
            raise UserError(self.env._(
                "Only active policies compute rebates: %s.", ", ".join(inactive.mapped("display_name"))))
        self.policy_ids._compute_records(
            self.date_from, self.date_to, incremental=not (self.recompute_all or self.date_from or self.date_to))
        action = self.policy_ids.action_view_records()
        if self.date_from:
            action["domain"].append(("date_end", ">=", self.date_from))
        if self.date_to:
            action["domain"].append(("date_start", "<=", self.date_to))
        return action
