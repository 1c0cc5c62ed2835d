# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.customer_rebate.tests.common import RebateCommon


class RebateCnCommon(RebateCommon):
    """A company on Odoo's Chinese chart (小企业会计准则), in CNY with its 13 % VAT; the source
    example's policy books to 销售费用 (5601)."""

    country_code = "CN"

    @classmethod
    @AccountTestInvoicingCommon.setup_chart_template("cn")
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        # the Chinese chart's codes have six digits, and codes are per company
        cls.sales_expense = cls.env["account.account"].with_company(company).search(
            [("code", "=", "560100"), ("company_ids", "in", company.id)], limit=1)
        cls.vat_13 = company.account_sale_tax_id
        cls.output_vat_account = cls.vat_13.invoice_repartition_line_ids.account_id
        cls.policy.expense_account_id = cls.sales_expense
        cls.expense_account = cls.sales_expense
        cls.goods_13 = cls._create_product(name="滚筒洗衣机", lst_price=3000.0, standard_price=2100.0,
                                           taxes_id=[(6, 0, cls.vat_13.ids)])
