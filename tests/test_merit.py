"""Merit constructs on small policies written here: range cap and lump sum, band boundaries,
proration at the cut-off, promotion to the new minimum, and bad ranges, bands and proposals.

The policy (`merit_policy`) has one grade range per grade (A: 40,000 / 50,000 / 60,000,
B: 60,000 / 75,000 / 90,000), a matrix Meets × [0, 100 %) 4 %, [100 %, …) 2 % (targets), and the
sample's order of operations: promotion → merit (prorated by months) → minimum 500 → cap →
rounding to 100.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine_helpers import compute, load, policy_yaml
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import PolicyError
from incentives.model import Rejection

D = Decimal

RANGES = """\
          - {min: 40000, midpoint: 50000, max: 60000}
          - {min: 60000, midpoint: 75000, max: 90000}
"""
BANDS = """\
              - {from: 0, to: 1.0}
              - {from: 1.0}
"""


def merit_policy(ranges: str = RANGES, bands: str = BANDS) -> str:
    """A merit policy in the sample's shape, with ``ranges`` rows and ``bands`` of the matrix."""
    body = f"""
    parameters:
      minimum_increase: 500
    tables:
      salary_range:
        axes:
          - {{name: grade, match: exact, at: [A, B]}}
        values:
{ranges}
      merit_matrix:
        axes:
          - {{name: rating, match: exact, at: [3]}}
          - name: compa_ratio
            match: range
            at:
{bands}
        values:
          - [{{min: 3%, target: 4%, max: 5%}}, {{min: 1%, target: 2%, max: 3%}}]
    eligibility:
      - {{name: hired_by_cutoff, rule: "hire_date <= date('2026-10-01')", reason: "Hired after the cut-off"}}
    steps:
      current_salary: {{formula: base_salary, type: money}}
      compa_ratio: "current_salary / salary_range_midpoint(grade)"
      new_range_min: "salary_range_min(coalesce(new_grade, grade))"
      new_range_max: "salary_range_max(coalesce(new_grade, grade))"
      promotion_amount: "min(max(current_salary * 8%, new_range_min - current_salary), current_salary * 20%) if not is_missing(new_grade) else 0"
      after: "current_salary + promotion_amount"
      merit_compa_ratio: "after / salary_range_midpoint(coalesce(new_grade, grade))"
      guideline_min: "merit_matrix_min(rating, merit_compa_ratio)"
      guideline_target: "merit_matrix_target(rating, merit_compa_ratio)"
      guideline_max: "merit_matrix_max(rating, merit_compa_ratio)"
      merit_pct_full_year:
        formula: "clamp(coalesce(proposal, guideline_target), guideline_min, guideline_max)"
        gates:
          - {{when: "not is_missing(proposal) and proposal > 2 * guideline_max", outcome: reject, reason: "Proposal far above the guideline"}}
          - {{when: "not is_missing(proposal) and (proposal < guideline_min or proposal > guideline_max)", outcome: flag, reason: "Proposal clamped"}}
      proration: "prorate(hire_date, missing_date, 'months', 'fifteenth')"
      merit_amount: "after * merit_pct_full_year * proration"
      top_up: "max(0, minimum_increase - merit_amount) if guideline_target > 0 else 0"
      uncapped_increase: "promotion_amount + merit_amount + top_up"
      ceiling: "max(new_range_max, current_salary)"
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
    new_grade: {type: text, required: false}
    rating: {type: integer}
    hire_date: {type: date}
    missing_date: {type: date, required: false}
    proposal: {type: percent, required: false}
    """
    return policy_yaml(body, inputs=inputs, kind="merit")


def row(**cells: str) -> dict[str, str]:
    """A Meets employee of grade A hired in 2020, overridden by ``cells``."""
    return {"base_salary": "50000", "grade": "A", "rating": "3", "hire_date": "2020-01-01", **cells}


def one(tmp_path: Path, **cells: str) -> PolicyOutcome:
    (po,) = compute(tmp_path, merit_policy(), [row(**cells)])
    assert isinstance(po, PolicyOutcome), po
    return po


def test_salary_exactly_at_range_max_gets_only_a_lump_sum(tmp_path: Path) -> None:
    """60,000 = max of A: compa 1.2 → 2 %: 1,200; ceiling max(60,000, 60,000) = 60,000, so base
    increase 0 and lump sum 1,200; the salary stays 60,000."""
    po = one(tmp_path, base_salary="60000")
    assert po.value("base_increase") == 0
    assert po.value("lump_sum") == 1200
    assert po.value("new_salary") == 60000


def test_compa_ratio_on_a_band_boundary_takes_the_upper_band(tmp_path: Path) -> None:
    """50,000 ÷ 50,000 = 1.0 exactly: bands are half-open [0, 1.0) and [1.0, …), so the cell is
    1 / 2 / 3 %, not 3 / 4 / 5 %; 49,999 is in the lower band."""
    at = one(tmp_path, base_salary="50000")
    assert at.value("compa_ratio") == 1
    assert at.value("guideline_target") == D("0.02")
    below = one(tmp_path, base_salary="49999")
    assert below.value("guideline_target") == D("0.04")


def test_proration_at_the_cutoff_date(tmp_path: Path) -> None:
    """Hired on the cut-off 2026-10-01: eligible, months Oct–Dec → 3/12 = 25 %; 50,000 × 2 % × 25 %
    = 250 → minimum 500. Hired 2026-10-02: ineligible with the rule's reason."""
    on = one(tmp_path, hire_date="2026-10-01")
    assert on.eligible
    assert on.value("proration") == D("0.25")
    assert on.value("merit_amount") == 250
    assert on.value("uncapped_increase") == 500
    after = one(tmp_path, hire_date="2026-10-02")
    assert not after.eligible
    assert after.zero_reason == "Hired after the cut-off"


def test_promotion_landing_exactly_on_the_new_minimum(tmp_path: Path) -> None:
    """52,000 A → B: max(52,000 × 8 % = 4,160, 60,000 − 52,000 = 8,000) = 8,000 ≤ 20 % (10,400):
    exactly the B minimum 60,000; then merit at compa 60,000 ÷ 75,000 = 0.8 → 4 %: 2,400."""
    po = one(tmp_path, base_salary="52000", new_grade="B")
    assert po.value("promotion_amount") == 8000
    assert po.value("after") == po.value("new_range_min") == 60000
    assert po.value("merit_amount") == 2400
    assert po.value("new_salary") == 62400


def test_proposal_that_is_not_a_number_is_a_rejected_row(tmp_path: Path) -> None:
    """A proposal 'lots' rejects the row in column proposal, with the value in the reason."""
    (item,) = compute(tmp_path, merit_policy(), [row(proposal="lots")])
    assert isinstance(item, Rejection)
    assert (item.column, item.value) == ("proposal", "lots")
    assert "'lots'" in item.reason


def test_proposal_outside_is_flagged_and_far_outside_rejected(tmp_path: Path) -> None:
    """Cell 1 / 2 / 3 %: 2.5 % is used; 5 % is flagged and clamped to 3 %; 7 % (> 2 × 3 %) rejects
    the row with the gate's reason."""
    assert one(tmp_path, proposal="2.5%").value("merit_pct_full_year") == D("0.025")
    flagged = one(tmp_path, proposal="5%")
    assert flagged.value("merit_pct_full_year") == D("0.03")
    assert flagged.notes == "Proposal clamped"
    (item,) = compute(tmp_path, merit_policy(), [row(proposal="7%")])
    assert isinstance(item, Rejection)
    assert "Proposal far above the guideline" in item.reason


def test_range_with_min_above_max_is_an_error_at_load(tmp_path: Path) -> None:
    """A range cell {min 70,000, midpoint 65,000, max 60,000}: the policy does not load, and the
    message names the cell and the figures."""
    bad = """\
          - {min: 70000, midpoint: 65000, max: 60000}
          - {min: 60000, midpoint: 75000, max: 90000}
"""
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, merit_policy(ranges=bad))
    message = str(caught.value)
    assert "salary_range" in message
    assert "min ≤ midpoint ≤ max does not hold" in message


def test_overlapping_matrix_bands_are_an_error_at_load(tmp_path: Path) -> None:
    """Bands [0, 1.05) and [1.0, …) overlap: the policy does not load and says so."""
    bad = """\
              - {from: 0, to: 1.05}
              - {from: 1.0}
"""
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, merit_policy(bands=bad))
    message = str(caught.value)
    assert "merit_matrix" in message
    assert "overlap" in message
