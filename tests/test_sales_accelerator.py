"""A sales accelerator as one declared construct, and tiers whose band is chosen by one value
and applied to another (issue 12, §1 "curves and tiers as plans write them").
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine_helpers import compute, only_problem, policy_yaml
from explain_helpers import explained
from incentives.engine.calculate import PolicyOutcome
from incentives.model import Rejection
from incentives.rulebook.language.accelerator_spec import AcceleratorSpec
from incentives.rulebook.runtime.accelerators import compile_accelerator

POLICY = (Path(__file__).parent / "policies" / "valid" / "sales_accelerator.yaml").read_text(
    encoding="utf-8"
)


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


@pytest.mark.parametrize(
    ("sales", "commission", "sliced", "kicker"),
    [
        # 40 %: decelerator band from 0 %: 4 % × 40,000 = 1,600 (both); kicker below 90 %: 0
        ("40000", "1600.00", "1600.00", "0.00"),
        # exactly 50 %: the band from 50 %: 6 % × 50,000 = 3,000
        ("50000", "3000.00", "3000.00", "0.00"),
        # 95 %: 6 % × 95,000 = 5,700; kicker band from 90 %: 5 % × 95,000 = 4,750
        ("95000", "5700.00", "5700.00", "4750.00"),
        # exactly at plan: 8 % × 100,000 + 12 % × 0 = 8,000; kicker 5 % × 100,000 = 5,000
        ("100000", "8000.00", "8000.00", "5000.00"),
        # 130 %: reached band 125 %: 8,000 + 16 % × 30,000 = 12,800;
        # cumulative: 8,000 + 12 % × 25,000 + 16 % × 5,000 = 11,800; kicker 8 % × 130,000 = 10,400
        ("130000", "12800.00", "11800.00", "10400.00"),
        ("0", "0.00", "0.00", "0.00"),
    ],
)
def test_commission_at_each_band_on_a_quota_of_100000(
    tmp_path: Path, sales: str, commission: str, sliced: str, kicker: str
) -> None:
    """Quota 100,000; base rate 8 % up to plan; decelerators 4 % (from 0 %) and 6 % (from
    50 %) on all sales below plan; accelerators 12 % (from plan) and 16 % (from 125 %) on the
    amount above plan. The kicker's band is chosen by attainment (from 90 %: 5 %, from
    110 %: 8 %) and its rate paid on sales. Figures in the comments of each case."""
    [out] = compute(tmp_path, POLICY, [{"plan": "SIP", "sales": sales, "quota": "100000"}])
    assert ok(out).value("commission_due") == D(commission)
    assert ok(out).value("sliced_due") == D(sliced)
    assert ok(out).value("kicker") == D(kicker)
    assert ok(out).value("pay.sales_commission") == D(commission)


def test_an_accelerator_without_a_band_at_plan_is_refused(tmp_path: Path) -> None:
    """The accelerator bands start at plan: without a band from 100 % the load says so."""
    text = POLICY.replace(
        "      - {from: 100%, rate: 12%}   # at plan: 12 % on the amount above plan\n", ""
    )
    problem = only_problem(tmp_path, text)
    assert problem.field == "accelerators.commission.bands"
    assert "no band starts at plan (100% attainment)" in problem.message


def test_an_accelerator_reads_two_values(tmp_path: Path) -> None:
    """`commission(sales)` is a load error naming the arity, as for any lookup."""
    text = POLICY.replace('"commission(sales, quota)"', '"commission(sales)"')
    problem = only_problem(tmp_path, text)
    assert "commission" in problem.message and "2" in problem.message


def test_a_cumulative_tier_takes_one_value(tmp_path: Path) -> None:
    """Only a non-cumulative schedule applies its band's rate to another value."""
    text = policy_yaml(
        """
        tiers:
          t: {mode: cumulative, bands: [{from: 0, rate: 5%}]}
        steps:
          s: {formula: "t(1, 2)", type: money}
        """
    )
    problem = only_problem(tmp_path, text)
    assert "t" in problem.message and "1" in problem.message


@given(st.integers(0, 400_000), st.integers(0, 400_000))
def test_more_sales_never_pay_less(a: int, b: int) -> None:
    """With rates rising band by band (and the base rate within them), commission never
    falls as sales rise, in either mode."""
    low, high = sorted((D(a), D(b)))
    for mode in ("reached", "cumulative"):
        acc = compile_accelerator(
            "c",
            AcceleratorSpec.model_validate(
                {
                    "base_rate": "8%",
                    "mode": mode,
                    "bands": [
                        {"from": "0%", "rate": "4%"},
                        {"from": "50%", "rate": "6%"},
                        {"from": "100%", "rate": "12%"},
                        {"from": "125%", "rate": "16%"},
                    ],
                }
            ),
        )
        assert acc(low, D(100_000))[0] <= acc(high, D(100_000))[0]


def test_explain_shows_the_band_and_the_split_at_plan(tmp_path: Path) -> None:
    """`explain` shows the amount up to plan and above it with their rates, and the band."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,sales,quota\nE1,SIP,USD,130000,100000\n", "E1"
    )
    assert (
        "commission(130,000, 100,000) = 100,000 × 8% + 30,000 × 16% = 12,800 "
        "(attainment 130%, band from 125%)" in text
    )
    assert "100,000 × 8% + 25,000 × 12% + 5,000 × 16% = 11,800" in text
    assert "kicker_rate(1.3, 130,000) = 130,000 × 8% = 10,400 (band from 1.1)" in text
    assert "MISMATCH" not in text


def test_explain_shows_an_attainment_at_the_breakdown_precision(tmp_path: Path) -> None:
    """140,000 on a quota of 150,000 is 93.333…% of plan: `explain` prints it at the
    breakdown's 6 decimals (0.933333 = 93.3333%), not the 28 digits of the division."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,sales,quota\nE1,SIP,USD,140000,150000\n", "E1"
    )
    assert (
        "commission(140,000, 150,000) = 140,000 × 6% = 8,400 "
        "(attainment 93.3333%, band from 50%: a decelerator, on all sales)" in text
    )
    assert "MISMATCH" not in text


def test_an_attainment_passed_to_an_accelerator_is_refused_at_load(tmp_path: Path) -> None:
    """`commission(sales / quota, quota)` with the attainment typed as a percent: the load
    says the accelerator computes the attainment itself, naming the argument."""
    text = POLICY.replace('"commission(sales, quota)"', '"commission(attainment, quota)"')
    text = text.replace(
        "steps:\n", 'steps:\n  attainment: {formula: "sales / quota", type: percent}\n', 1
    )
    problem = only_problem(tmp_path, text)
    assert "computes the attainment itself; 'attainment' is a percent" in problem.message
