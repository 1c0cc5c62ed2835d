# Copyright 2026 customer_rebate developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Rebate periods: calendar months, quarters, half years and years, or the policy's whole window.

A policy's periods are the calendar periods that meet its date range, each clipped to that range,
so a policy starting on 15 February with quarterly periods has a first period of 15 Feb – 31 Mar.
Together they cover the range with no gap and no overlap.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
PERIOD_KINDS = (*PERIOD_MONTHS, "window")


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range ``[date_start, date_end]``; ``index`` is 1-based within its year
    (month 1–12, quarter 1–4, half 1–2, year 1), 0 for a whole-window period."""

    date_start: date
    date_end: date
    kind: str
    index: int

    def __contains__(self, day):
        return self.date_start <= day <= self.date_end

    @property
    def days(self):
        return (self.date_end - self.date_start).days + 1


def add_months(day, months):
    """``day`` moved by ``months`` calendar months, clipped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _calendar_period(kind, day):
    """The unclipped calendar period of ``kind`` holding ``day``."""
    size = PERIOD_MONTHS[kind]
    index = (day.month - 1) // size
    start = date(day.year, index * size + 1, 1)
    end = add_months(start, size) - timedelta(days=1)
    return Period(start, end, kind, index + 1)


def _check(kind, date_start, date_end):
    if kind not in PERIOD_KINDS:
        raise ValueError(f"unknown period kind {kind!r}")
    if date_end is not None and date_end < date_start:
        raise ValueError("period range ends before it starts")


def period_containing(kind, day, date_start, date_end=None):
    """The policy period of ``kind`` holding ``day`` for a policy running from ``date_start`` to
    ``date_end`` (None: open-ended), or None when ``day`` is outside the policy's range."""
    _check(kind, date_start, date_end)
    if day < date_start or (date_end is not None and day > date_end):
        return None
    if kind == "window":
        if date_end is None:
            raise ValueError("a whole-window period needs an end date")
        return Period(date_start, date_end, kind, 0)
    period = _calendar_period(kind, day)
    clipped_end = period.date_end if date_end is None else min(period.date_end, date_end)
    return Period(max(period.date_start, date_start), clipped_end, kind, period.index)


def iter_periods(kind, date_start, date_end=None, until=None):
    """Yield the policy's periods in order, from ``date_start`` to ``date_end``.

    ``until`` stops after the period holding that day (needed for open-ended policies, and to
    compute only the periods that have begun). Periods that start after ``until`` are not yielded.
    """
    _check(kind, date_start, date_end)
    if date_end is None and until is None:
        raise ValueError("an open-ended policy needs `until` to bound its periods")
    last_day = date_end if until is None else (until if date_end is None else min(date_end, until))
    day = date_start
    while day <= last_day:
        period = period_containing(kind, day, date_start, date_end)
        yield period
        day = period.date_end + timedelta(days=1)


def seniority_reached(first_invoice_date, period_start, min_months):
    """True when a customer whose first posted invoice is ``first_invoice_date`` has been a
    customer for at least ``min_months`` whole months when the period starts."""
    if min_months <= 0:
        return True
    if first_invoice_date is None:
        return False
    return add_months(first_invoice_date, min_months) <= period_start


def previous_period(period):
    """The period just before ``period``, for comparing sales: the calendar period before it (not
    clipped by the policy, whose start may be later); for a period the policy's dates clip, the same
    days one period earlier; for a window, as many days before it."""
    if period.kind == "window":
        length = period.date_end - period.date_start
        end = period.date_start - timedelta(days=1)
        return Period(end - length, end, period.kind, 0)
    before = _calendar_period(period.kind, period.date_start - timedelta(days=1))
    calendar_period = _calendar_period(period.kind, period.date_start)
    if (period.date_start, period.date_end) != (calendar_period.date_start, calendar_period.date_end):
        # a period clipped by the policy's start or end is compared with the same days one period
        # earlier, not with a whole period
        months = PERIOD_MONTHS[period.kind]
        return Period(add_months(period.date_start, -months), add_months(period.date_end, -months),
                      period.kind, before.index)
    return before


def same_period_last_year(period):
    """``period`` one year earlier (29 February falls back to the 28th)."""
    return Period(add_months(period.date_start, -12), add_months(period.date_end, -12), period.kind, period.index)


def merge_date_ranges(ranges):
    """The dates of ``ranges`` (closed ``(start, end)`` pairs, in any order, overlapping or not) as
    the fewest closed ranges, in order: ranges that overlap or follow each other day after day
    become one."""
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def whole_months(start, end):
    """The first days of the calendar months of ``[start, end]`` when the range is whole months
    (from a first day to a last day), else None."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        return None
    months, month = [], start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_ranges(months):
    """Calendar months (their first days) as the fewest closed date ranges, in order."""
    return merge_date_ranges((month, add_months(month, 1) - timedelta(days=1)) for month in months)


def disjoint_date_ranges(ranges):
    """Whether no day belongs to two of ``ranges`` (closed ``(start, end)`` pairs, unique)."""
    ordered = sorted(set(ranges))
    return all(later[0] > earlier[1] for earlier, later in zip(ordered, ordered[1:]))
