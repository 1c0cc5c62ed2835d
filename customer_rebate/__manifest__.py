{
    "name": "Customer Rebates",
    "summary": "Rebate policies on amount, quantity, promotions and partnerships: records from "
               "posted invoices, payout as credit note, cash or goods, projections and reports",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/customer-rebate/customer_rebate",
    "author": "customer_rebate developers",
    "license": "LGPL-3",
    "depends": ["sale_management", "sale_stock", "account"],
    "external_dependencies": {"python": ["xlsxwriter", "num2words"]},
    "data": [
        "security/rebate_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "views/rebate_policy_views.xml",
        "wizards/rebate_settle_wizard_views.xml",
        "views/rebate_record_views.xml",
        "views/rebate_settlement_views.xml",
        "views/res_partner_views.xml",
        "wizards/rebate_compute_wizard_views.xml",
        "views/rebate_menus.xml",
    ],
    "demo": [
        "demo/rebate_policy_demo.xml",
        "demo/account_move_demo.xml",
    ],
}
