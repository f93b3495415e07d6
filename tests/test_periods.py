"""Periods: the effective period (when a policy version is in force) and the performance period
it rewards may differ: a 2023 grant for 2022 performance is valid."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from conftest import POLICIES
from engine_helpers import employees, only_problem
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome
from incentives.rulebook.rulebook import load_rules
from policy_files import file_outcomes, file_run

EARLIER = POLICIES / "valid" / "earlier_cycle.yaml"


def test_a_grant_rewards_the_earlier_cycle_it_is_paid_in() -> None:
    """In force 2023, rewarding 2022. Salary 100,000 × 10% = 10,000: hired 2022-07-01,
    prorated over 2022 (184 of 365 days): 10,000 × 184 ÷ 365 = 5,041.10; hired 2021: 10,000.00.
    period_end 2022-12-31 to effective_from 2023-01-01 is 0 whole months."""
    rows = [
        {"salary": "100000", "hire_date": "2022-07-01"},
        {"salary": "100000", "hire_date": "2021-05-01"},
    ]
    joined, full = file_outcomes(EARLIER, employees(rows))
    assert isinstance(joined, PolicyOutcome) and isinstance(full, PolicyOutcome)
    assert joined.value("proration") == D(184) / D(365)
    assert joined.value("pay.grant") == D("5041.10")
    assert full.value("pay.grant") == D("10000.00")
    assert full.value("months_since_period") == 0


def test_explain_says_the_version_in_force_and_the_period_rewarded(tmp_path: Path) -> None:
    """explain names both periods when they differ: the period rewarded and the version's."""
    roster = "employee_id,currency,salary,hire_date,termination_date\n001,USD,100000,2021-05-01,\n"
    text = explain_employee(file_run(tmp_path, EARLIER, roster), "001").text()
    assert "performance period 2022-01-01 to 2022-12-31; payout date 2023-03-15" in text
    assert "rewards an earlier period: this version is in force 2023-01-01 to 2023-12-31" in text


def _header(effective: str, period: str, payout: str) -> str:
    return (
        "policy:\n  id: p\n  title: P\n  version: '1'\n  kind: bonus\n"
        f"  effective: {effective}\n  performance_period: {period}\n  payout_date: {payout}\n"
        "  currency: currency\ninputs:\n  employee_id: {type: text}\n  currency: {type: text}\n"
    )


def test_an_earlier_period_paid_outside_the_version_is_still_refused(tmp_path: Path) -> None:
    """Rewarding 2022 under a 2023 version paid in 2024 (after the version ends): refused, the
    message saying the payout date must be within the effective period."""
    problem = only_problem(
        tmp_path,
        _header(
            "{from: 2023-01-01, to: 2023-12-31}",
            "{start: 2022-01-01, end: 2022-12-31}",
            "2024-03-15",
        ),
    )
    assert "not within the policy's effective period 2023-01-01 to 2023-12-31" in problem.message
    assert "the payout date 2024-03-15 within it" in problem.message


def test_a_period_past_the_versions_end_is_still_refused(tmp_path: Path) -> None:
    """A 2023 version cannot reward 2024: the period ends after the version does."""
    problem = only_problem(
        tmp_path,
        _header(
            "{from: 2023-01-01, to: 2023-12-31}",
            "{start: 2023-01-01, end: 2024-12-31}",
            "2023-06-30",
        ),
    )
    assert "not within the policy's effective period" in problem.message


def test_a_period_straddling_the_versions_start_is_still_refused(tmp_path: Path) -> None:
    """A version in force from 2023-07-01 paying 2023-09-30 cannot reward 2023-01-01 to
    2023-06-30... it can: that cycle ended before it. But 2023-01-01 to 2023-12-31 straddles
    its start: refused (half of it was governed by another version)."""
    ok = _header("{from: 2023-07-01}", "{start: 2023-01-01, end: 2023-06-30}", "2023-09-30")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "p.yaml").write_text(ok, encoding="utf-8")
    assert load_rules(tmp_path / "ok").policies[0].id == "p"
    problem = only_problem(
        tmp_path,
        _header("{from: 2023-07-01}", "{start: 2023-01-01, end: 2023-12-31}", "2024-03-15"),
    )
    assert "not within the policy's effective period 2023-07-01" in problem.message
