"""Plan-level gates (`gates:` with `applies_to:`): written once, applied to every step or pay
component they name, recorded, noted and explained as a step's own gate."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from conftest import POLICIES
from engine_helpers import employees, only_problem, policy_yaml
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome
from policy_files import file_outcomes, file_run, results_rows

POLICY = POLICIES / "valid" / "plan_gates.yaml"


def _outcomes(rows: list[dict[str, object]]) -> list[PolicyOutcome]:
    found = file_outcomes(POLICY, employees(rows))
    assert all(isinstance(out, PolicyOutcome) for out in found)
    return found  # type: ignore[return-value]


def test_a_plan_gate_applies_to_each_step_it_names() -> None:
    """Salary 100,000: target 10,000. Rating 3, no warning: cash 7,500, deferred 2,500, service
    1,000. With a final warning the one gate zeroes cash and deferred (0, 0), never the service
    award it does not name (1,000), and zero_reason is its reason."""
    plain, warned = _outcomes(
        [
            {"salary": "100000", "rating": "3"},
            {"salary": "100000", "rating": "3", "final_warning": "true"},
        ]
    )
    assert (plain.value("pay.cash"), plain.value("pay.deferred")) == (D("7500.00"), D("2500.00"))
    assert plain.value("cash_bonus.gate.final_warning") is False
    assert (warned.value("pay.cash"), warned.value("pay.deferred")) == (D("0.00"), D("0.00"))
    assert warned.value("pay.service") == D("1000.00")
    assert warned.value("cash_bonus.gate.final_warning") is True
    assert warned.value("deferred_bonus.gate.final_warning") is True
    assert warned.notes == "Final written warning: no bonus, cash or deferred"


def test_a_gate_naming_a_pay_component_gates_its_step() -> None:
    """`applies_to: [cash]` reaches step cash_bonus: rating 2 caps 7,500 at 10,000 × 50% =
    5,000; the deferred 2,500 is untouched (the gate does not name it)."""
    [low] = _outcomes([{"salary": "100000", "rating": "2"}])
    assert low.value("pay.cash") == D("5000.00")
    assert low.value("pay.deferred") == D("2500.00")
    assert low.value("cash_bonus.gate.low_rating") is True
    assert low.value("cash_bonus.after_gate.low_rating") == D("5000")


def test_explain_shows_the_plan_gate_at_its_own_line(tmp_path: Path) -> None:
    """explain reads the recorded outcome and cites the line under `gates:` where the gate is
    written (line 26 of plan_gates.yaml), for each step it joined."""
    roster = "employee_id,currency,salary,rating,final_warning\n001,USD,100000,3,yes\n"
    out = file_run(tmp_path, POLICY, roster)
    [row] = results_rows(out)
    assert row["zero_reason"] == ""  # the service award is paid: the payout is not zero
    text = explain_employee(out, "001").text()
    gate_lines = [line for line in text.splitlines() if "final_warning" in line and "gate" in line]
    assert len(gate_lines) == 2, text
    assert all("plan_gates.yaml:26" in line for line in gate_lines), text


def test_a_plan_gate_naming_no_step_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """`applies_to: [bonsu]`: a load error at the name's line, suggesting 'bonus'."""
    text = policy_yaml(
        """
        steps:
          bonus: {formula: "salary * 10%", type: money}
        gates:
          - {name: no_pay, when: "salary < 0", outcome: zero, reason: "x", applies_to: [bonsu]}
        pay:
          - {name: annual, step: bonus, pay_code: AIP}
        """,
        inputs="salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert "'bonsu', which is no step or pay component" in problem.message
    assert problem.hint == "did you mean 'bonus'?"
    assert (
        problem.line
        == text.splitlines().index(next(line for line in text.splitlines() if "bonsu" in line)) + 1
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [("salary < ", "gates[0].when"), ("salarie < 0", "gates[0].when")],
)
def test_a_fault_in_a_plan_gate_is_reported_once_at_its_line(
    tmp_path: Path, when: str, expected: str
) -> None:
    """A gate joined to two steps is one gate: a fault in its formula is reported once, under
    `gates:`, not once per step."""
    text = policy_yaml(
        f"""
        steps:
          a: {{formula: "salary * 10%", type: money}}
          b: {{formula: "salary * 5%", type: money}}
        gates:
          - {{name: g, when: "{when}", outcome: zero, reason: "x", applies_to: [a, b]}}
        pay:
          - {{name: pa, step: a, pay_code: A}}
          - {{name: pb, step: b, pay_code: B}}
        """,
        inputs="salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert problem.field == expected


def test_a_plan_gate_may_not_reuse_a_steps_gate_name(tmp_path: Path) -> None:
    """A step's own gate `g` and a plan gate `g` on it would share one breakdown column."""
    text = policy_yaml(
        """
        steps:
          a:
            formula: "salary * 10%"
            type: money
            gates: [{name: g, when: "salary > 9", outcome: flag, reason: "y"}]
        gates:
          - {name: g, when: "salary < 0", outcome: zero, reason: "x", applies_to: [a]}
        pay:
          - {name: pa, step: a, pay_code: A}
        """,
        inputs="salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert problem.message == "step 'a' already has a gate named 'g'"
    assert problem.field == "gates[0].name"
