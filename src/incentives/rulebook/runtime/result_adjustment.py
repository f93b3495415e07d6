"""A committee's adjustment of a plan result's reported actual, applied once per run.

The adjusted actual is the one scored (attainment, curve, ``X`` in formulas); the record keeps
the reported actual, the adjustment and its reason beside it, which `explain` prints as read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incentives.errors import OptionsError
from incentives.rulebook.language.result_spec import AdjustmentSpec

__all__ = ["adjust"]


def adjust(
    where: str, reported: Decimal | None, adjustment: AdjustmentSpec | None
) -> tuple[Decimal | None, dict[str, Any]]:
    """The actual to score and the record of the adjustment (empty when there is none).

    ``amount`` is added to the reported actual; ``to`` replaces it (the amount recorded is
    then the difference, when a reported actual is known)."""
    if adjustment is None:
        return reported, {}
    if adjustment.to is not None:
        adjusted = adjustment.to
    elif reported is None:
        raise OptionsError(
            f"{where} adjusts its actual by {adjustment.amount} and has no reported actual; "
            "give the actual (in the policy or in --results), or state the adjusted one "
            "with 'adjustment: {to: ...}'"
        )
    else:
        assert adjustment.amount is not None
        adjusted = reported + adjustment.amount
    return adjusted, {
        "reported_actual": reported,
        "adjustment": None if reported is None else adjusted - reported,
        "adjustment_replaces": adjustment.to is not None,
        "adjustment_reason": adjustment.reason,
    }
