# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class RebateBalancePortal(CustomerPortal):
    """The customer uses their own rebate balance on a quotation they were sent (返利抵扣)."""

    @route(["/my/orders/<int:order_id>/rebate_balance"], type="http", auth="public", methods=["POST"],
           website=True)
    def portal_order_use_rebate_balance(self, order_id, access_token=None, **kw):
        try:
            order_sudo = self._document_check_access("sale.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        message = "rebate_balance_used"
        try:
            order_sudo.action_apply_rebate_balance()
        except UserError:
            message = "rebate_balance_refused"
        return request.redirect(order_sudo.get_portal_url(query_string=f"&message={message}"))
