# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from odoo.addons.sms.tests.common import SMSCase

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestNoticeSMS(RebateCommon, SMSCase):
    """通知客户 by 邮件或短信: the notices go by SMS where the policy and the customer say so, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a.phone = "+86 138 0013 8000"
        cls.record = cls.confirmed_record()

    def sms_of(self, partner):
        return self._new_sms.filtered(lambda sms: sms.partner_id == partner)

    def test_sms_sent_once_with_the_amount_and_the_number(self):
        self.policy.notice_channel = "sms"
        with self.mockSMSGateway():
            self.record.action_notify()
            self.record.action_notify()
        sms = self.sms_of(self.customer_a)
        self.assertEqual(len(sms), 1, "one SMS for one event")
        self.assertEqual(sms.number.replace(" ", ""), "+8613800138000")
        self.assertIn("6,000.00", sms.body)
        self.assertIn("Q3 2026", sms.body)
        self.assertEqual(len(self.record.message_ids.filtered(lambda m: m.message_type == "sms")), 1,
                         "logged in the chatter")
        self.assertFalse(self.record.message_ids.filtered(lambda m: m.message_type == "comment"),
                         "SMS only: no mail")

    def test_email_and_sms(self):
        self.policy.notice_channel = "email_sms"
        with self.mockSMSGateway():
            self.record.action_notify()
        self.assertEqual(len(self.sms_of(self.customer_a)), 1)
        self.assertTrue(self.record.message_ids.filtered(lambda m: m.message_type == "comment"))

    def test_paid_notice_by_sms(self):
        self.policy.notice_channel = "sms"
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        with self.mockSMSGateway():
            settlement.action_notify()
        sms = self.sms_of(self.customer_a)
        self.assertIn(settlement.name, sms.body)
        self.assertIn("Cash", sms.body)

    def test_no_sms_without_a_phone_or_consent_or_when_the_policy_says_email(self):
        self.policy.notice_channel = "email"
        with self.mockSMSGateway():
            self.record.action_notify()
        self.assertFalse(self._new_sms, "email only")
        self.record.notice_sent = False
        self.policy.notice_channel = "sms"
        self.customer_a.rebate_notice_sms = False
        with self.mockSMSGateway():
            self.record.action_notify()
        self.assertFalse(self._new_sms, "the customer does not accept SMS")
        self.assertIn("No notice sent", self.record.message_ids[0].body)
        self.record.notice_sent = False
        self.customer_a.write({"rebate_notice_sms": True, "phone": False})
        with self.mockSMSGateway():
            self.record.action_notify()
        self.assertFalse(self._new_sms, "no phone number")
