# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class RebateStatementReport(models.AbstractModel):
    """The statement of rebate records: every document is checked before anything renders. Odoo
    would otherwise read the first document, fail on a forbidden one prefetched with it, and —
    building its error message as superuser — leave that one in the cache for the template."""

    _name = "report.customer_rebate.report_rebate_record_statement"
    _description = "Rebate Statement of Records"
    _statement_model = "rebate.record"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env[self._statement_model].browse(docids)
        docs.check_access("read")
        return {"doc_ids": docids, "doc_model": self._statement_model, "docs": docs, "data": data}


class RebateSettlementStatementReport(models.AbstractModel):
    _name = "report.customer_rebate.report_rebate_settlement_statement"
    _inherit = "report.customer_rebate.report_rebate_record_statement"
    _description = "Rebate Statement of Settlements"
    _statement_model = "rebate.settlement"
