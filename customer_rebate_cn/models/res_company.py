# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model
    def _customer_rebate_cn_load_demo(self):
        """The Chinese demo: a trading company in Shanghai on Odoo's Chinese chart (小企业会计准则),
        in CNY with 13 % VAT, a sales assistant and an accountant working in Chinese, and the
        source text's example — a quarter of at least 100,000 earns 5 %, customer A bought 120,000
        last quarter — booked to 销售费用 (5601). Built in Python: the chart's accounts get their
        ids when the chart is loaded."""
        cny = self.env.ref("base.CNY")
        cny.active = True
        company = self.create({
            "name": "上海示例商贸有限公司",
            "country_id": self.env.ref("base.cn").id,
            "currency_id": cny.id,
            "city": "上海",
            "street": "浦东新区世纪大道 100 号",
            "phone": "+86 21 5000 0000",
        })
        # _load, as try_loading does once it has checked the registry: demo data loads while the
        # registry is still loading, which try_loading warns about although nothing is missing here
        self.env["account.chart.template"]._load("cn", company, install_demo=False)
        self.env["res.lang"]._activate_lang("zh_CN")
        # activating a language loads no terms: the Chinese of the modules installed so far
        # (customer_rebate's included) is loaded here, as Settings > Languages > Add would do;
        # this addon's own comes with its installation
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        self.env["ir.module.module"]._load_module_terms(installed.mapped("name"), ["zh_CN"])
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        Account = env["account.account"].with_company(company)

        def account(code):
            return Account.search([("code", "=", code), ("company_ids", "in", company.id)], limit=1)

        accrual = Account.create({"name": "预提返利", "code": "224101", "account_type": "liability_current"})
        owed = Account.create({"name": "应付客户返利", "code": "224102", "account_type": "liability_current"})
        expense = account("560100")  # 销售费用 (the chart's codes have six digits)
        vat_13 = company.account_sale_tax_id
        general = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "general")], limit=1)
        sales = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)

        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(company.id)]
        sales_group = self.env.ref("customer_rebate.group_rebate_user")
        env["res.users"].with_context(no_reset_password=True).create([
            {"name": "王芳（销售助理）", "login": "cn_sales", "password": "cn_sales", "lang": "zh_CN",
             "company_id": company.id, "company_ids": [Command.set(company.ids)],
             "group_ids": [Command.link(sales_group.id), Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]},
            {"name": "李静（会计）", "login": "cn_accountant", "password": "cn_accountant", "lang": "zh_CN",
             "company_id": company.id, "company_ids": [Command.set(company.ids)],
             "group_ids": [Command.link(self.env.ref("customer_rebate.group_rebate_manager").id),
                           Command.link(self.env.ref("account.group_account_manager").id),
                           # journal items, the general ledger and reconciliation, which an
                           # accountant checks a payout against
                           Command.link(self.env.ref("account.group_account_user").id)]},
        ])

        customers = env["res.partner"].create([
            {"name": "北京华联商贸有限公司", "city": "北京", "phone": "+86 138 0013 8000", "is_company": True,
             "lang": "zh_CN", "company_id": company.id},
            {"name": "广州万家批发有限公司", "city": "广州", "phone": "+86 139 2000 1234", "is_company": True,
             "lang": "zh_CN", "company_id": company.id},
            {"name": "成都蜀信电器经销部", "city": "成都", "is_company": True, "lang": "zh_CN", "company_id": company.id},
        ])
        Product = env["product.product"].with_company(company)
        washer, cooker = Product.create([
            {"name": "滚筒洗衣机", "list_price": 3000.0, "standard_price": 2100.0, "type": "consu",
             "taxes_id": [Command.set(vat_13.ids)], "company_id": company.id},
            {"name": "智能电饭煲", "list_price": 399.0, "standard_price": 250.0, "type": "consu",
             "taxes_id": [Command.set(vat_13.ids)], "company_id": company.id},
        ])
        gift = Product.create({"name": "赠品：不锈钢保温杯", "list_price": 39.0, "standard_price": 20.0,
                               "type": "consu", "is_storable": True, "taxes_id": [Command.set(vat_13.ids)],
                               "company_id": company.id})
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1) or \
            env["stock.warehouse"].create({"name": "上海仓", "code": "SH", "company_id": company.id,
                                           "partner_id": company.partner_id.id})
        env["stock.quant"].with_company(company)._update_available_quantity(gift, warehouse.lot_stock_id, 2000.0)

        today = fields.Date.context_today(self)
        quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        last_quarter = quarter_start - relativedelta(months=3)
        common = {"company_id": company.id, "date_start": last_quarter - relativedelta(years=1),
                  "expense_account_id": expense.id, "journal_id": general.id, "notice_channel": "email_sms"}
        Policy = env["rebate.policy"].with_company(company)
        policies = Policy.create([
            dict(common, name="季度采购额现金返利", rebate_type="amount", period="quarter", settlement_method="cash",
                 accrual_account_id=accrual.id,
                 tier_ids=[Command.create({"threshold": 100000.0, "rate": 5.0})]),
            dict(common, name="年度返利抵扣", rebate_type="amount", period="year", settlement_method="discount",
                 balance_account_id=owed.id, balance_max_share=30.0, balance_validity_months=12,
                 tier_ids=[Command.create({"threshold": 200000.0, "rate": 2.0})]),
            dict(common, name="电饭煲促销实物返利", rebate_type="promotion", period="window",
                 date_start=quarter_start, date_end=quarter_start + relativedelta(months=3, days=-1),
                 product_ids=[Command.set(cooker.ids)], settlement_method="goods", goods_product_id=gift.id,
                 goods_output_tax_id=vat_13.id, tier_ids=[Command.create({"threshold": 20000.0, "rate": 3.0})]),
            dict(common, name="季度红字发票返利", rebate_type="amount", period="quarter", settlement_method="credit_note",
                 journal_id=sales.id, red_letter_fapiao=True, credit_note_tax_ids=[Command.set(vat_13.ids)],
                 partner_ids=[Command.set(customers[1].ids)],
                 tier_ids=[Command.create({"threshold": 50000.0, "rate": 3.0})]),
        ])
        policies.action_activate()

        Move = env["account.move"].with_company(company)
        invoices = Move.create([
            # 客户A of the source text: 120,000 bought last quarter
            {"move_type": "out_invoice", "partner_id": customers[0].id, "invoice_date": last_quarter + relativedelta(days=9),
             "invoice_line_ids": [Command.create({"product_id": washer.id, "quantity": 40, "price_unit": 3000.0})]},
            {"move_type": "out_invoice", "partner_id": customers[1].id, "invoice_date": last_quarter + relativedelta(days=20),
             "invoice_line_ids": [Command.create({"product_id": washer.id, "quantity": 20, "price_unit": 3000.0})]},
            {"move_type": "out_invoice", "partner_id": customers[2].id, "invoice_date": quarter_start,
             "invoice_line_ids": [Command.create({"product_id": cooker.id, "quantity": 40, "price_unit": 399.0})]},
        ])
        invoices.action_post()
        policies._compute_records()
        return company
