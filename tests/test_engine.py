"""The engine, construct by construct, against hand-computed expectations.

Each test builds a small policy from YAML text (see `engine_helpers`), computes a few employees
and checks the trace values, the pay components or the rejection. The arithmetic behind each
expectation is written in the test's docstring.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine_helpers import (
    REJECTED_IN_GROUP,
    FixedRates,
    compute,
    employees,
    load,
    policy_yaml,
    run,
)
from incentives.engine.calculate import EmployeeOutcome, NotCovered, PolicyOutcome, calculate
from incentives.io import ResultFigure, read_rates
from incentives.model import GoalInput, Rejection

D = Decimal


def ok(item: PolicyOutcome | Rejection) -> PolicyOutcome:
    """The outcome, failing the test with the rejection's reason if the row was rejected."""
    assert isinstance(item, PolicyOutcome), f"rejected: {item}"
    return item


def rejected(item: PolicyOutcome | Rejection) -> Rejection:
    assert isinstance(item, Rejection), f"computed, not rejected: {item}"
    return item


# ------------------------------------------------------------------------- target × salary

TARGET = policy_yaml(
    """
    tables:
      target_pct:
        axes:
          - {name: level, match: exact, at: [1, 2, 3]}
        values: [5%, 10%, 15%]
    steps:
      proration: "prorate(hire_date, termination_date, 'actual_days')"
      bonus:
        formula: salary * fte * target_pct(level) * proration
        type: money
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    salary: {type: decimal, min: 0}
    fte: {type: decimal, required: false, default: 1, min: 0.1, max: 1}
    level: {type: integer}
    hire_date: {type: date}
    termination_date: {type: date, required: false}
    """,
)


def test_target_percent_times_salary_fte_and_proration(tmp_path: Path) -> None:
    """80,000 × FTE 0.5 × target_pct(2) 10% × 184/365 (hired 2026-07-01)
    = 4,000 × 184/365 = 2,016.438356… → pay rounded to the cent 2,016.44."""
    [out] = compute(
        tmp_path,
        TARGET,
        [{"salary": "80000", "fte": "0.5", "level": "2", "hire_date": "2026-07-01"}],
    )
    out = ok(out)
    assert out.value("proration") == D(184) / D(365)
    assert out.value("bonus") == D(4000) * D(184) / D(365)
    assert out.value("pay.annual_bonus") == D("2016.44")
    assert out.eligible
    assert out.currency == "USD"


def test_fte_default_and_full_year(tmp_path: Path) -> None:
    """FTE empty → default 1; hired before the period → proration 1: 50,000 × 1 × 15% × 1 = 7,500."""
    [out] = compute(
        tmp_path, TARGET, [{"salary": "50000", "level": "3", "hire_date": "2015-05-05"}]
    )
    out = ok(out)
    assert out.value("fte") == 1
    assert out.value("proration") == 1
    assert out.value("bonus") == D("7500")
    assert out.value("pay.annual_bonus") == D("7500.00")


def test_a_leaver_is_prorated_to_the_termination_date(tmp_path: Path) -> None:
    """Hired 2020, left 2026-03-31: Jan 31 + Feb 28 + Mar 31 = 90 days; 36,500 × 10% × 90/365 = 900."""
    [out] = compute(
        tmp_path,
        TARGET,
        [
            {
                "salary": "36500",
                "level": "2",
                "hire_date": "2020-01-01",
                "termination_date": "2026-03-31",
            }
        ],
    )
    out = ok(out)
    assert out.value("proration") == D(90) / D(365)
    assert out.value("pay.annual_bonus") == D("900.00")


# --------------------------------------------------------------------------------- proration

PRORATE = """
    steps:
      actual: "prorate(hire_date, termination_date, 'actual_days')"
      d365: "prorate(hire_date, termination_date, 'days_365')"
      d360: "prorate(hire_date, termination_date, 'days_360')"
      months_count: "prorate(hire_date, termination_date, 'months')"
      months_drop: "prorate(hire_date, termination_date, 'months', 'drop')"
      months_15th: "prorate(hire_date, termination_date, 'months', 'fifteenth')"
      bonus: {formula: "1000 * actual", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
PRORATE_INPUTS = """
    hire_date: {type: date}
    termination_date: {type: date, required: false}
    """


def prorations(tmp_path: Path, hire: str, leave: str = "", year: int = 2026) -> PolicyOutcome:
    text = policy_yaml(
        PRORATE,
        inputs=PRORATE_INPUTS,
        start=f"{year}-01-01",
        end=f"{year}-12-31",
        payout=f"{year + 1}-03-15",
    )
    [out] = compute(tmp_path, text, [{"hire_date": hire, "termination_date": leave}])
    return ok(out)


def test_actual_days_for_a_mid_year_hire(tmp_path: Path) -> None:
    """Hired 2026-07-01: July..December = 31+31+30+31+30+31 = 184 days of 365, ends inclusive."""
    out = prorations(tmp_path, "2026-07-01")
    assert out.value("actual") == D(184) / D(365)
    assert round(out.value("actual"), 6) == D("0.504110")


def test_actual_days_for_a_hire_on_the_last_day(tmp_path: Path) -> None:
    """Hired 2026-12-31, the last day of the period: 1 day of 365 (both ends inclusive)."""
    out = prorations(tmp_path, "2026-12-31")
    assert out.value("actual") == D(1) / D(365)
    assert out.value("d365") == D(1) / D(365)


def test_actual_days_before_and_after_the_period(tmp_path: Path) -> None:
    """A hire after the period covers no day (0); a hire before it covers the whole period (1)."""
    assert prorations(tmp_path / "a", "2027-01-01").value("actual") == 0
    assert prorations(tmp_path / "b", "2019-01-01").value("actual") == 1


def test_leap_year_full_year_is_one(tmp_path: Path) -> None:
    """The 2024 period has 366 days: a full year is 366/366 = 1 on every basis (not 366/365)."""
    out = prorations(tmp_path, "2020-01-01", year=2024)
    for step in ("actual", "d365", "d360", "months_count", "months_drop", "months_15th"):
        assert out.value(step) == 1, step


def test_leap_year_hire_on_the_last_day(tmp_path: Path) -> None:
    """Hired 2024-12-31: 1 day of the 366 days of 2024 = 1/366 (not 1/365)."""
    out = prorations(tmp_path, "2024-12-31", year=2024)
    assert out.value("actual") == D(1) / D(366)


def test_leap_day_hire(tmp_path: Path) -> None:
    """Hired 2024-02-29: Feb 29 + Mar..Dec (31+30+31+30+31+31+30+31+30+31 = 306) = 307 of 366."""
    out = prorations(tmp_path, "2024-02-29", year=2024)
    assert out.value("actual") == D(307) / D(366)


def test_months_basis(tmp_path: Path) -> None:
    """Hired 2026-07-20: July is partly employed. count: 6/12 (Jul..Dec); drop: 5/12 (Aug..Dec);
    fifteenth: not employed on 15 July → 5/12."""
    out = prorations(tmp_path, "2026-07-20")
    assert out.value("months_count") == D(6) / D(12)
    assert out.value("months_drop") == D(5) / D(12)
    assert out.value("months_15th") == D(5) / D(12)


def test_months_basis_fifteenth_counts_a_month_employed_on_the_15th(tmp_path: Path) -> None:
    """Hired 2026-07-10, left 2026-11-14: count Jul..Nov = 5/12; drop Aug..Oct = 3/12;
    fifteenth: employed on 15 Jul, Aug, Sep, Oct, not on 15 Nov → 4/12."""
    out = prorations(tmp_path, "2026-07-10", "2026-11-14")
    assert out.value("months_count") == D(5) / D(12)
    assert out.value("months_drop") == D(3) / D(12)
    assert out.value("months_15th") == D(4) / D(12)


def test_days_360_basis(tmp_path: Path) -> None:
    """30E/360: hired 2026-07-01 → Jul..Dec = 6 × 30 = 180 of 360 = 0.5 exactly (actual days
    would give 184/365); hired 2026-04-16 → April 16..30 = 15 days + 8 × 30 = 255 of 360."""
    assert prorations(tmp_path / "a", "2026-07-01").value("d360") == D("0.5")
    assert prorations(tmp_path / "b", "2026-04-16").value("d360") == D(255) / D(360)


def test_days_360_for_a_leaver(tmp_path: Path) -> None:
    """30E/360: hired before, left 2026-03-31 (a 31st counts as the 30th) → 3 × 30 = 90 of 360 = 0.25."""
    out = prorations(tmp_path, "2020-01-01", "2026-03-31")
    assert out.value("d360") == D("0.25")


# ------------------------------------------------------------------------------- eligibility

ELIGIBILITY = policy_yaml(
    """
    eligibility:
      - name: employed_on_payout_date
        rule: "is_missing(termination_date) or termination_date >= payout_date"
        reason: "Not employed on the payout date"
      - {name: not_on_pip, rule: "not on_pip", reason: "On a performance improvement plan"}
    steps:
      bonus: {formula: "salary * 10%", type: money}
    pay:
      - name: annual_bonus
        step: bonus
        pay_code: AIP
        split:
          - {name: annual_bonus_excess, pay_code: AIPX, above: "salary * 5%"}
    """,
    inputs="""
    salary: {type: decimal}
    termination_date: {type: date, required: false}
    on_pip: {type: boolean, required: false, default: false}
    """,
)


def test_an_eligible_employee(tmp_path: Path) -> None:
    """Employed, not on a PIP: bonus 40,000 × 10% = 4,000; split above 40,000 × 5% = 2,000 → 2,000 / 2,000."""
    [out] = compute(tmp_path, ELIGIBILITY, [{"salary": "40000"}])
    out = ok(out)
    assert out.eligible and out.zero_reason == ""
    assert out.value("eligible.employed_on_payout_date") is True
    assert (out.value("pay.annual_bonus"), out.value("pay.annual_bonus_excess")) == (
        D("2000.00"),
        D("2000.00"),
    )


def test_ineligible_employee_gets_zero_everywhere_with_the_rules_reason(tmp_path: Path) -> None:
    """Left 2027-01-31, before the payout date 2027-03-15 → rule employed_on_payout_date fails:
    eligible false, every pay component 0, zero_reason is that rule's reason, no step evaluated."""
    [out] = compute(tmp_path, ELIGIBILITY, [{"salary": "40000", "termination_date": "2027-01-31"}])
    out = ok(out)
    assert out.eligible is False
    assert out.zero_reason == "Not employed on the payout date"
    assert out.value("pay.annual_bonus") == 0
    assert out.value("pay.annual_bonus_excess") == 0
    assert out.value("pay.annual_bonus.total") == 0
    assert out.value("bonus") is None


def test_the_first_failed_eligibility_rule_gives_the_reason(tmp_path: Path) -> None:
    """Both rules fail (left early and on a PIP): the first rule's reason is reported."""
    rows = [
        {"salary": "40000", "termination_date": "2027-01-31", "on_pip": "yes"},
        {"salary": "40000", "on_pip": "yes"},
    ]
    first, second = (ok(o) for o in compute(tmp_path, ELIGIBILITY, rows))
    assert first.zero_reason == "Not employed on the payout date"
    assert second.zero_reason == "On a performance improvement plan"
    assert not first.eligible and not second.eligible


def test_ineligible_employees_count_in_the_summary(tmp_path: Path) -> None:
    """Two employees, one on a PIP: read 2 = computed 2 + rejected 0; eligible 1, ineligible 1."""
    rulebook = load(tmp_path, ELIGIBILITY)
    calc, _ = run(rulebook, [{"salary": "40000"}, {"salary": "40000", "on_pip": "true"}])
    s = calc.summary
    assert (s.read, s.computed, s.rejected, s.eligible, s.ineligible) == (2, 2, 0, 1, 1)
    assert s.reconciles


# ---------------------------------------------------------------------------------- gates

GATES = policy_yaml(
    """
    steps:
      bonus:
        formula: "target * factor"
        type: money
        gates:
          - name: no_bonus_at_rating_1
            when: "rating == 1"
            outcome: zero
            reason: "No bonus with an overall rating of 1"
          - name: capped_at_target
            when: "rating == 2"
            outcome: cap
            value: "target"
            reason: "Rating 2: capped at target"
          - name: fixed_amount
            when: "rating == 5"
            outcome: replace
            value: "target * 3"
            reason: "Rating 5: three times target"
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    target: {type: decimal}
    factor: {type: decimal}
    rating: {type: integer}
    """,
)


def test_gate_zero_sets_the_zero_reason(tmp_path: Path) -> None:
    """Rating 1: 1,000 × 1.5 = 1,500 (raw), gate zero applies → 0; zero_reason is the gate's reason."""
    [out] = compute(tmp_path, GATES, [{"target": "1000", "factor": "1.5", "rating": "1"}])
    out = ok(out)
    assert out.value("bonus.raw") == D("1500.0")
    assert out.value("bonus.gate.no_bonus_at_rating_1") is True
    assert out.value("bonus") == 0
    assert out.value("pay.annual_bonus") == 0
    assert out.eligible is True
    assert out.zero_reason == "No bonus with an overall rating of 1"


def test_gate_cap(tmp_path: Path) -> None:
    """Rating 2: 1,000 × 1.5 = 1,500 capped at target 1,000; with factor 0.5, 500 stays 500."""
    high, low = compute(
        tmp_path,
        GATES,
        [
            {"target": "1000", "factor": "1.5", "rating": "2"},
            {"target": "1000", "factor": "0.5", "rating": "2"},
        ],
    )
    assert ok(high).value("bonus") == D("1000")
    assert ok(high).value("bonus.gate.capped_at_target") is True
    assert ok(low).value("bonus") == D("500.0")


def test_gate_replace(tmp_path: Path) -> None:
    """Rating 5: 1,000 × 0.2 = 200 replaced by target × 3 = 3,000 (replace may raise a payout)."""
    [out] = compute(tmp_path, GATES, [{"target": "1000", "factor": "0.2", "rating": "5"}])
    assert ok(out).value("bonus") == D("3000")
    assert ok(out).value("pay.annual_bonus") == D("3000.00")


def test_gates_not_applied_are_recorded_false(tmp_path: Path) -> None:
    """Rating 3: no gate applies; 1,000 × 1.2 = 1,200; every gate slot is recorded False."""
    [out] = compute(tmp_path, GATES, [{"target": "1000", "factor": "1.2", "rating": "3"}])
    out = ok(out)
    assert out.value("bonus") == D("1200.0")
    assert [
        out.value(f"bonus.gate.{g}")
        for g in ("no_bonus_at_rating_1", "capped_at_target", "fixed_amount")
    ] == [False] * 3
    assert out.zero_reason == ""


def test_zero_payout_without_a_zero_gate_says_computed_as_zero(tmp_path: Path) -> None:
    """Rating 3, factor 0: 1,000 × 0 = 0, no gate applied → zero_reason 'computed as zero'."""
    [out] = compute(tmp_path, GATES, [{"target": "1000", "factor": "0", "rating": "3"}])
    assert ok(out).zero_reason == "computed as zero"


# ---------------------------------------------------------------------------- floor and cap

FLOOR_CAP = policy_yaml(
    """
    steps:
      bonus:
        formula: "target * factor + adjustment"
        type: money
        floor: 0
        cap: "target * 2"
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    target: {type: decimal}
    factor: {type: decimal}
    adjustment: {type: decimal, required: false, default: 0}
    """,
)


@pytest.mark.parametrize(
    ("factor", "adjustment", "expected"),
    [
        ("0", "-50", "0"),  # 1,000 × 0 − 50 = −50 → floor 0
        ("1.1", "0", "1100.0"),  # 1,000 × 1.1 = 1,100: inside [0, 2,000]
        ("2.5", "0", "2000"),  # 1,000 × 2.5 = 2,500 → cap 1,000 × 2 = 2,000
        ("1.9", "150", "2000"),  # 1,900 + 150 = 2,050 → cap 2,000
    ],
)
def test_floor_and_cap(tmp_path: Path, factor: str, adjustment: str, expected: str) -> None:
    """Target 1,000: bonus = 1,000 × factor + adjustment, limited to [0, 1,000 × 2]."""
    [out] = compute(
        tmp_path, FLOOR_CAP, [{"target": "1000", "factor": factor, "adjustment": adjustment}]
    )
    assert ok(out).value("bonus") == D(expected)


def test_raw_value_is_kept_beside_the_floored_value(tmp_path: Path) -> None:
    """1,000 × 0 − 50 = −50 (raw) → floor 0; the trace keeps both; zero_reason 'computed as zero'."""
    [out] = compute(tmp_path, FLOOR_CAP, [{"target": "1000", "factor": "0", "adjustment": "-50"}])
    out = ok(out)
    assert out.value("bonus.raw") == D("-50")
    assert out.value("bonus") == 0
    assert out.zero_reason == "computed as zero"


# ---------------------------------------------------------------------------------- variants

VARIANTS = policy_yaml(
    """
    steps:
      factor:
        variants:
          - {when: "level >= 7", formula: "company"}
          - {when: "unit == 'Sales'", formula: "individual * 2"}
          - formula: "individual"
      bonus: {formula: "1000 * factor", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    level: {type: integer}
    unit: {type: text}
    company: {type: decimal}
    individual: {type: decimal}
    """,
)


def test_variants_pick_the_first_matching_when(tmp_path: Path) -> None:
    """company 1.1, individual 0.9: level 8 (Sales too) → variant 0: 1.1 × 1,000 = 1,100;
    level 3 Sales → variant 1: 0.9 × 2 = 1.8 → 1,800; level 3 Finance → otherwise: 0.9 → 900."""
    rows = [
        {"level": "8", "unit": "Sales", "company": "1.1", "individual": "0.9"},
        {"level": "3", "unit": "Sales", "company": "1.1", "individual": "0.9"},
        {"level": "3", "unit": "Finance", "company": "1.1", "individual": "0.9"},
    ]
    outs = [ok(o) for o in compute(tmp_path, VARIANTS, rows)]
    assert [o.value("factor.variant") for o in outs] == [0, 1, 2]
    assert [o.value("factor") for o in outs] == [D("1.1"), D("1.8"), D("0.9")]
    assert [o.value("pay.annual_bonus") for o in outs] == [D("1100.00"), D("1800.00"), D("900.00")]


# -------------------------------------------------------------------------------- aggregates

AGGREGATE = policy_yaml(
    """
    eligibility:
      - {name: not_on_pip, rule: "not on_pip", reason: "On a PIP"}
    steps:
      target: {formula: "salary * 10%", type: money}
      unit_total:
        aggregate: sum
        of: target
        by: unit
      unit_count:
        aggregate: count
        of: target
        by: unit
      plan_max:
        aggregate: max
        of: target
      share: "target / unit_total"
      bonus: {formula: "pool * share", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    salary: {type: decimal}
    unit: {type: text}
    pool: {type: decimal}
    on_pip: {type: boolean, required: false, default: false}
    """,
    currencies="USD",
)


def test_aggregate_sum_by_unit_read_by_a_later_step(tmp_path: Path) -> None:
    """Targets (10% of salary): Sales 1,000 + 3,000 = 4,000; Finance 2,000 (the 5,000 of the
    employee on a PIP is not counted: ineligible). Shares: 1,000/4,000 = 0.25, 3,000/4,000 = 0.75,
    2,000/2,000 = 1; bonus = pool 10,000 × share = 2,500 / 7,500 / 10,000. Plan max target 3,000."""
    rows = [
        {"salary": "10000", "unit": "Sales", "pool": "10000"},
        {"salary": "30000", "unit": "Sales", "pool": "10000"},
        {"salary": "20000", "unit": "Finance", "pool": "10000"},
        {"salary": "50000", "unit": "Finance", "pool": "10000", "on_pip": "true"},
    ]
    rulebook = load(tmp_path, AGGREGATE)
    calc, items = run(rulebook, rows)
    outs = [ok(o.outcomes[0]) for o in items]  # type: ignore[union-attr]
    assert [o.value("unit_total") for o in outs[:3]] == [D("4000.0"), D("4000.0"), D("2000.0")]
    assert [o.value("unit_count") for o in outs[:3]] == [2, 2, 1]
    assert [o.value("plan_max") for o in outs[:3]] == [D("3000.0")] * 3
    assert [o.value("share") for o in outs[:3]] == [D("0.25"), D("0.75"), D(1)]
    assert [o.value("pay.annual_bonus") for o in outs] == [
        D("2500.00"),
        D("7500.00"),
        D("10000.00"),
        D(0),
    ]
    assert outs[3].eligible is False
    totals = calc.group_totals()["test-policy"]
    assert totals["unit_total"] == {"Sales": D("4000.0"), "Finance": D("2000.0")}


def test_aggregates_need_a_rereadable_employee_list(tmp_path: Path) -> None:
    """Group totals read the employees twice: a one-shot iterator is refused up front."""
    from engine_helpers import employees
    from incentives.engine.calculate import calculate
    from incentives.errors import OptionsError

    rulebook = load(tmp_path, AGGREGATE)
    with pytest.raises(OptionsError, match="twice"):
        calculate(rulebook, iter(employees([{"salary": "1", "unit": "Sales", "pool": "1"}])))


# -------------------------------------------------------------------------------- population

SIMPLE_BODY = """
    steps:
      bonus: {formula: "salary * 10%", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
SIMPLE_INPUTS = "salary: {type: decimal}\n"


def test_an_employee_in_no_plan_is_not_covered_naming_the_plans(tmp_path: Path) -> None:
    """Plan XYZ matches neither 'plan == 'AIP'' nor 'plan == 'SIP'': not covered (no fault),
    naming both policies' populations with the value they read; the counts reconcile."""
    aip = policy_yaml(SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="aip")
    sip = policy_yaml(
        SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="sip", population="plan == 'SIP'"
    )
    calc, [item] = run(load(tmp_path, aip, sip), [{"salary": "100", "plan": "XYZ"}])
    assert isinstance(item, NotCovered)
    assert (item.employee_id, item.record, item.line) == ("E001", 1, 2)
    (exclusion,) = item.exclusions
    assert exclusion.kind == "bonus"
    assert exclusion.conditions == (
        "aip: plan == 'AIP' (plan = 'XYZ')",
        "sip: plan == 'SIP' (plan = 'XYZ')",
    )
    s = calc.summary
    assert (s.read, s.computed, s.rejected, s.not_covered) == (1, 0, 0, 1)
    assert s.not_covered_by_kind == {"bonus": 1}
    assert s.reconciles


def test_not_covered_shows_an_empty_cell_and_a_default_as_the_population_read_them(
    tmp_path: Path,
) -> None:
    """Population 'plan == 'AIP' and level >= 3' with level optional (default 2): an AIP row
    with no level reads the default, shown as such; a row with no plan shows it empty."""
    body = policy_yaml(
        SIMPLE_BODY,
        inputs=SIMPLE_INPUTS + "level: {type: integer, required: false, default: 2}\n",
        policy_id="senior",
        population="plan == 'AIP' and level >= 3",
    )
    _, [no_level, no_plan] = run(
        load(tmp_path, body), [{"salary": "100"}, {"salary": "100", "plan": "", "level": "4"}]
    )
    assert isinstance(no_level, NotCovered) and isinstance(no_plan, NotCovered)
    assert no_level.exclusions[0].describe() == (
        "senior: plan == 'AIP' and level >= 3 (level = 2, the default, plan = 'AIP')"
    )
    assert no_plan.exclusions[0].describe() == (
        "senior: plan == 'AIP' and level >= 3 (level = 4, plan = (empty))"
    )


def test_require_coverage_rejects_an_employee_in_no_plan(tmp_path: Path) -> None:
    """With require_coverage, plan XYZ is rejected as a fault of its row, naming both policies."""
    aip = policy_yaml(SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="aip")
    sip = policy_yaml(
        SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="sip", population="plan == 'SIP'"
    )
    calc = calculate(
        load(tmp_path, aip, sip),
        employees([{"salary": "100", "plan": "XYZ"}]),
        require_coverage=True,
    )
    [item] = list(calc)
    assert isinstance(item, Rejection)
    assert item.column == "population"
    assert item.reason == (
        "not covered by any bonus policy (aip: plan == 'AIP' (plan = 'XYZ'); "
        "sip: plan == 'SIP' (plan = 'XYZ'))"
    )
    assert (calc.summary.rejected, calc.summary.not_covered) == (1, 0)


def test_an_employee_covered_by_one_kind_only_is_computed_and_lists_the_other(
    tmp_path: Path,
) -> None:
    """A bonus policy for plan AIP and a merit policy for level >= 3: a level-2 AIP employee
    gets the bonus; the merit kind is listed as not covering them (level = 2), not a fault."""
    bonus = policy_yaml(SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="aip")
    merit = policy_yaml(
        SIMPLE_BODY,
        inputs=SIMPLE_INPUTS + "level: {type: integer}\n",
        policy_id="merit",
        kind="merit",
        population="level >= 3",
    )
    calc, [low, high] = run(
        load(tmp_path, bonus, merit),
        [{"salary": "100", "level": "2"}, {"salary": "100", "level": "3"}],
    )
    assert isinstance(low, EmployeeOutcome) and isinstance(high, EmployeeOutcome)
    assert [o.policy.id for o in low.outcomes] == ["aip"]
    assert [(e.kind, e.conditions) for e in low.exclusions] == [
        ("merit", ("merit: level >= 3 (level = 2)",))
    ]
    assert [o.policy.id for o in high.outcomes] == ["aip", "merit"] and high.exclusions == ()
    s = calc.summary
    assert (s.read, s.computed, s.not_covered, s.not_covered_by_kind) == (2, 2, 0, {"merit": 1})


def test_two_bonus_policies_covering_one_employee_reject_naming_both(tmp_path: Path) -> None:
    """Policy 'aip' covers plan AIP and 'everyone' covers all: an AIP employee is in two → rejected."""
    aip = policy_yaml(SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="aip")
    everyone = policy_yaml(
        SIMPLE_BODY, inputs=SIMPLE_INPUTS, policy_id="everyone", population="salary >= 0"
    )
    first, second = compute(
        tmp_path, [aip, everyone], [{"salary": "100"}, {"salary": "100", "plan": "SIP"}]
    )
    rej = rejected(first)
    assert rej.column == "population"
    assert "aip" in rej.reason and "everyone" in rej.reason
    assert "covered by 2 bonus policies" in rej.reason
    assert ok(second).policy.id == "everyone"  # only 'everyone' covers plan SIP


# --------------------------------------------------------------------- per-employee failures

FAILURES = policy_yaml(
    """
    tables:
      target_pct:
        axes:
          - {name: level, match: exact, at: [1, 2, 3]}
        values: [5%, 10%, 15%]
    steps:
      target: {formula: "salary * target_pct(level)", type: money}
      ratio: "target / divisor"
      # a wrong guard (is_missing or a test that always holds): passes `check`, fails at run
      extra: "target + bonus_points * 10 if is_missing(bonus_points) or level > 0 else target"
      bonus: {formula: "ratio + extra", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    salary: {type: decimal}
    level: {type: integer}
    divisor: {type: decimal}
    bonus_points: {type: decimal, required: false}
    """,
)


def test_a_good_row_of_the_failure_policy(tmp_path: Path) -> None:
    """1,000 × 10% = 100; 100 / 4 = 25; 100 + 2 × 10 = 120; bonus 25 + 120 = 145."""
    [out] = compute(
        tmp_path, FAILURES, [{"salary": "1000", "level": "2", "divisor": "4", "bonus_points": "2"}]
    )
    assert ok(out).value("bonus") == D("145.0")


def test_table_without_a_matching_row_rejects(tmp_path: Path) -> None:
    """Level 9 is not a key of target_pct (1..3) and the table has no default: the row is
    rejected by step 'target', naming the table and the key."""
    [out] = compute(
        tmp_path, FAILURES, [{"salary": "1000", "level": "9", "divisor": "4", "bonus_points": "1"}]
    )
    rej = rejected(out)
    assert "step 'target'" in rej.reason
    assert "target_pct" in rej.reason and "level=9" in rej.reason
    assert (rej.record, rej.line, rej.employee_id) == (1, 2, "E001")


def test_division_by_zero_rejects_naming_step_and_inputs(tmp_path: Path) -> None:
    """target 1,000 × 10% = 100; ratio = 100 / 0 → rejected: step 'ratio', division by zero,
    with the values it read (divisor=0, target=100.0)."""
    [out] = compute(
        tmp_path, FAILURES, [{"salary": "1000", "level": "2", "divisor": "0", "bonus_points": "1"}]
    )
    rej = rejected(out)
    assert "ratio" in rej.column
    assert "division by zero" in rej.reason
    assert "divisor=0" in rej.reason and "target=100" in rej.reason


def test_missing_optional_value_used_in_arithmetic_rejects(tmp_path: Path) -> None:
    """bonus_points is optional without a default and empty: 'target + bonus_points × 10' cannot
    be computed → rejected by step 'extra', which names the missing input."""
    [out] = compute(
        tmp_path, FAILURES, [{"salary": "1000", "level": "2", "divisor": "4", "bonus_points": ""}]
    )
    rej = rejected(out)
    assert "extra" in rej.column
    assert "missing" in rej.reason
    # the cause first, then the values as the policy writes them (never Python's None)
    assert rej.reason.startswith("step 'extra': bonus_points is missing (inputs: ")
    assert "bonus_points=(missing)" in rej.reason and "None" not in rej.reason


def test_a_rejected_row_does_not_stop_the_others(tmp_path: Path) -> None:
    """Rows 1 and 3 are good (bonus 145 as above), row 2 divides by zero: 2 computed, 1 rejected."""
    rows = [
        {"salary": "1000", "level": "2", "divisor": "4", "bonus_points": "2"},
        {"salary": "1000", "level": "2", "divisor": "0", "bonus_points": "2"},
        {"salary": "1000", "level": "2", "divisor": "4", "bonus_points": "2"},
    ]
    calc, items = run(load(tmp_path, FAILURES), rows)
    assert [isinstance(i, Rejection) for i in items] == [False, True, False]
    assert (calc.summary.computed, calc.summary.rejected) == (2, 1)
    assert calc.summary.totals[("USD", "annual_bonus", "AIP")] == D("290.00")


# ------------------------------------------------------------------- bounds, ratings, goals

MODIFIER = policy_yaml(
    """
    rating_scales:
      performance:
        labels: {Exceptional: 5, Exceeds: 4, Meets: 3, Partially Meets: 2, Does Not Meet: 1}
    tables:
      rating_multiplier:
        axes:
          - {name: rating, match: exact, at: [1, 2, 3, 4, 5]}
        values: [0%, 50%, 100%, 120%, 150%]
    curves:
      goal_payout:
        points: [[80%, 50%], [95%, 100%], [105%, 100%], [150%, 200%]]
    scorecards:
      individual:
        scope: employee
        max_goals: 3
        curve: goal_payout
    steps:
      bonus:
        formula: "1000 * individual * rating_multiplier(rating) * modifier + 1000 * adjustment"
        type: money
        floor: 0
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    rating: {type: rating, scale: performance}
    modifier: {type: decimal, required: false, default: 1, min: 0.8, max: 1.2}
    adjustment: {type: percent, required: false, default: 0%, min: -10%, max: 0%}
    """,
)

ONE_GOAL = (GoalInput("Revenue", "100", "100", "100%"),)


def goals_for(*goals: GoalInput) -> dict[str, tuple[GoalInput, ...]]:
    return {"E001": goals}


def test_modifier_and_rating_inside_bounds(tmp_path: Path) -> None:
    """Goal 100/100 → 100% → payout 100%; Exceeds → 120%; modifier 1.2; adjustment −5%:
    1,000 × 1 × 1.2 × 1.2 + 1,000 × (−0.05) = 1,440 − 50 = 1,390."""
    [out] = compute(
        tmp_path,
        MODIFIER,
        [{"rating": "Exceeds", "modifier": "1.2", "adjustment": "-5%"}],
        goals=goals_for(*ONE_GOAL),
    )
    out = ok(out)
    assert out.value("rating") == 4
    assert out.value("bonus") == D("1390")


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("modifier", "1.5", "above its maximum 1.2"),
        ("modifier", "0.79", "below its minimum 0.8"),
        ("adjustment", "5%", "above its maximum"),
        ("adjustment", "-11%", "below its minimum"),
    ],
)
def test_out_of_bounds_modifier_rejects_never_clamps(
    tmp_path: Path, column: str, value: str, words: str
) -> None:
    """A modifier outside [0.8, 1.2] or an adjustment outside [−10%, 0%] rejects the row naming
    the column and value; it is never clamped to the bound."""
    [out] = compute(
        tmp_path, MODIFIER, [{"rating": "Meets", column: value}], goals=goals_for(*ONE_GOAL)
    )
    rej = rejected(out)
    assert rej.column == column
    assert words in rej.reason


def test_unknown_rating_label_rejects(tmp_path: Path) -> None:
    """'Superb' is not a label of scale performance: rejected on column rating, listing the labels."""
    [out] = compute(tmp_path, MODIFIER, [{"rating": "Superb"}], goals=goals_for(*ONE_GOAL))
    rej = rejected(out)
    assert (rej.column, rej.value) == ("rating", "Superb")
    assert "unknown rating 'Superb'" in rej.reason
    assert "Exceeds" in rej.reason


def test_goal_weights_summing_to_90_percent_reject(tmp_path: Path) -> None:
    """Weights 50% + 30% + 10% = 90% ≠ 100% (normalise false): the row is rejected."""
    goals = (
        GoalInput("A", "100", "100", "50%"),
        GoalInput("B", "100", "100", "30%"),
        GoalInput("C", "100", "100", "10%"),
    )
    [out] = compute(tmp_path, MODIFIER, [{"rating": "Meets"}], goals=goals_for(*goals))
    rej = rejected(out)
    assert "90%" in rej.reason and "not 100%" in rej.reason
    assert rej.column == "goal weights"


def test_lower_is_better_goal_attainment(tmp_path: Path) -> None:
    """Days to close, target 10, actual 8.6, lower is better: attainment 1 − (8.6 − 10) ÷ |10|
    = 1.14 → payout 100% + (1.14 − 1.05) ÷ 0.45 × 100% = 120%. A second goal 'Defects', target
    20, actual 25: 1 − 5/20 = 0.75 → below 80% → 0%. Weights 50/50: score 0.6 → bonus 600 (Meets)."""
    goals = (
        GoalInput("Days to close", "10", "8.6", "50%", "lower"),
        GoalInput("Defects", "20", "25", "50%", "lower"),
    )
    [out] = compute(tmp_path, MODIFIER, [{"rating": "Meets"}], goals=goals_for(*goals))
    out = ok(out)
    recorded = out.value("individual.goals")
    assert recorded[0][5] == D("1.14") and recorded[0][6] == D("1.2")
    assert recorded[1][5] == D("0.75") and recorded[1][6] == 0
    assert out.value("individual") == D("0.6")
    assert out.value("bonus") == D("600")


def test_lower_is_better_with_a_negative_target(tmp_path: Path) -> None:
    """Target −10 (a loss), actual −12, lower is better: −12 is better than −10, so
    attainment = 1 − (−12 − (−10)) ÷ |−10| = 1 − (−2 ÷ 10) = 1.2 → payout
    100% + (1.2 − 1.05) ÷ 0.45 × 100% = 133.33…%."""
    goals = (GoalInput("Net cost", "-10", "-12", "100%", "lower"),)
    [out] = compute(tmp_path, MODIFIER, [{"rating": "Meets"}], goals=goals_for(*goals))
    recorded = ok(out).value("individual.goals")
    assert recorded[0][5] == D("1.2")
    assert recorded[0][6] == D(1) + D("0.15") / D("0.45")


# --------------------------------------------------------------------------- plan results

RESULTS = policy_yaml(
    """
    results:
      revenue_growth:
        threshold: 2%
        target: 5%
        maximum: 10%
        actual: 6.2%
        payout: [50%, 100%, 200%]
      operating_margin:
        by: unit
        payout: [50%, 100%, 150%]
        units:
          Sales: {threshold: 8%, target: 10%, maximum: 14%, actual: 11%}
          Engineering: {threshold: 8%, target: 10%, maximum: 14%, actual: 7%}
      recordable_incidents:
        threshold: 12
        target: 8
        maximum: 4
        actual: 9
        payout: [50%, 100%, 150%]
        override: {payout: 0%, reason: "Fatal incident at Plant 3"}
    steps:
      margin_factor: "operating_margin_payout"
      bonus:
        formula: "1000 * (revenue_growth_payout + margin_factor + recordable_incidents_payout)"
        type: money
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="unit: {type: text}\n",
)


def test_plan_result_by_unit_is_read_for_the_employees_unit(tmp_path: Path) -> None:
    """revenue 6.2%: 100% + 1.2/5 × 100% = 124%. Sales margin 11%: 100% + 1/4 × 50% = 112.5%;
    Engineering 7% < 8% threshold → 0%. Incidents overridden to 0%.
    Sales: 1,000 × (1.24 + 1.125 + 0) = 2,365; Engineering: 1,000 × 1.24 = 1,240."""
    sales, eng = (
        ok(o) for o in compute(tmp_path, RESULTS, [{"unit": "Sales"}, {"unit": "Engineering"}])
    )
    assert sales.value("margin_factor") == D("1.125")
    assert eng.value("margin_factor") == 0
    assert sales.value("pay.annual_bonus") == D("2365.00")
    assert eng.value("pay.annual_bonus") == D("1240.00")


def test_a_unit_without_figures_is_rejected(tmp_path: Path) -> None:
    """Unit Finance has no operating_margin figures: the row is rejected naming result and unit."""
    [out] = compute(tmp_path, RESULTS, [{"unit": "Finance"}])
    rej = rejected(out)
    assert (rej.column, rej.value) == ("unit", "Finance")
    assert "operating_margin" in rej.reason


def test_result_override_replaces_the_payout_and_is_recorded(tmp_path: Path) -> None:
    """Incidents: lower is better (12 → 50%, 8 → 100%, 4 → 150%); actual 9 computes
    50% + 3/4 × 50% = 87.5% and attainment 1 − (9 − 8)/8 = 0.875; the override pays 0%,
    shown beside the computed payout with its reason in the plan values."""
    rulebook = load(tmp_path, RESULTS)
    calc, items = run(rulebook, [{"unit": "Sales"}])
    record = calc.plan_values["test-policy"]["results"]["recordable_incidents"]["*"]
    assert record["computed_payout"] == D("0.875")
    assert record["payout"] == 0
    assert record["attainment"] == D("0.875")
    assert record["lower_is_better"] is True
    assert record["override_reason"] == "Fatal incident at Plant 3"
    by_unit = calc.plan_values["test-policy"]["results"]["operating_margin"]
    assert by_unit["Sales"]["payout"] == D("1.125") and by_unit["Engineering"]["payout"] == 0
    assert calc.plan_values["test-policy"]["results"]["revenue_growth"]["*"]["payout"] == D("1.24")
    assert ok(items[0].outcomes[0]).value("pay.annual_bonus") == D("2365.00")  # type: ignore[union-attr]


def test_results_file_figures_replace_the_policys_actuals(tmp_path: Path) -> None:
    """A figure for Engineering margin 12%: 100% + 2/4 × 50% = 125% → 1,000 × (1.24 + 1.25) = 2,490."""
    figure = ResultFigure("test-policy", "operating_margin", "Engineering", "actual", D("0.12"), 2)
    [out] = compute(tmp_path, RESULTS, [{"unit": "Engineering"}], results=[figure])
    assert ok(out).value("pay.annual_bonus") == D("2490.00")


# ------------------------------------------------------------------------------------ fx

FX = policy_yaml(
    """
    parameters:
      cap_usd: 250000
    steps:
      target_usd: "fx(target, currency, 'USD')"
      cap_local: "fx(cap_usd, 'USD', currency, 'spot', date('2026-06-30'))"
      bonus: {formula: "min(target, cap_local)", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="target: {type: decimal}\n",
).replace(
    "  currency: currency\n",
    "  currency: currency\n  fx: {rate_type: average, date: period_end}\n",
    1,
)

YEAR_END = datetime.date(2026, 12, 31)
MID_YEAR = datetime.date(2026, 6, 30)


def test_fx_converts_with_the_policys_rate_type_and_date(tmp_path: Path) -> None:
    """EUR employee, target 10,000: target_usd = 10,000 × EUR→USD average 2026-12-31 (1.0929)
    = 10,929; cap = 250,000 × USD→EUR spot 2026-06-30 (0.9) = 225,000; bonus min(10,000, 225,000)."""
    rates = FixedRates(
        {("EUR", "USD", "average", YEAR_END): "1.0929", ("USD", "EUR", "spot", MID_YEAR): "0.9"}
    )
    [out] = compute(tmp_path, FX, [{"target": "10000", "currency": "EUR"}], rates=rates)
    out = ok(out)
    assert out.value("target_usd") == D("10929.0000")
    assert out.value("cap_local") == D("225000.0")
    assert out.value("pay.annual_bonus") == D("10000.00")
    assert set(rates.asked) == {
        ("EUR", "USD", "average", YEAR_END),
        ("USD", "EUR", "spot", MID_YEAR),
    }


def test_fx_to_the_same_currency_needs_no_rate(tmp_path: Path) -> None:
    """USD employee: USD→USD is the amount itself (× 1), no rate looked up."""
    rates = FixedRates({})
    [out] = compute(tmp_path, FX, [{"target": "10000"}], rates=rates)
    assert ok(out).value("target_usd") == D("10000")
    assert rates.asked == []


def test_fx_with_a_rates_file(tmp_path: Path) -> None:
    """read_rates on a CSV: GBP→USD average 2026-12-31 = 1.25; USD→GBP spot 2026-06-30 = 0.8:
    target_usd = 8,000 × 1.25 = 10,000; cap = 250,000 × 0.8 = 200,000."""
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,from,to,rate_type,rate\n2026-12-31,GBP,USD,average,1.25\n2026-06-30,USD,GBP,spot,0.8\n",
        encoding="utf-8",
    )
    [out] = compute(tmp_path, FX, [{"target": "8000", "currency": "GBP"}], rates=read_rates(path))
    out = ok(out)
    assert out.value("target_usd") == D("10000")
    assert out.value("cap_local") == D("200000")


def test_a_missing_rate_rejects_the_row_naming_pair_and_date(tmp_path: Path) -> None:
    """The file has GBP→USD but no EUR→USD average on 2026-12-31: the EUR row is rejected
    naming EUR→USD and 2026-12-31; the GBP row is computed."""
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,from,to,rate_type,rate\n2026-12-31,GBP,USD,average,1.25\n2026-06-30,USD,GBP,spot,0.8\n",
        encoding="utf-8",
    )
    eur, gbp = compute(
        tmp_path,
        FX,
        [{"target": "1", "currency": "EUR"}, {"target": "1", "currency": "GBP"}],
        rates=read_rates(path),
    )
    rej = rejected(eur)
    assert "EUR→USD" in rej.reason and "2026-12-31" in rej.reason
    assert "EUR→USD" in rej.value
    ok(gbp)


def test_a_missing_rate_without_a_rates_source_rejects(tmp_path: Path) -> None:
    """No rates at all: a EUR employee needs EUR→USD → rejected naming the pair and the date."""
    [out] = compute(tmp_path, FX, [{"target": "1", "currency": "EUR"}])
    rej = rejected(out)
    assert "EUR→USD" in rej.reason and "2026-12-31" in rej.reason


# --------------------------------------------------------------------- pay: splits, rounding

SPLIT = policy_yaml(
    """
    steps:
      target: {formula: "base", type: money}
      bonus: {formula: "amount", type: money}
    pay:
      - name: annual_bonus
        step: bonus
        pay_code: AIP
        split:
          - {name: annual_bonus_excess, pay_code: AIPX, above: "target * 150%"}
      - name: deferred
        step: bonus
        pay_code: DEF
        split:
          - {name: deferred_share, pay_code: DEFS, share: 25%}
      - name: hundreds
        step: bonus
        pay_code: HUN
        round: {step: 100}
    """,
    inputs="""
    base: {type: decimal}
    amount: {type: decimal}
    """,
)


def test_split_above_pays_the_part_above_150_percent_of_target(tmp_path: Path) -> None:
    """Target 1,000.005, bonus 1,600.004: total round(1,600.004) = 1,600.00; limit
    round(1,000.005 × 1.5 = 1,500.0075) = 1,500.01; above = 1,600.00 − 1,500.01 = 99.99;
    the component keeps 1,500.01; 99.99 + 1,500.01 = 1,600.00."""
    [out] = compute(tmp_path, SPLIT, [{"base": "1000.005", "amount": "1600.004"}])
    out = ok(out)
    assert out.value("pay.annual_bonus.total") == D("1600.00")
    assert out.value("pay.annual_bonus_excess") == D("99.99")
    assert out.value("pay.annual_bonus") == D("1500.01")


def test_split_above_is_zero_below_the_limit(tmp_path: Path) -> None:
    """Target 1,000, bonus 1,200: below the 1,500 limit → excess 0.00, the component keeps 1,200.00."""
    [out] = compute(tmp_path, SPLIT, [{"base": "1000", "amount": "1200"}])
    out = ok(out)
    assert out.value("pay.annual_bonus_excess") == 0
    assert out.value("pay.annual_bonus") == D("1200.00")


def test_split_share_of_99_99(tmp_path: Path) -> None:
    """25% of 99.99 = 24.9975 → half up to the cent 25.00; the component keeps 99.99 − 25.00 = 74.99."""
    [out] = compute(tmp_path, SPLIT, [{"base": "1000", "amount": "99.99"}])
    out = ok(out)
    assert out.value("pay.deferred_share") == D("25.00")
    assert out.value("pay.deferred") == D("74.99")
    assert out.value("pay.deferred") + out.value("pay.deferred_share") == D("99.99")


def test_round_step_100_rounds_to_whole_hundreds(tmp_path: Path) -> None:
    """round: {step: 100} half up: 1,249.99 → 1,200; 1,250 → 1,300; 99.99 → 100."""
    outs = compute(
        tmp_path, SPLIT, [{"base": "1", "amount": a} for a in ("1249.99", "1250", "99.99")]
    )
    assert [ok(o).value("pay.hundreds") for o in outs] == [D("1200"), D("1300"), D("100")]


def test_jpy_pays_whole_yen_and_kwd_three_decimals(tmp_path: Path) -> None:
    """minor_unit: JPY 0 decimals: 12,345.5 → 12,346 (half up); KWD 3 decimals: 12,345.6785 →
    12,345.679; USD 2 decimals: 12,345.675 → 12,345.68. 25% shares: JPY 12,346 × 0.25 = 3,086.5
    → 3,087, kept 9,259; KWD 12,345.679 × 0.25 = 3,086.41975 → 3,086.420, kept 9,259.259."""
    rows = [
        {"base": "1", "amount": "12345.5", "currency": "JPY"},
        {"base": "1", "amount": "12345.6785", "currency": "KWD"},
        {"base": "1", "amount": "12345.675", "currency": "USD"},
    ]
    jpy, kwd, usd = (ok(o) for o in compute(tmp_path, SPLIT, rows))
    assert jpy.value("pay.annual_bonus.total") == D("12346")
    assert kwd.value("pay.annual_bonus.total") == D("12345.679")
    assert usd.value("pay.annual_bonus.total") == D("12345.68")
    assert str(jpy.value("pay.annual_bonus.total")) == "12346"
    assert str(kwd.value("pay.annual_bonus.total")) == "12345.679"
    assert (jpy.value("pay.deferred_share"), jpy.value("pay.deferred")) == (D("3087"), D("9259"))
    assert (kwd.value("pay.deferred_share"), kwd.value("pay.deferred")) == (
        D("3086.420"),
        D("9259.259"),
    )


def test_unknown_currency_rejects(tmp_path: Path) -> None:
    """Currency XXX has no known minor unit: the row is rejected on column currency."""
    [out] = compute(tmp_path, SPLIT, [{"base": "1", "amount": "1", "currency": "XXX"}])
    rej = rejected(out)
    assert (rej.column, rej.value) == ("currency", "XXX")


def test_negative_pay_component_rejects_with_advice_to_add_a_floor(tmp_path: Path) -> None:
    """bonus = −10.004 → rounds to −10.00 < 0: rejected naming the component, the amount and
    the step, advising 'floor: 0'."""
    [out] = compute(tmp_path, SPLIT, [{"base": "1", "amount": "-10.004"}])
    rej = rejected(out)
    assert rej.column == "annual_bonus"
    assert "-10.00" in rej.reason
    assert "floor: 0" in rej.reason and "'bonus'" in rej.reason


def test_summary_totals_per_currency_component_and_code(tmp_path: Path) -> None:
    """Two USD rows 1,600 and 99.99 with target 1,000: AIP 1,500.00 + 99.99 = 1,599.99, AIPX 100.00;
    DEF 1,200.00 + 74.99 = 1,274.99, DEFS 400.00 + 25.00 = 425.00; HUN 1,600 + 100 = 1,700."""
    calc, _ = run(
        load(tmp_path, SPLIT),
        [{"base": "1000", "amount": "1600"}, {"base": "1000", "amount": "99.99"}],
    )
    totals = calc.summary.totals
    assert totals[("USD", "annual_bonus", "AIP")] == D("1599.99")
    assert totals[("USD", "annual_bonus_excess", "AIPX")] == D("100.00")
    assert totals[("USD", "deferred", "DEF")] == D("1274.99")
    assert totals[("USD", "deferred_share", "DEFS")] == D("425.00")
    assert totals[("USD", "hundreds", "HUN")] == D("1700")


# --------------------------------------------------------------------------------- as_of

AS_OF = policy_yaml(
    """
    eligibility:
      - {name: employed, rule: "is_missing(termination_date) or termination_date >= as_of", reason: "Left before as_of"}
    steps:
      bonus: {formula: "100", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="termination_date: {type: date, required: false}\n",
)


def test_as_of_defaults_to_the_payout_date(tmp_path: Path) -> None:
    """Leaving 2027-03-01: before the payout date 2027-03-15 (the default as_of) → ineligible;
    with as_of 2027-02-01 the same row is eligible and paid 100."""
    rulebook = load(tmp_path, AS_OF)
    row = [{"termination_date": "2027-03-01"}]
    _, [default] = run(rulebook, row)
    _, [early] = run(rulebook, row, as_of=datetime.date(2027, 2, 1))
    assert default.outcomes[0].eligible is False  # type: ignore[union-attr]
    assert early.outcomes[0].value("pay.annual_bonus") == D("100.00")  # type: ignore[union-attr]


# ------------------------------------------------------------------ edges of pay splits, failures and totals

SPLIT_EDGES = policy_yaml(
    """
    steps:
      bonus: {formula: "amount", type: money}
    pay:
      - name: halves
        step: bonus
        pay_code: H
        split:
          - {name: half_one, pay_code: H1, share: 50%}
          - {name: half_two, pay_code: H2, share: 50%}
      - name: excess
        step: bonus
        pay_code: X
        split:
          - {name: excess_part, pay_code: X1, above: "limit"}
    """,
    inputs="""
    amount: {type: decimal}
    limit: {type: decimal}
    """,
)


def pay_lines(out: PolicyOutcome) -> dict[str, Decimal]:
    return {s.name: v for s, v in zip(out.policy.slots, out.trace, strict=True) if s.kind == "pay"}


def test_two_half_shares_of_one_cent_never_make_a_negative_line(tmp_path: Path) -> None:
    """Total 0.01 split 50% / 50%: each share is 0.005 → half up 0.01; the rest 0.01 − 0.02 =
    −0.01. Expected: no negative pay line (the row rejected, or the cent placed once)."""
    [out] = compute(tmp_path, SPLIT_EDGES, [{"amount": "0.01", "limit": "1"}])
    if isinstance(out, PolicyOutcome):
        assert all(v >= 0 for v in pay_lines(out).values()), pay_lines(out)


def test_an_above_split_never_exceeds_the_total(tmp_path: Path) -> None:
    """Total 0.01, limit −100: the part of 0.01 above −100 is at most the whole 0.01; the
    component cannot keep a negative −100.00."""
    [out] = compute(tmp_path, SPLIT_EDGES, [{"amount": "0.01", "limit": "-100"}])
    if isinstance(out, PolicyOutcome):
        lines = pay_lines(out)
        assert 0 <= lines["pay.excess_part"] <= lines["pay.excess.total"], lines
        assert lines["pay.excess"] >= 0, lines


def test_a_tiny_negative_bonus_does_not_pay_minus_zero(tmp_path: Path) -> None:
    """bonus −0.004 → round half up to the cent: −0.00. Expected: rejected as negative, or a
    plain 0.00 — never a '-0.00' pay line."""
    from incentives.io import format_cell

    [out] = compute(tmp_path, SPLIT_EDGES, [{"amount": "-0.004", "limit": "1"}])
    if isinstance(out, PolicyOutcome):
        assert format_cell(out.value("pay.halves.total")) == "0.00"


def test_a_step_failure_names_the_step_once(tmp_path: Path) -> None:
    """100 / 0 in step 'ratio': the reason reads "step 'ratio': division by zero (inputs: …)"."""
    row = {"salary": "1000", "level": "2", "divisor": "0", "bonus_points": "1"}
    [out] = compute(tmp_path, FAILURES, [row])
    rej = rejected(out)
    assert rej.reason.startswith("step 'ratio': division by zero"), rej.reason
    assert "step 'step" not in rej.reason


def test_a_rejected_employee_is_not_part_of_a_group_total(tmp_path: Path) -> None:
    """Targets 100 and 300; the second row is rejected (1 / 0 in step 'check'). The group total
    should be that of the computed, eligible employees: 100, share 1, bonus 1,000 (today 400,
    share 0.25, bonus 250)."""
    rows = [{"salary": "1000", "divisor": "1"}, {"salary": "3000", "divisor": "0"}]
    first, second = compute(tmp_path, REJECTED_IN_GROUP, rows)
    rejected(second)
    assert ok(first).value("total") == D("100.0")
    assert ok(first).value("pay.annual_bonus") == D("1000.00")


def test_a_group_total_beyond_28_digits_is_exact(tmp_path: Path) -> None:
    """11 Sales targets of 9,900,000,000,000,000,000,000,000.01 (each within the per-row limit)
    total 108,900,000,000,000,000,000,000,000.11: 29 digits, summed exactly, not rounded to
    ….1 in the engine's 28-digit context."""
    rows = [{"salary": "99000000000000000000000000.1", "unit": "Sales", "pool": "10000"}] * 11
    calc, _ = run(load(tmp_path, AGGREGATE), rows)
    totals = calc.group_totals()["test-policy"]
    assert totals["unit_total"]["Sales"] == D("108900000000000000000000000.11")
