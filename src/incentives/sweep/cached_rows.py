"""A calculation that converts each roster row once for a whole sweep, not once per point.

What a row converts to (its typed values), which policies cover it, the segments its dated
history cuts and its employee scorecards (its goals scored) depend on the row alone, never on
plan results: `RowCache` keeps them, by roster record (a scorecard by the identity of the row's
goals), for every point of a sweep evaluated in this process (a forked worker inherits what the
parent's baseline evaluation filled in). Only the rest of the policies' evaluation runs again
at each point. The values are read, never written, by the generated code, so one list serves
every point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incentives.engine.calculate import Calculation
from incentives.model import EmployeeInput, Exclusion, Rejection
from incentives.rulebook.runtime.contract import SCORECARD
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
        # per (policy, employee scorecard): by id of a row's goals, (the goals, their score)
        self.scores: dict[tuple[str, str], dict[int, tuple[object, Any]]] = {}


class CachedCalculation(Calculation):
    """`Calculation` reading rows' conversions, segments and scorecards through a shared
    `RowCache` (`share`)."""

    row_cache: RowCache

    def share(self, cache: RowCache) -> None:
        """Read through ``cache`` from now on; each policy's employee scorecards (bound for this
        calculation) remembered in it."""
        self.row_cache = cache
        for bound in self.bound:
            namespace = bound.evaluate.__globals__  # what the generated functions read
            for name in bound.policy.scorecards:
                kept = cache.scores.setdefault((bound.policy.id, name), {})
                namespace[SCORECARD + name] = _remembered(namespace[SCORECARD + name], kept)

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


def _remembered(score: Callable[[Any], Any], kept: dict[int, tuple[object, Any]]) -> Any:
    """``score`` (an employee scorecard: a row's goals → its value and goal outcomes, reading
    nothing else, no plan result) remembered by the identity of the goals, which are the same
    objects at every point of a sweep (the rows are read once). Goals it cannot score raise
    each time, as they would without the memo."""

    def scored(goals: Any) -> Any:
        hit = kept.get(id(goals))
        if hit is not None and hit[0] is goals:
            return hit[1]
        found = score(goals)
        kept[id(goals)] = (goals, found)  # the goals kept alive: their id is not reused
        return found

    return scored
