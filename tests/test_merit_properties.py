"""Properties of the merit order of operations over generated salary ranges and merit matrices.

Each example writes one policy (a range min ≤ midpoint ≤ max in whole hundreds, a 5 × 3 matrix
of min ≤ target ≤ max cells, monotone in rating when asked) and computes a batch of generated
employees under it: the cap, the lump-sum split and the guideline order must hold for every one.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_helpers import compute, policy_yaml
from incentives.engine.calculate import PolicyOutcome

D = Decimal
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def ranges(draw: Any) -> tuple[int, int, int]:
    """(min, midpoint, max) in whole hundreds, min ≤ midpoint ≤ max, min > 0."""
    low = draw(st.integers(100, 1500)) * 100
    mid = low + draw(st.integers(0, 400)) * 100
    high = mid + draw(st.integers(0, 400)) * 100
    return low, mid, high


@st.composite
def cells(draw: Any) -> tuple[int, int, int]:
    """(min, target, max) in tenths of a percent, min ≤ target ≤ max."""
    low = draw(st.integers(0, 60))
    target = low + draw(st.integers(0, 30))
    return low, target, target + draw(st.integers(0, 30))


@st.composite
def matrices(draw: Any, monotone: bool = False) -> list[list[tuple[int, int, int]]]:
    """5 ratings × 3 bands of cells; when ``monotone``, every field grows with the rating."""
    rows = [[draw(cells()) for _ in range(3)] for _ in range(5)]
    if monotone:
        for r in range(1, 5):
            rows[r] = [
                tuple(max(a, b) for a, b in zip(rows[r][b_], rows[r - 1][b_], strict=True))
                for b_ in range(3)
            ]  # type: ignore[misc]
    return rows


def _cell(cell: tuple[int, int, int]) -> str:
    low, target, high = (D(v) / 10 for v in cell)
    return f"{{min: {low}%, target: {target}%, max: {high}%}}"


def policy(salary_range: tuple[int, int, int], matrix: list[list[tuple[int, int, int]]]) -> str:
    """The sample's order of operations on one range and one matrix."""
    low, mid, high = salary_range
    rows = "\n".join("          - [" + ", ".join(_cell(c) for c in r) + "]" for r in matrix)
    body = f"""
    tables:
      salary_range:
        axes:
          - {{name: grade, match: exact, at: [A]}}
        values:
          - {{min: {low}, midpoint: {mid}, max: {high}}}
      merit_matrix:
        axes:
          - {{name: rating, match: exact, at: [1, 2, 3, 4, 5]}}
          - name: compa_ratio
            match: range
            at: [{{from: 0, to: 0.9}}, {{from: 0.9, to: 1.1}}, {{from: 1.1}}]
        values:
{rows}
    steps:
      current_salary: {{formula: base_salary, type: money}}
      merit_compa_ratio: "current_salary / salary_range_midpoint(grade)"
      guideline_min: "merit_matrix_min(rating, merit_compa_ratio)"
      guideline_target: "merit_matrix_target(rating, merit_compa_ratio)"
      guideline_max: "merit_matrix_max(rating, merit_compa_ratio)"
      merit_pct: "clamp(coalesce(proposal, guideline_target), guideline_min, guideline_max)"
      merit_amount: "current_salary * merit_pct"
      top_up: "max(0, 500 - merit_amount) if guideline_target > 0 else 0"
      uncapped_increase: "merit_amount + top_up"
      ceiling: "max(salary_range_max(grade), current_salary)"
      capped_salary: "min(current_salary + uncapped_increase, ceiling)"
      base_increase: "capped_salary - current_salary"
      lump_sum: {{formula: "uncapped_increase - base_increase", type: money}}
      new_salary: "current_salary if base_increase == 0 else min(max(round_to(capped_salary, 100), current_salary), ceiling)"
    pay:
      - {{name: merit_lump_sum, step: lump_sum, pay_code: LUMP}}
    """
    inputs = """
    base_salary: {type: decimal, min: 0}
    grade: {type: text}
    rating: {type: integer}
    proposal: {type: percent, required: false}
    """
    return policy_yaml(body, inputs=inputs, kind="merit")


employees = st.lists(
    st.tuples(
        st.integers(1, 3_000_000).map(lambda c: D(c) / 10),  # salaries with cents up to 300,000
        st.integers(1, 5),
        st.none() | st.integers(-20, 150).map(lambda p: f"{D(p) / 10}%"),
    ),
    min_size=1,
    max_size=15,
)


def _compute(
    tmp_path: Path, text: str, people: list[tuple[Decimal, int, str | None]]
) -> list[PolicyOutcome]:
    rows = [
        {"base_salary": str(s), "grade": "A", "rating": str(r), **({"proposal": p} if p else {})}
        for s, r, p in people
    ]
    found = compute(tmp_path, text, rows)
    assert all(isinstance(po, PolicyOutcome) for po in found), found
    return found  # type: ignore[return-value]


@SETTINGS
@given(salary_range=ranges(), matrix=matrices(), people=employees)
def test_no_new_salary_exceeds_the_range_max_or_the_current_salary(
    tmp_path: Path, salary_range: tuple[int, int, int], matrix: Any, people: Any
) -> None:
    """For any range, matrix, salary, rating and proposal: new salary ≤ max(range max, current
    salary), and never below the current salary."""
    for po in _compute(tmp_path, policy(salary_range, matrix), people):
        current = po.value("current_salary")
        assert po.value("new_salary") <= max(D(salary_range[2]), current)
        assert po.value("new_salary") >= current


@SETTINGS
@given(salary_range=ranges(), matrix=matrices(), people=employees)
def test_base_increase_plus_lump_sum_is_the_uncapped_increase(
    tmp_path: Path, salary_range: tuple[int, int, int], matrix: Any, people: Any
) -> None:
    """Before rounding, base increase + lump sum = uncapped increase exactly, both ≥ 0."""
    for po in _compute(tmp_path, policy(salary_range, matrix), people):
        base, lump = po.value("base_increase"), po.value("lump_sum")
        assert base + lump == po.value("uncapped_increase")
        assert base >= 0 and lump >= 0


@SETTINGS
@given(
    salary_range=ranges(),
    matrix=matrices(monotone=True),
    salaries=st.lists(st.integers(1, 3_000_000).map(lambda c: D(c) / 10), min_size=1, max_size=5),
)
def test_higher_rating_in_the_same_band_never_gets_a_lower_guideline(
    tmp_path: Path, salary_range: tuple[int, int, int], matrix: Any, salaries: list[Decimal]
) -> None:
    """In a matrix monotone in rating, the same salary (same band) with a higher rating gets a
    guideline min, target and max at least as high, and (without proposals) a merit at least as
    high."""
    people = [(s, r, None) for s in salaries for r in range(1, 6)]
    found = _compute(tmp_path, policy(salary_range, matrix), people)
    for i in range(0, len(found), 5):
        by_rating = found[i : i + 5]
        for lower, higher in itertools.pairwise(by_rating):
            for name in ("guideline_min", "guideline_target", "guideline_max", "merit_amount"):
                assert higher.value(name) >= lower.value(name), name
