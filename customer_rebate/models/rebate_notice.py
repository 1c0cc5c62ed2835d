# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Customer notices: "rebate earned" when a record is confirmed, "rebate paid" when its settlement
is done. Each is posted in the chatter with the statement attached, once per event."""

from odoo import api, fields, models


class RebateNoticeMixin(models.AbstractModel):
    _name = "rebate.notice.mixin"
    _description = "Rebate Customer Notice"

    notice_sent = fields.Boolean(
        string="Customer Notified", readonly=True, copy=False,
        help="The customer has been sent the notice of this event; it is not sent again.")

    def _notice_template(self):
        raise NotImplementedError

    def _notice_ready(self):
        raise NotImplementedError

    def _sms_template(self):
        raise NotImplementedError

    def _notice_channels(self):
        """``(by mail, by SMS)`` for this document: what its policies ask, and an SMS only to a
        customer who accepts them and has a number to send to."""
        self.ensure_one()
        channels = set(self._notice_policies().mapped("notice_channel")) or {"email"}
        partner = self.partner_id
        by_mail = bool(channels & {"email", "email_sms"})
        by_sms = bool(channels & {"sms", "email_sms"}) and partner.rebate_notice_sms and bool(partner.phone)
        return by_mail, by_sms

    def action_notify(self):
        """Send the notice to every selected customer not notified yet for this event, by mail
        (the statement attached) and/or SMS as the policy says, logged in the chatter. The flag is
        per event: a notice is never sent twice, whatever the channels."""
        for document in self.filtered(lambda d: not d.notice_sent and d._notice_ready()):
            document = document.with_context(lang=document.partner_id.lang)
            by_mail, by_sms = document._notice_channels()
            if by_mail:
                document.message_post_with_source(
                    document._notice_template(), message_type="comment", subtype_xmlid="mail.mt_comment")
            if by_sms:
                document._message_sms_with_template(
                    template=document._sms_template(), partner_ids=document.partner_id.ids)
            if not by_sms and not by_mail:
                document.message_post(body=self.env._(
                    "No notice sent: the policy sends them by SMS and %s has no phone number, or does not "
                    "accept SMS.", document.partner_id.display_name))
            document.notice_sent = True
        return True

    def _auto_notify(self):
        self.filtered(lambda d: d.policy_auto_notify).action_notify()

    @api.model
    def _notice_fields_reset(self):
        return {"notice_sent": False}
