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

import csv
import decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, RATES, RULES, invoke
from engine_helpers import policy_yaml
from incentives.errors import RowError
from incentives.io import run_outputs
from incentives.io.trace_cells import goal_cells
from incentives.model import GoalInput
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.runtime import scorecard
from incentives.rulebook.runtime.curves import CurveSpec, compile_curve
from incentives.rulebook.runtime.scorecard import EmployeeScorecard
from incentives.rulebook.runtime.scorecard_fast import scorecard_source
from strategies import any_curves, employee_goals

GOALS_FILE = FIXTURES / "goals.csv"
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
    # the score alone (the first pass's functions): the score of both, or the same rejection
    whole = _outcome(card, goals)
    alone = _outcome(card.quick_score(), goals)
    assert alone == (_outcome(lambda g: card(g)[0], goals) if whole.startswith("(") else whole)


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


def _run_folder(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _runs(tmp_path: Path, *args: str | Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The run folder of ``incentives run ARGS`` with the scorecard fast paths, and without
    them (each scorecard called as `__call__`, its goal cells made by `goal_cells`)."""
    folders = []
    for general in (False, True):
        out = tmp_path / f"out-{general}"
        with pytest.MonkeyPatch.context() as patch:
            if general:
                patch.setattr(EmployeeScorecard, "quick", lambda self: self)
                patch.setattr(
                    run_outputs,
                    "goal_cells_of",
                    lambda namespace, width: partial(goal_cells(namespace), width=width),
                )
            run = invoke("run", *args, "--out", out, "--force")
        assert run.exception is None and run.exit_code in (0, 3), run.output
        folders.append(_run_folder(out))
    return folders[0], folders[1]


@pytest.mark.parametrize("goals_file", [False, True])
def test_the_sample_run_is_the_same_without_the_scorecard_fast_paths(
    tmp_path: Path, goals_file: bool
) -> None:
    """The bundled sample, goals from roster columns or from a goals file: every file of the
    run folder (breakdown, results, rejections, manifest) is the same byte for byte."""
    roster = ["--employees", FIXTURES / "employees.csv"]
    if goals_file:
        roster = ["--employees", FIXTURES / "employees_goalsfile.csv", "--goals", GOALS_FILE]
    fast, general = _runs(tmp_path, "--rules", RULES, *roster, "--rates", RATES)
    assert fast == general


CARD_POLICY = """\
curves:
  goal_payout:
    points: {points}
    below: {below}
    above: {above}
    on: {on}
scorecards:
  individual:
    scope: employee
    max_goals: {max_goals}
    curve: goal_payout
    normalise: {normalise}
steps:
  award:
    formula: "base_salary * individual"
    type: money
pay:
  - {{name: bonus, step: award, pay_code: BONUS}}
"""


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@settings(max_examples=5, deadline=None)
@given(
    curve=any_curves(),
    max_goals=st.integers(1, 4),
    normalise=st.booleans(),
    data=st.data(),
)
def test_a_run_of_any_scorecard_is_the_same_without_its_fast_paths(
    tmp_path_factory: pytest.TempPathFactory,
    curve: CurveSpec,
    max_goals: int,
    normalise: bool,
    data: st.DataObject,
) -> None:
    """A policy paying salary × scorecard in JPY (no minor unit), USD (cents) and BHD (three
    decimals), over a roster of goal columns (figures of every kind, weights that do and do
    not add up): the run folder is the same byte for byte without the fast paths."""
    tmp_path = tmp_path_factory.mktemp("card")
    points = compile_curve("payout", curve).xs
    rules = tmp_path / "rules"
    rules.mkdir()
    body = CARD_POLICY.format(
        points=[[str(x), str(y)] for x, y in curve.points],
        below=curve.below,
        above=curve.above,
        on=curve.on,
        max_goals=max_goals,
        normalise=str(normalise).lower(),
    )
    inputs = "base_salary: {type: decimal, min: 0}\n"
    (rules / "card.yaml").write_text(policy_yaml(body, inputs=inputs), encoding="utf-8")
    parts = ("name", "target", "actual", "weight", "direction")
    header = ["employee_id", "plan", "currency", "base_salary"]
    header += [f"goal{i}_{part}" for i in range(1, max_goals + 1) for part in parts]
    rows = []
    for number in range(1, 7):
        goals = data.draw(employee_goals(max_goals, aims=points).filter(lambda g: len(g) <= max_goals))
        row = [f"E{number}", "AIP", ["JPY", "USD", "BHD"][number % 3], "123456.789"]
        for i in range(max_goals):
            goal = goals[i] if i < len(goals) else None
            row += [_cell(goal[field]) if goal else "" for field in (0, 1, 2, 3, 4)]
        rows.append(row)
    roster = tmp_path / "employees.csv"
    with roster.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    fast, general = _runs(tmp_path, "--rules", rules, "--employees", roster)
    assert fast == general
