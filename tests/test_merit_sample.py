"""The bundled merit policy, rules/merit.yaml (merit-2027), on fixtures/employees.csv (the full
cycle: with fixtures/ratings.csv and fixtures/history.csv; the merit uses the roster values, so
the history changes none of its figures).

Every figure is a hand computation of fixtures/EXPECTED.md, section "Merit" (exact decimals).
Ranges (full-time annual): US G1 40,000 / 50,000 / 60,000, US G2 60,000 / 73,500 / 87,000,
US G3 90,000 / 112,500 / 135,000, US G4 130,000 / 165,000 / 200,000, DE G3 80,000 / 100,000 /
120,000, DE G4 120,000 / 150,000 / 180,000, GB G3 76,000 / 96,000 / 116,000. Matrix bands of the
compa-ratio: [0, 90 %), [90 %, 110 %), [110 %, …).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome, calculate
from incentives.io import open_roster, read_rates
from incentives.io.roster import Roster
from incentives.jobs import required_columns
from incentives.model import Rejection
from incentives.rulebook.rulebook import Rulebook, load_rules

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EMPLOYEES = ROOT / "fixtures" / "employees.csv"
RATES = ROOT / "fixtures" / "rates.csv"
RATINGS = ROOT / "fixtures" / "ratings.csv"
HISTORY = ROOT / "fixtures" / "history.csv"


def sample_roster(rulebook: Rulebook) -> Roster:
    return open_roster(
        EMPLOYEES,
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def merit(rulebook: Rulebook) -> dict[str, PolicyOutcome]:
    """Every employee's merit outcome, by id."""
    roster = sample_roster(rulebook)
    found: dict[str, PolicyOutcome] = {}
    for item in calculate(rulebook, roster, rates=read_rates(RATES)):
        assert isinstance(item, EmployeeOutcome), item
        (found[item.employee_id],) = (o for o in item.outcomes if o.policy.kind == "merit")
    return found


def pay(po: PolicyOutcome) -> tuple[Decimal, Decimal]:
    """(MERIT, LUMP) as paid."""
    return po.value("pay.merit_increase"), po.value("pay.merit_lump_sum")


def test_every_employee_is_in_the_merit_policy_once(merit: dict[str, PolicyOutcome]) -> None:
    """All 52 employees get one merit outcome; the 8 ineligible ones are the leavers, the
    employee serving notice and the hire after the cut-off, each with its reason."""
    assert len(merit) == 52
    ineligible = {k: po.zero_reason for k, po in merit.items() if not po.eligible}
    leaver = "Leaver: no merit increase"
    assert ineligible == {
        "00024": "Hired after the 1 October 2026 cut-off",
        "00025": leaver,
        "00026": leaver,
        "00027": leaver,
        "00028": leaver,
        "00035": "Serving notice: no merit increase",
        "00044": leaver,
        "00045": leaver,
    }
    assert all(pay(merit[k]) == (0, 0) for k in ineligible)


def test_control_totals(rulebook: Rulebook) -> None:
    """MERIT and LUMP per currency (EXPECTED.md): USD 120,855.00 / 4,490.00; EUR 3,500.00 /
    13,500.00; GBP 7,300.00 / 0.00."""
    roster = sample_roster(rulebook)
    calc = calculate(rulebook, roster, rates=read_rates(RATES))
    list(calc)
    merit = {k: v for k, v in calc.summary.totals.items() if k[2] in ("MERIT", "LUMP")}
    assert merit == {
        ("USD", "merit_increase", "MERIT"): D("120855.00"),
        ("USD", "merit_lump_sum", "LUMP"): D("4490.00"),
        ("EUR", "merit_increase", "MERIT"): D("3500.00"),
        ("EUR", "merit_lump_sum", "LUMP"): D("13500.00"),
        ("GBP", "merit_increase", "MERIT"): D("7300.00"),
        ("GBP", "merit_lump_sum", "LUMP"): D("0.00"),
    }


def test_00001_baseline(merit: dict[str, PolicyOutcome]) -> None:
    """00001 US G1 Meets: compa 42,000 ÷ 50,000 = 0.84 (band below 90 %) → 3 / 3.5 / 4 %; merit
    42,000 × 3.5 % = 1,470; uncapped salary 43,470 ≤ 60,000; rounded to 43,500 (+30)."""
    po = merit["00001"]
    assert po.value("compa_ratio") == D("0.84")
    assert po.value("position_in_range") == D("0.1")
    assert po.value("merit_amount") == 1470
    assert po.value("new_salary") == 43500
    assert po.value("rounding_difference") == 30
    assert pay(po) == (D("1500.00"), D("0.00"))


def test_00002_compa_ratio_exactly_on_the_110_boundary(merit: dict[str, PolicyOutcome]) -> None:
    """00002 US G1 Exceeds: compa 55,000 ÷ 50,000 = 1.10 exactly: the band [110 %, …) (half-open
    bands), cell 1 / 2 / 3 % (the band below would give 3.5 %); 55,000 × 2 % = 1,100 → 56,100."""
    po = merit["00002"]
    assert po.value("compa_ratio") == D("1.1")
    assert (po.value("guideline_min"), po.value("guideline_target"), po.value("guideline_max")) == (
        D("0.01"),
        D("0.02"),
        D("0.03"),
    )
    assert po.value("new_salary") == 56100
    assert pay(po) == (D("1100.00"), D("0.00"))


def test_00039_compa_ratio_exactly_on_the_90_boundary(merit: dict[str, PolicyOutcome]) -> None:
    """00039 DE G3 Meets (EUR): compa 90,000 ÷ 100,000 = 0.90 exactly: the band [90 %, 110 %),
    2 / 2.5 / 3 %; 90,000 × 2.5 % = 2,250 → 92,250 → 92,300 (+50, half up)."""
    po = merit["00039"]
    assert po.value("compa_ratio") == D("0.9")
    assert po.value("guideline_target") == D("0.025")
    assert po.value("new_salary") == 92300
    assert po.value("rounding_difference") == 50
    assert pay(po) == (D("2300.00"), D("0.00"))


def test_00008_already_above_the_range_maximum(merit: dict[str, PolicyOutcome]) -> None:
    """00008 US G4 Exceeds: 210,000 > max 200,000; compa 1.272727… → 1 / 2 / 3 %; merit
    210,000 × 2 % = 4,200; ceiling max(200,000, 210,000) = 210,000 → base increase 0, lump sum
    4,200 (0 + 4,200 = uncapped 4,200); new salary stays 210,000 (no rounding)."""
    po = merit["00008"]
    assert po.value("uncapped_increase") == 4200
    assert po.value("base_increase") == 0
    assert po.value("lump_sum") == 4200
    assert po.value("new_salary") == 210000
    assert pay(po) == (D("0.00"), D("4200.00"))


def test_00018_cap_splits_the_increase(merit: dict[str, PolicyOutcome]) -> None:
    """00018 US G2 Meets: compa 86,000 ÷ 73,500 = 1.170068… → 0.5 / 1.5 / 2 %; merit 1,290;
    86,000 + 1,290 = 87,290 > max 87,000 → base increase 1,000 + lump sum 290 = 1,290."""
    po = merit["00018"]
    assert po.value("merit_amount") == 1290
    assert po.value("capped_salary") == 87000
    assert po.value("base_increase") + po.value("lump_sum") == po.value("uncapped_increase")
    assert (po.value("base_increase"), po.value("lump_sum")) == (1000, 290)
    assert po.value("new_salary") == 87000
    assert pay(po) == (D("1000.00"), D("290.00"))


def test_00041_eur_far_above_the_maximum(merit: dict[str, PolicyOutcome]) -> None:
    """00041 DE G4 Exceptional (EUR): 450,000, max 180,000, compa 3 → 2 / 3 / 4 %; 13,500 all
    paid as a lump sum; salary unchanged."""
    po = merit["00041"]
    assert po.value("compa_ratio") == 3
    assert po.value("new_salary") == 450000
    assert pay(po) == (D("0.00"), D("13500.00"))


def test_00010_promotion_lands_exactly_on_the_new_minimum(merit: dict[str, PolicyOutcome]) -> None:
    """00010 US G1 → G2 Meets: max(52,000 × 8 % = 4,160, 60,000 − 52,000 = 8,000) = 8,000
    (15.38 % < the 20 % cap) → 60,000 = the G2 minimum; compa after promotion 60,000 ÷ 73,500
    = 0.816… → 3 / 3.5 / 4 %; merit 60,000 × 3.5 % = 2,100; new salary 62,100."""
    po = merit["00010"]
    assert po.value("promotion_amount") == 8000
    assert po.value("salary_after_promotion") == po.value("new_range_min") == 60000
    assert po.value("merit_amount") == 2100
    assert po.value("new_salary") == 62100
    assert pay(po) == (D("10100.00"), D("0.00"))


def test_00046_promotion_capped_below_the_new_minimum(merit: dict[str, PolicyOutcome]) -> None:
    """00046 US G1 → G2 Meets: needs 60,000 − 40,000 = 20,000 (50 %), capped at 40,000 × 20 % =
    8,000 → 48,000, still below the G2 minimum; compa 48,000 ÷ 73,500 → 3.5 %: 1,680; 49,680 →
    49,700."""
    po = merit["00046"]
    assert po.value("promotion_amount") == 8000
    assert po.value("merit_amount") == 1680
    assert po.value("new_salary") == 49700
    assert po.value("new_salary") < po.value("new_range_min")
    assert pay(po) == (D("9700.00"), D("0.00"))


def test_00037_promotion_the_eight_percent_wins(merit: dict[str, PolicyOutcome]) -> None:
    """00037 US G3 → G4 Exceeds: max(122,000 × 8 % = 9,760, 130,000 − 122,000 = 8,000) = 9,760
    → 131,760; compa 131,760 ÷ 165,000 = 0.798… → 4 / 4.5 / 5 %; merit 5,929.20; 137,689.20 →
    137,700 (+10.80)."""
    po = merit["00037"]
    assert po.value("promotion_amount") == D("9760.00")
    assert po.value("merit_amount") == D("5929.20")
    assert po.value("new_salary") == 137700
    assert po.value("rounding_difference") == D("10.80")
    assert pay(po) == (D("15700.00"), D("0.00"))


def test_00014_proposal_above_the_cell_is_flagged_and_clamped(
    merit: dict[str, PolicyOutcome],
) -> None:
    """00014 US G2 Exceeds, proposal 6 %: compa 1.047… → 3 / 3.5 / 4 %; 6 % > 4 % (not above
    2 × 4 %) → flagged, clamped to 4 %: 77,000 × 4 % = 3,080 → 80,100."""
    po = merit["00014"]
    assert po.value("merit_pct_full_year") == D("0.04")
    assert po.notes == "Proposal outside the guideline: clamped into [min, max]"
    assert po.value("new_salary") == 80100


def test_00032_proposal_below_the_cell_is_clamped_up(merit: dict[str, PolicyOutcome]) -> None:
    """00032 US G2 Meets, proposal 1 %: cell 2 / 2.5 / 3 % → flagged, clamped to 2 %: 1,560."""
    po = merit["00032"]
    assert po.value("merit_pct") == D("0.02")
    assert "clamped" in po.notes
    assert po.value("merit_amount") == 1560


def test_00004_proposal_inside_the_cell_is_used(merit: dict[str, PolicyOutcome]) -> None:
    """00004 US G2 Exceptional, proposal 3.5 % inside 2 / 3 / 4 %: used, no note; 82,000 × 3.5 %
    = 2,870 → 84,870 → 84,900."""
    po = merit["00004"]
    assert po.value("merit_pct") == D("0.035")
    assert po.notes == ""
    assert po.value("new_salary") == 84900


def test_00047_minimum_increase_for_a_small_proposal(merit: dict[str, PolicyOutcome]) -> None:
    """00047 US G1 Partially Meets, proposal 0.5 % inside 0.5 / 1 / 1.5 %: 51,000 × 0.5 % = 255
    < 500 → top-up 245 → 500; 51,500."""
    po = merit["00047"]
    assert po.value("merit_amount") == 255
    assert po.value("minimum_top_up") == 245
    assert po.value("new_salary") == 51500


def test_00023_hire_on_the_cutoff_prorated_then_minimum(merit: dict[str, PolicyOutcome]) -> None:
    """00023 hired 2026-10-01 (the cut-off day: eligible): months employed on the 15th Oct, Nov,
    Dec → 3/12; compa 56,000 ÷ 50,000 = 1.12 → 1.5 %; 1.5 % × 0.25 = 0.375 % → 210 → minimum
    500 → 56,500."""
    po = merit["00023"]
    assert po.eligible
    assert po.value("proration") == D("0.25")
    assert po.value("merit_amount") == 210
    assert po.value("new_salary") == 56500


def test_00052_hire_prorated_rounding_half_up(merit: dict[str, PolicyOutcome]) -> None:
    """00052 GB G3 Exceeds (GBP, FTE 0.6), hired 2026-03-16: March not counted (not employed on
    the 15th) → 9/12; compa 110,000 ÷ 96,000 (full-time salary) = 1.1458… → 2 %; 2 % × 0.75 =
    1.5 % → 1,650; 111,650 → exactly half → up to 111,700 (+50)."""
    po = merit["00052"]
    assert po.value("proration") == D("0.75")
    assert po.value("merit_amount") == 1650
    assert po.value("new_salary") == 111700
    assert pay(po) == (D("1700.00"), D("0.00"))


def test_00009_does_not_meet_gets_nothing_with_a_reason(merit: dict[str, PolicyOutcome]) -> None:
    """00009 Does Not Meet: cell 0 / 0 / 0, no minimum (zero guideline); zero_reason from the gate."""
    po = merit["00009"]
    assert po.eligible
    assert po.value("new_salary") == 61000
    assert po.zero_reason == "No merit increase with an overall rating of Does Not Meet"


# -- rejected rows, on a copy of the sample roster ----------------------------------------------


def _one_row(tmp_path: Path, employee_id: str, **cells: str) -> Path:
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header = list(reader.fieldnames or [])
        row = next(r for r in reader if r["employee_id"] == employee_id)
    row.update(cells)
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    return path


def _run(rulebook: Rulebook, roster: Path) -> EmployeeOutcome | Rejection:
    items = list(
        calculate(
            rulebook,
            open_roster(roster, required_columns=required_columns(rulebook)),
            rates=read_rates(RATES),
        )
    )
    assert len(items) == 1
    return items[0]


def test_proposal_far_above_the_cell_rejects_the_row(rulebook: Rulebook, tmp_path: Path) -> None:
    """00014 with a proposal of 9 % (> 2 × max 4 %): the row is rejected with the policy's reason."""
    item = _run(rulebook, _one_row(tmp_path, "00014", proposal="9%"))
    assert isinstance(item, Rejection)
    assert item.reason == (
        "merit-2027: step 'merit_pct_full_year': Proposed merit increase is more than twice the guideline maximum: "
        "needs a compensation review"
    )


def test_proposal_at_exactly_twice_the_max_is_only_flagged(
    rulebook: Rulebook, tmp_path: Path
) -> None:
    """00014 with a proposal of exactly 8 % (= 2 × max): flagged and clamped to 4 %, not rejected."""
    item = _run(rulebook, _one_row(tmp_path, "00014", proposal="8%"))
    assert isinstance(item, EmployeeOutcome)
    (po,) = (o for o in item.outcomes if o.policy.kind == "merit")
    assert po.value("merit_pct") == D("0.04")
    assert "clamped" in po.notes


def test_proposal_that_is_not_a_number_rejects_the_row(rulebook: Rulebook, tmp_path: Path) -> None:
    """A proposal 'high' is rejected in column proposal, naming the value."""
    item = _run(rulebook, _one_row(tmp_path, "00014", proposal="high"))
    assert isinstance(item, Rejection)
    assert (item.column, item.value) == ("proposal", "high")
    assert "high" in item.reason


def test_range_in_another_currency_rejects_the_row(rulebook: Rulebook, tmp_path: Path) -> None:
    """A US employee paid in EUR: the US range is in USD, so the row is rejected."""
    item = _run(rulebook, _one_row(tmp_path, "00039", country="US"))
    assert isinstance(item, Rejection)
    assert "another currency" in item.reason
