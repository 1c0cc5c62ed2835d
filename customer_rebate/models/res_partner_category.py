# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.exceptions import UserError


class ResPartnerCategory(models.Model):
    _inherit = "res.partner.category"

    def write(self, vals):
        if "partner_ids" not in vals:
            return super().write(vals)
        # contacts tagged or untagged from the tag's form: their companies enter or leave the
        # policies naming the tag, as when the tag is set on the contact (res.partner.write)
        before = self._rebate_tagged_companies()
        pooled = self._rebate_pooled_members()
        result = super().write(vals)
        after = self._rebate_tagged_companies()
        changed = {}
        for tag_id, companies in before.items():
            for company_id in companies ^ after.get(tag_id, set()):
                changed.setdefault(company_id, set()).add(tag_id)
        self.env["res.partner"]._enqueue_rebate_tag_changes(changed)
        # a pooled tag given or taken: other groups, as when the tag is set on the contact
        moved = [tag_id for tag_id, members in pooled.items() if members != self._rebate_pooled_members()[tag_id]]
        if moved:
            self.env["rebate.policy"].sudo().search([
                ("pool_mode", "=", "tag"), ("pool_category_ids", "in", moved),
                ("state", "in", ("active", "closed"))])._require_full_compute()
        return result

    def _rebate_pooled_members(self):
        """``{tag id: {partner ids}}`` of those of these tags that a policy pooling by tag pools
        (archived contacts too)."""
        pooled = self.env["rebate.policy"]._rebate_named_scope()[2]
        return {tag.id: set(tag.sudo().with_context(active_test=False).partner_ids.ids)
                for tag in self if tag.id in pooled}

    def _rebate_tagged_companies(self):
        """``{tag id: {commercial partner ids}}`` of the tags an active or closed policy names:
        the companies one of whose contacts (archived ones too) carries the tag."""
        tags = self.browse(sorted(set(self.ids) & self.env["rebate.policy"]._rebate_named_scope()[0]))
        if not tags:
            return {}
        contacts = self.env["res.partner"].sudo().with_context(active_test=False).search(
            [("category_id", "in", tags.ids)])
        return {tag.id: set(contacts.filtered(lambda contact, tag=tag: tag in contact.category_id)
                            .commercial_partner_id.ids)
                for tag in tags}

    @api.ondelete(at_uninstall=False)
    def _unlink_except_named_by_rebate_policy(self):
        # without its tag, a policy limited to tagged customers would silently cover every customer
        policies = self.env["rebate.policy"].sudo().with_context(active_test=False).search(
            [("partner_category_ids", "in", self.ids)])
        if not policies:
            return
        tags = ", ".join(self.filtered(lambda tag: tag in policies.partner_category_ids).mapped("display_name"))
        # the tag is shared by every company: name only the policies the user may read
        visible = policies.filtered(lambda policy: policy.company_id in self.env.companies) \
            if self.env["rebate.policy"].has_access("read") else policies.browse()
        if not visible:
            raise UserError(self.env._(
                "Tag %s limits rebate policies to the customers carrying it: a rebate manager must take it off "
                "those policies before it can be deleted.", tags))
        raise UserError(self.env._(
            "Tag %(tags)s limits rebate policies %(policies)s to the customers carrying it: take it off "
            "those policies before deleting it.",
            tags=tags, policies=", ".join(visible.with_env(self.env)[:5].mapped("display_name"))))
