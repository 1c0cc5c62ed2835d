from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    rebate_notice_sms = fields.Boolean(
        string="Rebate Notices by SMS", default=True,
        help="Send this customer's rebate notices by SMS too, where the policy says so.")
    rebate_record_count = fields.Integer(
        compute="_compute_rebate_totals", groups="customer_rebate.group_rebate_user")
    rebate_earned = fields.Monetary(
        string="Rebates Earned", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user",
        help="Confirmed and settled rebates, in the current company's currency.")
    rebate_settled = fields.Monetary(
        string="Rebates Paid", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user")
    rebate_outstanding = fields.Monetary(
        string="Rebates Due", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user", help="Confirmed rebates not paid out yet.")
    rebate_to_recover = fields.Monetary(
        string="Rebates to Recover", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user",
        help="Negative adjustments not netted or recovered yet: what the customer owes back.")

    def _compute_rebate_totals(self):
        commercial = self.commercial_partner_id
        owed_back = dict(self.env["rebate.record"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "=", "confirmed"), ("settlement_id", "=", False),
             ("amount", "<", 0), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["amount:sum"]))
        groups = self.env["rebate.record"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "!=", "cancelled"),
             ("company_id", "=", self.env.company.id)],
            ["partner_id", "state"], ["__count", "amount:sum"])
        totals = {}
        for partner, state, count, amount in groups:
            entry = totals.setdefault(partner.id, {"count": 0, "confirmed": 0.0, "settled": 0.0, "recover": 0.0})
            entry["count"] += count
            if state in ("confirmed", "settled"):
                entry[state] += amount
        for partner in self:
            entry = totals.get(partner.commercial_partner_id.id, {"count": 0, "confirmed": 0.0, "settled": 0.0})
            partner.rebate_to_recover = -owed_back.get(partner.commercial_partner_id, 0.0)
            partner.rebate_record_count = entry["count"]
            partner.rebate_earned = entry["confirmed"] + entry["settled"]
            partner.rebate_settled = entry["settled"]
            partner.rebate_outstanding = entry["confirmed"]

    rebate_balance = fields.Monetary(
        compute="_compute_rebate_balance", currency_field="currency_id",
        groups="sales_team.group_sale_salesman",
        help="返利余额: what the customer can still use as discount on later orders in the current company.")

    def _compute_rebate_balance(self):
        """One aggregate over the running totals, whatever the length of the ledger; through the
        record rules, so a salesperson sees the balances of the customers they may see."""
        groups = self.env["rebate.balance"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["amount:sum"])
        totals = {partner.id: amount for partner, amount in groups}
        for partner in self:
            partner.rebate_balance = totals.get(partner.commercial_partner_id.id, 0.0)

    def _rebate_balance_amount(self, company):
        """The commercial partner's balance in ``company``, for statements and notices (which a
        customer or a portal page may render without access to the ledger's model)."""
        self.ensure_one()
        return sum(self.env["rebate.balance"].sudo().search(
            [("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)]).mapped("amount"))

    def _rebate_balance_lines(self, company, limit=10):
        self.ensure_one()
        return self.env["rebate.balance.line"].sudo().search(
            [("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)], limit=limit)

    @api.readonly
    def action_view_rebate_balance(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_balance_line_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    @api.readonly
    def action_view_rebate_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_policy": 1}
        return action
