"""The builtin function library of the formula language, with `Decimal` semantics.

`BUILTINS` describes every builtin (arity, which arguments are text, a one-line doc, the
implementation); the parser validates calls against it. `NAMESPACE` maps ``F_<name>`` to the
implementation and is put into the globals of generated code. ``fx`` and the rating history
functions (``rating_in``, ``lowest_rating``, ``ratings_count``) are declared for validation only:
the engine supplies them (dated rates, the employee's ratings) and records their call sites.

A failure that depends on one employee's data (a bad rounding mode read from a cell, a clamp
with low above high) raises `RowError`, which rejects that row.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import attrs

from incentives.errors import RowError
from incentives.money import ROUNDING_MODES
from incentives.money import round_to as _round_to
from incentives.money import truncate_to as _truncate_to

__all__ = [
    "BUILTINS",
    "NAMESPACE",
    "PARTIAL_MONTH_RULES",
    "PRORATE_BASES",
    "FunctionSpec",
    "parse_date",
]

PRORATE_BASES = ("actual_days", "days_365", "days_360", "months")
PARTIAL_MONTH_RULES = ("count", "drop", "fifteenth")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_ONE = Decimal(1)
_ZERO = Decimal(0)


@attrs.frozen
class FunctionSpec:
    """One builtin: its arity (``max_arity`` None = no limit), text argument positions, doc."""

    name: str
    min_arity: int
    max_arity: int | None
    text_positions: frozenset[int]  # 0-based positions where a quoted text literal is allowed
    doc: str
    impl: Callable[..., object] | None  # None for `fx` and ratings: the engine supplies them


def _number(value: object, fn: str, position: int) -> Decimal:
    if value is None:
        raise RowError(f"{fn}: argument {position} is missing")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):  # bool and int (days_between) are exact
        return Decimal(value)
    raise RowError(f"{fn}: argument {position} is not a number: {value!r}")


def _day(value: object, fn: str, position: int) -> date:
    if not isinstance(value, date):
        raise RowError(f"{fn}: argument {position} is not a date: {value!r}")
    return value


def f_min(*values: object) -> object:
    """Smallest of the arguments (the first of equal ones)."""
    if len(values) == 2:  # the common case, two decimals: no conversion needed
        a, b = values
        if type(a) is Decimal and type(b) is Decimal:
            return b if b < a else a
    numbers = [_number(v, "min", i + 1) for i, v in enumerate(values)]
    return values[numbers.index(min(numbers))]


def f_max(*values: object) -> object:
    """Largest of the arguments (the first of equal ones)."""
    if len(values) == 2:
        a, b = values
        if type(a) is Decimal and type(b) is Decimal:
            return b if b > a else a
    numbers = [_number(v, "max", i + 1) for i, v in enumerate(values)]
    return values[numbers.index(max(numbers))]


def f_clamp(x: object, low: object, high: object) -> Decimal:
    """``x`` limited to [low, high]."""
    xv, lo, hi = _number(x, "clamp", 1), _number(low, "clamp", 2), _number(high, "clamp", 3)
    if lo > hi:
        raise RowError(f"clamp: low {lo} is above high {hi}")
    return min(max(xv, lo), hi)


def f_abs(x: object) -> Decimal:
    """Absolute value."""
    return abs(_number(x, "abs", 1))


def f_round_to(x: object, step: object, mode: object = "half_up") -> Decimal:
    """Round to a multiple of ``step`` with a named mode."""
    if type(x) is Decimal and type(step) is Decimal and step > _ZERO:  # the common case
        rounding = ROUNDING_MODES.get(mode)  # type: ignore[call-overload]
        if rounding is not None:  # `quantize_step`, inline: it runs several times per employee
            return (x / step).quantize(_ONE, rounding) * step  # by position: no keyword parsed
    if mode not in ROUNDING_MODES:
        raise RowError(f"round_to: unknown rounding mode {mode!r}", value=str(mode))
    try:
        rounded: Decimal = _round_to(
            _number(x, "round_to", 1), _number(step, "round_to", 2), str(mode)
        )
    except ValueError as exc:  # a step that is not positive
        raise RowError(f"round_to: {exc}") from None
    return rounded


def f_truncate_to(x: object, step: object) -> Decimal:
    """Cut towards zero to a multiple of ``step``."""
    try:
        cut: Decimal = _truncate_to(_number(x, "truncate_to", 1), _number(step, "truncate_to", 2))
    except ValueError as exc:
        raise RowError(f"truncate_to: {exc}") from None
    return cut


def f_days_between(a: object, b: object) -> int:
    """Days from date ``a`` to date ``b`` (b − a)."""
    if type(a) is date and type(b) is date:  # `_day` of each, inline for plain dates
        return (b - a).days
    return (_day(b, "days_between", 2) - _day(a, "days_between", 1)).days


def parse_date(text: str) -> date:
    """An ISO date ``YYYY-MM-DD``; `ValueError` otherwise."""
    if not _ISO_DATE.match(text):
        raise ValueError(f"'{text}' is not a date (write it as YYYY-MM-DD, e.g. 2026-07-01)")
    return date.fromisoformat(text)


def f_date(text: object) -> date:
    """The date written as ``YYYY-MM-DD``."""
    try:
        return parse_date(str(text))
    except ValueError as exc:
        raise RowError(f"date: {exc}", value=str(text)) from None


def _days360(start: date, end: date) -> int:
    """30E/360 day count from ``start`` to ``end`` (end exclusive)."""
    d1, d2 = min(start.day, 30), min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _months(start: date, end: date, ps: date, pe: date, partial: str) -> Decimal:
    """The fraction `f_prorate` gives on the basis ``months``."""
    counted, total = _month_counts(start, end, ps, pe, partial)
    return Decimal(counted) / Decimal(total)


@functools.lru_cache(maxsize=8192)  # a roster's covered spans repeat (whole periods, hire dates)
def _month_counts(start: date, end: date, ps: date, pe: date, partial: str) -> tuple[int, int]:
    """The months of [ps, pe] that [start, end] counts under ``partial``, and all of them."""
    counted = total = 0
    year, month = ps.year, ps.month
    while (year, month) <= (pe.year, pe.month):
        first = max(date(year, month, 1), ps)
        last = min(date(year, month, calendar.monthrange(year, month)[1]), pe)
        total += 1
        if start <= first and last <= end:
            counted += 1
        elif start <= last and first <= end:  # partly covered
            if partial == "count":
                counted += 1
            elif partial == "fifteenth":
                fifteenth = date(year, month, 15)
                counted += start <= fifteenth <= end
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return counted, total


def f_prorate(
    start: object,
    end: object,
    basis: object,
    partial: object,
    period_start: object,
    period_end: object,
) -> Decimal:
    """Fraction of the period [period_start, period_end] covered by [start, end], in [0, 1].

    A missing start or end means the period's own; both ends are inclusive.
    """
    if (
        type(start) is date
        and (end is None or type(end) is date)
        and type(period_start) is date
        and type(period_end) is date
        and not period_end < period_start
    ):  # plain dates (the usual call): the span they cover, clamped as below, looked up
        s = period_start if start < period_start else start
        e = period_end if end is None or period_end < end else end
        share = _SPANS.get((s, e, basis, partial, period_start, period_end))
        if share is None:
            share = _share(s, e, basis, partial, period_start, period_end)
            if len(_SPANS) >= _SHARES_KEPT:
                _SPANS.clear()
            _SPANS[(s, e, basis, partial, period_start, period_end)] = share
        if isinstance(share, Decimal):  # 0 or 1, whatever the context
            return share
        covered, whole, bounded = share
        fraction: Decimal = covered / whole  # divided in the caller's context, every time
        return min(_ONE, max(_ZERO, fraction)) if bounded else fraction
    # arguments seen before, as given (only arguments that gave a share are remembered, and the
    # share is a function of them): their share, without checking and clamping the dates again
    key = (start, end, basis, partial, period_start, period_end)
    try:
        share = _SHARES.get(key)
    except TypeError:  # an unhashable argument: refused below
        share = None
    if share is None:
        # `_day` for each date, inline for a plain date (the checks run in the same order)
        ps = period_start if type(period_start) is date else _day(period_start, "prorate", 5)
        pe = period_end if type(period_end) is date else _day(period_end, "prorate", 6)
        if pe < ps:
            raise RowError(f"prorate: the period ends ({pe}) before it starts ({ps})")
        s = ps if start is None else max(start if type(start) is date else _day(start, "prorate", 1), ps)
        e = pe if end is None else min(end if type(end) is date else _day(end, "prorate", 2), pe)
        # the span covered, remembered too: a roster's hire dates are many (thousands: more
        # than the arguments remembered above), the spans they clamp to few (a hire before the
        # period starts it); `_share` is a function of the span alone
        span = (s, e, basis, partial, ps, pe)
        share = _SPANS.get(span)
        if share is None:
            share = _share(s, e, basis, partial, ps, pe)
            if len(_SPANS) >= _SHARES_KEPT:
                _SPANS.clear()
            _SPANS[span] = share
        if len(_SHARES) >= _SHARES_KEPT:
            _SHARES.clear()
        _SHARES[key] = share
    if isinstance(share, Decimal):  # 0 or 1, whatever the context
        return share
    covered, whole, bounded = share
    fraction = covered / whole  # divided in the caller's context, every time
    return min(_ONE, max(_ZERO, fraction)) if bounded else fraction


# `_share` per arguments as given: what is remembered is exact (day or month counts as
# decimals, 0, 1); the division is done per call, in the context of the call. Cleared when
# full, to bound memory.
_Share = Decimal | tuple[Decimal, Decimal, bool]
_SHARES: dict[tuple[object, ...], _Share] = {}
_SPANS: dict[tuple[object, ...], _Share] = {}  # the same, per span covered (`f_prorate`)
_SHARES_KEPT = 1 << 14


def _share(s: date, e: date, basis: object, partial: object, ps: date, pe: date) -> _Share:
    """What `f_prorate` divides for the span [s, e] of the period [ps, pe]: (days or months
    covered, of the period, clamped to [0, 1]?), or the fraction itself when it is 0 or 1;
    raises `RowError` for a basis or partial-month rule it does not know."""
    if basis not in PRORATE_BASES:
        raise RowError(f"prorate: unknown basis {basis!r}", value=str(basis))
    if partial not in PARTIAL_MONTH_RULES:
        raise RowError(f"prorate: unknown partial-month rule {partial!r}", value=str(partial))
    if s > e:
        return _ZERO
    whole = s == ps and e == pe
    days = Decimal((e - s).days + 1)
    if basis == "actual_days":
        # the whole period: days / days, which is 1 exactly (no rounding) in any context
        return _ONE if whole else (days, Decimal((pe - ps).days + 1), False)
    if basis == "days_365":
        # min(1, days / 365): days >= 1, so max(0, ...) changes nothing
        return _ONE if whole else (days, Decimal(365), True)
    if basis == "days_360":
        if whole:
            return _ONE
        period = _days360(ps, pe + timedelta(days=1))
        if period <= 0:
            raise RowError(f"prorate: the period {ps} to {pe} has no 30E/360 days")
        return Decimal(_days360(s, e + timedelta(days=1))), Decimal(period), True
    counted, total = _month_counts(s, e, ps, pe, str(partial))
    return Decimal(counted), Decimal(total), False


def f_is_missing(x: object) -> bool:
    """True when an optional input is missing."""
    return x is None


def f_coalesce(x: object, y: object) -> object:
    """``x``, or ``y`` when ``x`` is missing."""
    return y if x is None else x


def _last_day(day: date) -> bool:
    return day.day >= 28 and (day + _ONE_DAY).month != day.month  # no month ends before the 28th


_ONE_DAY = timedelta(days=1)


def f_months_between(a: object, b: object) -> int:
    """Whole calendar months from ``a`` to ``b``: a month is complete on the same day of a
    later month, or on the last day of a shorter month (31 January → 28 February is 1)."""
    if type(a) is date and type(b) is date:  # plain dates: the count remembered (hire dates)
        months = _MONTHS.get((a, b))
        if months is None:
            months = _months_between(a, b)
            if len(_MONTHS) >= _SHARES_KEPT:
                _MONTHS.clear()
            _MONTHS[(a, b)] = months
        return months
    start = a if type(a) is date else _day(a, "months_between", 1)  # `_day`, for a plain date
    end = b if type(b) is date else _day(b, "months_between", 2)
    return _months_between(start, end)


_MONTHS: dict[tuple[date, date], int] = {}  # `f_months_between` of plain dates


def _months_between(start: date, end: date) -> int:
    if end < start:
        return -_months_between(end, start)
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day and not _last_day(end):
        months -= 1
    return months


def f_add_months(a: object, n: object) -> date:
    """The same day ``n`` whole months later (earlier if negative), at most the month's last day."""
    start = _day(a, "add_months", 1)
    count = _number(n, "add_months", 2)
    if count != count.to_integral_value():
        raise RowError(f"add_months: {count} is not a whole number of months")
    index = start.year * 12 + start.month - 1 + int(count)
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        bound = "after 9999-12-31" if year > 9999 else "before 0001-01-01"
        raise RowError(f"add_months: the date would be {bound} ({start} and {count} months)")
    last = 31 if month == 12 else (date(year, month + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, last))


def _spec(
    name: str,
    arity: tuple[int, int | None],
    doc: str,
    impl: Callable[..., object] | None,
    text: tuple[int, ...] = (),
) -> FunctionSpec:
    return FunctionSpec(name, arity[0], arity[1], frozenset(text), doc, impl)


BUILTINS: dict[str, FunctionSpec] = {
    s.name: s
    for s in (
        _spec("min", (1, None), "min(a, b, …): the smallest", f_min),
        _spec("max", (1, None), "max(a, b, …): the largest", f_max),
        _spec("clamp", (3, 3), "clamp(x, low, high): x limited to [low, high]", f_clamp),
        _spec("abs", (1, 1), "abs(x): absolute value", f_abs),
        _spec(
            "round_to",
            (2, 3),
            "round_to(x, step, mode): round to a multiple of step (mode half_up by default)",
            f_round_to,
            (2,),
        ),
        _spec("truncate_to", (2, 2), "truncate_to(x, step): cut towards zero", f_truncate_to),
        _spec("days_between", (2, 2), "days_between(a, b): days from a to b", f_days_between),
        _spec(
            "months_between",
            (2, 2),
            "months_between(a, b): whole calendar months from a to b (end-of-month aware)",
            f_months_between,
        ),
        _spec("add_months", (2, 2), "add_months(d, n): the same day n months later", f_add_months),
        _spec("date", (1, 1), "date('2026-07-01'): a date", f_date, (0,)),
        _spec(
            "prorate",
            (2, 4),
            "prorate(start, end, basis, partial): fraction of the period employed",
            f_prorate,
            (2, 3),
        ),
        _spec(
            "fx",
            (3, 5),
            "fx(amount, from, to, rate_type, date): convert with the dated rates",
            None,
            (1, 2, 3),
        ),
        _spec(
            "rating_in",
            (1, 1),
            "rating_in(cycle): the employee's rating in a cycle of the rating history",
            None,
            (0,),
        ),
        _spec(
            "lowest_rating",
            (1, 1),
            "lowest_rating(n): the lowest rating of the n most recent declared cycles",
            None,
        ),
        _spec(
            "ratings_count",
            (0, 0),
            "ratings_count(): how many declared cycles have a rating",
            None,
        ),
        _spec("is_missing", (1, 1), "is_missing(x): x is a missing input", f_is_missing),
        _spec("coalesce", (2, 2), "coalesce(x, y): x, or y when x is missing", f_coalesce),
    )
}

NAMESPACE: dict[str, Callable[..., object]] = {
    f"F_{name}": spec.impl for name, spec in BUILTINS.items() if spec.impl is not None
}
