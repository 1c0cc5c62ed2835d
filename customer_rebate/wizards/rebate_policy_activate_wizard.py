# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class RebatePolicyActivateWizard(models.TransientModel):
    """Two active policies over the same customers, products and dates both pay: the manager
    activating a policy sees which ones before going on."""

    _name = "rebate.policy.activate.wizard"
    _description = "Activate a Rebate Policy over Active Ones"

    policy_ids = fields.Many2many(
        "rebate.policy", "rebate_policy_activate_wizard_policy_rel", string="Policies to Activate", readonly=True)
    overlap_ids = fields.Many2many(
        "rebate.policy", "rebate_policy_activate_wizard_overlap_rel", string="Active Policies on the Same Sales",
        readonly=True)

    def action_activate(self):
        self.ensure_one()
        return self.policy_ids.with_context(rebate_overlaps_confirmed=True).action_activate()
