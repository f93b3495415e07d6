"""The bundled sample, the full cycle: rules/ (annual_bonus.yaml, merit.yaml, promotion.yaml) on
fixtures/employees.csv with fixtures/rates.csv, fixtures/ratings.csv and fixtures/history.csv.
This file checks the bonus; tests/test_merit_sample.py checks the merit,
tests/test_promotion_sample.py the promotion readiness and tests/test_segments_sample.py the
time-weighted targets of the four employees with history (00003, 00011, 00014, 00030).

`tests/golden/sample_results.csv` is the run's results.csv (one bonus, one merit and one promotion
row per employee), checked employee by employee against the hand computations of
fixtures/EXPECTED.md (all 52 bonus rows, all 52 merit rows and all 52 promotion rows agree). If a
deliberate change moves a figure, correct EXPECTED.md first, then regenerate the golden file from
a run and review the diff.

The company factors used below (fixtures/EXPECTED.md, "The company scorecard, worked once"):
Sales 0.75 × (0.7 × 1.24 + 0.3 × 1.125) + 0.25 × 0.5 = 1.029125; Engineering 0.75 × 1.243 + 0.125
= 1.05725; Finance 0.75 × min(1.093, 1.00) + 0.125 = 0.875; Operations: margin 5% below its 6%
threshold → company_factor gated to 0.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import cycle_outcomes
from incentives.engine.calculate import PolicyOutcome
from incentives.jobs import RunRequest, run_job

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
BONUS_ONLY = ROOT / "rules" / "annual_bonus.yaml"
EMPLOYEES = ROOT / "fixtures" / "employees.csv"
RATES = ROOT / "fixtures" / "rates.csv"
RATINGS = ROOT / "fixtures" / "ratings.csv"
HISTORY = ROOT / "fixtures" / "history.csv"
GOLDEN = Path(__file__).resolve().parent / "golden" / "sample_results.csv"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("sample") / "run"
    report = run_job(
        RunRequest(
            rules=RULES, employees=EMPLOYEES, out=out, rates=RATES, ratings=RATINGS, history=HISTORY
        )
    )
    return out, report


@pytest.fixture(scope="module")
def sample() -> dict[str, PolicyOutcome]:
    """Every employee's outcome, by id, from the library API (no files written)."""
    return cycle_outcomes("bonus")


def test_results_csv_matches_the_golden_file(run_dir: tuple[Path, Any]) -> None:
    """results.csv is byte for byte the reviewed golden file (156 rows: per employee, in roster
    order, the bonus row, the merit row, then the promotion row)."""
    out, _ = run_dir
    assert (out / "results.csv").read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_bonus_rows_do_not_depend_on_the_merit_policy(
    run_dir: tuple[Path, Any], tmp_path: Path
) -> None:
    """The bonus policy run alone (with the same history) gives the same bonus rows as the full
    sample: every cell of its columns is equal, and the columns the merit and promotion policies
    add are empty on bonus rows."""
    out, _ = run_dir
    alone = tmp_path / "alone"
    run_job(
        RunRequest(rules=BONUS_ONLY, employees=EMPLOYEES, out=alone, rates=RATES, history=HISTORY)
    )
    head_alone, *rows_alone = _rows(alone / "results.csv")
    head_all, *rows_all = _rows(out / "results.csv")
    width = len(head_alone)
    assert head_all[:width] == head_alone
    bonus = [row for row in rows_all if row[head_all.index("kind")] == "bonus"]
    assert [row[:width] for row in bonus] == rows_alone
    assert all(cell == "" for row in bonus for cell in row[width:])


def test_the_run_rejects_nothing_and_reconciles(run_dir: tuple[Path, Any]) -> None:
    """52 read = 52 computed + 0 rejected; policy outcomes: bonus 48 eligible, 4 ineligible (00024,
    00026, 00028, 00029); merit 44 eligible, 8 ineligible (see test_merit_sample.py); promotion
    46 eligible, 6 ineligible (the leavers, see test_promotion_sample.py). The ratings and history
    files have no orphan rows."""
    out, report = run_dir
    s = report.summary
    assert (s.read, s.computed, s.rejected, s.eligible, s.ineligible) == (52, 52, 0, 138, 18)
    assert report.orphan_rows == 0
    assert (out / "rejected.csv").read_text(encoding="utf-8").count("\n") == 1  # header only
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        ineligible = [
            r["employee_id"]
            for r in csv.DictReader(fh)
            if r["eligible"] == "false" and r["kind"] == "bonus"
        ]
    assert ineligible == ["00024", "00026", "00028", "00029"]


def test_control_totals(run_dir: tuple[Path, Any]) -> None:
    """Control totals of EXPECTED.md: USD AIP 554,650.65 (556,893.51 before the history of 00003,
    00011, 00014 and 00030: − 139.61 − 31.97 − 1,595.02 − 476.26) / AIPX 87,493.92; EUR
    218,200.16 / 26,250.00; GBP 75,687.70 / 17,500.00."""
    _, report = run_dir
    bonus = {
        key: value for key, value in report.summary.totals.items() if key[2] in ("AIP", "AIPX")
    }
    assert bonus == {
        ("USD", "annual_bonus", "AIP"): D("554650.65"),
        ("USD", "annual_bonus_excess", "AIPX"): D("87493.92"),
        ("EUR", "annual_bonus", "AIP"): D("218200.16"),
        ("EUR", "annual_bonus_excess", "AIPX"): D("26250.00"),
        ("GBP", "annual_bonus", "AIP"): D("75687.70"),
        ("GBP", "annual_bonus_excess", "AIPX"): D("17500.00"),
    }


def test_unit_target_totals(sample: dict[str, PolicyOutcome]) -> None:
    """unit_target_total_usd (eligible employees, USD at the 2026 average rates), with the
    weighted targets of the employees with history: Sales 295,217.759776 − 44.38 (00011)
    − 1,291.56 (00014) − 578.47 (00030) = 293,303.349776, Engineering 275,931.22, Finance
    125,216.58 − 159.56 (00003) = 125,057.02, Operations 39,147.552."""
    by_unit = {
        po.value("unit"): po.value("unit_target_total_usd") for po in sample.values() if po.eligible
    }
    assert by_unit == {
        "Sales": D("293303.349776"),
        "Engineering": D("275931.22"),
        "Finance": D("125057.02"),
        "Operations": D("39147.552"),
    }


def pay(po: PolicyOutcome) -> tuple[Decimal, Decimal]:
    return po.value("pay.annual_bonus"), po.value("pay.annual_bonus_excess")


def test_00001_baseline(sample: dict[str, PolicyOutcome]) -> None:
    """00001 Sales L1 USD Meets: 42,000 × 1 (fte default) × 5% × 1 = 2,100.00; goals in the flat
    band → 1; bonus 2,100 × 1.029125 × 1 × 100% = 2,161.1625 → AIP 2,161.16; limit 3,150 → AIPX 0."""
    po = sample["00001"]
    assert po.value("target_bonus") == D("2100.00")
    assert po.value("company_factor") == D("1.029125")
    assert po.value("individual_score") == 1
    assert po.value("bonus") == D("2161.1625")
    assert pay(po) == (D("2161.16"), D("0.00"))


def test_00004_excess_split_and_half_up(sample: dict[str, PolicyOutcome]) -> None:
    """00004 Sales L4 Exceptional: target 82,000 × 10% = 8,200; goals 1.23 → 140%, 1.05 → 100%,
    0.95 → 100%: 0.5 × 1.4 + 0.3 + 0.2 = 1.2; 8,200 × 1.029125 × 1.2 × 1.5 = 15,189.885 → half up
    15,189.89 (half even would give .88); limit 8,200 × 1.5 = 12,300 → AIPX 2,889.89, AIP 12,300.00."""
    po = sample["00004"]
    assert po.value("individual_score") == D("1.2")
    assert po.value("bonus") == D("15189.885")
    assert pay(po) == (D("12300.00"), D("2889.89"))


def test_00009_does_not_meet_gate(sample: dict[str, PolicyOutcome]) -> None:
    """00009 Does Not Meet: rating multiplier 0% and the gate no_bonus_at_does_not_meet → 0;
    zero_reason is the gate's reason."""
    po = sample["00009"]
    assert po.value("bonus.gate.no_bonus_at_does_not_meet") is True
    assert pay(po) == (D("0.00"), D("0.00"))
    assert po.zero_reason == "No bonus with an overall rating of Does Not Meet"


def test_00017_reaches_the_200_percent_cap(sample: dict[str, PolicyOutcome]) -> None:
    """00017 Sales L6 Exceptional: target 125,000 × 20% = 25,000; goals 1.6 → 200% (capped),
    1.5 → 200%, 1.41 → 180%: 1 + 0.6 + 0.36 = 1.96; 25,000 × 1.029125 × 1.96 × 1.5 = 75,640.6875
    → cap 2 × 25,000 = 50,000; limit 37,500 → AIP 37,500.00, AIPX 12,500.00."""
    po = sample["00017"]
    assert po.value("individual_score") == D("1.96")
    assert po.value("bonus.raw") == D("75640.6875")
    assert po.value("bonus") == D("50000")
    assert pay(po) == (D("37500.00"), D("12500.00"))


def test_00019_lower_is_better_goals(sample: dict[str, PolicyOutcome]) -> None:
    """00019 Finance L4 Meets: defect rate 1 − (25 − 20)/20 = 0.75 → 0%; cost per unit
    1 − (45 − 40)/40 = 0.875 → 50% + 0.075/0.15 × 50% = 75%; close accuracy 1 → 100%:
    0.3 × 0 + 0.3 × 0.75 + 0.4 × 1 = 0.625; 7,400 × 0.875 × 0.625 = 4,046.875 → 4,046.88."""
    po = sample["00019"]
    goals = po.value("individual.goals")
    assert [g[5] for g in goals] == [D("0.75"), D("0.875"), D(1)]
    assert po.value("individual_score") == D("0.625")
    assert po.value("bonus") == D("4046.875")
    assert pay(po) == (D("4046.88"), D("0.00"))


def test_00022_mid_year_hire(sample: dict[str, PolicyOutcome]) -> None:
    """00022 hired 2026-07-01: proration 184/365; 70,000 × 8% × 184/365 = 2,823.0136… → 2,823.01;
    × 1.029125 = 2,905.23016625 → AIP 2,905.23."""
    po = sample["00022"]
    assert round(po.value("proration"), 6) == D("0.504110")
    assert po.value("target_bonus") == D("2823.01")
    assert po.value("bonus") == D("2905.23016625")
    assert pay(po) == (D("2905.23"), D("0.00"))


def test_00024_hired_after_the_cut_off_is_ineligible(sample: dict[str, PolicyOutcome]) -> None:
    """00024 hired 2026-10-02, after 1 October: minimum_tenure fails → 0.00 / 0.00, not eligible."""
    po = sample["00024"]
    assert po.eligible is False
    assert po.zero_reason == "Hired after 1 October 2026"
    assert pay(po) == (D("0.00"), D("0.00"))


def test_00035_operations_margin_gate_and_floor(sample: dict[str, PolicyOutcome]) -> None:
    """00035 Operations, adjustment −5%: company_factor 0.776 gated to 0; bonus 7,600 × 0 − 380
    = −380 → floor 0; zero_reason from the company_factor gate (first zero gate applied)."""
    po = sample["00035"]
    assert po.value("company_factor.raw") == D("0.776")
    assert po.value("company_factor") == 0
    assert po.value("bonus.raw") == D("-380")
    assert po.value("bonus") == 0
    assert pay(po) == (D("0.00"), D("0.00"))
    assert po.zero_reason == "Unit operating margin below threshold: no company factor"


def test_00041_eur_absolute_cap_through_fx(sample: dict[str, PolicyOutcome]) -> None:
    """00041 EUR L8 Exceptional: target 450,000 × 30% = 135,000; score 0.5 × 2 + 0.5 × 1.8 = 1.9;
    135,000 × 1.029125 × 1.9 × 1.5 = 395,955.84375; cap min(270,000, 250,000 × USD→EUR 0.9150 =
    228,750) = 228,750; limit 202,500 → AIP 202,500.00, AIPX 26,250.00. target_bonus_usd =
    135,000 × EUR→USD 1.0929 = 147,541.5."""
    po = sample["00041"]
    assert po.value("absolute_cap") == D("228750")
    assert po.value("bonus") == D("228750")
    assert po.value("target_bonus_usd") == D("147541.5")
    assert pay(po) == (D("202500.00"), D("26250.00"))


def test_00043_split_limit_rounds_half_up(sample: dict[str, PolicyOutcome]) -> None:
    """00043: target 82,345 × 15% = 12,351.75; bonus 12,351.75 × 1.852425 = 22,880.69049375 →
    22,880.69; limit 12,351.75 × 1.5 = 18,527.625 → 18,527.63; AIPX 22,880.69 − 18,527.63 = 4,353.06."""
    po = sample["00043"]
    assert po.value("bonus") == D("22880.69049375")
    assert pay(po) == (D("18527.63"), D("4353.06"))


def test_00052_gbp_part_time_hire(sample: dict[str, PolicyOutcome]) -> None:
    """00052 GBP, FTE 0.6, hired 2026-03-16 (16 + 275 = 291 days): 66,000 × 20% × 291/365 =
    10,523.8356… → 10,523.84; goals 1.14 → 120%, 1 → 100% → 1.1; × 1.029125 × 1.1 × 1.2 =
    14,296.0578288 → 14,296.06. USD value 10,523.84 × 1.2739 = 13,406.319776."""
    po = sample["00052"]
    assert po.value("salary_base") == D("66000.0")
    assert po.value("target_bonus") == D("10523.84")
    assert po.value("target_bonus_usd") == D("13406.319776")
    assert po.value("bonus") == D("14296.0578288")
    assert pay(po) == (D("14296.06"), D("0.00"))


def test_00031_modifier_above_one(sample: dict[str, PolicyOutcome]) -> None:
    """00031 Engineering Exceeds, modifier 1.2: 1.05725 × 1.1 × 1.2 × 1.2 = 1.674684;
    8,300 × 1.674684 = 13,899.8772 → 13,899.88; limit 12,450 → AIPX 1,449.88."""
    po = sample["00031"]
    assert po.value("modified_factor") == D("1.674684")
    assert pay(po) == (D("12450.00"), D("1449.88"))
