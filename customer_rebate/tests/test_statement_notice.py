# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import tagged

from .common import RebateCommon


@tagged("post_install", "-at_install")
class TestStatementNotice(RebateCommon):
    """The customer's statement (QWeb) and the notices that carry it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a.email = "buyer@customer-a.example.com"
        cls.record = cls.confirmed_record()

    def render(self, report, records):
        return str(self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0])

    def test_record_statement_has_the_terms_figures_and_amount_in_words(self):
        html = self.render("customer_rebate.action_report_rebate_record", self.record)
        self.assertIn("Rebate Statement", html)
        self.assertIn("5 % of quarterly purchases once they reach 100,000.00", html)
        self.assertIn("Q3 2026", html)
        self.assertIn("120,000.00", html)
        self.assertIn("6,000.00", html)
        self.assertIn(self.env.company.currency_id.amount_to_text(6000.0), html)
        self.assertIn("Six Thousand", html)
        self.assertIn("not paid yet", html)

    def test_settlement_statement_says_how_and_when_it_was_paid(self):
        settlement = self.env["rebate.settlement"]._create_from_records(self.record)
        settlement.action_done()
        html = self.render("customer_rebate.action_report_rebate_settlement", settlement)
        self.assertIn(settlement.name, html)
        self.assertIn(settlement.move_id.name, html)
        self.assertIn("Cash", html)
        self.assertIn("6,000.00", html)

    def messages_to_customer(self, document):
        return document.message_ids.filtered(lambda m: self.customer_a in m.partner_ids)

    def test_notice_is_sent_once_with_the_statement(self):
        self.record.action_notify()
        self.record.action_notify()
        messages = self.messages_to_customer(self.record)
        self.assertEqual(len(messages), 1)
        self.assertIn("6,000.00", str(messages.body))
        self.assertEqual(len(messages.attachment_ids), 1)
        self.assertIn("Rebate Statement", messages.attachment_ids.name)
        self.assertTrue(self.record.notice_sent)
        mails = self.env["mail.mail"].search([("mail_message_id", "=", messages.id)])
        self.assertEqual(mails.recipient_ids, self.customer_a)

    def test_estimates_are_not_notified(self):
        self.record.action_draft()
        self.record.action_notify()
        self.assertFalse(self.messages_to_customer(self.record))

    def test_automatic_notices_on_confirmation_and_payout(self):
        self.policy.auto_notify = True
        record = self.confirmed_record(partner=self.customer_b)
        self.assertTrue(record.notice_sent)
        self.assertEqual(len(record.message_ids.filtered(lambda m: self.customer_b in m.partner_ids)), 1)
        settlement = self.env["rebate.settlement"]._create_from_records(record)
        settlement.action_done()
        self.assertTrue(settlement.notice_sent)
        paid = settlement.message_ids.filtered(lambda m: self.customer_b in m.partner_ids)
        self.assertEqual(len(paid), 1)
        self.assertIn("paid out", str(paid.body))

    def test_notices_from_the_list_skip_those_already_sent(self):
        other = self.confirmed_record(partner=self.customer_b)
        self.record.action_notify()
        (self.record + other).action_notify()
        self.assertEqual(len(self.messages_to_customer(self.record)), 1)
        self.assertTrue(other.notice_sent)
