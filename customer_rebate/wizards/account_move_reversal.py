from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        action = super().reverse_moves(is_modify=is_modify)
        if is_modify:
            # "reverse and create a new draft" re-issues the invoices from copied values, in the
            # order the wizard batches them (those cancelled by their reversal first)
            moves = self.move_ids.sorted(
                lambda move: self._prepare_default_reversal(move).get("auto_post", "no") != "no")
            moves._link_copied_rebate_discounts(self.new_move_ids)
        return action
