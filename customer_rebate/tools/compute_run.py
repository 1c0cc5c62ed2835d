# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What one computation run (``rebate.policy._compute_records``) has already read, shared by the
periods and policies it computes in this thread."""

import contextlib
import contextvars

# The computation under way in this thread (``_compute_records``), or None: what its aggregates
# already read, for the periods that follow (see _compute_period_figures).
CURRENT_RUN = contextvars.ContextVar("customer_rebate_compute_run", default=None)


@contextlib.contextmanager
def compute_run():
    """Run the block as one computation (see ``ComputeRun``), unless one is under way."""
    if CURRENT_RUN.get() is not None:
        yield CURRENT_RUN.get()
        return
    token = CURRENT_RUN.set(ComputeRun())
    try:
        yield CURRENT_RUN.get()
    finally:
        CURRENT_RUN.reset(token)


# The daily job under way in this thread (see daily_job), or None.
DAILY_JOB = contextvars.ContextVar("customer_rebate_daily_job", default=None)


class DailyJob:
    """What the daily job's policies share: the day's customers' sums per calendar month
    (``months``, see ``ComputeRun.months_kept``) and, when the job commits as it goes (inside the
    scheduler), the queued changes it takes on (``queue_ids``, those there when it began).

    The months of a customer are read at the earliest when the job began, and a policy works
    only on the changes queued by then: whatever a later commit of a user brings is newer than
    both, stays queued and is taken on by the next run, so a sum kept from an earlier policy's
    read is never older than a change it is used for."""

    def __init__(self, queue_ids=None):
        self.months = {}
        self.queue_ids = queue_ids


@contextlib.contextmanager
def daily_job(queue_ids=None):
    """Run the block as the daily job (see ``DailyJob``)."""
    token = DAILY_JOB.set(DailyJob(queue_ids))
    try:
        yield DAILY_JOB.get()
    finally:
        DAILY_JOB.reset(token)


class ComputeRun:
    """What one run of ``_compute_records`` read: ``prefetched`` figures per (policy, period
    start, customers) of an incremental run, and the sums per date range over every customer
    (``_ranges``, per policy, or per ``_shared_ranges_key`` for policies over the same journal
    items) that the following periods and policies reuse — a quarter's own range is the next
    quarter's period before and next year's last year. Only ranges not older than the last year
    of the period being computed are kept."""

    def __init__(self):
        self.prefetched = {}
        # the records of an incremental run's periods, read with its figures for the first of
        # them: {policy id: (the periods and customers read, rows as _period_record_rows_of)}
        self.record_rows = {}
        self.memo = {}  # the policies' scopes as ids (("partners" or "products", policy id) -> ids)
        self.first_dates = {}  # {company id: {partner id: date of the first invoice or None}}
        # the day's customers' sums per calendar month, per _shared_ranges_key:
        # {key: {partner id: (the months read (first days), {month start: {measure: sum}})}}
        # (a month read without lines has no sums)
        self.months = {}
        self._ranges = {}
        # the projection's periods to date read in one aggregate for its policies, until each
        # projects ((policy id, period start, period end, partner id) -> (amount, quantity))
        self.projection_bases = {}

    def months_kept(self):
        """The sums per month kept for this run, or for the daily job's policies."""
        job = DAILY_JOB.get()
        return job.months if job is not None else self.months

    def kept_ranges(self, key, needs):
        """``{(start, end): {partner id: {measure: sum}}}`` of every customer that the run already
        read for the policies of ``key`` (``_shared_ranges_key``), when it holds every range of
        ``needs`` with its measures; else None."""
        found = self._ranges.get(key, {})
        if any(date_range not in found or not measures <= found[date_range][0]
               for date_range, measures in needs.items()):
            return None
        return {date_range: found[date_range][1] for date_range in needs}

    def ranges_for(self, policy, needs):
        """The sums per date range of ``needs`` for every customer of the policy, from what the run
        read already where it can: the policy's own earlier periods, or another policy of the same
        lines (company, products, exclusions; ``_shared_ranges_key``), whose sums per customer
        hold this one's — a policy scoped to some customers keeps theirs."""
        shared = policy._shared_ranges_key(needs)
        if shared is None:
            return self._read_ranges(policy.id, policy, needs)
        if not policy._has_partner_scope():
            return self._read_ranges(shared, policy, needs)
        # a scoped policy never reads every customer, but takes them from the shared ranges
        scope = set(policy._scope_partner_ids())
        found, result, rest = self._ranges.get(shared, {}), {}, {}
        for date_range, measures in needs.items():
            entry = found.get(date_range)
            if entry is not None and measures <= entry[0]:
                result[date_range] = {partner_id: values for partner_id, values in entry[1].items()
                                      if partner_id in scope}
            else:
                rest[date_range] = measures
        if rest:
            result.update(self._read_ranges(policy.id, policy, rest, oldest=min(start for start, _end in needs)))
        return result

    def _read_ranges(self, key, policy, needs, oldest=None):
        cached = self._ranges.setdefault(key, {})
        missing = {
            date_range: measures for date_range, measures in needs.items()
            if date_range not in cached or not measures <= cached[date_range][0]
        }
        if missing:
            for date_range, figures in policy._range_figures(missing).items():
                cached[date_range] = (frozenset(missing[date_range]), figures)
        oldest = oldest or min(start for start, _end in needs)
        for date_range in [date_range for date_range in cached if date_range[1] < oldest]:
            del cached[date_range]
        return {date_range: cached[date_range][1] for date_range in needs}
