# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Portal customers see final rebates only (confirmed and settled records, paid settlements).

The portal rules are in a ``noupdate`` block of ``security/rebate_security.xml``, which an update
leaves as it is: the databases installed before get the new domains here."""

from odoo import SUPERUSER_ID, api

PORTAL_RULE_DOMAINS = {
    "customer_rebate.rebate_record_portal_rule":
        "[('partner_id', '=', user.commercial_partner_id.id), ('state', 'in', ('confirmed', 'settled'))]",
    "customer_rebate.rebate_settlement_portal_rule":
        "[('partner_id', '=', user.commercial_partner_id.id), ('state', '=', 'done')]",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, domain in PORTAL_RULE_DOMAINS.items():
        rule = env.ref(xmlid, raise_if_not_found=False)
        if rule:
            rule.domain_force = domain
