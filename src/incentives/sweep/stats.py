"""Weighted figures over a sweep's points: the accrual (weighted mean), percentiles, exceedance.

With weights w and totals x over the points:

- mean = Σ w·x ÷ Σ w, rounded half even to the currency's minor unit (the accrual);
- pN = the smallest total whose cumulative weight, totals in ascending order, reaches N % of
  Σ w (the lower weighted quantile: always one of the points' totals, never interpolated);
- P(spend > budget) = Σ w of the points whose spend exceeds the budget ÷ Σ w, rounded half even
  to 4 decimals.

All in exact decimals.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["PERCENTILES", "exceedance", "weighted_mean", "weighted_quantile"]

PERCENTILES = (5, 50, 95)
_WIDE = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation])
_PROBABILITY = Decimal("0.0001")


def weighted_mean(values: Sequence[Decimal], weights: Sequence[Decimal], step: Decimal) -> Decimal:
    """Σ w·x ÷ Σ w, rounded half even to ``step``."""
    with decimal.localcontext(_WIDE):
        total = sum((w * x for w, x in zip(weights, values, strict=True)), Decimal(0))
        return (total / sum(weights, Decimal(0))).quantize(step)


def weighted_quantile(
    values: Sequence[Decimal], weights: Sequence[Decimal], percent: int
) -> Decimal:
    """The smallest value whose cumulative weight reaches ``percent`` % of the total weight."""
    with decimal.localcontext(_WIDE):
        wanted = sum(weights, Decimal(0)) * percent / 100
        running = Decimal(0)
        ordered = sorted(zip(values, weights, strict=True), key=lambda vw: vw[0])
        for value, weight in ordered:
            running += weight
            if running >= wanted:
                return value
        return ordered[-1][0]


def exceedance(flags: Sequence[bool], weights: Sequence[Decimal]) -> Decimal:
    """The weight of the points flagged (spend over budget) ÷ the total weight, to 4 places."""
    with decimal.localcontext(_WIDE):
        over = sum((w for w, f in zip(weights, flags, strict=True) if f), Decimal(0))
        return (over / sum(weights, Decimal(0))).quantize(_PROBABILITY)
