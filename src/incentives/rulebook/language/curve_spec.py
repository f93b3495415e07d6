"""``curves:`` and ``tiers:`` of a policy file, as written (compiled by `runtime.curves`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from incentives.rulebook.language.values import Num, Text

__all__ = ["CurveSpec", "TierBandSpec", "TierSpec"]

_ZERO = Decimal(0)


class CurveSpec(BaseModel):
    """``curves.<name>`` in a policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    points: list[tuple[Num, Num]] = Field(min_length=2)
    below: Num = _ZERO
    above: Literal["cap", "extrapolate"] = "cap"
    on: Literal["attainment", "value"] = "attainment"
    description: Text | None = None


class TierBandSpec(BaseModel):
    """One band of a tier schedule: ``{from: 100000, rate: 6%}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    from_: Num = Field(alias="from")
    rate: Num


class TierSpec(BaseModel):
    """``tiers.<name>`` in a policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    mode: Literal["cumulative", "non_cumulative"]
    bands: list[TierBandSpec] = Field(min_length=1)
    description: Text | None = None
