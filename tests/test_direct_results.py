"""Results as plans disclose them (issue 12, §1): a stated score or a committee-decided payout
is a scorecard item without a curve; a reported actual carries the committee's adjustment,
both recorded, the adjusted one used, and `explain` shows both from the record.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given

from engine_helpers import compute, load, only_problem, run
from explain_helpers import explained
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import OptionsError
from incentives.io.plan_inputs import ResultFigure
from incentives.model import Rejection
from incentives.rulebook.language.result_spec import AdjustmentSpec
from incentives.rulebook.runtime.result_adjustment import adjust
from strategies import decimals

POLICY = (Path(__file__).parent / "policies" / "valid" / "direct_results.yaml").read_text(
    encoding="utf-8"
)
ROWS = [
    {"employee_id": "N1", "plan": "DIRECT", "region": "North", "target_bonus": "1000"},
    {"employee_id": "S1", "plan": "DIRECT", "region": "South", "target_bonus": "1000"},
]


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


def test_direct_and_adjusted_results_pay_the_hand_computed_scorecard(tmp_path: Path) -> None:
    """ebitda: reported 104, adjusted by −6 to 98: 50 % + (98 − 90)/10 × 50 % = 90 % (the
    reported 104 would pay 120 %). free_cash_flow: reported 70 (0 %), adjusted to 95:
    50 % + 15/20 × 50 % = 87.5 %. non_financial: 50 % × 110 % (stated) + 25 % × 90 % (the
    committee's override, no curve) + 25 % × regional stated payout (North 80 %, South 120 %)
    = 97.5 % / 107.5 %. company North = 40 % × 90 % + 20 % × 87.5 % + 40 % × 97.5 % = 92.5 %;
    South = 36 % + 17.5 % + 43 % = 96.5 %. Bonus on 1,000: 925.00 and 965.00."""
    north, south = compute(tmp_path, POLICY, ROWS)
    assert ok(north).value("ebitda_used") == D("98")
    assert ok(north).value("company_score") == D("0.925")
    assert ok(north).value("pay.annual_bonus") == D("925.00")
    assert ok(south).value("company_score") == D("0.965")
    assert ok(south).value("pay.annual_bonus") == D("965.00")


def test_the_record_keeps_the_reported_actual_beside_the_adjusted_one(tmp_path: Path) -> None:
    """The run's record of ebitda: actual 98 (used), reported 104, adjustment −6 with its
    reason; free_cash_flow: actual 95 replacing the reported 70 (adjustment +25)."""
    calc, _ = run(load(tmp_path, POLICY), ROWS)
    results = calc.plan_values["direct-results"]["results"]
    ebitda = results["ebitda"]["*"]
    assert (ebitda["actual"], ebitda["reported_actual"], ebitda["adjustment"]) == (98, 104, -6)
    assert ebitda["adjustment_reason"].startswith("Gain on the Lyon sale excluded")
    assert ebitda["payout"] == D("0.9")
    cash = results["free_cash_flow"]["*"]
    assert (cash["actual"], cash["reported_actual"], cash["adjustment"]) == (95, 70, 25)
    assert cash["adjustment_replaces"] is True


def test_an_adjustment_applies_to_the_actual_given_in_the_results_file(tmp_path: Path) -> None:
    """A --results row gives ebitda's reported actual 110; the policy's −6 makes it 104:
    100 % + 4/20 × 100 % = 120 %; North company = 48 % + 17.5 % + 39 % = 104.5 %."""
    figure = ResultFigure("direct-results", "ebitda", "", "actual", D("110"), 2)
    north, _ = compute(tmp_path, POLICY, ROWS, results=[figure])
    assert ok(north).value("ebitda_used") == D("104")
    assert ok(north).value("company_score") == D("1.045")


def test_an_amount_without_a_reported_actual_stops_the_run_naming_the_result(
    tmp_path: Path,
) -> None:
    """An adjustment by an amount needs the reported actual it adjusts."""
    text = POLICY.replace("    actual: 104\n", "")
    with pytest.raises(OptionsError, match="result 'ebitda' adjusts its actual by -6"):
        run(load(tmp_path, text), ROWS)


def test_an_adjustment_with_both_amount_and_to_is_refused_at_load(tmp_path: Path) -> None:
    """`amount` adds to the reported actual, `to` replaces it: one of them, with the reason."""
    text = POLICY.replace("adjustment: {to: 95,", "adjustment: {to: 95, amount: 25,")
    problem = only_problem(tmp_path, text)
    assert problem.field == "results.free_cash_flow.adjustment"
    assert "either 'amount'" in problem.message


def test_explain_shows_the_reported_and_the_adjusted_actual(tmp_path: Path) -> None:
    """`explain` prints both actuals and the reason, then scores the adjusted one."""
    text = explained(
        tmp_path,
        POLICY,
        "employee_id,plan,currency,region,target_bonus\nN1,DIRECT,USD,North,1000\n",
        "N1",
    )
    assert (
        'actual 98 = reported 104 adjusted by -6 — "Gain on the Lyon sale excluded '
        '(committee 2027-02-02)"' in text
    )
    assert 'actual 95: reported 70 replaced by 95 — "Working-capital timing restated' in text
    assert "ebitda(98) = " in text or "(98 − 90)" in text
    assert "strategy (weight 25%): strategy payout = 90%" in text
    assert "region (weight 25%): regional_kpi payout = 80%" in text


@given(decimals("-1000000", "1000000"), decimals("-1000", "1000"))
def test_an_amount_adjusts_and_both_actuals_are_recorded(reported: D, amount: D) -> None:
    """Whatever the figures, the actual used is reported + amount, and the record keeps the
    reported actual and the adjustment such that used − reported = adjustment."""
    spec = AdjustmentSpec(amount=amount, reason="why")
    used, record = adjust("result 'x'", reported, spec)
    assert used == reported + amount
    assert record["reported_actual"] == reported
    assert used - record["reported_actual"] == record["adjustment"]
    assert record["adjustment_reason"] == "why"
