from odoo import api, fields, models
from odoo.exceptions import UserError


class RebateSettleWizard(models.TransientModel):
    _name = "rebate.settle.wizard"
    _description = "Settle Rebates"

    record_ids = fields.Many2many(
        "rebate.record", string="Rebate Records", required=True,
        domain="[('state', '=', 'confirmed'), ('settlement_id', '=', False)]",
        default=lambda self: self._default_records())
    date = fields.Date(required=True, default=fields.Date.context_today)
    validate = fields.Boolean(
        string="Pay Out Now", default=True,
        help="Create the credit notes, entries and deliveries right away; otherwise the settlements "
             "stay drafts to review.")
    customer_count = fields.Integer(compute="_compute_totals")
    amount = fields.Float(compute="_compute_totals")

    @api.model
    def _default_records(self):
        if self.env.context.get("active_model") == "rebate.record":
            return self.env["rebate.record"].browse(self.env.context.get("active_ids")).filtered(
                lambda r: r.state == "confirmed" and not r.settlement_id)
        return self.env["rebate.record"]

    @api.depends("record_ids")
    def _compute_totals(self):
        for wizard in self:
            wizard.customer_count = len(wizard.record_ids.partner_id)
            wizard.amount = sum(wizard.record_ids.mapped("amount"))

    def action_settle(self):
        self.ensure_one()
        if not self.record_ids:
            raise UserError(self.env._("No confirmed rebate waits for a payout among the selected records."))
        settlements = self.env["rebate.settlement"]._create_from_records(self.record_ids, self.date)
        if self.validate:
            settlements.action_done()
        return settlements._get_records_action(name=self.env._("Rebate Settlements"))
