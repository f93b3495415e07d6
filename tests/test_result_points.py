"""A result's `payout:` may list as many [actual, payout] points as the plan has (issue 12,
§1 "curves as plans write them"); three payouts at threshold/target/maximum still work.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from engine_helpers import compute, only_problem
from explain_helpers import explained
from incentives.engine.calculate import PolicyOutcome
from incentives.io.plan_inputs import ResultFigure
from incentives.model import Rejection

POLICY = (Path(__file__).parent / "policies" / "valid" / "result_points.yaml").read_text(
    encoding="utf-8"
)
ROW = {"plan": "POINTS", "target_bonus": "1000"}


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


def test_curves_of_any_number_of_points_pay_the_hand_computed_values(tmp_path: Path) -> None:
    """operating_income 530 on 400/450/475/500/600 → 25/50/75/100/200 %: between 500 and 600,
    100 % + 30/100 × 100 % = 130 %; attainment 530 ÷ 500 = 106 %.
    DSO 44 (lower is better, 60/50/45/40 → 0/50/100/150 %): between 45 and 40,
    100 % + (44 − 45)/(40 − 45) × 50 % = 110 %.
    retention exactly on its last point 90 % → 2/3.
    company = 50 % × 130 % + 30 % × 110 % + 20 % × 2/3 = 65 % + 33 % + 13.33…% = 111.33…%;
    bonus 1,000 × 111.33…% = 1,113.33."""
    [out] = compute(tmp_path, POLICY, [ROW])
    assert ok(out).value("income_payout") == D("1.3")
    assert ok(out).value("income_attainment") == D("1.06")
    assert ok(out).value("dso_payout") == D("1.1")
    assert ok(out).value("kept_payout") == D("0.6666666666666666666666666667")
    assert ok(out).value("pay.annual_bonus") == D("1113.33")


@pytest.mark.parametrize(
    ("actual", "payout"),
    [
        ("400", "0.25"),  # exactly on the threshold: the first point is inclusive
        ("475", "0.75"),  # exactly on an inner point
        ("399", "0"),  # below the threshold: 0
        ("700", "2"),  # above the maximum: capped at the last payout
        ("462.5", "0.625"),  # halfway between 450 (50 %) and 475 (75 %)
    ],
)
def test_breakpoints_and_the_ends(tmp_path: Path, actual: str, payout: str) -> None:
    """On a point the point's payout; below the first 0; beyond the last capped."""
    figure = ResultFigure("result-points", "operating_income", "", "actual", D(actual), 2)
    [out] = compute(tmp_path, POLICY, [ROW], results=[figure])
    assert ok(out).value("income_payout") == D(payout)


def test_points_out_of_order_are_refused_at_the_point(tmp_path: Path) -> None:
    """[475, 75 %] after [500, …] is not a curve: the problem names the point."""
    text = POLICY.replace("[475, 75%], [500, 100%]", "[500, 100%], [475, 75%]")
    problem = only_problem(tmp_path, text)
    assert problem.field == "results.operating_income.payout[3][0]"
    assert "must be strictly increasing" in problem.message


def test_four_bare_payouts_say_how_to_write_points(tmp_path: Path) -> None:
    """Three bare payouts are read at threshold/target/maximum; four say to write pairs."""
    text = POLICY.replace("payout: [[80%, 50%], [90%, 2/3]]", "payout: [50%, 60%, 70%, 80%]")
    problem = only_problem(tmp_path, text)
    assert problem.field == "results.retention.payout"
    assert "lists 4 payouts" in problem.message
    assert "[actual, payout]" in problem.message


def test_explain_shows_the_segment_of_the_recorded_curve(tmp_path: Path) -> None:
    """`explain` reads the points the run recorded and shows the arithmetic of the segment."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,target_bonus\nE1,POINTS,USD,1000\n", "E1"
    )
    assert "operating_income(530) = 100% + (530 − 500) ÷ (600 − 500) × (200% − 100%) = 130%" in text
    assert "days_sales_outstanding(44) = 100% + (44 − 45) ÷ (40 − 45) × (150% − 100%) = 110%" in (
        text
    )
    assert "re-evaluated" not in text
