"""The segments of an employee's performance period, and weighing a step over them.

A history of dated changes splits the period into `Segment`s (`incentives.engine.segments`);
the generated code of a weighted step evaluates its formula once per segment and calls
`weigh` (``WEIGH_SEGMENTS``, see `contract`) for the step's value and its trace.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["Segment", "SegmentTrace", "weigh", "weigh_value"]


@attrs.frozen
class Segment:
    """One stretch of the performance period with the same inputs: ``start`` to ``end``
    (both inclusive), its ``days``, its exact ``weight`` (days ÷ period days) and ``values``,
    the inputs the history sets in it (input name to converted value)."""

    start: datetime.date
    end: datetime.date
    days: int
    weight: Fraction
    values: Mapping[str, object]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with ``values`` as a plain dict, read-only again on arrival: a worker
        process sends a pool member's segments to the parent, and pickle cannot copy the
        read-only view (``MappingProxyType``) the segments are built with."""
        return (_segment, (self.start, self.end, self.days, self.weight, dict(self.values)))


def _segment(
    start: datetime.date, end: datetime.date, days: int, weight: Fraction, values: dict[str, object]
) -> Segment:
    return Segment(start, end, days, weight, MappingProxyType(values))


# One segment of a weighted step's trace: (start, end, days, weight, value, changed inputs)
SegmentTrace = tuple[datetime.date, datetime.date, int, Fraction, Any, tuple[tuple[str, Any], ...]]


def weigh(
    segments: Sequence[Segment], values: Sequence[Any], reads: tuple[str, ...]
) -> tuple[Any, tuple[SegmentTrace, ...]]:
    """Σ value × days ÷ period days, and the trace of each segment (with the inputs it read
    that the history set). One division at the end, so a constant weighs to itself exactly."""
    trace = tuple(
        (
            seg.start,
            seg.end,
            seg.days,
            seg.weight,
            value,
            tuple((n, seg.values[n]) for n in reads if n in seg.values),
        )
        for seg, value in zip(segments, values, strict=True)
    )
    return weigh_value(segments, values), trace


def weigh_value(segments: Sequence[Segment], values: Sequence[Any]) -> Any:
    """`weigh`'s value without its trace (``WEIGH_VALUE``: the first pass's functions)."""
    total = sum(value * seg.days for seg, value in zip(segments, values, strict=True))
    period_days = sum(seg.days for seg in segments)
    return total / period_days
