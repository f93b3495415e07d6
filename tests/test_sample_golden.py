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

The bonus is paid from a department pool per unit (rules/annual_bonus.yaml, `pools:
department_pool`): the `bonus` step is each employee's individual award, converted to USD, capped
at 40 % of the unit's pool and, when the claims exceed the pool, scaled by one factor per unit so
that the pool is spent to the cent (floor + largest remainder); a pool the claims do not exceed
is not scaled: each claim is rounded half up to the cent and the rest is unspent. The allocation
is converted back at the rate the claim came in with (÷ EUR→USD 1.0929, ÷ GBP→USD 1.2739), so an
unscaled claim comes back whole. The per-employee tests below check the individual award (the hand
computations of EXPECTED.md stop there); the pool figures are in EXPECTED.md, "Department pools and
merit budgets", and are checked by the pool tests at the end of this file.

The company factors used below (fixtures/EXPECTED.md, "The company scorecard, worked once"):
Sales 0.75 × (0.7 × 1.24 + 0.3 × 1.125) + 0.25 × 0.5 = 1.029125; Engineering 0.75 × 1.243 + 0.125
= 1.05725; Finance 0.75 × min(1.093, 1.00) + 0.125 = 0.875; Operations: margin 5% below its 6%
threshold → company_factor gated to 0.
"""

from __future__ import annotations

import csv
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import breakdown_rows, cycle_outcomes
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
    return cycle_outcomes("annual-bonus-2026")


def test_results_csv_matches_the_golden_file(run_dir: tuple[Path, Any]) -> None:
    """results.csv is byte for byte the reviewed golden file (180 rows: per employee, in roster
    order, a row per policy covering them, in the order of the policies' ids: the annual bonus,
    the PSUs (levels 7 and 8), merit, promotion, then the Q4 sales incentive (quota carriers))."""
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
    # the annual bonus's rows (the PSU and sales plans are bonus plans too, in their own rows)
    bonus = [row for row in rows_all if row[head_all.index("policy")] == "annual-bonus-2026"]
    assert [row[:width] for row in bonus] == rows_alone
    assert all(cell == "" for row in bonus for cell in row[width:])


def test_the_run_rejects_nothing_and_reconciles(run_dir: tuple[Path, Any]) -> None:
    """52 read = 52 computed + 0 rejected; policy outcomes: bonus 48 eligible, 4 ineligible (00024,
    00026, 00028, 00029); merit 44 eligible, 8 ineligible (see test_merit_sample.py); promotion
    46 eligible, 6 ineligible (the leavers, see test_promotion_sample.py); PSUs 6 eligible;
    Q4 sales incentive 17 eligible, 1 ineligible (00045, see test_sample_ltip_sales.py). The
    ratings and history files have no orphan rows."""
    out, report = run_dir
    s = report.summary
    assert (s.read, s.computed, s.rejected, s.eligible, s.ineligible) == (52, 52, 0, 161, 19)
    assert report.orphan_rows == 0
    assert (out / "rejected.csv").read_text(encoding="utf-8").count("\n") == 1  # header only
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        ineligible = [
            r["employee_id"]
            for r in csv.DictReader(fh)
            if r["eligible"] == "false" and r["policy"] == "annual-bonus-2026"
        ]
    assert ineligible == ["00024", "00026", "00028", "00029"]


def test_control_totals(run_dir: tuple[Path, Any]) -> None:
    """Control totals of the pool allocations (EXPECTED.md, "Department pools and merit budgets").

    Before the department pools the individual awards paid USD 554,650.65 / 87,493.92, EUR
    218,200.16 / 26,250.00, GBP 75,687.70 / 17,500.00 (AIP / AIPX). Now every unit pays its pool
    allocation: Sales scaled by 0.945833 (00041 capped at 40 % of the pool), Finance scaled up by
    1.147990 (00050's capped part redistributed), Engineering unscaled (each claim rounded half up
    to the cent), Operations a pool of 0. EUR and GBP allocations are paid back ÷ 1.0929 and
    ÷ 1.2739, the rates the claims came in with."""
    _, report = run_dir
    bonus = {
        key: value for key, value in report.summary.totals.items() if key[2] in ("AIP", "AIPX")
    }
    assert bonus == {
        # USD allocations: Sales 301,845.80 + Engineering 430,178.91 + Finance 153,194.84 −
        # the EUR/GBP members' 255,008.80 = 630,210.75 = AIP 562,498.50 + AIPX 67,712.25
        ("USD", "annual_bonus", "AIP"): D("562498.50"),
        # 00004 2,067.09, 00008 25,392.15, 00016 339.97, 00017 9,791.64, 00031 1,449.88,
        # 00037 2,404.91, 00038 20,000.00, 00043 3,113.68, 00050 3,152.93
        ("USD", "annual_bonus_excess", "AIPX"): D("67712.25"),
        # 00039 15,700.16 (17,158.71 USD ÷ 1.0929 = 15,700.1646…, its claim back) + 00041
        # 110,475.18 (120,738.32 USD ÷ 1.0929 = 110,475.1761…)
        ("EUR", "annual_bonus", "AIP"): D("126175.34"),
        # 00041's 110,475.18 is below its limit 202,500.00: no excess any more
        ("EUR", "annual_bonus_excess", "AIPX"): D("0.00"),
        # 00040 8,410.00 (10,713.50 ÷ 1.2739) + 00042 52,500.00 + 00052 13,521.68 (17,225.27 ÷ 1.2739)
        ("GBP", "annual_bonus", "AIP"): D("74431.68"),
        # 00042: 89,173.00 USD ÷ 1.2739 = 70,000 exactly, its cap − 52,500.00 (not 17,500.81 as
        # when paid back × USD→GBP 0.785, which is not the exact inverse of 1.2739)
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
    """What payroll receives: the pool allocation in the pay currency, rounded and split."""
    return po.value("pay.annual_bonus"), po.value("pay.annual_bonus_excess")


def award(po: PolicyOutcome) -> Decimal:
    """The individual award (the `bonus` step) rounded to the cent, half up: the employee's claim
    on the department pool, before the pool; what EXPECTED.md's hand computations pay."""
    return po.value("bonus").quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_00001_baseline(sample: dict[str, PolicyOutcome]) -> None:
    """00001 Sales L1 USD Meets: 42,000 × 1 (fte default) × 5% × 1 = 2,100.00; goals in the flat
    band → 1; bonus 2,100 × 1.029125 × 1 × 100% = 2,161.1625 → 2,161.16: the individual award,
    before the department pool."""
    po = sample["00001"]
    assert po.value("target_bonus") == D("2100.00")
    assert po.value("company_factor") == D("1.029125")
    assert po.value("individual_score") == 1
    assert po.value("bonus") == D("2161.1625")
    assert award(po) == D("2161.16")


def test_00004_excess_split_and_half_up(sample: dict[str, PolicyOutcome]) -> None:
    """00004 Sales L4 Exceptional: target 82,000 × 10% = 8,200; goals 1.23 → 140%, 1.05 → 100%,
    0.95 → 100%: 0.5 × 1.4 + 0.3 + 0.2 = 1.2; 8,200 × 1.029125 × 1.2 × 1.5 = 15,189.885 → half up
    15,189.89 (half even would give .88): the individual award, before the department pool.
    The pool pays 15,189.885 × 0.9458327… = 14,367.0906… → 14,367.09 (no remainder cent); the
    split still applies: limit 8,200 × 1.5 = 12,300 → AIP 12,300.00, AIPX 2,067.09."""
    po = sample["00004"]
    assert po.value("individual_score") == D("1.2")
    assert po.value("bonus") == D("15189.885")
    assert award(po) == D("15189.89")
    assert po.value("department_pool_award") == D("14367.09")
    assert pay(po) == (D("12300.00"), D("2067.09"))


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
    → cap 2 × 25,000 = 50,000: the individual award, before the department pool. The pool pays
    50,000 × 0.9458327… = 47,291.637… → 47,291.63 + a remainder cent = 47,291.64; limit 37,500 →
    AIP 37,500.00, AIPX 9,791.64."""
    po = sample["00017"]
    assert po.value("individual_score") == D("1.96")
    assert po.value("bonus.raw") == D("75640.6875")
    assert po.value("bonus") == D("50000")
    assert award(po) == D("50000.00")
    assert po.value("department_pool_award") == D("47291.64")
    assert pay(po) == (D("37500.00"), D("9791.64"))


def test_00019_lower_is_better_goals(sample: dict[str, PolicyOutcome]) -> None:
    """00019 Finance L4 Meets: defect rate 1 − (25 − 20)/20 = 0.75 → 0%; cost per unit
    1 − (45 − 40)/40 = 0.875 → 50% + 0.075/0.15 × 50% = 75%; close accuracy 1 → 100%:
    0.3 × 0 + 0.3 × 0.75 + 0.4 × 1 = 0.625; 7,400 × 0.875 × 0.625 = 4,046.875 → 4,046.88: the
    individual award, before the department pool."""
    po = sample["00019"]
    goals = po.value("individual.goals")
    assert [g[5] for g in goals] == [D("0.75"), D("0.875"), D(1)]
    assert po.value("individual_score") == D("0.625")
    assert po.value("bonus") == D("4046.875")
    assert award(po) == D("4046.88")


def test_00022_mid_year_hire(sample: dict[str, PolicyOutcome]) -> None:
    """00022 hired 2026-07-01: proration 184/365; 70,000 × 8% × 184/365 = 2,823.0136… → 2,823.01;
    × 1.029125 = 2,905.23016625 → 2,905.23: the individual award, before the department pool."""
    po = sample["00022"]
    assert round(po.value("proration"), 6) == D("0.504110")
    assert po.value("target_bonus") == D("2823.01")
    assert po.value("bonus") == D("2905.23016625")
    assert award(po) == D("2905.23")


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
    228,750) = 228,750: the individual award, before the department pool (it would have paid
    AIP 202,500.00 + AIPX 26,250.00). target_bonus_usd = 135,000 × EUR→USD 1.0929 = 147,541.5.
    In the pool the claim is 228,750 × 1.0929 = 250,000.875 USD, capped at 40 % of the Sales pool
    (see test_the_sales_pool_caps_00041_at_40_percent)."""
    po = sample["00041"]
    assert po.value("absolute_cap") == D("228750")
    assert po.value("bonus") == D("228750")
    assert award(po) == D("228750.00")
    assert po.value("target_bonus_usd") == D("147541.5")
    assert po.value("department_pool_award_in") == D("250000.875")


def test_00043_split_limit_rounds_half_up(sample: dict[str, PolicyOutcome]) -> None:
    """00043: target 82,345 × 15% = 12,351.75; bonus 12,351.75 × 1.852425 = 22,880.69049375 →
    22,880.69: the individual award, before the department pool. The pool pays 22,880.69049375 ×
    0.9458327… = 21,641.306… → 21,641.30 + a remainder cent = 21,641.31; the split limit
    12,351.75 × 1.5 = 18,527.625 still rounds half up to 18,527.63; AIPX 21,641.31 − 18,527.63 =
    3,113.68."""
    po = sample["00043"]
    assert po.value("bonus") == D("22880.69049375")
    assert award(po) == D("22880.69")
    assert po.value("department_pool_award") == D("21641.31")
    assert pay(po) == (D("18527.63"), D("3113.68"))


def test_00052_gbp_part_time_hire(sample: dict[str, PolicyOutcome]) -> None:
    """00052 GBP, FTE 0.6, hired 2026-03-16 (16 + 275 = 291 days): 66,000 × 20% × 291/365 =
    10,523.8356… → 10,523.84; goals 1.14 → 120%, 1 → 100% → 1.1; × 1.029125 × 1.1 × 1.2 =
    14,296.0578288 → 14,296.06: the individual award, before the department pool. USD value
    10,523.84 × 1.2739 = 13,406.319776."""
    po = sample["00052"]
    assert po.value("salary_base") == D("66000.0")
    assert po.value("target_bonus") == D("10523.84")
    assert po.value("target_bonus_usd") == D("13406.319776")
    assert po.value("bonus") == D("14296.0578288")
    assert award(po) == D("14296.06")


def test_00031_modifier_above_one(sample: dict[str, PolicyOutcome]) -> None:
    """00031 Engineering Exceeds, modifier 1.2: 1.05725 × 1.1 × 1.2 × 1.2 = 1.674684;
    8,300 × 1.674684 = 13,899.8772 → 13,899.88; limit 12,450 → AIPX 1,449.88. The Engineering
    pool is over-funded (not scaled): 13,899.8772 is rounded half up to 13,899.88 (no remainder
    cents are handed out in an unscaled pool), as before the pool."""
    po = sample["00031"]
    assert po.value("modified_factor") == D("1.674684")
    assert po.value("department_pool_award") == D("13899.88")
    assert pay(po) == (D("12450.00"), D("1449.88"))


# -- department pools --------------------------------------------------------------------------


def _pools(out: Path) -> dict[str, dict[str, str]]:
    """pools.csv by group: `pool` is the pool's name (the sample has one, department_pool),
    `pool_amount` its amount."""
    with (out / "pools.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(row["policy"] == "annual-bonus-2026" for row in rows)
    assert all(row["pool"] == "department_pool" for row in rows)
    return {row["group"]: row for row in rows}


def _bonus_breakdown(out: Path) -> list[dict[str, str]]:
    return breakdown_rows(out, "annual-bonus-2026")


def test_every_department_pool_reconciles(run_dir: tuple[Path, Any]) -> None:
    """Each unit's pool in pools.csv: allocated + unspent = pool; a scaled pool (Sales down,
    Finance up) is spent exactly; and the members' department_pool_award in breakdown.csv add
    up to the unit's allocated, member count included. Operations has a pool of 0 (company
    factor 0). Engineering, over-funded, is not scaled: its claims 430,178.88190375 rounded half
    up each add up to 430,178.91 (no remainder units), leaving 466,765.25 − 430,178.91 =
    36,586.34 unspent (EXPECTED.md)."""
    out, _ = run_dir
    pools = _pools(out)
    assert sorted(pools) == ["Engineering", "Finance", "Operations", "Sales"]
    for group, row in pools.items():
        amount, allocated, unspent = D(row["pool_amount"]), D(row["allocated"]), D(row["unspent"])
        assert allocated + unspent == amount, group
        if row["scaling"] != "none":
            assert allocated == amount, group
            assert unspent == 0, group
    assert {g: r["scaling"] for g, r in pools.items()} == {
        "Engineering": "none",
        "Finance": "up",
        "Operations": "none",
        "Sales": "down",
    }
    assert D(pools["Engineering"]["allocated"]) == D("430178.91")
    assert D(pools["Engineering"]["unspent"]) == D("36586.34")
    assert pools["Engineering"]["remainder_units"] == "0"
    assert D(pools["Operations"]["pool_amount"]) == 0
    members: dict[str, list[Decimal]] = {}
    for r in _bonus_breakdown(out):
        if r["department_pool_award"] != "":  # ineligible employees are in no pool
            members.setdefault(r["unit"], []).append(D(r["department_pool_award"]))
    assert sorted(members) == sorted(pools)
    for group, awards in members.items():
        assert len(awards) == int(pools[group]["members"]), group
        assert sum(awards, D(0)) == D(pools[group]["allocated"]), group


def test_the_sales_pool_caps_00041_at_40_percent(run_dir: tuple[Path, Any]) -> None:
    """Sales: funding 293,303.349776 × 1.029125 × 100% = 301,845.809838… → pool 301,845.80 (rounded
    down to the cent). 00041's claim 228,750 EUR × 1.0929 = 250,000.875 USD is above the cap
    40% × 301,845.80 = 120,738.32 (exact), so 00041 gets exactly the cap and pays 120,738.32 ÷
    EUR→USD 1.0929 (the rate its claim came in with) = 110,475.1761… → 110,475.18 EUR (below the
    limit 202,500.00: no AIPX); every other Sales award is below the cap."""
    out, _ = run_dir
    sales = _pools(out)["Sales"]
    pool = D(sales["pool_amount"])
    assert D(sales["funding"]) == D("293303.349776") * D("1.029125")
    assert pool == D("301845.80")
    cap = (D("0.4") * pool).quantize(D("0.01"), rounding=ROUND_FLOOR)
    assert cap == D("120738.32")
    rows = {r["employee_id"]: r for r in _bonus_breakdown(out) if r["unit"] == "Sales"}
    assert D(rows["00041"]["department_pool_award_in"]) == D("250000.875")
    assert D(rows["00041"]["department_pool_award"]) == cap
    awards = [D(r["department_pool_award"]) for r in rows.values() if r["department_pool_award"]]
    assert len(awards) == 17
    assert all(a <= cap for a in awards)
    assert sorted(awards)[-2] < cap  # nobody else reaches it (00017: 47,291.64)
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        (paid,) = (
            r
            for r in csv.DictReader(fh)
            if r["employee_id"] == "00041" and r["policy"] == "annual-bonus-2026"
        )
    assert (paid["annual_bonus"], paid["annual_bonus_excess"]) == ("110475.18", "0.00")


def test_an_unscaled_pool_pays_each_claim_as_it_was(
    run_dir: tuple[Path, Any], sample: dict[str, PolicyOutcome]
) -> None:
    """A pool the claims do not exceed (scaling "none" in pools.csv: Engineering, and Operations
    with its pool of 0) is not scaled: each claim is rounded half up to the cent, no remainder
    cent is handed out, and the allocation goes back at the rate the claim came in with. So a
    member paid in USD receives (AIP + AIPX) exactly its individual award, the `bonus` step
    rounded half up (00013 8,352.275 → 8,352.28, 00018 10,001.585 → 10,001.59, 00023
    895.385025 → 895.39: flooring with the remainder cents to the claims' sum rounded down gave
    them a cent less). And 00042 (GBP, capped at 200 % of its target: 70,000) claims 70,000 ×
    1.2739 = 89,173.00 USD and is paid back 89,173.00 ÷ 1.2739 = 70,000.00 GBP exactly (× the
    USD→GBP quote 0.785 it was 70,000.805 → 70,000.81, above its cap)."""
    out, _ = run_dir
    unscaled = {group for group, row in _pools(out).items() if row["scaling"] == "none"}
    assert unscaled == {"Engineering", "Operations"}
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        paid = {
            r["employee_id"]: r
            for r in csv.DictReader(fh)
            if r["policy"] == "annual-bonus-2026"
        }
    checked = []
    for employee_id, po in sample.items():
        if not po.eligible or po.value("unit") not in unscaled:
            continue  # ineligible employees are in no pool
        row = paid[employee_id]
        assert row["currency"] == po.value("currency")
        if row["currency"] != "USD":
            continue
        total = D(row["annual_bonus"]) + D(row["annual_bonus_excess"])
        assert total == award(po), employee_id
        checked.append(employee_id)
    # Engineering: 17 members less 00039 (EUR) and 00042 (GBP); Operations: 4 less 00051 (EUR)
    assert len(checked) == 15 + 3
    assert {e: paid[e]["annual_bonus"] for e in ("00013", "00018", "00023")} == {
        "00013": "8352.28",
        "00018": "10001.59",
        "00023": "895.39",
    }
    po = sample["00042"]
    assert po.value("unit") == "Engineering" and po.value("currency") == "GBP"
    assert po.value("bonus") == D("70000") == po.value("bonus_cap")
    assert po.value("department_pool_award_in") == D("89173.00")
    assert po.value("department_pool_award") == D("89173.00")
    assert po.value("department_pool_payout") == D("70000.00")
    assert pay(po) == (D("52500.00"), D("17500.00"))
    assert (paid["00042"]["annual_bonus"], paid["00042"]["annual_bonus_excess"]) == (
        "52500.00",
        "17500.00",
    )
