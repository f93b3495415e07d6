"""Parts of a plan result beyond its figures: a committee's adjustment of the reported actual.

A plan discloses the actual as reported (EBITDA 104) and the committee's adjustment (the gain
on a sale excluded: −6, or "we use 98"), each with its reason. Both are kept: the adjusted
actual is the one scored, and the run's record and `explain` show the reported one beside it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from incentives.rulebook.language.values import Num, Text

__all__ = ["AdjustmentSpec"]


class AdjustmentSpec(BaseModel):
    """``adjustment: {amount: -6, reason: ...}`` (added to the reported actual) or
    ``adjustment: {to: 98, reason: ...}`` (replacing it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
