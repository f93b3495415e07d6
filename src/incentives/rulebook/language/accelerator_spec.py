"""``accelerators:`` of a policy file, as written (compiled by `runtime.accelerators`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from incentives.rulebook.language.curve_spec import TierBandSpec
from incentives.rulebook.language.values import Num, Text

__all__ = ["AcceleratorSpec"]


class AcceleratorSpec(BaseModel):
    """``accelerators.<name>``: a sales commission whose attainment band sets the rate.

    ``bands`` are attainment bands (sales ÷ plan). Below plan (a band starting under
    ``plan_at``) a decelerator: the band's rate on all sales. At or above plan: ``base_rate``
    on the sales up to plan, and the accelerator band's rate on the amount above plan (the
    reached band's rate on all of it, or each band's rate on its own slice: ``cumulative``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    base_rate: Num
    bands: list[TierBandSpec] = Field(min_length=1)
    plan_at: Num = Decimal(1)
    mode: Literal["reached", "cumulative"] = "reached"
    description: Text | None = None
