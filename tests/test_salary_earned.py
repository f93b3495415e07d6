"""Salary earned in the year (`earned:` on a weighted step): the annual salary in force in each
segment of the dated history, counted only while employed, on a day or month basis."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import POLICIES
from engine_helpers import employees, only_problem, policy_yaml
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome
from incentives.rulebook.runtime.earned import earned_segments, earned_weights
from policy_files import file_outcomes, file_run
from test_segments import with_history

EARNED = POLICIES / "valid" / "salary_earned.yaml"
RAISE = [("2025-01-01", {"base_salary": "100000"}), ("2026-04-01", {"base_salary": "120000"})]


def _earned(
    rows: list[dict[str, object]], history: Mapping[str, Sequence[tuple[str, dict[str, str]]]]
) -> list[PolicyOutcome]:
    found = file_outcomes(EARNED, with_history(employees(rows), history))
    assert all(isinstance(out, PolicyOutcome) for out in found), found
    return found  # type: ignore[return-value]


def _values(out: PolicyOutcome) -> tuple[D, D, D]:
    return tuple(  # type: ignore[return-value]
        out.value(n) for n in ("earned_days", "earned_months", "earned_month_days")
    )


def test_a_raise_is_earned_at_each_rate() -> None:
    """100,000 until 31 March, 120,000 from 1 April, employed all year. Days: (100,000 × 90 +
    120,000 × 275) ÷ 365 = 42,000,000 ÷ 365 = 115,068.49…; months: (100,000 × 3 + 120,000 × 9)
    ÷ 12 = 115,000 (both month rules: no month is cut). The bonus is 10% of the days basis."""
    [out] = _earned(
        [{"employee_id": "E1", "base_salary": "120000", "hire_date": "2020-05-01"}], {"E1": RAISE}
    )
    days, months, month_days = _values(out)
    assert days == D(42_000_000) / D(365)
    assert months == month_days == D(115_000)
    assert out.value("pay.annual_bonus") == D("11506.85")


def test_a_joiner_earns_from_the_hire_date_without_any_artificial_input() -> None:
    """Hired 1 July at 120,000, no history: days 120,000 × 184 ÷ 365 = 60,493.15…; months
    120,000 × 6 ÷ 12 = 60,000."""
    [out] = _earned([{"base_salary": "120000", "hire_date": "2026-07-01"}], {})
    days, months, month_days = _values(out)
    assert days == D(120_000) * 184 / 365
    assert months == month_days == D(60_000)


def test_a_leaver_after_a_raise_earns_each_rate_until_leaving() -> None:
    """Raise on 1 April, left 15 September. Days: (100,000 × 90 + 120,000 × 168) ÷ 365 =
    29,160,000 ÷ 365 = 79,890.41…. Months, fifteenth: employed on 15 September, so Jan–Mar at
    100,000 and Apr–Sep at 120,000: (300,000 + 720,000) ÷ 12 = 85,000. Months, days: September
    counts 15 of 30 days: (300,000 + 5 × 120,000 + ½ × 120,000) ÷ 12 = 80,000."""
    [out] = _earned(
        [
            {
                "employee_id": "E1",
                "base_salary": "120000",
                "hire_date": "2019-01-01",
                "termination_date": "2026-09-15",
            }
        ],
        {"E1": RAISE},
    )
    days, months, month_days = _values(out)
    assert days == D(29_160_000) / D(365)
    assert months == D(85_000)
    assert month_days == D(80_000)


def test_a_raise_inside_a_month_splits_that_month_by_days() -> None:
    """Raise on 16 April: April is 15 days at 100,000 and 15 at 120,000, so on the month basis
    (100,000 × 3.5 + 120,000 × 8.5) ÷ 12 = 1,370,000 ÷ 12 = 114,166.66…"""
    history = [("2025-01-01", {"base_salary": "100000"}), ("2026-04-16", {"base_salary": "120000"})]
    [out] = _earned(
        [{"employee_id": "E1", "base_salary": "120000", "hire_date": "2020-01-01"}],
        {"E1": history},
    )
    assert out.value("earned_months") == D(1_370_000) / D(12)
    assert out.value("earned_month_days") == D(1_370_000) / D(12)


@pytest.mark.parametrize(
    ("hired", "days", "months", "month_days"),
    [
        # hired on the first day: the whole year at every basis
        ("2026-01-01", D(120_000), D(120_000), D(120_000)),
        # hired on the last day: 1 day of 365; not employed on 15 December (0); 1/31 of a month
        ("2026-12-31", D(120_000) / 365, D(0), D(120_000) / 31 / 12),
    ],
)
def test_a_join_on_the_first_and_on_the_last_day(
    hired: str, days: D, months: D, month_days: D
) -> None:
    """Joined 1 January: 120,000 on every basis. Joined 31 December: 120,000 × 1 ÷ 365 on days,
    0 on months by the 15th, 120,000 × (1 ÷ 31) ÷ 12 on months by days."""
    [out] = _earned([{"base_salary": "120000", "hire_date": hired}], {})
    got = _values(out)
    assert got[0] == days and got[1] == months
    assert abs(got[2] - month_days) < D("1e-20")


def test_explain_lists_each_segment_with_its_days_employed(tmp_path: Path) -> None:
    """explain shows the segments as recorded: 90 days at 100,000, then 168 until leaving."""
    roster = (
        "employee_id,currency,base_salary,hire_date,termination_date\n"
        "E1,USD,120000,2019-01-01,2026-09-15\n"
    )
    history = "employee_id,effective_date,base_salary\nE1,2025-01-01,100000\nE1,2026-04-01,120000\n"
    text = explain_employee(file_run(tmp_path, EARNED, roster, history), "E1").text()
    assert "2026-01-01 to 2026-03-31: 90 days employed, weight 24.6575%" in text
    assert "2026-04-01 to 2026-12-31: 168 days employed" in text
    assert "earned_days = Σ (base_salary) × share of the period earned = 79,890.41" in text
    assert "MISMATCH" not in text


def test_an_earned_date_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    """`earned: {from: base_salary}`: a load error saying it must be a date."""
    text = policy_yaml(
        """
        steps:
          earned: {formula: base_salary, type: money, earned: {from: base_salary}}
        pay:
          - {name: annual, step: earned, pay_code: AIP}
        """,
        inputs="base_salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert "earned: 'from' is the employment's start date" in problem.message
    assert problem.field == "steps.earned.earned.from"


@settings(max_examples=60, deadline=None)
@given(
    st.dates(
        min_value=datetime.date(2026, 1, 2),
        max_value=datetime.date(2026, 12, 31),
    ),
    st.sampled_from(["actual_days", "months"]),
    st.sampled_from(["days", "count", "drop", "fifteenth"]),
)
def test_weights_never_exceed_the_time_employed(
    change: datetime.date, basis: str, partial: str
) -> None:
    """For any change date: employed all year, the weights sum to exactly 1 on every basis;
    employed from the change date on, they never exceed the whole and the first segment
    (before joining) weighs nothing."""
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    whole = earned_segments(None, start, end)[0]
    segs = (
        type(whole)(start, change - datetime.timedelta(days=1), 0, Fraction(0), {}),
        type(whole)(change, end, 0, Fraction(0), {}),
    )
    _, full = earned_weights(segs, start, end, basis, partial)
    assert sum(full) == 1
    _, joined = earned_weights(segs, change, end, basis, partial)
    assert joined[0] == 0
    assert 0 <= sum(joined) <= 1
