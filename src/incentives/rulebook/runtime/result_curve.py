"""A plan result's payout curve: three payouts read at its threshold, target and maximum, or
the [actual, payout] points the plan lists (as many as it has)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from incentives.rulebook.language.result_spec import is_points
from incentives.rulebook.runtime.curves import Curve, CurveSpec, compile_curve

__all__ = ["result_curve", "result_points"]


def result_points(
    payout: Sequence[Any],
    threshold: Decimal | None,
    target: Decimal | None,
    maximum: Decimal | None,
) -> list[tuple[Decimal, Decimal]]:
    """The curve's points: the listed pairs, or the three payouts at the three figures."""
    if is_points(payout):
        return [(x, y) for x, y in payout]
    assert threshold is not None and target is not None and maximum is not None
    return [(threshold, payout[0]), (target, payout[1]), (maximum, payout[2])]


def result_curve(
    name: str,
    payout: Sequence[Any] | None,
    threshold: Decimal | None,
    target: Decimal | None,
    maximum: Decimal | None,
) -> Curve:
    """The compiled curve (raises `SpecIssues` for points out of order)."""
    assert payout is not None
    return compile_curve(name, CurveSpec(points=result_points(payout, threshold, target, maximum)))
