# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class RebatePolicyRefuseWizard(models.TransientModel):
    _name = "rebate.policy.refuse.wizard"
    _description = "Refuse a Rebate Policy"

    policy_ids = fields.Many2many("rebate.policy", string="Policies", required=True)
    reason = fields.Text(required=True, help="Why the policy is refused: logged in its chatter and sent to the requester.")

    def action_refuse(self):
        self.ensure_one()
        self.policy_ids._refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
