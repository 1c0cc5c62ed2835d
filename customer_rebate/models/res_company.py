# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    rebate_own_customers_only = fields.Boolean(
        string="Rebate Users See Only Their Customers", default=True,
        help="Rebate users whose sales access is limited to their own documents see the rebate "
             "records and settlements of the customers they are the salesperson of, or that have no "
             "salesperson, as they see sales orders. Rebate managers, and salespeople who see all "
             "documents, see every customer.")
    rebate_approval = fields.Boolean(
        string="Rebate Policies Need Approval",
        help="A policy is activated only once a finance approver and a marketing approver have both "
             "approved it; any change to its terms sends it back to draft. Off for small companies "
             "where one manager decides.")
