"""The peer benchmark's reference policy in our language (bench/reference/): hand-computed
employees on the clarifications' edges, so that the policy keeps meaning what
bench-baseline/REFERENCE_POLICY.md says without the baseline's folder at hand
(bench/reference_check.py compares it with impl_plain.py on whole rosters).

Target % by level 1..6: 5, 8, 10, 15, 20, 30 %; rating multiplier 0, 0.5, 1, 1.25, 1.5; goal
curve through (0.8, 0.5), (1.0, 1.0), (1.2, 1.5), (1.5, 2.0); company factor 1.10; merit % by
rating × compa-ratio band [0, 0.90), [0.90, 1.10), [1.10, …); money rounded by M6 (half up to 6
decimals, then to the cent).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine_helpers import run
from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.model import GoalInput
from incentives.rulebook.rulebook import Rulebook, load_rules

D = Decimal
POLICY = Path(__file__).resolve().parent.parent / "bench" / "reference"


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return load_rules(POLICY)


def goals(*triples: tuple[str, str, str]) -> tuple[GoalInput, ...]:
    """Goals as the generator writes them: integer target and actual, a weight like 0.34."""
    return tuple(
        GoalInput(f"goal{i}", target, actual, weight, column_prefix=f"goal{i}_")
        for i, (target, actual, weight) in enumerate(triples, 1)
    )


def reference(
    rulebook: Rulebook, row: dict[str, object], *triples: tuple[str, str, str]
) -> dict[str, PolicyOutcome]:
    """One employee's outcomes by policy kind."""
    _, items = run(rulebook, [row], goals={str(row["employee_id"]): goals(*triples)})
    (item,) = items
    assert isinstance(item, EmployeeOutcome), item
    return {po.policy.kind: po for po in item.outcomes}


def baseline_columns(outcomes: dict[str, PolicyOutcome]) -> tuple[object, ...]:
    """The baseline's bonus, merit_pct (a fraction here), new_salary, lump_sum, promotion."""
    merit = outcomes["merit"]
    return (
        outcomes["bonus"].value("pay.bonus"),
        merit.value("merit_pct"),
        merit.value("new_salary"),
        merit.value("pay.lump_sum"),
        outcomes["promotion"].ready,
    )


def test_a_2026_hire_on_the_tenure_edge_with_a_goal_at_the_threshold(rulebook: Rulebook) -> None:
    """Level 3, base 100,000 at the midpoint (compa 1.0, band B), rating 4, hired 2026-03-15:
    proration (2026-12-31 − 2026-03-15 + 1) ÷ 365 = 292 ÷ 365 = 0.8, tenure on 2027-03-15 exactly
    365 days (eligible). Goals 80/100 (exactly the 0.8 threshold: 0.5), 200/200 (1.0),
    150/100 (2.0): 0.5 × 0.5 + 0.3 × 1 + 0.2 × 2 = 0.95. Bonus 100,000 × 10 % × 1.25 × 0.95 ×
    1.10 × 0.8 = 10,450.00; merit 5 % → 105,000.00, under the cap 120,000."""
    row = {
        "employee_id": "A", "level": "3", "currency": "USD", "base_salary": "100000.00",
        "hire_date": "2026-03-15", "rating": "4", "range_mid": "100000.00",
    }  # fmt: skip
    found = reference(rulebook, row, ("100", "80", "0.50"), ("200", "200", "0.30"),
                      ("100", "150", "0.20"))  # fmt: skip
    assert found["bonus"].value("proration") == D("0.8")
    assert found["bonus"].value("goal_factor") == D("0.95")
    assert found["promotion"].value("tenure_days") == 365
    assert baseline_columns(found) == (D("10450.00"), D("0.05"), D("105000.00"), D("0.00"), True)


def test_both_caps_bind_at_the_top_level(rulebook: Rulebook) -> None:
    """Level 6, range midpoint 225,000, base 270,000 = 1.2 × midpoint (band C), rating 5, every
    goal at 150 % or more (factor 2.0): raw bonus 270,000 × 30 % × 1.5 × 2 × 1.10 = 267,300,
    capped before rounding at 2 × 81,000 = 162,000.00. Merit 4 % → 280,800.00 above the salary
    cap 270,000.00: the 10,800.00 above it is the lump sum. Level 6: not promotion eligible."""
    row = {
        "employee_id": "B", "level": "6", "currency": "EUR", "base_salary": "270000.00",
        "hire_date": "2010-01-01", "rating": "5", "range_mid": "225000.00",
    }  # fmt: skip
    found = reference(rulebook, row, ("100", "150", "0.50"), ("100", "190", "0.30"),
                      ("100", "200", "0.20"))  # fmt: skip
    assert found["bonus"].value("bonus_m6.raw") == D("267300")
    assert baseline_columns(found) == (
        D("162000.00"), D("0.04"), D("270000.00"), D("10800.00"), False,
    )  # fmt: skip
    assert found["promotion"].gaps == "At the top level (6)"


def test_a_day_short_of_tenure_and_compa_exactly_090(rulebook: Rulebook) -> None:
    """Level 2, base 70,200 = 0.90 × 78,000 (band B, not A), rating 4, hired 2026-03-16: 364
    days of tenure (not eligible), proration 291 ÷ 365. Goals 12/10 (1.5), 10/10 (1.0), 7/10
    (below 0.8: 0): 0.34 × 1.5 + 0.33 = 0.84. Bonus 70,200 × 8 % × 1.25 × 0.84 × 1.10 × 291 ÷ 365
    = 5,171.41282… → 5,171.41; merit 5 % → 73,710.00."""
    row = {
        "employee_id": "C", "level": "2", "currency": "GBP", "base_salary": "70200.00",
        "hire_date": "2026-03-16", "rating": "4", "range_mid": "78000.00",
    }  # fmt: skip
    found = reference(rulebook, row, ("10", "12", "0.34"), ("10", "10", "0.33"),
                      ("10", "7", "0.33"))  # fmt: skip
    assert found["promotion"].value("tenure_days") == 364
    assert baseline_columns(found) == (D("5171.41"), D("0.05"), D("73710.00"), D("0.00"), False)


def test_m6_rounds_a_bonus_just_below_the_half_cent_up(rulebook: Rulebook) -> None:
    """The baseline's E0011820 (seed 20260101): the exact bonus is 7,990.5249995081…, which a
    single rounding to the cent makes 7,990.52; the reference's rule M6 (half up to 6 decimals,
    7,990.525000, then to the cent) makes it 7,990.53, as impl_plain.py does."""
    row = {
        "employee_id": "E0011820", "level": "4", "currency": "USD", "base_salary": "131936.10",
        "hire_date": "2019-11-06", "rating": "2", "range_mid": "130000.00",
    }  # fmt: skip
    found = reference(rulebook, row, ("1575", "914", "0.34"), ("337", "281", "0.33"),
                      ("581", "746", "0.33"))  # fmt: skip
    assert found["bonus"].value("bonus_m6") == D("7990.525000")
    assert baseline_columns(found) == (
        D("7990.53"), D("0.005"), D("132595.78"), D("0.00"), False,
    )  # fmt: skip
