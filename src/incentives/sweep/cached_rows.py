"""A calculation that converts each roster row once for a whole sweep, not once per point.

What a row converts to (its typed values), which policies cover it and the segments its
dated history cuts depend on the row alone, never on plan results: `RowCache` keeps them, by
roster record, for every point of a sweep evaluated in this process (a forked worker inherits
what the parent's baseline evaluation filled in). Only the policies' own evaluation runs again
at each point. The values are read, never written, by the generated code, so one list serves
every point.
"""

from __future__ import annotations

from typing import Any

from incentives.engine.calculate import Calculation
from incentives.model import EmployeeInput, Exclusion, Rejection
from incentives.rulebook.runtime.policy import BoundPolicy
from incentives.rulebook.runtime.weighted import Segment

__all__ = ["CachedCalculation", "RowCache"]

_Found = tuple[list[Any], tuple[BoundPolicy, ...], tuple[Exclusion, ...]]


class RowCache:
    """Per (record, pass fields, described): the converted values, the covering policies as a
    mask of their places, the exclusions, or the row's rejection; per (record, policy): the
    segments of the policy's period."""

    def __init__(self) -> None:
        self.values: dict[tuple[int, str, bool], Any] = {}
        self.segments: dict[tuple[int, str], Any] = {}


class CachedCalculation(Calculation):
    """`Calculation` reading rows' conversions and segments through a shared `RowCache`."""

    row_cache: RowCache

    def _values(self, emp: EmployeeInput, stage: str, why: bool = True) -> _Found | Rejection:
        key = (emp.source.record, stage, why)
        hit = self.row_cache.values.get(key)
        if hit is None:
            found = super()._values(emp, stage, why)
            if isinstance(found, Rejection):
                self.row_cache.values[key] = found
                return found
            values, covering, exclusions = found
            mask = sum(bit for bit, bound in self._bits if any(bound is c for c in covering))
            self.row_cache.values[key] = (values, mask, exclusions)
            return found
        if isinstance(hit, Rejection):
            return hit
        values, mask, exclusions = hit
        found_mask = self._coverage.get(mask)
        if found_mask is None:
            found_mask = self._coverage[mask] = self._coverage_of(mask)
        return values, found_mask[0], exclusions

    def _segments(
        self, item: EmployeeInput, policy_id: str, built: dict[object, Any]
    ) -> tuple[Segment, ...] | Rejection | None:
        key = (item.source.record, policy_id)
        cache = self.row_cache.segments
        if key in cache:
            return cache[key]  # type: ignore[no-any-return]
        found = super()._segments(item, policy_id, built)
        cache[key] = found
        return found
