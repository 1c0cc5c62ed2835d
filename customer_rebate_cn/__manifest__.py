# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Customer Rebates: China",
    "summary": "Customer rebates for Chinese companies: amounts in capital numerals (大写), red-letter "
               "fapiao credit notes, deemed-sale VAT on goods given, a Chinese demo company in CNY",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/customer-rebate/customer_rebate",
    "author": "customer_rebate developers",
    "license": "LGPL-3",
    "depends": ["customer_rebate", "l10n_cn"],
    "external_dependencies": {"python": ["cn2an"]},
    "data": [
        "views/rebate_policy_views.xml",
        "views/rebate_settlement_views.xml",
        "report/rebate_statement_templates.xml",
    ],
    "demo": [
        "demo/rebate_cn_demo.xml",
    ],
}
