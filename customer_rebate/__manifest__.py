# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Customer Rebates",
    "summary": "Rebate policies on amount, quantity, promotions and partnerships: records from "
               "posted invoices, payout as credit note, cash or goods, projections and reports",
    "version": "19.0.1.1.0",
    "category": "Sales/Sales",
    "website": "https://github.com/customer-rebate/customer_rebate",
    "author": "customer_rebate developers",
    "license": "LGPL-3",
    "depends": ["sale_management", "sale_stock", "account", "sms", "portal", "rating"],
    "external_dependencies": {"python": ["xlsxwriter", "num2words"]},
    "data": [
        "security/rebate_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "report/rebate_statement_templates.xml",
        "report/rebate_effect_report_views.xml",
        "data/mail_template_data.xml",
        "data/sms_template_data.xml",
        "data/product_data.xml",
        "views/rebate_policy_views.xml",
        "views/rebate_policy_loop_views.xml",
        "wizards/rebate_policy_refuse_wizard_views.xml",
        "wizards/rebate_settle_wizard_views.xml",
        "wizards/rebate_policy_activate_wizard_views.xml",
        "views/rebate_record_views.xml",
        "views/rebate_settlement_views.xml",
        "views/res_partner_views.xml",
        "views/rebate_balance_views.xml",
        "views/sale_order_views.xml",
        "wizards/rebate_balance_apply_wizard_views.xml",
        "views/rebate_projection_templates.xml",
        "views/rebate_portal_templates.xml",
        "views/rebate_portal_policy_templates.xml",
        "report/rebate_balance_templates.xml",
        "views/res_config_settings_views.xml",
        "wizards/rebate_compute_wizard_views.xml",
        "wizards/rebate_export_wizard_views.xml",
        "views/rebate_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "customer_rebate/static/tests/tours/**/*",
        ],
        "web.report_assets_common": [
            "customer_rebate/static/src/scss/rebate_report.scss",
        ],
    },
    "demo": [
        "demo/rebate_policy_demo.xml",
        "demo/account_move_demo.xml",
    ],
}
