"""An employee scorecard's generated evaluation gives exactly what the general one gives.

`EmployeeScorecard.quick()` (what the generated policy code calls) is code written out for one
scorecard (`runtime.scorecard_fast`); `EmployeeScorecard.__call__` is the general path. Over
any curve (rising or falling, flat or negative segments, capped or extrapolated, on the
attainment or the actual, short or too long to write out), any number of goals (none, up to
the maximum, more), any figures (plain, percent, exponent, zero or negative targets, missing or
unreadable actuals, typed values) and weights (summing to 1 or not, normalised or not), both
give the same score and goal values with the same exponents (compared by `repr`), or the same
rejection (message, column, value, where).
"""

from __future__ import annotations

import decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.errors import RowError
from incentives.model import GoalInput
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.runtime import scorecard
from incentives.rulebook.runtime.curves import CurveSpec, compile_curve
from incentives.rulebook.runtime.scorecard import EmployeeScorecard
from incentives.rulebook.runtime.scorecard_fast import scorecard_source
from strategies import any_curves, employee_goals

REFERENCE_CURVE = CurveSpec.model_validate(
    {"points": [["0.8", "0.5"], ["1.0", "1.0"], ["1.2", "1.5"], ["1.5", "2.0"]], "below": "0"}
)


def _outcome(call: Any, goals: tuple[GoalInput, ...]) -> str:
    """A score and its goal values exact to the exponent, or the rejection in full."""
    try:
        with decimal.localcontext(ENGINE_CONTEXT):
            return repr(call(goals))
    except RowError as exc:
        return f"RowError: {exc} | {exc.column!r} {exc.value!r} {exc.source!r}"
    except (ArithmeticError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _goal(target: object, actual: object, weight: object, direction: object = "higher") -> GoalInput:
    return GoalInput("sales", target, actual, weight, direction, None, "goal1_")


def _same(curve: CurveSpec, max_goals: int, normalise: bool, goals: tuple[GoalInput, ...]) -> None:
    card = EmployeeScorecard("individual", compile_curve("payout", curve), max_goals, normalise)
    assert _outcome(card.quick(), goals) == _outcome(card, goals)


@settings(max_examples=400)
@given(
    curve=any_curves(),
    max_goals=st.integers(1, 5),
    normalise=st.booleans(),
    data=st.data(),
    cold=st.booleans(),
)
def test_the_generated_scorecard_scores_and_rejects_as_the_general_one(
    curve: CurveSpec, max_goals: int, normalise: bool, data: st.DataObject, cold: bool
) -> None:
    """The fast path's score, goal values or rejection are the general path's, digit for digit,
    whether the goal figures were seen before (cached) or not; goals reach the curve's points
    exactly now and then (the branches apart of each segment)."""
    points = compile_curve("payout", curve).xs
    goals = data.draw(employee_goals(max_goals, aims=points))
    if cold:
        scorecard._FIGURES.clear()
    _same(curve, max_goals, normalise, goals)


@pytest.mark.parametrize(
    ("normalise", "goals"),
    [
        (False, (_goal("805", "814", "0.34"), _goal("271", "264", "0.33"), _goal("590", "365", "0.33"))),
        (True, (_goal("0", "5", "1"),)),  # a target of 0
        (False, (_goal("5", None, "1"),)),  # no actual
        (False, (_goal(["5"], "5", "1"),)),  # a figure no converter reads
        (True, (_goal("-4", "-5", "2", "lower"),)),  # a negative target, lower is better
        (False, (_goal("4", "5", "1", "Lower"),)),  # a direction to normalise
        (False, (_goal("4", "6", "0.5"), _goal("4", "6", "0.6"))),  # weights of 110 %
        (True, (_goal("4", "6", "0"), _goal("4", "6", "0.0"))),  # weights of 0
        # normalised weights with an exponent: the sums start at 0 (0 + 1E+1 is 10)
        (True, (_goal("100", "100", "1E+1"), _goal("100", "100", "3E+1"))),
    ],
)
def test_the_generated_scorecard_on_the_reference_curve(
    normalise: bool, goals: tuple[GoalInput, ...]
) -> None:
    """The reference policy's scorecard and the rejections a roster meets most."""
    scorecard._FIGURES.clear()
    _same(REFERENCE_CURVE, 3, normalise, goals)


def test_the_generated_code_is_what_it_says() -> None:
    """The written-out code names its scorecard, writes a short curve as comparisons and calls
    a long one, and hands the general path what it does not score (a reader of a traceback
    finds the branch taken)."""
    short = compile_curve("payout", REFERENCE_CURVE)
    source = scorecard_source("individual", short, 3, False)
    assert "scorecard 'individual'" in source
    assert "CURVE(" not in source and "elif x < K3:" in source
    assert source.count("goals[") == 3 and "return GENERAL(goals)" in source
    points = [[str(i), str(i)] for i in range(12)]
    long = compile_curve("payout", CurveSpec.model_validate({"points": points}))
    assert "p, s = CURVE(x)" in scorecard_source("individual", long, 2, True)
