"""``earned:`` on a weighted step: the salary earned in the period (docs/policy-language.md,
"Salary earned"), counting only the time employed, on a day or month basis."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from incentives.rulebook.language.values import Text

__all__ = ["EarnedSpec", "earned_is_weighted"]


class EarnedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    from_: Text | None = Field(default=None, alias="from")  # a date formula: the hire date
    to: Text | None = None  # a date formula: the termination date (missing: still employed)
    basis: Literal["actual_days", "months"] = "actual_days"
    # months: how much of a month cut by joining or leaving counts (its days, all of it,
    # none of it, or all of it when employed on the 15th); a change of value inside a month
    # splits the counted part by days
    partial_month: Literal["days", "count", "drop", "fifteenth"] = "days"


def earned_is_weighted(data: Any) -> Any:
    """A step with ``earned:`` is weighted by segments without saying so again."""
    if isinstance(data, dict) and data.get("earned") is not None and "segments" not in data:
        return {**data, "segments": "weighted"}
    return data
