"""Plan results and plan scorecards pay what `explain` and the manifest say (issue 8, §2).

An override applies wherever the result's payout is used (an item `curve:` included); a result
may be given only as an override, or state its attainment or its payout directly (a disclosed
KPI score); a name clashing with a result's derived name says so; a plan scorecard gate reaches
`zero_reason` and `notes` as a step gate does; goal column groups need no `goalN_name`.
"""

from __future__ import annotations

import csv
import re
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_helpers import compute, load, policy_yaml, run
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import PolicyError
from incentives.io.plan_inputs import ResultFigure
from incentives.jobs import RunRequest, run_job
from incentives.model import Rejection
from strategies import decimals

# revenue 110 on a 90/100/120 curve paying 50/100/200 %: 100 % + 10/20 × 100 % = 150 %.
# safety: lower is better (12/8/4); 9 incidents: attainment 1 − (9 − 8)/8 = 87.5 %.
# kpi on attainment: 80 % → 0 %, 100 % → 100 %, 120 % → 200 %.
CARD = policy_yaml(
    """
    results:
      revenue: {threshold: 90, target: 100, maximum: 120, actual: 110, payout: [50%, 100%, 200%]}
      safety:
        threshold: 12
        target: 8
        maximum: 4
        actual: 9
        payout: [50%, 100%, 150%]
        override: {payout: 50%, reason: "Fatal incident: safety paid at 50%"}
    curves:
      kpi:
        on: attainment
        points: [[80%, 0%], [100%, 100%], [120%, 200%]]
        below: 0%
        above: cap
    scorecards:
      company:
        scope: plan
        items:
          - {name: rev, weight: 50%, result: revenue}
          - {name: safe, weight: 50%, result: safety, curve: kpi}
    steps:
      bonus: {formula: "1000 * company", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
)


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    return [f"{p.field}: {p.message} ({p.hint})" for p in caught.value.problems]


# -- an override applies wherever the payout is used ---------------------------------------


def test_an_override_applies_to_an_item_that_reads_the_result_through_a_curve(
    tmp_path: Path,
) -> None:
    """safety through kpi would be 0 % + (87.5 − 80)/20 × 100 % = 37.5 %, but the result is
    overridden to 50 %: company = 50 % × 150 % + 50 % × 50 % = 100 % → bonus 1,000.00
    (not 50 % × 150 % + 50 % × 37.5 % = 93.75 % → 937.50)."""
    rulebook = load(tmp_path, CARD)
    calc, items = run(rulebook, [{}])
    [item] = items
    assert not isinstance(item, Rejection)
    assert item.outcomes[0].value("pay.annual_bonus") == D("1000.00")
    record = calc.plan_values["test-policy"]["scorecards"]["company"]["values"]["*"]
    safe = record["items"][1]
    assert safe["score"] == D("0.5")
    assert safe["curve_payout"] == D("0.375")
    assert safe["override_reason"] == "Fatal incident: safety paid at 50%"


def test_explain_shows_the_override_used_by_the_item(tmp_path: Path) -> None:
    """`explain` names the curve's value and the override that replaced it for the item."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(CARD, encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text("employee_id,plan,currency\nE1,AIP,USD\n", encoding="utf-8")
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    text = explain_employee(out, "E1").text()
    assert "safe (weight 50%): kpi(safety) = 37.5%, overridden to 50%" in text
    assert '"Fatal incident: safety paid at 50%"' in text
    assert "company = 50% × 150% + 50% × 50% = 100%" in text


# -- a result given only as an override, or stated directly --------------------------------

DIRECT = policy_yaml(
    """
    results:
      customer:
        override: {payout: 80%, reason: "Committee judgement: no survey this year"}
      nps:
        attainment: 112%          # disclosed: 112 % of target
      esg:
        stated_payout: 95%        # disclosed: the committee scored it 95 %
    curves:
      kpi:
        on: attainment
        points: [[80%, 0%], [100%, 100%], [120%, 200%]]
        below: 0%
        above: cap
    scorecards:
      company:
        scope: plan
        items:
          - {name: customers, weight: 25%, result: customer}
          - {name: customers_curved, weight: 25%, result: customer, curve: kpi}
          - {name: promoters, weight: 25%, result: nps, curve: kpi}
          - {name: sustainability, weight: 25%, result: esg}
    steps:
      company_score: {formula: "company", type: percent}
      from_names: {formula: "customer_payout + nps_attainment + esg_payout", type: decimal}
      bonus: {formula: "1000 * company", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
)


def test_results_given_by_override_or_stated_directly_need_no_actual_and_no_curve(
    tmp_path: Path,
) -> None:
    """customer: override 80 % (both items, the curve one included); nps: stated attainment
    112 % → kpi 100 % + 12/20 × 100 % = 160 %; esg: stated payout 95 %.
    company = 25 % × (80 % + 80 % + 160 % + 95 %) = 103.75 %; the names read 0.8 + 1.12 + 0.95."""
    [out] = compute(tmp_path, DIRECT, [{}])
    assert ok(out).value("company_score") == D("1.0375")
    assert ok(out).value("from_names") == D("2.87")
    assert ok(out).value("pay.annual_bonus") == D("1037.50")


def test_a_stated_figure_can_come_from_the_results_file(tmp_path: Path) -> None:
    """A --results row `esg,,stated_payout,110%` replaces the policy's 95 %:
    25 % × (80 % + 80 % + 160 % + 110 %) = 107.5 %."""
    figure = ResultFigure("test-policy", "esg", "", "stated_payout", D("1.10"), 2)
    [out] = compute(tmp_path, DIRECT, [{}], results=[figure])
    assert ok(out).value("company_score") == D("1.075")


def test_explain_and_manifest_show_stated_figures(tmp_path: Path) -> None:
    """Explain says which figures were stated rather than computed, and the override alone."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(DIRECT, encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text("employee_id,plan,currency\nE1,AIP,USD\n", encoding="utf-8")
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    text = explain_employee(out, "E1").text()
    assert "attainment 112% (stated, not computed)" in text
    assert "payout 95% (stated, not computed)" in text
    assert "customers_curved (weight 25%): customer overridden to 80%" in text
    assert 'override: payout 80% — "Committee judgement: no survey this year"' in text


def test_a_result_with_nothing_to_pay_from_still_needs_an_actual(tmp_path: Path) -> None:
    """A curve result without actual, override or stated payout: the run stops, naming it."""
    from incentives.errors import OptionsError

    text = CARD.replace("actual: 110, ", "")
    rulebook = load(tmp_path, text)
    with pytest.raises(OptionsError, match="result 'revenue' has no actual"):
        run(rulebook, [{}])


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        (
            "{threshold: 1, target: 2, maximum: 3, actual: 2, payout: [0%, 100%, 200%], stated_payout: 90%}",
            "results.esg: a result states its payout ('stated_payout') or computes it from "
            "a curve ('payout: [threshold, target, maximum payouts]'), not both",
        ),
        (
            "{threshold: 1, target: 2, maximum: 3, actual: 2, payout: [0%, 100%, 200%], attainment: 90%}",
            "results.esg: a stated 'attainment' cannot be combined with a payout curve on the actual",
        ),
        (
            "{payout: 95%}",
            "results.esg.payout: 'payout:' is the curve [threshold payout, target payout, "
            "maximum payout]",
        ),
    ],
)
def test_ambiguous_result_statements_are_refused(
    tmp_path: Path, figures: str, message: str
) -> None:
    text = re.sub(r"esg:\n\s+stated_payout: 95%[^\n]*", f"esg: {figures}", DIRECT)
    found = problems(tmp_path, text)
    assert any(message in line for line in found), found


def test_a_scalar_payout_gets_a_hint_to_stated_payout(tmp_path: Path) -> None:
    """`payout: 95%` is the most likely way to write a disclosed score: the hint says how."""
    text = DIRECT.replace("stated_payout: 95%", "payout: 95%")
    [line] = problems(tmp_path, text)
    assert "write 'stated_payout: 95%'" in line


def test_an_item_on_a_result_with_no_payout_at_all_is_refused(tmp_path: Path) -> None:
    """A result with an actual but no curve, no stated payout, no override, read by an item
    without a curve: refused at load, with the ways out."""
    text = DIRECT.replace("stated_payout: 95%", "actual: 3")
    [line] = problems(tmp_path, text)
    assert "result 'esg' has no payout" in line
    assert "stated_payout" in line and "override" in line and "curve" in line


# -- derived names ---------------------------------------------------------------------------


def test_an_input_clashing_with_a_derived_name_says_so(tmp_path: Path) -> None:
    """Input `revenue_payout` and result `revenue`: the message names the result it derives from."""
    text = policy_yaml(
        """
        results:
          revenue: {threshold: 90, target: 100, maximum: 120, actual: 110, payout: [50%, 100%, 200%]}
        steps:
          bonus: {formula: "1000 * revenue_payout", type: money}
        """,
        inputs="revenue_payout: {type: decimal}\n",
    )
    [line] = problems(tmp_path, text)
    assert "'revenue_payout' clashes with the payout of result 'revenue'" in line
    assert "already declared as input" in line


def test_a_step_clashing_with_a_derived_name_says_so(tmp_path: Path) -> None:
    """Step `revenue_attainment` beside result `revenue`: names the result, suggests a rename."""
    text = policy_yaml(
        """
        results:
          revenue: {threshold: 90, target: 100, maximum: 120, actual: 110, payout: [50%, 100%, 200%]}
        steps:
          revenue_attainment: {formula: "revenue / revenue_target", type: percent}
        """
    )
    [line] = problems(tmp_path, text)
    assert "'revenue_attainment' clashes with the attainment of result 'revenue'" in line


# -- plan scorecard gates reach zero_reason and notes --------------------------------------

GATED = policy_yaml(
    """
    results:
      margin:
        by: unit
        payout: [50%, 100%, 150%]
        units:
          Sales: {threshold: 8%, target: 10%, maximum: 14%, actual: 11%}
          Finance: {threshold: 8%, target: 10%, maximum: 14%, actual: 9%}
          Operations: {threshold: 6%, target: 8%, maximum: 12%, actual: 5%}
    scorecards:
      company:
        scope: plan
        items:
          - name: financial
            weight: 100%
            result: margin
            gates:
              - {name: capped_below_target, when: "margin < margin_target", outcome: cap,
                 value: 80%, reason: "Margin below target: capped at 80%"}
        gates:
          - {name: no_payout_below_threshold, when: "margin < margin_threshold",
             outcome: zero, reason: "Margin below threshold: no company payout"}
    steps:
      bonus: {formula: "1000 * company", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="unit: {type: text}\n",
)


def test_a_plan_gate_that_zeroes_the_payout_is_the_zero_reason(tmp_path: Path) -> None:
    """Operations: 5 % < 6 % threshold: the scorecard gate zeroes company → bonus 0, with the
    gate's reason as zero_reason and in notes (the cap applies but does not bind: 0 < 80 %).
    Finance: 9 % pays 75 %, below 80 %: the cap does not bind, nothing is noted.
    Sales: 11 % pays 112.5 %, no gate applies."""
    ops, fin, sales = (
        ok(o)
        for o in compute(
            tmp_path, GATED, [{"unit": "Operations"}, {"unit": "Finance"}, {"unit": "Sales"}]
        )
    )
    assert ops.value("pay.annual_bonus") == 0
    assert ops.zero_reason == "Margin below threshold: no company payout"
    assert ops.notes == "Margin below threshold: no company payout"
    assert (fin.value("pay.annual_bonus"), fin.notes, fin.zero_reason) == (D("750.00"), "", "")
    assert (sales.value("pay.annual_bonus"), sales.notes) == (D("1125.00"), "")


def test_a_binding_plan_cap_is_noted(tmp_path: Path) -> None:
    """With the cap at 70 %, Finance's 75 % is capped: notes say so, the bonus is 700.00."""
    [fin] = compute(tmp_path, GATED.replace("value: 80%", "value: 70%"), [{"unit": "Finance"}])
    assert ok(fin).value("pay.annual_bonus") == D("700.00")
    assert ok(fin).notes == "Margin below target: capped at 80%"


def test_plan_gates_reach_results_csv(tmp_path: Path) -> None:
    """The zero_reason and notes columns of results.csv carry the plan gate's reason."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(GATED, encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text("employee_id,plan,currency,unit\nE1,AIP,USD,Operations\n", encoding="utf-8")
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["zero_reason"] == "Margin below threshold: no company payout"
    assert row["notes"] == "Margin below threshold: no company payout"


# -- goal column groups ----------------------------------------------------------------------


def test_goal_columns_need_no_name_column(tmp_path: Path) -> None:
    """goal1_target/actual/weight without goal1_name: the goal is named goal1.
    attainment 110/100 = 110 % on a straight 0..200 % curve pays 110 % → 1,000 × 110 % = 1,100."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(
        policy_yaml(
            """
            curves:
              straight: {on: attainment, points: [[0%, 0%], [200%, 200%]]}
            scorecards:
              individual: {scope: employee, max_goals: 2, curve: straight}
            steps:
              bonus: {formula: "1000 * individual", type: money}
            pay:
              - {name: annual_bonus, step: bonus, pay_code: AIP}
            """
        ),
        encoding="utf-8",
    )
    roster = tmp_path / "employees.csv"
    roster.write_text(
        "employee_id,plan,currency,goal1_target,goal1_actual,goal1_weight\nE1,AIP,USD,100,110,100%\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["annual_bonus"] == "1100.00"
    assert "goal 1 'goal1'" in explain_employee(out, "E1").text()


def test_stated_payouts_by_unit_from_a_results_file(tmp_path: Path) -> None:
    """A result by unit with stated payouts: Sales 90 % in the policy, Finance 120 % from the
    --results file (field stated_payout): each employee's item reads their unit's figure."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(
        policy_yaml(
            """
            results:
              unit_kpi:
                by: unit
                units:
                  Sales: {stated_payout: 90%}
                  Finance: {stated_payout: 50%}
            scorecards:
              company:
                scope: plan
                items:
                  - {name: kpi, weight: 100%, result: unit_kpi}
            steps:
              bonus: {formula: "1000 * company", type: money}
            pay:
              - {name: annual_bonus, step: bonus, pay_code: AIP}
            """,
            inputs="unit: {type: text}\n",
        ),
        encoding="utf-8",
    )
    roster = tmp_path / "employees.csv"
    roster.write_text(
        "employee_id,plan,currency,unit\nE1,AIP,USD,Sales\nE2,AIP,USD,Finance\n", encoding="utf-8"
    )
    figures = tmp_path / "results.csv"
    figures.write_text(
        "policy,result,unit,field,value\ntest-policy,unit_kpi,Finance,stated_payout,120%\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out, results=figures))
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        paid = {row["employee_id"]: row["annual_bonus"] for row in csv.DictReader(handle)}
    assert paid == {"E1": "900.00", "E2": "1200.00"}


def test_an_item_curve_on_a_result_without_attainment_stops_the_run(tmp_path: Path) -> None:
    """An item curve on attainment over a result that only states its payout: nothing to read
    the curve at, so the run stops naming the item, the result and the curve."""
    from incentives.errors import OptionsError

    text = DIRECT.replace(
        "{name: sustainability, weight: 25%, result: esg}",
        "{name: sustainability, weight: 25%, result: esg, curve: kpi}",
    )
    rulebook = load(tmp_path, text)
    with pytest.raises(OptionsError, match="item 'sustainability' reads result 'esg' through"):
        run(rulebook, [{}])


def test_a_stated_figure_for_a_result_with_a_curve_is_refused(tmp_path: Path) -> None:
    """--results states a payout for `revenue`, whose payout comes from its curve: it would be
    silently unused, so the run stops naming the line and the result."""
    from incentives.errors import OptionsError

    figure = ResultFigure("test-policy", "revenue", "", "stated_payout", D("0.9"), 3)
    with pytest.raises(OptionsError, match="results line 3: result 'revenue' computes its payout"):
        compute(tmp_path, CARD, [{}], results=[figure])


def test_explain_of_plan_gates_reads_the_recorded_scores(tmp_path: Path) -> None:
    """Operations: the scorecard gate zeroes 0 % → 0 % (the score before it is recorded, not
    shown as missing); the item cap applies but does not bind, and explain says so."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(GATED, encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text("employee_id,plan,currency,unit\nE1,AIP,USD,Operations\n", encoding="utf-8")
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    text = explain_employee(out, "E1").text()
    assert "applied, cap 80%: 0% is not above it, unchanged" in text
    assert 'applied, zero: 0% → 0% — "Margin below threshold: no company payout"' in text
    assert 'zero: "Margin below threshold: no company payout"' in text


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    override=decimals("0", "3", 4),
    measured=st.booleans(),
    curved=st.booleans(),
)
def test_an_override_is_paid_wherever_the_payout_is_read(
    tmp_path: Path, override: D, measured: bool, curved: bool
) -> None:
    """Whatever the override, whether the result is measured (actual and curve) or not, and
    whether the item reads it through its own curve: the item, the scorecard, `X_payout` and
    the pay all use the override."""
    figures = (
        "threshold: 90\n    target: 100\n    maximum: 120\n    actual: 105\n"
        "    payout: [50%, 100%, 200%]\n    "
        if measured
        else ""
    )
    curve = ", curve: kpi" if curved else ""
    text = policy_yaml(
        f"""
results:
  safety:
    {figures}override: {{payout: "{override}", reason: "Committee decision"}}
curves:
  kpi: {{on: {"attainment" if measured else "value"}, points: [[0, 0%], [2, 200%]]}}
scorecards:
  company:
    scope: plan
    items:
      - {{name: safe, weight: 100%, result: safety{curve}}}
steps:
  score: {{formula: "company", type: decimal}}
  direct: {{formula: "safety_payout", type: decimal}}
  bonus: {{formula: "1000 * company", type: money}}
pay:
  - {{name: annual_bonus, step: bonus, pay_code: AIP}}
"""
    )
    [out] = compute(tmp_path, text, [{}])
    assert ok(out).value("score") == override
    assert ok(out).value("direct") == override
    assert ok(out).value("pay.annual_bonus") == (1000 * override).quantize(D("0.01"), ROUND_HALF_UP)
