"""An employee's dated history → the segments of a performance period (`Segment`s).

    history = read_history(emp, converters)          # once per employee; or a Rejection
    segments = period_segments(emp, history, start, end)   # per period; or a Rejection

Boundaries are the period start, every effective date inside the period after the start, and
the period end (ends inclusive, actual days). A row dated on or before the start gives the value
in force at the start. In a segment an input takes the value of the latest row dated on or before
the segment's start that sets it, else its roster value (so a segment's ``values`` hold only
what the history sets). Each fault rejects the employee with a precise reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

from incentives.model import EmployeeInput, HistoryRow, Rejection
from incentives.rulebook.language.fields import Converter
from incentives.rulebook.language.values import parse_iso_date
from incentives.rulebook.runtime.weighted import Segment

__all__ = ["DatedChange", "period_segments", "read_history"]

_DAY = datetime.timedelta(days=1)
_new = tuple.__new__  # a named tuple built from its fields without its Python-level __new__
# histories repeat their dates and segment lengths: each parsed (or reduced) once, up to
_REMEMBERED = 4096  # of each
_DATES: dict[str, datetime.date] = {}  # effective date text → the date
_SHARES: dict[tuple[int, int], Fraction] = {}  # (days, period days) → the period's share


def _effective_date(text: str) -> datetime.date:
    """`parse_iso_date`, remembering what it accepted (a refused text raises every time)."""
    found = _DATES.get(text)
    if found is None:
        found = parse_iso_date(text)
        if len(_DATES) < _REMEMBERED:
            _DATES[text] = found
    return found


class DatedChange(NamedTuple):
    """One history row, read: its date, its converted values, the line it came from. A named
    tuple (as the rows read are): one is built per dated change of an employee per pass."""

    effective: datetime.date
    values: Mapping[str, object]
    line: int


def read_history(
    emp: EmployeeInput, converters: Mapping[str, Converter]
) -> tuple[DatedChange, ...] | Rejection:
    """Dates (ISO, strictly ascending in the file) and values (by the field converters)."""
    found: list[DatedChange] = []
    # per column, the last value the history gives it, its line and its text as written
    last: dict[str, tuple[object, int, object]] = {}
    before: DatedChange | None = None
    for row in emp.history:
        source = row.source
        line = source.line if source else 0
        text = row.effective
        effective = _DATES.get(text) if text.__class__ is str else None  # (usual: a date seen)
        if effective is None:
            try:
                effective = _effective_date(str(text))
            except ValueError as exc:
                return _reject(emp, row, "effective_date", str(text), f"line {line}: {exc}")
        if before is not None and effective <= before.effective:
            reason = (
                f"two history rows dated {effective} (lines {before.line} and {line})"
                if effective == before.effective
                else f"history dates out of order: {effective} (line {line}) comes after "
                f"{before.effective} (line {before.line})"
            )
            return _reject(emp, row, "effective_date", str(text), reason)
        values: dict[str, object] = {}
        for column, raw in row.values.items():
            convert = converters.get(column)
            if convert is None:
                return _reject(
                    emp, row, column, str(raw), f"column {column} is not an input of any policy"
                )
            try:
                value = values[column] = convert(raw)
            except ValueError as exc:
                return _reject(emp, row, column, str(raw), f"line {line}, column {column}: {exc}")
            last[column] = (value, line, raw)
        before = _new(DatedChange, (effective, MappingProxyType(values), line))
        found.append(before)
    return _agrees_with_roster(emp, found, converters, last)


def _agrees_with_roster(
    emp: EmployeeInput,
    found: list[DatedChange],
    converters: Mapping[str, Converter],
    last: Mapping[str, tuple[object, int, object]],
) -> tuple[DatedChange, ...] | Rejection:
    """The roster holds the current values: the last value the history gives a field (``last``:
    per column, that value, its line and its text) must be the roster's, or the two files
    disagree about the employee (never silently one of them)."""
    cells = emp.cells
    for column, (value, line, text) in last.items():
        raw = cells.get(column)
        if raw == text and raw.__class__ is str and text.__class__ is str:
            continue  # the same text as the history's: the same value (one converter)
        try:
            current = converters[column](raw) if raw not in (None, "") else None
        except ValueError:
            continue  # the roster cell itself is rejected with its own reason
        if current is not None and current != value:
            row = emp.history[[c.line for c in found].index(line)]
            return _reject(
                emp,
                row,
                column,
                str(value),
                f"line {line}: {column} {value} is the last value the history gives, but the "
                f"roster has {current}; the roster holds the current values and the history "
                "the values in force before them",
            )
    return tuple(found)


def period_segments(
    emp: EmployeeInput,
    history: tuple[DatedChange, ...],
    start: datetime.date,
    end: datetime.date,
) -> tuple[Segment, ...] | Rejection:
    """The segments of the period ``start``..``end`` (inclusive) under ``history``."""
    if history and history[-1].effective > end:
        late = next(change for change in history if change.effective > end)
        row = emp.history[history.index(late)]
        return _reject(
            emp,
            row,
            "effective_date",
            late.effective.isoformat(),
            f"history row dated {late.effective} is after the performance period, which ends {end}",
        )
    period_days = (end - start).days + 1
    in_force: dict[str, object] = {}
    segments = []
    first = start  # the start of the segment the next change ends
    for change in history:
        effective = change.effective
        if effective <= start:
            in_force.update(change.values.items())
            continue
        segments.append(_segment(first, effective - _DAY, period_days, in_force))
        first = effective
        in_force = {**in_force, **change.values}
    segments.append(_segment(first, end, period_days, in_force))
    return tuple(segments)


def _segment(
    first: datetime.date, last: datetime.date, period_days: int, in_force: dict[str, object]
) -> Segment:
    """The segment from ``first`` to ``last`` (inclusive) of a period of ``period_days`` days,
    with the values ``in_force`` (a dictionary of its own, never changed after)."""
    days = (last - first).days + 1
    share = _SHARES.get((days, period_days))
    if share is None:
        share = Fraction(days, period_days)
        if len(_SHARES) < _REMEMBERED:
            _SHARES[(days, period_days)] = share
    return Segment(first, last, days, share, MappingProxyType(in_force))


def _reject(emp: EmployeeInput, row: HistoryRow, column: str, value: str, reason: str) -> Rejection:
    """The employee rejected for a fault of one of its history rows (file named in the reason)."""
    file = row.source.file if row.source else "history"
    src = emp.source
    return Rejection(
        src.file, src.record, src.line, emp.employee_id, column, value, f"{file}: {reason}"
    )
