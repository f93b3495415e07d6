"""Budgets (``budgets:``): eligible payroll, spend, a second currency, over-budget handling."""

from __future__ import annotations

import csv
import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import invoke
from engine_helpers import FixedRates, load, policy_yaml, run
from incentives.engine.allocation_report import budget_lines
from incentives.errors import BudgetExceeded, OptionsError
from incentives.jobs import RunRequest, run_job

D = Decimal
END = datetime.date(2026, 12, 31)


def budget_policy(budget: str) -> str:
    """A merit-like policy: a raise of ``raise_pct`` of the salary, eligible unless on leave."""
    return policy_yaml(
        f"""
eligibility:
  - {{name: not_on_leave, rule: "not on_leave", reason: "On leave"}}
steps:
  increase: {{formula: "salary * raise_pct", type: money}}
pay:
  - {{name: merit, step: increase, pay_code: M}}
budgets:
  unit_budget:
{budget}
""",
        kind="merit",
        inputs="""
unit: {type: text}
salary: {type: decimal}
fte: {type: decimal, required: false, default: 1}
raise_pct: {type: percent}
on_leave: {type: boolean, required: false, default: false}
""",
    )


PERCENT = """\
    by: unit
    currency: USD
    payroll: "salary * fte"
    spend: "increase * fte"
    percent: 3%
"""

ROWS = [
    {"employee_id": "A", "unit": "Sales", "salary": "100000", "raise_pct": "2%"},
    {"employee_id": "B", "unit": "Sales", "salary": "50000", "fte": "0.5", "raise_pct": "5%"},
    {"employee_id": "C", "unit": "Ops", "salary": "80000", "raise_pct": "4%"},
    {"employee_id": "D", "unit": "Ops", "salary": "90000", "raise_pct": "9%", "on_leave": "true"},
]


def test_a_percent_of_eligible_payroll_per_unit(tmp_path: Path) -> None:
    """Sales: payroll 100,000 + 25,000 (FTE 0.5) = 125,000, budget 3 % = 3,750.00, spend 2,000 +
    1,250 = 3,250.00, 86.67 % used (used_pct
    0.866667: a fraction at the breakdown precision). Ops: D is on leave (not eligible, not counted): payroll
    80,000, budget 2,400.00, spend 3,200.00, 800.00 over."""
    calc, _ = run(load(tmp_path, budget_policy(PERCENT)), ROWS)
    lines = {line.group: line for line in budget_lines(calc)}
    sales, ops = lines["Sales"], lines["Ops"]
    assert (sales.employees, sales.payroll, sales.amount, sales.spend) == (
        2, D("125000.00"), D("3750.00"), D("3250.00"),
    )  # fmt: skip
    assert (sales.difference, sales.used_pct, sales.over) == (D("500.00"), D("0.866667"), False)
    assert (ops.employees, ops.payroll, ops.amount, ops.spend) == (
        1, D("80000.00"), D("2400.00"), D("3200.00"),
    )  # fmt: skip
    assert (ops.difference, ops.used_pct, ops.over) == (D("-800.00"), D("1.333333"), True)
    assert "Ops: spend USD 3,200.00 is 800.00 over the budget of 2,400.00 (133.33% used)" in ops.describe()


def test_a_budget_in_a_second_currency(tmp_path: Path) -> None:
    """A EUR budget over USD and GBP employees: payroll and spend are converted at the policy's
    rate (average, period end) and the rates used are shown. A (USD): 100,000 × 0.92 = 92,000
    EUR, spend 2,000 × 0.92 = 1,840; E (GBP): 60,000 × 1.17 = 70,200, spend 3,000 × 1.17 =
    3,510. Budget: a fixed 5,000 EUR."""
    budget = PERCENT.replace("USD", "EUR").replace("percent: 3%", "amount: {Sales: 5000}")
    rates = FixedRates(
        {("USD", "EUR", "average", END): "0.92", ("GBP", "EUR", "average", END): "1.17"}
    )
    rows = [
        ROWS[0],
        {
            "employee_id": "E",
            "unit": "Sales",
            "salary": "60000",
            "raise_pct": "5%",
            "currency": "GBP",
        },
    ]
    calc, items = run(load(tmp_path, budget_policy(budget)), rows, rates=rates)
    (line,) = budget_lines(calc)
    assert (line.currency, line.payroll, line.spend, line.amount) == (
        "EUR", D("162200.00"), D("5350.00"), D("5000.00"),
    )  # fmt: skip
    assert line.over and line.difference == D("-350.00")
    assert line.rates == "GBP→EUR 1.17; USD→EUR 0.92"
    assert line.basis == "fixed amount"
    # each employee's converted figures are steps of the breakdown
    assert items[1].outcomes[0].value("unit_budget_spend") == D("3510.00")  # type: ignore[union-attr]


def test_groups_without_a_declared_amount_and_declared_groups_without_anyone(
    tmp_path: Path,
) -> None:
    """Amounts per unit: a unit with employees and no amount is reported as such (budget empty);
    a declared unit nobody is counted in still gets its line (spend 0)."""
    budget = PERCENT.replace("percent: 3%", "amount: {Sales: 4000, Legal: 1000}")
    calc, _ = run(load(tmp_path, budget_policy(budget)), ROWS)
    lines = {line.group: line for line in budget_lines(calc)}
    assert lines["Legal"].employees == 0 and lines["Legal"].spend == 0
    assert lines["Ops"].amount is None
    assert "no budget declared" in lines["Ops"].describe()


def test_include_narrows_who_counts(tmp_path: Path) -> None:
    """``include:`` keeps only the employees it holds for: here the full-time ones."""
    budget = PERCENT + '    include: "fte == 1"\n'
    calc, _ = run(load(tmp_path, budget_policy(budget)), ROWS)
    sales = next(line for line in budget_lines(calc) if line.group == "Sales")
    assert (sales.employees, sales.payroll) == (1, D("100000.00"))


def _roster(path: Path) -> Path:
    columns = ["employee_id", "plan", "currency", "unit", "salary", "fte", "raise_pct", "on_leave"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        for row in ROWS:
            writer.writerow({"plan": "AIP", "currency": "USD", **row})
    return path


def _rules(tmp_path: Path, budget: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "merit.yaml").write_text(budget_policy(budget), encoding="utf-8")
    return rules


def test_budgets_csv_and_the_manifest(tmp_path: Path) -> None:
    """A run writes budgets.csv (one row per unit) and the same figures in manifest.json."""
    out = tmp_path / "out"
    run_job(
        RunRequest(rules=_rules(tmp_path, PERCENT), employees=_roster(tmp_path / "r.csv"), out=out)
    )
    with (out / "budgets.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["group"], r["amount"], r["spend"], r["status"]) for r in rows] == [
        ("Ops", "2400.00", "3200.00", "over"),
        ("Sales", "3750.00", "3250.00", "within"),
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [b["group"] for b in manifest["budgets"]] == ["Ops", "Sales"]
    assert manifest["budgets"][0]["difference"] == "-800.00"
    assert "pools.csv" not in {p.name for p in out.iterdir()}  # no pools declared


def test_an_overspent_budget_declared_an_error_stops_the_run(tmp_path: Path) -> None:
    """``over: error``: the run fails naming the group and its figures, and writes nothing."""
    rules = _rules(tmp_path, PERCENT + "    over: error\n")
    roster = _roster(tmp_path / "r.csv")
    out = tmp_path / "out"
    with pytest.raises(
        BudgetExceeded, match=r"unit_budget Ops: spend USD 3,200\.00 is 800\.00 over"
    ):
        run_job(RunRequest(rules=rules, employees=roster, out=out))
    assert not out.exists()
    result = invoke("run", "--rules", rules, "--employees", roster, "--out", out)
    assert result.exit_code == 1
    assert "133.33% used" in result.stderr and "over: warning" in result.stderr
    assert not out.exists()


def test_an_overspent_budget_as_a_warning_is_reported(tmp_path: Path) -> None:
    """``over: warning`` (the default): the run completes and the CLI warns on stderr."""
    rules = _rules(tmp_path, PERCENT)
    result = invoke(
        "run", "--rules", rules, "--employees", _roster(tmp_path / "r.csv"), "--out", tmp_path / "o"
    )
    assert result.exit_code == 0, result.output
    assert "warning: budget over: test-policy: unit_budget Ops" in result.stderr


def test_a_budget_currency_without_a_rate(tmp_path: Path) -> None:
    """A budget in EUR for employees who may be paid in USD (allowed), with no USD→EUR rate:
    one error naming the budget, the pair and the date, before any employee is computed."""
    budget = PERCENT.replace("currency: USD", "currency: EUR")
    policy = budget_policy(budget).replace(
        "  currency: {type: text}", "  currency: {type: text, allowed: [USD, EUR]}"
    )
    rates = FixedRates({("GBP", "EUR", "average", END): "1.17"})
    with pytest.raises(OptionsError, match=r"budget 'unit_budget'.*USD→EUR on 2026-12-31"):
        run(load(tmp_path, policy), ROWS, rates=rates)


def test_one_budget_without_by(tmp_path: Path) -> None:
    """Without ``by:`` one budget covers every eligible employee: payroll 100,000 + 25,000 +
    80,000 = 205,000, 3 % = 6,150.00 against a spend of 2,000 + 1,250 + 3,200 = 6,450.00."""
    budget = PERCENT.replace("    by: unit\n", "")
    calc, _ = run(load(tmp_path, budget_policy(budget)), ROWS)
    (line,) = budget_lines(calc)
    assert (line.group, line.employees, line.payroll) == ("", 3, D("205000.00"))
    assert (line.amount, line.spend, line.over) == (D("6150.00"), D("6450.00"), True)
