"""Named-value table cells, flag and reject gates, and `outputs:` in results.csv."""

from __future__ import annotations

import csv
from decimal import Decimal as D
from pathlib import Path

import pytest

from engine_helpers import compute, load, policy_yaml
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import PolicyError
from incentives.jobs import RunRequest, run_job
from incentives.model import Rejection

RANGES = policy_yaml(
    """
    tables:
      salary_range:
        axes:
          - {name: grade, match: exact, at: [G1, G2]}
        values:
          - {min: 50000, midpoint: 60000, max: 70000}
          - {min: 60000, midpoint: 75000, max: 90000}
    steps:
      compa_ratio: {formula: "salary / salary_range_midpoint(grade)", type: percent}
      headroom: {formula: "salary_range_max(grade) - salary", type: money}
      proposal_used:
        formula: proposal
        type: percent
        gates:
          - {name: above_guideline, when: "proposal > 4%", outcome: flag,
             reason: "Proposal above the 4% guideline"}
          - {name: far_above, when: "proposal > 8%", outcome: reject,
             reason: "Proposal above 8%: needs HR review"}
      raise_amount: {formula: "salary * proposal_used", type: money}
    outputs: [compa_ratio, proposal_used]
    pay:
      - {name: raise, step: raise_amount, pay_code: MER}
    """,
    inputs="""
    grade: {type: text}
    salary: {type: decimal, min: 0}
    proposal: {type: percent}
    """,
)


def test_named_values_give_one_callable_each(tmp_path: Path) -> None:
    """G2 midpoint 75,000 and max 90,000; salary 60,000: compa-ratio 60,000 ÷ 75,000 = 80%,
    headroom 90,000 − 60,000 = 30,000."""
    [out] = compute(tmp_path, RANGES, [{"grade": "G2", "salary": "60000", "proposal": "3%"}])
    assert isinstance(out, PolicyOutcome)
    assert out.value("compa_ratio") == D("0.8")
    assert out.value("headroom") == D("30000")


def test_a_range_with_min_above_midpoint_is_refused(tmp_path: Path) -> None:
    """A cell min 65,000 / midpoint 60,000 / max 70,000: refused at load, naming the cell and
    the figures."""
    broken = RANGES.replace("{min: 50000, midpoint: 60000", "{min: 65000, midpoint: 60000")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, broken)
    (problem,) = caught.value.problems
    assert problem.field == "tables.salary_range.values[0]"
    assert (
        problem.message
        == "min ≤ midpoint ≤ max does not hold: min 65000, midpoint 60000, max 70000"
    )


def test_cells_must_name_the_same_values(tmp_path: Path) -> None:
    """One cell without a midpoint: refused, saying which values every cell needs."""
    broken = RANGES.replace("{min: 60000, midpoint: 75000, max: 90000}", "{min: 60000, max: 90000}")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, broken)
    assert "every cell needs the values min, midpoint, max; this one has min, max" in str(
        caught.value
    )


def test_a_flag_gate_keeps_the_value_and_notes_the_reason(tmp_path: Path) -> None:
    """Proposal 5% is above the 4% guideline: flagged, still used: 50,000 × 5% = 2,500."""
    [out] = compute(tmp_path, RANGES, [{"grade": "G1", "salary": "50000", "proposal": "5%"}])
    assert isinstance(out, PolicyOutcome)
    assert out.value("proposal_used") == D("0.05")
    assert out.value("pay.raise") == D("2500.00")
    assert out.value("proposal_used.gate.above_guideline") is True
    assert out.notes == "Proposal above the 4% guideline"


def test_a_reject_gate_rejects_the_row_with_its_reason(tmp_path: Path) -> None:
    """Proposal 9% is above 8%: the row is rejected with the gate's reason."""
    [out] = compute(tmp_path, RANGES, [{"grade": "G1", "salary": "50000", "proposal": "9%"}])
    assert isinstance(out, Rejection)
    assert out.reason == "step 'proposal_used': Proposal above 8%: needs HR review"


def test_outputs_and_notes_are_columns_of_results_csv(tmp_path: Path) -> None:
    """`outputs: [compa_ratio, proposal_used]` become results.csv columns after the pay
    components, with `kind` and `notes` among the fixed columns."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "merit.yaml").write_text(RANGES, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,grade,salary,proposal\n"
        "001,AIP,USD,G1,50000,5%\n"
        "002,AIP,USD,G2,60000,3%\n",
        encoding="utf-8",
    )
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "out"))
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "employee_id", "policy", "kind", "currency", "eligible", "zero_reason", "notes",
        "raise", "compa_ratio", "proposal_used",
    ]  # fmt: skip
    assert rows[0]["notes"] == "Proposal above the 4% guideline"
    assert rows[1]["compa_ratio"] == "0.8"
    assert rows[1]["proposal_used"] == "0.03"


def test_outputs_must_name_steps(tmp_path: Path) -> None:
    """`outputs: [compa_ratoi]` names no step: refused with a suggestion."""
    broken = RANGES.replace("outputs: [compa_ratio,", "outputs: [compa_ratoi,")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, broken)
    assert "unknown step 'compa_ratoi'" in str(caught.value)
    assert "did you mean 'compa_ratio'?" in str(caught.value)


def test_a_table_key_may_be_a_label(tmp_path: Path) -> None:
    """`salary_range_max('G2')` reads the G2 row: 90,000 − 60,000 = 30,000 of headroom."""
    policy = RANGES.replace(
        '"salary_range_max(grade) - salary"', "\"salary_range_max('G2') - salary\""
    )
    [out] = compute(tmp_path, policy, [{"grade": "G1", "salary": "60000", "proposal": "3%"}])
    assert isinstance(out, PolicyOutcome)
    assert out.value("headroom") == D("30000")


def test_money_outputs_show_their_currency_decimals(tmp_path: Path) -> None:
    """A money output computed as 1500.000 prints as 1500.00 in results.csv (the value is the
    same; a value with more decimals than the currency has keeps them)."""
    policy = RANGES.replace("outputs: [compa_ratio, proposal_used]", "outputs: [raise_amount]")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "merit.yaml").write_text(policy, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,grade,salary,proposal\n001,AIP,USD,G1,50000,3.000%\n",
        encoding="utf-8",
    )
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "out"))
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["raise_amount"] == "1500.00"


RESIDUE = policy_yaml(
    """
    steps:
      bonus: {formula: "amount", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    amount: {type: decimal}
    """,
)


@pytest.mark.parametrize(
    ("amount", "paid"),
    [("-3.5E-24", "0.00"), ("-0.004", "0.00"), ("0.005", "0.01")],
)
def test_a_residue_below_the_pay_unit_is_zero_pay(tmp_path: Path, amount: str, paid: str) -> None:
    """Exact arithmetic can leave -3.5E-24 where a cap removed everything: rounded to the cent
    it is 0.00 (never -0.00) and the row is computed, not rejected."""
    [out] = compute(tmp_path, RESIDUE, [{"amount": amount}])
    assert isinstance(out, PolicyOutcome), out
    assert format(out.value("pay.annual_bonus"), "f") == paid


def test_a_negative_pay_of_a_cent_or_more_is_rejected(tmp_path: Path) -> None:
    """-0.006 rounds to -0.01: a negative pay line, rejected with the advice to add a floor."""
    [out] = compute(tmp_path, RESIDUE, [{"amount": "-0.006"}])
    assert isinstance(out, Rejection)
    assert "pay component 'annual_bonus' is negative" in out.reason
    assert "add 'floor: 0' to step 'bonus'" in out.reason


PLAN_GATE = policy_yaml(
    """
    results:
      margin:
        threshold: 8%
        target: 10%
        maximum: 14%
        actual: 11%
        payout: [50%, 100%, 150%]
    scorecards:
      company:
        scope: plan
        items:
          - name: margin
            weight: 100%
            result: margin
            gates:
              - {when: "fx(1, 'USD', 'EUR') > 1", outcome: zero, reason: "rates"}
    steps:
      bonus: {formula: "1000 * company", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
)


def test_a_plan_gate_cannot_read_one_employees_data(tmp_path: Path) -> None:
    """A plan scorecard is computed once per run: a gate calling fx() (one employee's currency
    and rate) is refused when the policy loads, with the way out, instead of failing later."""
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, PLAN_GATE)
    (problem,) = caught.value.problems
    assert problem.field == "scorecards.company.items[0].gates[0].when"
    assert "fx() reads one employee's data" in problem.message
    assert problem.hint == "move the condition to a step gate or an eligibility rule"
