"""Parts of a plan result beyond its figures: a committee's adjustment of the reported actual,
and a payout curve of any number of points.

A plan discloses the actual as reported (EBITDA 104) and the committee's adjustment (the gain
on a sale excluded: −6, or "we use 98"), each with its reason. Both are kept: the adjusted
actual is the one scored, and the run's record and `explain` show the reported one beside it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from incentives.rulebook.language.values import Num, Text

__all__ = ["AdjustmentSpec", "RankSpec", "check_result_payout", "is_points"]


def is_points(payout: object) -> bool:
    """Whether a result's ``payout:`` lists [actual, payout] points (not three payouts)."""
    return isinstance(payout, list) and bool(payout) and isinstance(payout[0], (list, tuple))


def check_result_payout(value: object) -> object:
    """A result's ``payout:`` as written: three payouts (at threshold, target and maximum), or
    two or more ``[actual, payout]`` points, as many as the plan lists (any other shape: a
    ValueError saying which two shapes are accepted)."""
    if not isinstance(value, list):
        return value
    pairs = [isinstance(item, (list, tuple)) for item in value]
    if any(pairs) and not (all(pairs) and len(value) >= 2 and all(len(i) == 2 for i in value)):
        raise ValueError(
            "a payout curve lists [actual, payout] points, two or more, each a pair "
            "(e.g. [[90, 50%], [95, 75%], [100, 100%], [120, 200%]])"
        )
    if not any(pairs) and len(value) != 3:
        raise ValueError(
            f"'payout:' lists {len(value)} payouts; three payouts are read at the threshold, "
            "target and maximum, and any other number of points is written as [actual, payout] "
            "pairs (e.g. [[90, 50%], [95, 75%], [100, 100%], [120, 200%]])"
        )
    return value


class AdjustmentSpec(BaseModel):
    """``adjustment: {amount: -6, reason: ...}`` (added to the reported actual) or
    ``adjustment: {to: 98, reason: ...}`` (replacing it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    amount: Num | None = None
    to: Num | None = None
    reason: Text

    @model_validator(mode="after")
    def _one_way(self) -> AdjustmentSpec:
        if (self.amount is None) == (self.to is None):
            raise ValueError(
                "an adjustment gives either 'amount' (added to the reported actual) or 'to' "
                "(the adjusted actual that replaces it), with its 'reason'"
            )
        return self


class RankSpec(BaseModel):
    """``rank:`` of a result whose actual is a percentile rank within a peer group (relative
    TSR): ranked from ``value`` and ``peers`` (inline, or ``peer`` rows of --results), or a
    disclosed percentile (the result's ``actual``) with ``value`` only for the negative cap."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    value: Num | None = None  # the company's own value (its TSR); --results field rank_value
    peers: dict[str, Num] | list[Num] | None = None
    method: Literal["inclusive", "exclusive"] = "inclusive"
    company: Literal["included", "excluded"] = "included"
    interpolate: bool = True
    negative_cap: Num | None = None  # the most the result pays when the company's value < 0
