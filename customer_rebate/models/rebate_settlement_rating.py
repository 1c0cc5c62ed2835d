# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class RebateSettlement(models.Model):
    """The customer rates a payout from the "rebate paid" notice: one click on a face, an
    optional comment, no login (rating's /rate/<token>/<score> pages). Ratings and comments land
    on the settlement and feed the policy's review."""

    _name = "rebate.settlement"
    _inherit = ["rating.mixin", "rebate.settlement"]
    # a portal customer comments on their own statement (portal chatter): read access is enough
    _mail_post_access = "read"

    def _rating_get_partner(self):
        return self.partner_id.commercial_partner_id

    def _rating_url(self, score):
        """The link of one face in the notice (creates the rating token on first use)."""
        self.ensure_one()
        return f"{self.get_base_url()}/rate/{self._rating_get_access_token()}/{score}"

    # a payout is rated from the notice's faces (rating pages, with the rating's token); a rating
    # sent with each chatter post would give one customer as many ratings as posts: ignored here
    def _get_allowed_message_params(self):
        return super()._get_allowed_message_params() - {"rating_value"}

    def message_post(self, **kwargs):
        kwargs.pop("rating_value", None)
        return super().message_post(**kwargs)

    def _message_update_content(self, message, /, *, body, rating_value=None, **kwargs):
        return super()._message_update_content(message, body=body, **kwargs)
