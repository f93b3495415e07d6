"""Payout curves and step tiers: specs, compile-time checks, lookups and explanations."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from incentives.errors import RowError
from incentives.rulebook.language.values import SpecIssues
from incentives.rulebook.runtime.curves import (
    Curve,
    CurveSpec,
    Tiers,
    TierSpec,
    compile_curve,
    compile_tiers,
)
from strategies import attainments, cumulative_tiers, decimals, monotone_curves

D = Decimal

GOAL_POINTS = [["80%", "50%"], ["95%", "100%"], ["105%", "100%"], ["150%", "200%"]]


def curve(points: list[list[str]], name: str = "goal_payout", **extra: Any) -> Curve:
    """Compile a curve from source text, as the loader hands it over."""
    return compile_curve(name, CurveSpec.model_validate({"points": points, **extra}))


def tiers(mode: str = "cumulative", bands: list[tuple[str, str]] | None = None) -> Tiers:
    given_bands = bands or [("0", "5%"), ("100000", "6%"), ("125000", "7%")]
    spec = TierSpec.model_validate(
        {"mode": mode, "bands": [{"from": f, "rate": r} for f, r in given_bands]}
    )
    return compile_tiers("commission", spec)


def issues_of(points: list[list[str]]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(SpecIssues) as caught:
        curve(points)
    return [(i.path, i.message) for i in caught.value.issues]


# ------------------------------------------------------------------------------------- curves


def test_exactly_on_a_point_pays_that_points_payout() -> None:
    """95% is the second point of the goal curve: it pays exactly 100%, in segment 1."""
    assert curve(GOAL_POINTS)(D("0.95")) == (D("1.00"), 1)


def test_the_first_point_is_inclusive() -> None:
    """Exactly the threshold 80% pays the threshold payout 50% (segment 0); a hair below pays 0."""
    goal = curve(GOAL_POINTS)
    assert goal(D("0.80")) == (D("0.50"), 0)
    assert goal(D("0.7999")) == (D("0"), -1)


def test_below_the_threshold_pays_zero_by_default() -> None:
    """70% is worse than the threshold 80%: the payout is `below`, 0 unless declared."""
    assert curve(GOAL_POINTS)(D("0.70")) == (D("0"), -1)


def test_below_the_threshold_pays_a_declared_below() -> None:
    """With ``below: 25%``, 70% (under the 80% threshold) pays 25%."""
    assert curve(GOAL_POINTS, below="25%")(D("0.70")) == (D("0.25"), -1)


def test_a_threshold_payout_of_zero() -> None:
    """Points 80%→0%, 100%→100%: 80% pays 0 (segment 0), 90% pays 0 + 10/20 × 100% = 50%."""
    ramp = curve([["80%", "0%"], ["100%", "100%"]])
    assert ramp(D("0.80")) == (D("0"), 0)
    assert ramp(D("0.90")) == (D("0.5"), 0)


def test_between_points_is_a_straight_line() -> None:
    """80%→50%, 100%→100%: 92% pays 50% + (92 − 80) ÷ (100 − 80) × (100% − 50%) = 80%."""
    payout, segment = curve([["80%", "50%"], ["100%", "100%"]])(D("0.92"))
    assert (payout, segment) == (D("0.8"), 0)


def test_above_the_last_point_caps_by_default() -> None:
    """Points up to 120%→150%: 130% is capped at 150%, segment 2 (= number of points − 1)."""
    capped = curve([["80%", "50%"], ["100%", "100%"], ["120%", "150%"]])
    assert capped(D("1.30")) == (D("1.50"), 2)


def test_above_the_last_point_extrapolates_when_asked() -> None:
    """Extrapolating the last segment 100%→100%, 120%→150%: 130% pays
    100% + (130 − 100) ÷ (120 − 100) × 50% = 175%, segment 2."""
    line = curve([["80%", "50%"], ["100%", "100%"], ["120%", "150%"]], above="extrapolate")
    assert line(D("1.30")) == (D("1.75"), 2)


def test_the_last_point_itself_is_in_the_last_segment() -> None:
    """Exactly 150% (the maximum) pays 200% in segment 2, not 'beyond' (3)."""
    assert curve(GOAL_POINTS)(D("1.50")) == (D("2.00"), 2)


def test_a_decreasing_curve_mirrors_everything() -> None:
    """days_to_close 10→50%, 6→100%, 2→150% (lower is better): 12 days is worse than the
    threshold (0, -1); 10 pays 50%; 8 pays 50% + (8 − 10) ÷ (6 − 10) × 50% = 75%; 1 day is
    capped at 150%, or extrapolated to 150% + (1 − 2) ÷ (2 − 6) × 50% = 162.5%."""
    points = [["10", "50%"], ["6", "100%"], ["2", "150%"]]
    days = curve(points, name="days_to_close", on="value")
    assert days(D(12)) == (D(0), -1)
    assert days(D(10)) == (D("0.50"), 0)
    assert days(D(8)) == (D("0.75"), 0)
    assert days(D(2)) == (D("1.50"), 1)
    assert days(D(1)) == (D("1.50"), 2)
    assert curve(points, above="extrapolate")(D(1)) == (D("1.625"), 2)


def test_a_flat_band_pays_the_same_throughout() -> None:
    """95%→100% and 105%→100% form a flat target band: 100% and 104.99% both pay 100%."""
    goal = curve(GOAL_POINTS)
    assert goal(D("1.00")) == (D("1.00"), 1)
    assert goal(D("1.0499")) == (D("1.00"), 1)


def test_a_target_range_with_its_own_slope() -> None:
    """95%→90%, 105%→110% is a sloped target range: 100% pays 90% + 5/10 × 20% = 100%."""
    sloped = curve([["80%", "50%"], ["95%", "90%"], ["105%", "110%"], ["150%", "200%"]])
    assert sloped(D("1.00")) == (D("1.00"), 1)


def test_integer_inputs_work_like_decimals() -> None:
    """A whole number input 1 is 100%: on the 80%→50%, 100%→100% curve it pays 100%."""
    assert curve([["80%", "50%"], ["100%", "100%"]])(1) == (D("1.00"), 0)


def test_a_missing_input_is_a_row_error() -> None:
    """A missing value (None) rejects the row, naming the curve."""
    with pytest.raises(RowError, match="goal_payout"):
        curve(GOAL_POINTS)(None)


def test_inputs_must_be_strictly_monotone() -> None:
    """80%, 100%, 90% is neither increasing nor decreasing: the third point is reported, and a
    repeated input too; all problems come back together."""
    found = issues_of([["80%", "0%"], ["100%", "1"], ["90%", "2"], ["90%", "3"]])
    assert [path for path, _ in found] == [("points", 2, 0), ("points", 3, 0)]
    assert "strictly increasing" in found[0][1]


def test_a_decreasing_curve_must_keep_decreasing() -> None:
    """10, 5, 7: a lower-is-better curve whose third input goes back up is reported."""
    found = issues_of([["10", "0%"], ["5", "1"], ["7", "2"]])
    assert found[0][0] == ("points", 2, 0)
    assert "strictly decreasing" in found[0][1]


def test_the_spec_needs_two_points_and_a_known_above() -> None:
    """One point, or ``above: linear``, is refused by the schema."""
    with pytest.raises(ValidationError):
        CurveSpec.model_validate({"points": [["80%", "50%"]]})
    with pytest.raises(ValidationError):
        CurveSpec.model_validate({"points": GOAL_POINTS, "above": "linear"})


def test_explain_interpolation() -> None:
    """The explanation shows the straight-line arithmetic with − ÷ × and the result."""
    goal = curve([["80%", "50%"], ["100%", "100%"]])
    value, segment = goal(D("0.92"))
    assert goal.explain([D("0.92")], value, segment) == (
        "goal_payout(92%) = 50% + (92% − 80%) ÷ (100% − 80%) × (100% − 50%) = 80%"
    )


@pytest.mark.parametrize(
    ("x", "text"),
    [
        ("1.00", "goal_payout(100%) = 100% (flat between 95% and 105%)"),
        ("0.70", "goal_payout(70%) = 0% (below the threshold 80%)"),
        ("1.60", "goal_payout(160%) = 200% (capped at the maximum, reached at 150%)"),
        ("0.80", "goal_payout(80%) = 50% (at the threshold 80%)"),
        ("1.50", "goal_payout(150%) = 200% (at the maximum 150%)"),
    ],
)
def test_explain_special_cases(x: str, text: str) -> None:
    """A flat band, below the threshold, capped, and exactly on the first and last points each
    explain themselves in words."""
    goal = curve(GOAL_POINTS)
    value, segment = goal(D(x))
    assert goal.explain([D(x)], value, segment) == text


def test_explain_a_value_curve_prints_plain_inputs() -> None:
    """``on: value`` inputs print as numbers: 8 days on 10→50%, 6→100% pays 75%."""
    days = curve([["10", "50%"], ["6", "100%"]], name="days", on="value")
    value, segment = days(D(8))
    assert days.explain([D(8)], value, segment) == (
        "days(8) = 50% + (8 − 10) ÷ (6 − 10) × (100% − 50%) = 75%"
    )


def test_explain_extrapolation_says_so() -> None:
    """An extrapolated payout shows the last segment's arithmetic and notes the extrapolation."""
    line = curve([["80%", "50%"], ["100%", "100%"]], above="extrapolate")
    value, segment = line(D("1.10"))
    assert line.explain([D("1.10")], value, segment) == (
        "goal_payout(110%) = 50% + (110% − 80%) ÷ (100% − 80%) × (100% − 50%) = 125% "
        "(extrapolated beyond 100%)"
    )


def test_describe_is_json_with_exact_decimals() -> None:
    """The static description is JSON-able, with points as exact decimal strings."""
    described = curve(GOAL_POINTS).describe()
    assert json.loads(json.dumps(described)) == described
    assert described["points"] == [
        ["0.80", "0.50"],
        ["0.95", "1.00"],
        ["1.05", "1.00"],
        ["1.50", "2.00"],
    ]
    assert (described["kind"], described["direction"], described["above"]) == (
        "curve",
        "increasing",
        "cap",
    )


def test_curve_metadata() -> None:
    """A curve takes one argument and returns a percentage."""
    goal = curve(GOAL_POINTS)
    assert (goal.name, goal.arity, goal.type) == ("goal_payout", (1, 1), "percent")


@given(monotone_curves(), st.decimals(min_value=-1, max_value=4, places=4))
def test_payout_is_never_negative(spec: CurveSpec, x: Decimal) -> None:
    """When every payout and `below` are ≥ 0, no input pays less than 0."""
    assert compile_curve("c", spec)(x)[0] >= 0


@given(monotone_curves(above="cap"), st.decimals(min_value=-1, max_value=4, places=4))
def test_a_capped_curve_never_pays_above_its_last_payout(spec: CurveSpec, x: Decimal) -> None:
    """With ``above: cap`` and payouts rising, nothing pays more than the last payout."""
    assert compile_curve("c", spec)(x)[0] <= spec.points[-1][1]


@given(monotone_curves(decreasing=False), attainments(), attainments())
def test_an_increasing_curve_never_pays_less_for_more(
    spec: CurveSpec, a: Decimal, b: Decimal
) -> None:
    """On an increasing curve a higher attainment never pays less."""
    low, high = sorted((a, b))
    goal = compile_curve("c", spec)
    assert goal(low)[0] <= goal(high)[0]


@given(monotone_curves(decreasing=True), attainments(), attainments())
def test_a_decreasing_curve_never_pays_more_for_a_higher_value(
    spec: CurveSpec, a: Decimal, b: Decimal
) -> None:
    """On a lower-is-better curve a higher raw value never pays more."""
    low, high = sorted((a, b))
    goal = compile_curve("c", spec)
    assert goal(low)[0] >= goal(high)[0]


# -------------------------------------------------------------------------------------- tiers


def test_cumulative_tiers() -> None:
    """150,000 on 0/5%, 100,000/6%, 125,000/7%: 5,000 + 1,500 + 1,750 = 8,250, band 2."""
    assert tiers()(D(150000)) == (D(8250), 2)


def test_non_cumulative_tiers() -> None:
    """Non-cumulative: the reached band's 7% on all of 150,000 = 10,500."""
    assert tiers("non_cumulative")(D(150000)) == (D(10500), 2)


def test_tiers_at_a_band_edge() -> None:
    """Exactly 100,000 reaches band 1 with nothing in it yet: 100,000 × 5% = 5,000."""
    assert tiers()(D(100000)) == (D(5000), 1)


def test_below_the_first_band_pays_nothing() -> None:
    """Bands from 10,000: 5,000 pays 0 and reaches no band (-1). Cumulatively only the part
    above 10,000 counts: 30,000 pays 20,000 × 5% = 1,000."""
    above_floor = tiers(bands=[("10000", "5%")])
    assert above_floor(D(5000)) == (D(0), -1)
    assert above_floor(D(30000)) == (D(1000), 0)


def test_explain_tiers() -> None:
    """Cumulative and non-cumulative explanations show each band's part and rate."""
    cumulative = tiers()
    value, band = cumulative(D(150000))
    assert cumulative.explain([D(150000)], value, band) == (
        "commission(150,000) = 100,000 × 5% + 25,000 × 6% + 25,000 × 7% = 8,250"
    )
    flat = tiers("non_cumulative")
    value, band = flat(D(150000))
    assert flat.explain([D(150000)], value, band) == "commission(150,000) = 150,000 × 7% = 10,500"


def test_tier_starts_must_increase() -> None:
    """Bands from 0, 100,000, 100,000, 50,000: bands 3 and 4 are reported, together."""
    with pytest.raises(SpecIssues) as caught:
        tiers(bands=[("0", "1%"), ("100000", "2%"), ("100000", "3%"), ("50000", "4%")])
    assert [i.path for i in caught.value.issues] == [("bands", 2, "from"), ("bands", 3, "from")]
    assert "strictly increasing" in caught.value.issues[0].message


def test_tiers_missing_input_and_metadata() -> None:
    """A missing amount rejects the row; tiers take one argument and return money."""
    commission = tiers()
    with pytest.raises(RowError):
        commission(None)
    assert (commission.arity, commission.type) == ((1, 1), "money")
    described = commission.describe()
    assert json.loads(json.dumps(described)) == described
    assert described["bands"] == [
        {"from": "0", "rate": "0.05"},
        {"from": "100000", "rate": "0.06"},
        {"from": "125000", "rate": "0.07"},
    ]


@given(cumulative_tiers(), decimals("-1000", "800000", 2), decimals("-1000", "800000", 2))
def test_cumulative_tiers_are_monotone(spec: TierSpec, a: Decimal, b: Decimal) -> None:
    """With rates ≥ 0, a larger amount never earns a smaller commission."""
    low, high = sorted((a, b))
    commission = compile_tiers("c", spec)
    assert commission(low)[0] <= commission(high)[0]


@given(cumulative_tiers(), st.data())
def test_cumulative_tiers_are_continuous_at_band_edges(spec: TierSpec, data: st.DataObject) -> None:
    """Just below a band edge the commission is within (highest rate × distance) of the edge's,
    so crossing into a higher band never jumps."""
    commission = compile_tiers("c", spec)
    edge = data.draw(st.sampled_from([b.from_ for b in spec.bands]))
    step = data.draw(decimals("0.01", "10", 2))
    top_rate = max(b.rate for b in spec.bands)
    gap = commission(edge)[0] - commission(edge - step)[0]
    assert 0 <= gap <= top_rate * step
