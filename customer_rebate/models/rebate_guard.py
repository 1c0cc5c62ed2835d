# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Guards that only the addon's own Python code can lift.

A key in ``env.context`` is no way to lift a guard: any RPC client sends the context it wants
(``context={'rebate_policy_approval': True}``). The actions lift a guard here instead, in a
``contextvars`` variable of the running request: it lives in Python only, no request parameter
reaches it, and ``lifted()`` restores it on exit (even on an exception), so a lift never outlives
the call that made it nor leaks into another request served by the same thread."""

import contextlib
import contextvars

POLICY_STATE = "policy_state"  # the state of a policy, written by its actions only
POLICY_APPROVAL = "policy_approval"  # the approvals of a policy, written by the approve/refuse actions
POLICY_REVISION = "policy_revision"  # terms written by the revision/closing machinery

_LIFTED = contextvars.ContextVar("customer_rebate_lifted_guards", default=frozenset())


@contextlib.contextmanager
def lifted(*guards):
    token = _LIFTED.set(_LIFTED.get() | frozenset(guards))
    try:
        yield
    finally:
        _LIFTED.reset(token)


def is_lifted(guard):
    return guard in _LIFTED.get()

SETTLEMENT_INTERNAL = "settlement_internal"  # a settlement writes its own fields once paid out
SETTLEMENT_UNDO = "settlement_undo"  # a settlement undoes its own documents (action_cancel)
BALANCE_APPLY = "balance_apply"  # the balance writes its own discount lines (action_apply_rebate_balance)
BALANCE_SYNC = "balance_sync"  # a balance discount line follows what stays invoiced
MOVE_LINK_LATER = "move_link_later"  # reversed moves link their balance discounts once built
