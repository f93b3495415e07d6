"""Weighing a step by the time employed in each segment: the salary earned in the period.

A step with ``earned:`` (docs/policy-language.md, "Salary earned") evaluates its formula once
per segment, as a weighted step does, and weighs each segment's value by the share of the
period the employee **earned** in it: on ``actual_days``, the days employed in the segment ÷
the period's days; on ``months``, each calendar month of the period is 1 ÷ (months in the
period), of which a month cut by joining or leaving counts by its partial-month rule (``days``:
its days employed ÷ its days; ``count``: all; ``drop``: none; ``fifteenth``: all when employed
on the 15th, else none), and a change of value inside a month splits the counted part by days.

Weights are exact fractions; the value is Σ value × weight with one division at the end, so a
formula that is the same in every segment of a whole period weighs to exactly itself.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from incentives.errors import RowError
from incentives.rulebook.runtime.weighted import Segment, SegmentTrace

__all__ = ["earned_segments", "earned_weights", "weigh_earned"]

_DAY = datetime.timedelta(days=1)


@functools.lru_cache(maxsize=64)
def _whole(start: datetime.date, end: datetime.date) -> tuple[Segment, ...]:
    return (Segment(start, end, (end - start).days + 1, Fraction(1), MappingProxyType({})),)


def earned_segments(
    segments: tuple[Segment, ...] | None, start: datetime.date, end: datetime.date
) -> tuple[Segment, ...]:
    """The employee's segments, or the whole period as one for an employee without history."""
    return segments if segments is not None else _whole(start, end)


def _overlap(a: datetime.date, b: datetime.date, c: datetime.date, d: datetime.date) -> int:
    """Days in both [a, b] and [c, d] (ends inclusive)."""
    return max(0, (min(b, d) - max(a, c)).days + 1)


def _months(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """Each calendar month of [first, last], cut to it."""
    found = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        begin = max(datetime.date(year, month, 1), first)
        finish = min(datetime.date(year, month, calendar.monthrange(year, month)[1]), last)
        found.append((begin, finish))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def earned_weights(
    segments: Sequence[Segment],
    start: datetime.date,
    end: datetime.date,
    basis: str,
    partial: str,
) -> tuple[list[int], list[Fraction]]:
    """For each segment, the days employed in it and its weight (its share of the period)."""
    first, last = segments[0].start, segments[-1].end
    period_days = (last - first).days + 1
    days = [_overlap(seg.start, seg.end, start, end) for seg in segments]
    if basis == "actual_days":
        return days, [Fraction(d, period_days) for d in days]
    months = _months(first, last)
    weights = [Fraction(0)] * len(segments)
    for begin, finish in months:
        e_start, e_end = max(begin, start), min(finish, end)
        employed = (e_end - e_start).days + 1
        if employed <= 0:
            continue
        if partial == "days":
            counted = Fraction(employed, (finish - begin).days + 1)
        elif partial == "count":
            counted = Fraction(1)
        elif partial == "drop":
            counted = Fraction(int(e_start == begin and e_end == finish))
        else:  # fifteenth
            fifteenth = begin.replace(day=15)
            counted = Fraction(int(e_start <= fifteenth <= e_end))
        for k, seg in enumerate(segments):
            share = _overlap(seg.start, seg.end, e_start, e_end)
            if share:
                weights[k] += counted * Fraction(share, employed) / len(months)
    return days, weights


def weigh_earned(
    segments: tuple[Segment, ...],
    values: Sequence[Any],
    reads: tuple[str, ...],
    start: object,
    end: object,
    basis: str,
    partial: str,
) -> tuple[Any, tuple[SegmentTrace, ...]]:
    """Σ value × earned weight, employed from ``start`` (missing: the period's start) to
    ``end`` (missing: the period's end), and the trace of each segment."""
    first, last = segments[0].start, segments[-1].end
    s, e = _date(start, "from", first), _date(end, "to", last)
    s, e = max(s, first), min(e, last)
    days, weights = earned_weights(segments, s, e, basis, partial)
    scale = math.lcm(*(w.denominator for w in weights))
    total = sum(
        (
            v * (w.numerator * (scale // w.denominator))
            for v, w in zip(values, weights, strict=True)
        ),
        Decimal(0),
    )
    trace = tuple(
        (
            seg.start,
            seg.end,
            d,
            w,
            value,
            tuple((n, seg.values[n]) for n in reads if n in seg.values),
        )
        for seg, d, w, value in zip(segments, days, weights, values, strict=True)
    )
    return total / scale, trace


def _date(value: object, what: str, missing: datetime.date) -> datetime.date:
    """An employment date; ``missing`` when the input is missing (still employed)."""
    if value is None:
        return missing
    if not isinstance(value, datetime.date):
        raise RowError(f"earned: '{what}' is not a date", what, str(value))
    return value
