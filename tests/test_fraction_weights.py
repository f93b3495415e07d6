"""Fractions are numbers as plans write them, kept exact; weights may be shares of the whole plan
inside nested sections, checked against the total (issue 12, §1 "weights as stated by the plan").
"""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine_helpers import compute, load, only_problem, policy_yaml
from explain_helpers import explained
from incentives.engine.calculate import PolicyOutcome
from incentives.model import Rejection
from incentives.rulebook.language.fractions import NumberFraction, exact, weigh
from incentives.rulebook.language.values import parse_number, parse_weight

POLICY = (Path(__file__).parent / "policies" / "valid" / "fraction_weights.yaml").read_text(
    encoding="utf-8"
)


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


def test_fraction_weights_and_shares_of_the_plan_pay_the_hand_computed_scores(
    tmp_path: Path,
) -> None:
    """Stated payouts: revenue 120 %, margin 90 %, cash 60 %, nps 150 %, people 100 %.

    thirds: 1/3 × (120 % + 90 % + 60 %) = 40 % + 30 % + 20 % = 90 % exactly (each 1/3 × p is
    p × 1 ÷ 3, not p × 0.333…3, so no 89.999…%).
    sap_style (shares of the plan): financial 1/5 holding three goals of 1/15 (each 1/3 of the
    section) = 90 %; non_financial 4/5 holding 2/5 + 2/5 (each 1/2) = 125 %;
    1/5 × 90 % + 4/5 × 125 % = 18 % + 100 % = 118 % → bonus 1,000 × 118 % = 1,180.00.
    flutter_style: 85 % × 120 % + 15 % × (1.65/15 × 150 % + 13.35/15 × 100 %)
    = 102 % + 15 % × (16.5 % + 89 %) = 117.825 %.
    deferred: 3,000 × 2/3 = 2,000.00; thirds_curve(90 %) = 1/3 + ½ × (2/3 − 1/3) = 50 %."""
    [out] = compute(tmp_path, POLICY, [{"plan": "FRAC", "target_bonus": "1000"}])
    assert ok(out).value("thirds_score") == D("0.9")
    assert ok(out).value("sap_score") == D("1.18")
    assert ok(out).value("flutter_score") == D("1.17825")
    assert ok(out).value("pay.annual_bonus") == D("1180.00")
    assert ok(out).value("curve_at_90") == D("0.5")
    [out] = compute(tmp_path, POLICY, [{"plan": "FRAC", "target_bonus": "3000"}])
    assert ok(out).value("deferred") == D("2000.00")


def test_thirds_that_do_not_make_a_whole_are_refused_with_the_exact_sum(tmp_path: Path) -> None:
    """1/3 + 1/3 + 1/4 = 11/12 = 91.66…%: refused, the sum shown at the engine's precision."""
    text = POLICY.replace(
        "- {name: cash, weight: 1/3, result: cash}", "- {name: cash, weight: 1/4, result: cash}"
    )
    problem = only_problem(tmp_path, text)
    assert "weights sum to 91.66666666666666666666666667%, not 100%" in problem.message
    assert problem.field == "scorecards.thirds.items"


def test_a_section_whose_shares_miss_its_weight_is_refused(tmp_path: Path) -> None:
    """of_plan: financial 1/5 holding 1/15 + 1/15 + 1/10 (= 7/30 ≠ 1/5) names the section."""
    text = POLICY.replace(
        "- {name: cash, weight: 1/15, result: cash}", "- {name: cash, weight: 1/10, result: cash}"
    )
    problem = only_problem(tmp_path, text)
    assert problem.field == "scorecards.sap_style.items[0].items"
    assert "section 'financial'" in problem.message
    assert "sum to 23.33333333333333333333333333%, not the section's weight 20%" in (
        problem.message
    )


def test_without_of_plan_shares_inside_a_section_must_sum_to_100_percent(tmp_path: Path) -> None:
    """The same weights without `weights: of_plan` are weights within each section: 1/15 × 3 =
    20 % inside financial is refused as before."""
    text = POLICY.replace(
        "    weights: of_plan\n    items:\n      - name: financial",
        "    items:\n      - name: financial",
        1,
    )
    with pytest.raises(Exception, match="weights sum to 20%, not 100%"):
        compute(tmp_path, text, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/0", "divides by 0"),
        ("1//3", "is not a number or a fraction"),
        ("one/3", "is not a number or a fraction"),
    ],
)
def test_a_bad_fraction_says_why(tmp_path: Path, text: str, message: str) -> None:
    """A fraction with a zero or unreadable part is refused at load, naming the parameter."""
    policy = policy_yaml(f"parameters:\n  share: {text}\n")
    problem = only_problem(tmp_path, policy)
    assert problem.field == "parameters.share"
    assert message in problem.message


def test_a_fraction_keeps_its_exact_value_as_a_weight_and_is_a_decimal_elsewhere() -> None:
    """As a weight, 2/3 is the engine's 28-digit decimal that also holds exactly 2/3; anywhere
    else (a parameter, a curve point) it is that plain decimal, as any computed value is.
    1.65/3% is 0.0055; arithmetic on a weight gives plain decimals."""
    two_thirds = parse_weight("2/3")
    assert isinstance(two_thirds, NumberFraction)
    assert two_thirds == D("0.6666666666666666666666666667")
    assert exact(two_thirds) == Fraction(2, 3)
    assert type(two_thirds * 3) is D
    assert repr(two_thirds) == "Decimal('0.6666666666666666666666666667')"
    assert type(parse_number("2/3")) is D
    assert parse_number("2/3") == two_thirds
    assert parse_number("1.65/3%") == D("0.0055")


@given(st.integers(1, 40), st.integers(0, 10_000))
def test_n_equal_fraction_weights_sum_exactly_and_weigh_exactly(n: int, payout_cents: int) -> None:
    """n weights of 1/n sum to exactly 1; weighing p by each and adding gives p whenever
    p ÷ n is a decimal with few digits (p in whole hundredths, n a divisor of a power of ten)."""
    weight = parse_weight(f"1/{n}")
    assert sum((exact(weight) for _ in range(n)), Fraction(0)) == 1
    payout = D(payout_cents).scaleb(-2)
    if 10**6 % n == 0:
        assert sum((weigh(weight, payout) for _ in range(n)), D(0)) == payout


def test_explain_shows_each_share_of_the_plan_and_its_weight_in_the_section(
    tmp_path: Path,
) -> None:
    """`explain` reads the recorded weights and prints fractions as written: revenue is 1/3 of
    financial and 1/15 of the plan; a share that is a finite decimal prints as a percent
    (1.65 % of a 15 % section is 11 % of it)."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,target_bonus\nE1,FRAC,USD,1000\n", "E1"
    )
    assert "financial (weight 1/5): 1/3 × 120% + 1/3 × 90% + 1/3 × 60% = 90%" in text
    assert "revenue (weight 1/3 of the section, 1/15 of the plan)" in text
    assert "sap_style = 1/5 × 90% + 4/5 × 125% = 118%" in text
    assert "thirds = 1/3 × 120% + 1/3 × 90% + 1/3 × 60% = 90%" in text
    assert "nps (weight 11% of the section, 1.65% of the plan)" in text


def test_shares_of_the_plan_need_a_plan_scorecard(tmp_path: Path) -> None:
    """`weights: of_plan` on an employee scorecard (weights from the roster) is refused."""
    text = policy_yaml(
        """
        curves:
          c: {points: [[0%, 0%], [100%, 100%]]}
        scorecards:
          mine: {scope: employee, curve: c, weights: of_plan}
        """
    )
    problem = only_problem(tmp_path, text)
    assert problem.field == "scorecards.mine"
    assert "an employee scorecard's goal weights come from the roster" in problem.message


def test_rulebook_json_records_a_fraction_weight_as_written_and_reads_it_back_exactly(
    tmp_path: Path,
) -> None:
    """rulebook.json keeps `1/3` (not 0.333…3), so a spec rebuilt from the record (explain, an
    edited copy) still sums its thirds to exactly 100 %; other weights keep their decimal text."""
    from incentives.audit.manifest import rulebook_data
    from incentives.rulebook.language.schema import ScorecardSpec

    rulebook = load(tmp_path, POLICY)
    [policy] = rulebook_data(rulebook)["policies"]
    thirds = policy["spec"]["scorecards"]["thirds"]
    assert [item["weight"] for item in thirds["items"]] == ["1/3", "1/3", "1/3"]
    flutter = policy["spec"]["scorecards"]["flutter_style"]
    assert flutter["items"][0]["weight"] == "0.85"
    rebuilt = ScorecardSpec.model_validate(thirds)
    assert sum((exact(item.weight) for item in rebuilt.items or []), Fraction(0)) == 1
