# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class RebatePortal(CustomerPortal):
    """"Rebates" in the customer portal: a customer's own records and settlements, with their
    statements. What a customer may see is the record rules' business (their commercial partner
    only); the pages read through the portal user's own environment."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "rebate_count" in counters:
            Record = request.env["rebate.record"]
            values["rebate_count"] = Record.search_count(self._rebate_record_domain(), limit=1) \
                if Record.has_access("read") else 0
        return values

    def _rebate_record_domain(self):
        return [("state", "in", ("confirmed", "settled")), ("amount", "!=", 0)]

    # the pages and statements only read: a deployment with a read replica serves them there
    @route(["/my/rebates"], type="http", auth="user", website=True, readonly=True)
    def portal_my_rebates(self, **kw):
        records = request.env["rebate.record"].search(self._rebate_record_domain(), order="date_start desc")
        settlements = request.env["rebate.settlement"].search([("state", "=", "done")], order="date desc")
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "rebates",
            "title": request.env._("Rebates"),
            # read through sudo only what the rules above already let this customer see
            "rebate_records": records.sudo(),
            "rebate_settlements": settlements.sudo(),
        })
        return request.render("customer_rebate.portal_my_rebates", values)

    @route(["/my/rebates/<string:kind>/<int:document_id>/statement"], type="http", auth="user", website=True,
           readonly=True)
    def portal_rebate_statement(self, kind, document_id, download=False, **kw):
        model, report = {
            "record": ("rebate.record", "customer_rebate.action_report_rebate_record"),
            "settlement": ("rebate.settlement", "customer_rebate.action_report_rebate_settlement"),
        }.get(kind, (None, None))
        if not model:
            return request.redirect("/my/rebates")
        document = request.env[model].browse(document_id)
        try:
            document.check_access("read")
            document.exists().ensure_one()
        except (AccessError, MissingError, ValueError):
            return request.redirect("/my")
        return self._show_report(model=document.sudo(), report_type="pdf", report_ref=report,
                                 download=bool(download))
