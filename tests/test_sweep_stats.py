"""The weighted figures of a sweep: what finance reads must not depend on how weights are
scaled, and stays within what the points gave."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from incentives.sweep.stats import exceedance, weighted_mean, weighted_quantile
from strategies import decimals

POINTS = st.lists(
    st.tuples(decimals("0", "1000000", 2), decimals("0.01", "10", 2)), min_size=1, max_size=30
)


@given(POINTS, st.integers(min_value=2, max_value=1000), decimals("0", "1000000", 2))
def test_scaling_the_weights_changes_nothing(
    points: list[tuple[D, D]], factor: int, budget: D
) -> None:
    """Weights 1, 2, 3 and 10, 20, 30 give the same accrual, percentiles and P(over)."""
    values = [v for v, _ in points]
    weights = [w for _, w in points]
    scaled = [w * factor for w in weights]
    cent = D("0.01")
    assert weighted_mean(values, weights, cent) == weighted_mean(values, scaled, cent)
    for percent in (5, 50, 95):
        assert weighted_quantile(values, weights, percent) == weighted_quantile(values, scaled, percent)
    over = [v > budget for v in values]
    assert exceedance(over, weights) == exceedance(over, scaled)


@given(POINTS)
def test_the_figures_lie_within_the_points(points: list[tuple[D, D]]) -> None:
    """The accrual lies between the smallest and largest total; p5 <= p50 <= p95, each one of
    the totals."""
    values = [v for v, _ in points]
    weights = [w for _, w in points]
    assert min(values) <= weighted_mean(values, weights, D("0.01")) <= max(values)
    p5, p50, p95 = (weighted_quantile(values, weights, p) for p in (5, 50, 95))
    assert p5 <= p50 <= p95
    assert {p5, p50, p95} <= set(values)
