# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


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

    def _rebate_page(self, model, domain, order, url, page):
        """One page of a customer's rebate documents and its pager, as core's portal lists do."""
        Model = request.env[model]
        total = Model.search_count(domain) if Model.has_access("read") else 0
        pager = portal_pager(url=url, total=total, page=page, step=self._items_per_page)
        documents = Model.search(domain, order=order, limit=self._items_per_page,
                                 offset=pager["offset"]) if total else Model
        # read through sudo only what the record rules already let this customer see
        return documents.sudo(), pager, total

    # the pages and statements only read: a deployment with a read replica serves them there
    @route(["/my/rebates", "/my/rebates/page/<int:page>"], type="http", auth="user", website=True,
           readonly=True)
    def portal_my_rebates(self, page=1, **kw):
        records, pager, __ = self._rebate_page(
            "rebate.record", self._rebate_record_domain(), "date_start desc, id desc", "/my/rebates", page)
        settlements, __, settlement_count = self._rebate_page(
            "rebate.settlement", [("state", "=", "done")], "date desc, id desc", "/my/rebates/payouts", 1)
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "rebates",
            "title": request.env._("Rebates"),
            "rebate_records": records,
            "rebate_settlements": settlements[:self._rebate_latest_payouts],
            "rebate_settlement_count": settlement_count,
            "pager": pager,
        })
        return request.render("customer_rebate.portal_my_rebates", values)

    # the rebates page shows the latest payouts; all of them are one click away, page by page
    _rebate_latest_payouts = 10

    @route(["/my/rebates/payouts", "/my/rebates/payouts/page/<int:page>"], type="http", auth="user",
           website=True, readonly=True)
    def portal_my_rebate_payouts(self, page=1, **kw):
        settlements, pager, __ = self._rebate_page(
            "rebate.settlement", [("state", "=", "done")], "date desc, id desc", "/my/rebates/payouts", page)
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "rebate_payouts",
            "title": request.env._("Rebate Payouts"),
            "rebate_settlements": settlements,
            "pager": pager,
        })
        return request.render("customer_rebate.portal_my_rebate_payouts", values)

    @route(["/my/rebates/<string:kind>/<int:document_id>/statement"], type="http", auth="user", website=True,
           readonly=True)
    def portal_rebate_statement(self, kind, document_id, download=False, **kw):
        model, report = {
            "record": ("rebate.record", "customer_rebate.action_report_rebate_record"),
            "settlement": ("rebate.settlement", "customer_rebate.action_report_rebate_settlement"),
        }.get(kind, (None, None))
        if not model:
            return request.redirect("/my/rebates")
        try:
            document = self._document_check_access(model, document_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._show_report(model=document, report_type="pdf", report_ref=report,
                                 download=bool(download))
