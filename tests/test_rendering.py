"""How numbers are written (README, "How numbers are written"), and `explain` reading what the
evaluation recorded instead of deriving it a second time.

Each test is a regression of issue 8 §2: written against the tree before the fix, where it failed.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CliRun, breakdown_rows
from engine_helpers import policy_yaml
from incentives.audit.explain import explain_employee
from incentives.io.cells import _money_cell, exact_cell
from incentives.jobs import RunRequest, run_job
from strategies import step_policies

POLICY = policy_yaml(
    """
    parameters:
      threshold: 1000
    eligibility:
      - {name: is_active, rule: "active", reason: "Not active"}
    steps:
      base: {formula: "salary * 1.005", type: money}
      rounded_base: {formula: "salary * 1.005", type: money, round: {step: 0.01}}
      share: {formula: "salary / 29640", type: percent}
      yearly_units: {formula: "salary * 2", type: integer}
      target:
        formula: "salary * 0.1"
        type: money
        gates:
          - {name: limit, when: "salary > 0", outcome: cap, value: "6000",
             reason: "Capped at 6,000"}
        floor: "100"
        cap: "5000"
      award: {formula: "target + base - base", type: money}
    outputs: [share, yearly_units, base, rounded_base]
    pay:
      - name: bonus
        step: award
        pay_code: BON
        round: {step: 10, mode: half_up}
        split:
          - {name: bonus_excess, pay_code: BEX, above: "threshold * 2"}
      - {name: extra, step: base, pay_code: EXT}
    """,
    inputs="""
    salary: {type: decimal, min: 0}
    active: {type: boolean}
    """,
)

ROSTER = (
    "employee_id,plan,currency,salary,active\n"
    "E1,AIP,USD,999.95,true\n"  # 999.95 / 29640 = 0.0337365...; target 99.995 → floor 100
    "E2,AIP,USD,60000,true\n"  # target 6,000: the cap gate does not bind, the cap 5,000 does
    "E3,AIP,USD,182800.00,true\n"  # integer step 365600.00; target 18,280: the gate binds
    "E4,AIP,USD,5000,false\n"  # not eligible: every pay cell still at its declared decimals
    "E5,AIP,USD,20000,true\n"  # target 2,000: paid 2,000, of which nothing above 2,000
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("rendering")
    rules = base / "rules"
    rules.mkdir()
    (rules / "policy.yaml").write_text(POLICY, encoding="utf-8")
    roster = base / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    run_job(RunRequest(rules=rules, employees=roster, out=base / "out"))
    return base / "out"


def _rows(run_dir: Path, name: str, policy: str = "test-policy") -> dict[str, dict[str, str]]:
    """results.csv's rows of ``policy`` by employee, or (``breakdown``) its breakdown rows."""
    if name == "breakdown":
        return {row["employee_id"]: row for row in breakdown_rows(run_dir, policy)}
    with (run_dir / name).open(encoding="utf-8", newline="") as f:
        return {row["employee_id"]: row for row in csv.DictReader(f) if row["policy"] == policy}


def test_pay_components_print_at_their_declared_step_on_every_row(run_dir: Path) -> None:
    """`bonus` rounds to 10: whole numbers on every row, the ineligible one too (never `0.00`
    beside `25080`); `extra` rounds to the cent: two decimals on every row (`0.00`, never `0`)."""
    results = _rows(run_dir, "results.csv")
    assert [results[e]["bonus"] for e in ("E1", "E2", "E4", "E5")] == ["100", "2000", "0", "2000"]
    assert [results[e]["bonus_excess"] for e in ("E1", "E2", "E4", "E5")] == ["0", "3000", "0", "0"]
    assert [results[e]["extra"] for e in ("E1", "E4")] == ["1004.95", "0.00"]
    breakdown = _rows(run_dir, "breakdown")
    assert breakdown["E4"]["pay.bonus"] == "0"
    assert breakdown["E4"]["pay.bonus.total"] == "0"
    assert breakdown["E2"]["pay.bonus_excess"] == "3000"


def test_a_step_with_a_declared_rounding_prints_at_its_step(sample_run: CliRun) -> None:
    """The sample's pool rounds awards to 0.01 (`round: 0.01`): 00001's award prints `2044.10`
    (it printed `2044.1` beside `4521.65`), and so does its line in explain."""
    assert sample_run.out is not None
    bonus = _rows(sample_run.out, "breakdown", "annual-bonus-2026")
    assert bonus["00001"]["department_pool_award"] == "2044.10"
    text = explain_employee(sample_run.out, "00001").text()
    assert "department_pool_award = " in text
    assert "→ 2,044.10  [" in text


def test_an_unrounded_money_step_keeps_its_value_with_at_least_the_cents(run_dir: Path) -> None:
    """`base` is not rounded: 60,000 × 1.005 = 60300.000 prints `60300.00` (the currency's
    decimals, not `60300.000`), and 999.95 × 1.005 = 1004.94975 keeps all its decimals."""
    breakdown = _rows(run_dir, "breakdown")
    assert breakdown["E2"]["base"] == "60300.00"
    assert breakdown["E1"]["base"] == "1004.94975"
    assert _rows(run_dir, "results.csv")["E1"]["base"] == "1004.94975"


def test_results_outputs_are_not_cut_below_their_precision(run_dir: Path) -> None:
    """999.95 ÷ 29,640 = 0.03373650472334682860998650472: results.csv shows it whole (it was
    cut to 0.033736 before); the breakdown keeps its declared 6 decimals (0.033737, half even)."""
    assert _rows(run_dir, "results.csv")["E1"]["share"] == "0.03373650472334682860998650472"
    assert _rows(run_dir, "breakdown")["E1"]["share"] == "0.033737"


def test_an_integer_step_prints_without_decimals(run_dir: Path) -> None:
    """182,800.00 × 2 = 365600.00 for an integer step: `365600` in both files."""
    assert _rows(run_dir, "breakdown")["E3"]["yearly_units"] == "365600"
    assert _rows(run_dir, "results.csv")["E3"]["yearly_units"] == "365600"


def test_a_cap_gate_notes_capped_only_when_it_binds(run_dir: Path) -> None:
    """The gate caps `target` at 6,000 for everyone: only E3's 18,280 is above it and noted;
    E2's 6,000 is not (no note, and the gate is recorded as not applied)."""
    results = _rows(run_dir, "results.csv")
    assert [results[e]["notes"] for e in ("E1", "E2", "E3", "E5")] == [
        "", "", "Capped at 6,000", "",
    ]  # fmt: skip
    breakdown = _rows(run_dir, "breakdown")
    assert [breakdown[e]["target.gate.limit"] for e in ("E2", "E3")] == ["false", "true"]
    assert breakdown["E3"]["target.after_gate.limit"] == "6000.00"


def test_explain_prints_manifest_figures_at_the_breakdown_precision(sample_run: CliRun) -> None:
    """The pool factor of Sales is kept to 28 digits in manifest.json; explain prints it as the
    breakdown does, 0.945833 (not 0.9458327453590890934721120531), and a plan result's
    attainment the same way."""
    assert sample_run.out is not None
    text = explain_employee(sample_run.out, "00001").text()
    assert "factor 0.945833 (down)" in text
    assert "0.94583274535908909" not in text
    assert (
        "department_pool_factor = the one factor that fits the pool's awards to the pool = " in text
    )


def test_explain_header_says_the_as_of_date_not_a_dict(run_dir: Path) -> None:
    """The header gives the run's as-of date as a date; no Python dict anywhere."""
    text = explain_employee(run_dir, "E1").text()
    assert "{" not in text.splitlines()[0]
    assert "as of 2027-03-15" in text


def test_explain_reads_floor_and_cap_from_the_record(run_dir: Path) -> None:
    """E2: 6,000 capped at 5,000; E1: 99.995 floored to 100. Editing the floor and the cap in
    rulebook.json afterwards changes nothing: explain shows what the run did, it does not
    evaluate them again."""
    book = run_dir / "rulebook.json"
    data = json.loads(book.read_text(encoding="utf-8"))
    (policy,) = data["policies"]
    policy["spec"]["steps"]["target"].update({"floor": "7", "cap": "9"})
    book.write_text(json.dumps(data), encoding="utf-8")
    e2 = explain_employee(run_dir, "E2").text()
    assert "cap 5,000.00: 6,000.00 → 5,000.00" in e2
    assert "cap 9" not in e2
    e1 = explain_employee(run_dir, "E1").text()
    assert "99.995 → 100.00" in e1
    assert "WARNING" not in e1 + e2


def test_explain_reads_the_split_threshold_from_the_record(run_dir: Path) -> None:
    """E2's excess part is above round(threshold × 2) = 2,000 as the run rounded it (to 10)."""
    text = explain_employee(run_dir, "E2").text()
    assert "= round(1,000 × 2) = 2,000: max(0, 5,000 − 2,000) = 3,000" in text


def test_explain_reads_the_as_of_date_it_shows(sample_run: CliRun) -> None:
    """The promotion policy reads `as_of`: explain substitutes the date the run used (it printed
    "(missing)" while using it)."""
    assert sample_run.out is not None
    text = explain_employee(sample_run.out, "00001").text()
    assert (
        "months_between(level_start_date, as_of) = months_between(2023-01-01, 2027-03-15)" in text
    )


def test_explain_prints_a_value_written_as_a_percent_as_a_percent(sample_run: CliRun) -> None:
    """`excess_above: 150%`, the margin figures (`threshold: 8%`, actual 11 %) and the
    `target_pct` cells (`5%`) print as percentages wherever explain shows them (they printed
    1.5, 0.11 < 0.08 and 0.05 beside the 5% of the step that reads the same table)."""
    assert sample_run.out is not None
    text = explain_employee(sample_run.out, "00001").text()
    assert "round(2,100.00 × 150%) = 3,150.00" in text
    assert "(operating_margin < operating_margin_threshold; here 11% < 8%)" in text
    assert "full_year_target = base_salary × fte × target_pct(level) = 42,000 × 1 × 5%" in text
    assert "target_pct(level=1) = 0.05" not in text


# -- the property: what explain prints is what the breakdown holds


def _shown_number(shown: str) -> Decimal:
    """A number as explain prints it, back to a value: ``2,100.00`` → 2100.00, ``1.5%`` → 0.015."""
    text = shown.replace(",", "")
    sign = 1
    if text.startswith("(−") and text.endswith(")"):
        text, sign = text[2:-1], -1
    if text.endswith("%"):
        return sign * Decimal(text[:-1]).scaleb(-2)
    return sign * Decimal(text)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=step_policies())
def test_every_step_value_explain_prints_is_the_breakdowns(
    case: tuple[str, list[dict[str, str]]],
) -> None:
    """For random steps (every type, roundings, floors, caps and gates) and employees, each
    step's value in explain equals the breakdown's cell for that step, its derivation ends with
    that value, and the last change explain lists (gate, floor, cap, rounding) ends on it too;
    the pay component's total, parts and main line are the breakdown's."""
    body, people = case
    policy = policy_yaml(
        body,
        inputs="""
        salary: {type: decimal, min: 0}
        rate: {type: percent}
        units: {type: integer, min: 0}
        """,
    )
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "rules").mkdir()
        (base / "rules" / "policy.yaml").write_text(policy, encoding="utf-8")
        lines = ["employee_id,plan,currency,salary,rate,units"] + [
            f"E{i},AIP,USD,{p['salary']},{p['rate']},{p['units']}" for i, p in enumerate(people)
        ]
        (base / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        run_job(RunRequest(rules=base / "rules", employees=base / "roster.csv", out=base / "out"))
        breakdown = _rows(base / "out", "breakdown")
        assert breakdown, (base / "out" / "rejected.csv").read_text(encoding="utf-8")
        for employee_id, row in breakdown.items():
            (data,) = explain_employee(base / "out", employee_id).data()["policies"]
            for step in data["steps"]:
                _check_step(step, row)
            for comp in data["pay"]["components"]:
                assert _shown_number(comp["total"]) == Decimal(row[f"pay.{comp['name']}.total"])
                assert _shown_number(comp["amount"]) == Decimal(row[f"pay.{comp['name']}"])
                for part in comp["parts"]:
                    assert _shown_number(part["amount"]) == Decimal(row[f"pay.{part['name']}"])


def _check_step(step: dict[str, Any], row: dict[str, str]) -> None:
    """The step's value is its breakdown cell; with gates, floor, cap or rounding, explain's
    chain starts at the recorded raw value, each change starts where the last one ended, and
    the chain ends on the step's value."""
    name = step["name"]
    value = _shown_number(step["value"])
    assert value == Decimal(row[name]), (step, row[name])
    if "raw" not in step:
        assert step["derivation"].endswith(f"= {step['value']}"), step
        return
    assert step["derivation"].endswith(f"= {step['raw']}"), step
    x = _shown_number(step["raw"])
    assert x == Decimal(row[f"{name}.raw"]), step
    for gate in step["gates"]:
        if gate["applied"]:
            before, after = re.findall(r": ([^:]+?) → (.+?) — ", gate["text"])[0]
            assert _shown_number(before) == x, gate
            x = _shown_number(after)
    for change in step["adjustments"]:
        assert _shown_number(change["from"]) == x, change
        x = _shown_number(change["to"])
    assert x == value, step


@given(
    value=st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 30 and len(d.as_tuple().digits) <= 28  # the engine's
    ),
    unit=st.sampled_from([Decimal("1"), Decimal("0.01"), Decimal("0.001")]),
)
def test_the_fast_money_cell_writes_what_exact_cell_writes(value: Decimal, unit: Decimal) -> None:
    """The breakdown's fast path for money (one call per money step and row) writes exactly the
    text of the general rule, exponents (7.00E+4), signs and trailing zeros included."""
    fast = _money_cell(6, str)
    assert fast(value, unit) == exact_cell(value, unit, 6)


def test_no_number_in_explain_has_more_decimals_than_the_breakdown(sample_run: CliRun) -> None:
    """Every sample employee's explanation: no number with more than the breakdown's 6 decimals
    (percentages: 4, the fraction's 6 shifted by two), where a pool factor, an attainment and a
    weighted sum of segments printed 28 digits."""
    assert sample_run.out is not None
    with (sample_run.out / "results.csv").open(encoding="utf-8") as f:
        ids = sorted({row["employee_id"] for row in csv.DictReader(f)})
    for employee_id in ids:
        text = explain_employee(sample_run.out, employee_id).text()
        assert not re.findall(r"\d\.\d{7,}", text), employee_id
        assert not re.findall(r"\d\.\d{5,}%", text), employee_id
