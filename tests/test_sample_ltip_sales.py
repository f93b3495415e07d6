"""The bundled sample's long-term incentive (PSUs on relative TSR, capped for a negative TSR)
and quarterly sales incentive (an accelerator), run in the Quickstart's cycle beside the annual
bonus in the plan group `variable-pay` (fixtures/EXPECTED.md, "Long-term and quarterly sales
incentives"; issue 12, "What must be shown")."""

from __future__ import annotations

import csv
import json
from decimal import Decimal as D
from typing import Any

import pytest

from conftest import CliRun, cycle_outcomes
from incentives.audit.explain import explain_employee

LTIP = "ltip-psu-2024"
SALES = "sales-incentive-2026-q4"


@pytest.fixture(scope="module")
def psus() -> dict[str, Any]:
    return cycle_outcomes(LTIP)


@pytest.fixture(scope="module")
def sales() -> dict[str, Any]:
    return cycle_outcomes(SALES)


def test_the_psu_plan_covers_levels_7_and_8(psus: dict[str, Any]) -> None:
    """Senior employees only: levels 7 (00007, 00038, 00042, 00050) and 8 (00008, 00041),
    all still employed on the vesting date."""
    assert sorted(psus) == ["00007", "00008", "00038", "00041", "00042", "00050"]
    assert all(po.eligible for po in psus.values())


def test_the_company_ranks_at_62_5_and_vests_at_target_because_its_tsr_is_negative(
    psus: dict[str, Any],
) -> None:
    """TSR −4 % with 5 of the 8 peers below it, the company included (N = 9): rank 5 ÷ 8 =
    62.5 %, on the curve 100 % + 12.5 ÷ 25 × 100 % = 150 %, capped at 100 % as the company's
    own TSR is negative."""
    assert {po.value("vesting") for po in psus.values()} == {D(1)}


@pytest.mark.parametrize(
    ("employee", "target", "vested"),
    [
        # USD: 150,000 × 40 % = 60,000 ÷ 48.20 = 1,244.81 → 1,244 (rounded down); vested 1,244
        ("00007", 1244, 1244),
        # EUR, level 8: 450,000 × 60 % = 270,000 ÷ (48.20 × 0.9150 = 44.103) = 6,122.03 → 6,122
        ("00041", 6122, 6122),
        # GBP: 140,000 × 40 % = 56,000 ÷ (48.20 × 0.7850 = 37.837) = 1,480.03 → 1,480
        ("00042", 1480, 1480),
        # 160,000 × 40 % = 64,000 ÷ 48.20 = 1,327.80 → 1,327: down, never a share not earned
        ("00038", 1327, 1327),
    ],
)
def test_psus_by_hand(psus: dict[str, Any], employee: str, target: int, vested: int) -> None:
    """Target PSUs = salary × LTI target % ÷ the grant price in the pay currency, rounded
    down; vested = target × 100 %, a count of shares (EXPECTED.md)."""
    po = psus[employee]
    assert po.value("target_psus") == target
    assert po.pay["psus_vested"] == vested


@pytest.mark.parametrize(
    ("employee", "commission"),
    [
        # 124 % of a 250,000 quota: 250,000 × 2 % + 60,000 × 6 % (band from 120 %) = 8,600
        ("00004", "8600.00"),
        # exactly 120 %: the 6 % band applies: 6,000 + 60,000 × 6 % = 9,600
        ("00043", "9600.00"),
        # GBP, 111.11 %: 3,600 + 20,000 × 4 % = 4,400
        ("00040", "4400.00"),
        # 93.33 %, a decelerator: 1.5 % on all sales, 140,000 × 1.5 % = 2,100
        ("00030", "2100.00"),
        # exactly 80 %: 120,000 × 1.5 % = 1,800
        ("00024", "1800.00"),
        # 40 %: below the first band (50 %), nothing
        ("00011", "0.00"),
    ],
)
def test_sales_commission_by_hand(sales: dict[str, Any], employee: str, commission: str) -> None:
    """Base rate 2 % up to quota; from quota 4 %, from 120 % 6 % on the sales above quota;
    below quota 1.5 % (from 80 %) or 1 % (from 50 %) on all sales (EXPECTED.md)."""
    assert sales[employee].pay["sales_incentive"] == D(commission)


def test_the_sales_plan_covers_the_quota_carriers(sales: dict[str, Any]) -> None:
    """18 Sales employees have a Q4 quota (00026 and 00028 left before the quarter and have
    none); 00045 left on 2026-12-15, before the quarter's end: covered, not eligible."""
    assert len(sales) == 18 and not {"00026", "00028"} & sales.keys()
    assert not sales["00045"].eligible
    assert sales["00045"].zero_reason == "Left before the end of the quarter"
    assert [e for e, po in sales.items() if not po.eligible] == ["00045"]


def test_the_run_totals_the_commissions_and_counts_the_shares_apart(sample_run: CliRun) -> None:
    """The manifest's money totals hold SIP per currency (USD 68,800.00, EUR 13,300.00 for
    00041, GBP 6,650.00 for 00040 and 00052); the PSUs are a unit total, never money."""
    assert sample_run.out is not None
    manifest = json.loads((sample_run.out / "manifest.json").read_text(encoding="utf-8"))
    sip = {t["currency"]: t["amount"] for t in manifest["totals"] if t["pay_code"] == "SIP"}
    assert sip == {"USD": "68800.00", "EUR": "13300.00", "GBP": "6650.00"}
    assert manifest["unit_totals"] == [
        {"amount": "14073", "component": "psus_vested", "pay_code": "PSU", "unit": "shares"}
    ]
    assert not any(t["pay_code"] == "PSU" for t in manifest["totals"])
    with (sample_run.out / "results.csv").open(encoding="utf-8", newline="") as stream:
        rows = [r for r in csv.DictReader(stream) if r["employee_id"] == "00007"]
    # one row per plan: the annual bonus, the PSUs (an integer, never 1244.00), merit,
    # promotion, the sales incentive
    assert [(r["policy"], r["psus_vested"]) for r in rows] == [
        ("annual-bonus-2026", ""),
        (LTIP, "1244"),
        ("merit-2027", ""),
        ("promotion-2027", ""),
        (SALES, ""),
    ]


def test_explain_shows_the_three_plans_of_the_group_and_the_cap(sample_run: CliRun) -> None:
    """00007 (Sales, level 7) is in all three plans of `variable-pay`: explain shows each,
    the ranking and the negative cap, the accelerator's band, and no mismatch."""
    assert sample_run.out is not None
    text = explain_employee(sample_run.out, "00007").text()
    group = (
        "plan group variable-pay; the employee's plans of the group: annual-bonus-2026,"
        " ltip-psu-2024, sales-incentive-2026-q4"
    )
    assert text.count(group) == 3
    assert "percentile rank = 5 ÷ (9 − 1) = 62.5% (inclusive; -4% ranked among 8 peers" in text
    assert "negative cap: the company's value -4% is below 0: 150% capped at 100%" in text
    assert "psus_vested (PSU) = 1,244 shares" in text
    assert (
        "commission(520,000, 400,000) = 400,000 × 2% + 120,000 × 6% = 15,200"
        " (attainment 130%, band from 120%)" in text
    )
    assert "WARNING" not in text and "MISMATCH" not in text
