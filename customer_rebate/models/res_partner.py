# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

import psycopg2

from odoo import api, fields, models

from ..tools.compute_run import compute_run

_logger = logging.getLogger(__name__)


# what makes a parent company's tree, and a customer's tags (group volume: a change of either moves
# a customer to another group)
POOL_PARENT_FIELDS = {"parent_id", "is_company"}
POOL_TAG_FIELDS = {"category_id"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    rebate_notice_sms = fields.Boolean(
        string="Rebate Notices by SMS", default=True,
        help="Send this customer's rebate notices by SMS too, where the policy says so.")
    rebate_record_count = fields.Integer(
        compute="_compute_rebate_totals", groups="customer_rebate.group_rebate_user")
    rebate_earned = fields.Monetary(
        string="Rebates Earned", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user",
        help="Confirmed and settled rebates, in the current company's currency.")
    rebate_settled = fields.Monetary(
        string="Rebates Paid", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user")
    rebate_outstanding = fields.Monetary(
        string="Rebates Due", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user", help="Confirmed rebates not paid out yet.")
    rebate_to_recover = fields.Monetary(
        string="Rebates to Recover", compute="_compute_rebate_totals", currency_field="currency_id",
        groups="customer_rebate.group_rebate_user",
        help="Negative adjustments not netted or recovered yet: what the customer owes back.")

    def _compute_rebate_totals(self):
        commercial = self.commercial_partner_id
        owed_back = dict(self.env["rebate.record"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "=", "confirmed"), ("settlement_id", "=", False),
             ("amount", "<", 0), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["amount:sum"]))
        groups = self.env["rebate.record"]._read_group(
            [("partner_id", "in", commercial.ids), ("state", "!=", "cancelled"),
             ("company_id", "=", self.env.company.id)],
            ["partner_id", "state"], ["__count", "amount:sum"])
        totals = {}
        for partner, state, count, amount in groups:
            entry = totals.setdefault(partner.id, {"count": 0, "confirmed": 0.0, "settled": 0.0, "recover": 0.0})
            entry["count"] += count
            if state in ("confirmed", "settled"):
                entry[state] += amount
        for partner in self:
            entry = totals.get(partner.commercial_partner_id.id, {"count": 0, "confirmed": 0.0, "settled": 0.0})
            partner.rebate_to_recover = -owed_back.get(partner.commercial_partner_id, 0.0)
            partner.rebate_record_count = entry["count"]
            partner.rebate_earned = entry["confirmed"] + entry["settled"]
            partner.rebate_settled = entry["settled"]
            partner.rebate_outstanding = entry["confirmed"]

    rebate_balance = fields.Monetary(
        compute="_compute_rebate_balance", currency_field="currency_id",
        groups="sales_team.group_sale_salesman",
        help="返利余额: what the customer can still use as discount on later orders in the current company.")

    def _compute_rebate_balance(self):
        """One aggregate over the running totals, whatever the length of the ledger; through the
        record rules, so a salesperson sees the balances of the customers they may see."""
        groups = self.env["rebate.balance"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["amount:sum"])
        totals = {partner.id: amount for partner, amount in groups}
        for partner in self:
            partner.rebate_balance = totals.get(partner.commercial_partner_id.id, 0.0)

    def _rebate_balance_domain(self, company, policies=None):
        domain = [("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)]
        if policies is not None:
            domain.append(("policy_id", "in", policies.ids))
        return domain

    def _rebate_balance_amount(self, company, policies=None):
        """The commercial partner's balance in ``company`` (under ``policies`` when given), for
        statements and notices (which a customer or a portal page may render without access to
        the ledger's model)."""
        self.ensure_one()
        return sum(self.env["rebate.balance"].sudo().search(
            self._rebate_balance_domain(company, policies)).mapped("amount"))

    def _rebate_balance_lines(self, company, limit=10, policies=None):
        self.ensure_one()
        return self.env["rebate.balance.line"].sudo().search(
            self._rebate_balance_domain(company, policies), limit=limit)

    @api.readonly
    def action_view_rebate_balance(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_balance_line_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    @api.readonly
    def action_view_rebate_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_rebate.rebate_record_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_policy": 1}
        return action

    # ------------------------------------------------------------------ 客户档案: the policies that apply

    rebate_policy_count = fields.Integer(
        string="Rebate Policies", compute="_compute_rebate_policy_html",
        groups="sales_team.group_sale_salesman,customer_rebate.group_rebate_user")
    rebate_policy_html = fields.Html(
        string="Rebate Policies in Force", compute="_compute_rebate_policy_html", sanitize=False,
        groups="sales_team.group_sale_salesman,customer_rebate.group_rebate_user",
        help="The active policies that apply to this customer today, their terms in words and where the "
             "customer stands in the current period: the same figures as the projection on their orders.")

    @api.depends_context("lang", "uid", "allowed_company_ids")
    def _compute_rebate_policy_html(self):
        for partner in self:
            standings = partner._rebate_standings() if partner.id and partner._rebate_standings_visible() else []
            partner.rebate_policy_count = len(standings)
            partner.rebate_policy_html = self.env["ir.qweb"]._render(
                "customer_rebate.rebate_partner_policies_table", {"standings": standings}
            ) if standings else False

    def _rebate_standings_visible(self):
        """The rule of the order projection (see ``_rebate_figures_visible``): internal users, and
        only their own customers where the company keeps rebate users to them."""
        self.ensure_one()
        user = self.env.user
        company = self.env.company
        if user.share:
            return False
        if not company.rebate_own_customers_only or user.has_group("customer_rebate.group_rebate_manager") \
                or user.has_group("sales_team.group_sale_salesman_all_leads"):
            return True
        return self.commercial_partner_id.user_id in (user, self.env["res.users"])

    def _rebate_applicable_policies(self, day=None, company=None):
        """The active policies of ``company`` (default: the current one) running on ``day``
        (default: today) whose scope takes in this customer, every-customer policies included."""
        self.ensure_one()
        company = company or self.env.company
        day = day or fields.Date.context_today(self)
        partner = self.commercial_partner_id
        policies = self.env["rebate.policy"].sudo().search([
            ("state", "=", "active"), ("company_id", "=", company.id),
            ("date_start", "<=", day), "|", ("date_end", "=", False), ("date_end", ">=", day),
        ])
        return policies._filter_applicable(partner, day)

    def _rebate_standings(self, day=None):
        """One projection per applicable policy, as the order projection computes it for an order
        that adds nothing: the period to date, the tier reached, the estimate, the gap."""
        self.ensure_one()
        day = day or fields.Date.context_today(self)
        partner = self.commercial_partner_id
        Projection = self.env["rebate.projection.mixin"]
        standings = []
        with compute_run():  # the policies' periods to date read together, as the projection does
            policies = self._rebate_applicable_policies(day)
            policies._prefetch_projection_bases_or_not(partner, day)
            for policy in policies:
                try:
                    standings.append(Projection._project_rebate_policy(policy, partner, day, []))
                except psycopg2.Error:
                    raise
                except Exception:  # one broken policy never stops the customer form from opening
                    _logger.warning("Rebate standing of policy %s for partner %s failed", policy.id, partner.id,
                                    exc_info=True)
                    standings.append(Projection._rebate_projection_failure(policy))
        return standings

    def action_view_rebate_policies(self):
        """Read-only: the policies that apply to this customer, with their terms in words."""
        self.ensure_one()
        policies = self._rebate_applicable_policies()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Rebate Policies of %s", self.commercial_partner_id.display_name),
            "res_model": "rebate.policy",
            "view_mode": "list,form",
            "views": [(self.env.ref("customer_rebate.rebate_policy_view_list_applicable").id, "list"),
                      (False, "form")],
            "domain": [("id", "in", policies.ids)],
            "context": {"create": False, "edit": False, "delete": False},
        }

    # ---- Group volume (集团客户) and customers in scope by tag: what queues their periods -------------

    @api.model_create_multi
    def create(self, vals_list):
        # a tagged contact brings its company into the policies naming the tag
        parents = self.browse({vals["parent_id"] for vals in vals_list if vals.get("category_id") and vals.get("parent_id")})
        tags_before = parents._rebate_scope_tags() if parents else None
        partners = super().create(vals_list)
        if tags_before:
            parents._enqueue_rebate_scope_changes(tags_before)
        return partners

    def write(self, vals):
        tags_before = None
        if "category_id" in vals or "parent_id" in vals:
            # a tagged contact moved to another company takes its tags there
            tags_before = (self | self.browse(vals.get("parent_id") or []))._rebate_scope_tags()
        result = super().write(vals)
        if tags_before:
            self._enqueue_rebate_scope_changes(tags_before)
        self._rebate_pool_moved(vals)
        return result

    def _rebate_pool_moved(self, vals):
        """``vals`` written or these partners deleted: another group membership for the policies
        pooling by parent company or by tag (read nothing when no policy pools)."""
        _tags, _categories, pooled_tags, pooled_parents = self.env["rebate.policy"]._rebate_named_scope()
        modes = []
        if pooled_parents and POOL_PARENT_FIELDS & set(vals):
            modes.append("parent")
        if pooled_tags and POOL_TAG_FIELDS & set(vals):
            modes.append("tag")
        if modes:
            # another group membership: the next run of the policies pooling that way computes
            # every period (an incremental run only sees the customers whose invoices changed)
            policies = self.env["rebate.policy"].sudo().search(
                [("pool_mode", "in", modes), ("state", "in", ("active", "closed"))])
            policies._require_full_compute()

    def unlink(self):
        # a tagged contact deleted: its company may leave the policies naming the tag
        named_tags, _categories, pooled_tags, pooled_parents = self.env["rebate.policy"]._rebate_named_scope()
        tags_before = None
        if named_tags:
            companies = self.filtered(
                lambda partner: partner.parent_id and partner.category_id).commercial_partner_id - self
            tags_before = companies._rebate_scope_tags() if companies else None
        # a contact carrying a pooled tag, or a branch, deleted: its company leaves the group
        pool_vals = {}
        if pooled_tags and any(set(partner.category_id.ids) & pooled_tags for partner in self):
            pool_vals["category_id"] = True
        if pooled_parents and any(partner.parent_id and partner.commercial_partner_id == partner for partner in self):
            pool_vals["parent_id"] = True
        result = super().unlink()
        if tags_before:
            companies._enqueue_rebate_scope_changes(tags_before)
        if pool_vals:
            self.browse()._rebate_pool_moved(pool_vals)
        return result

    # ---- Customers in scope by tag -----------------------------------------------------------------

    def _rebate_scope_tags(self):
        """``{commercial partner id: {tag ids}}`` of the companies of these contacts (the tags of
        all their contacts: a policy's tag covers a customer one of whose contacts carries it),
        when some active or closed policy names customer tags; else empty."""
        if not self.env["rebate.policy"]._rebate_named_scope()[0]:
            return {}
        companies = self.sudo().commercial_partner_id
        contacts = self.sudo().with_context(active_test=False).search(
            [("commercial_partner_id", "in", companies.ids)])
        tags = {company_id: set() for company_id in companies.ids}
        for contact in contacts:
            tags[contact.commercial_partner_id.id] |= set(contact.category_id.ids)
        return tags

    def _enqueue_rebate_scope_changes(self, tags_before):
        """A customer that gained or lost a tag a policy names is in or out of its scope in every
        period: queue every period that policy computed for that customer (one INSERT), so that
        the incremental run creates or removes its records and moves the comparison group, as a
        full run would. ``tags_before``: ``_rebate_scope_tags`` before the change."""
        # the companies of these partners now too: a contact made a company (no parent) is a
        # customer of its own, with its tags and the lines it kept from before it was a contact
        tags_after = (self.browse(list(tags_before)) | self)._rebate_scope_tags()
        changed = {company_id: tags_before.get(company_id, set()) ^ tags_after.get(company_id, set())
                   for company_id in set(tags_before) | set(tags_after)}
        self._enqueue_rebate_tag_changes(changed, tags_after)

    @api.model
    def _enqueue_rebate_tag_changes(self, changed, tags_now=None):
        """Queue every period that the policies naming them computed, for customers that gained
        or lost tags: ``changed`` is ``{commercial partner id: {tag ids gained or lost}}``. A
        policy queues only the customers it took in or let go: one still carrying another of its
        tags is where it was (``tags_now``: ``_rebate_scope_tags`` of them after the change, read
        when not given)."""
        changed = {company_id: tags for company_id, tags in changed.items() if tags}
        if not changed:
            return
        policies = self.env["rebate.policy"].sudo().search(
            [("partner_category_ids", "in", list(set().union(*changed.values()))),
             ("state", "in", ("active", "closed"))])
        if not policies:
            return
        if tags_now is None:
            tags_now = self.browse(list(changed))._rebate_scope_tags()
        rows = []
        for policy in policies:
            named = set(policy.partner_category_ids.ids)
            customers = []
            for company_id, tags in changed.items():
                after = tags_now.get(company_id, set())
                if bool(after & named) != bool((after ^ tags) & named):
                    customers.append(company_id)
            rows += [(policy.id, period.date_start, company_id)
                     for period in policy._periods_to_compute() for company_id in customers]
        if rows:
            self.env["rebate.compute.queue"].sudo()._enqueue_periods(rows)

