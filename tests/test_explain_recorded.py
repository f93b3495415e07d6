"""`explain` prints each value one way: percents as the policy writes them, pool figures at the
breakdown precision, values read from the record without alarms (ISSUE8 §2, rendering)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import ROOT, CliRun
from incentives.audit.explain import explain_employee

RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="module")
def run_dir(sample_run: CliRun) -> Path:
    """The bundled sample's run folder (shared by the session: read only)."""
    assert sample_run.out is not None
    return sample_run.out


def _text(run_dir: Path, employee_id: str) -> str:
    return explain_employee(run_dir, employee_id).text()


def _data(run_dir: Path, employee_id: str) -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(explain_employee(run_dir, employee_id).data()))


# -- 1. one percent value, one way


def test_percent_plan_result_prints_as_percent_like_the_policy_writes_it(run_dir: Path) -> None:
    text = _text(run_dir, "00050")
    assert "operating_margin for Finance: actual 9% (threshold 8%, target 10%, maximum 14%" in text
    assert "operating_margin(9%) = 50% + (9% − 8%) ÷ (10% − 8%) × (100% − 50%) = 75%" in text


def test_percent_plan_result_stays_a_fraction_in_json(run_dir: Path) -> None:
    data = _data(run_dir, "00050")
    results = [r for p in data["policies"] for r in p["plan_results"]]
    margin = next(r for r in results if r["name"] == "operating_margin")
    assert margin["actual"] == "0.09"


def test_a_percent_prints_without_padding_zeros(run_dir: Path) -> None:
    text = _text(run_dir, "00050")
    assert "company_factor = company = 87.5%  [" in text
    assert "87.50%" not in text


# -- 2. pool figures at the breakdown precision


def test_pool_line_prints_figures_at_breakdown_precision(run_dir: Path) -> None:
    text = _text(run_dir, "00004")
    assert "funding 301,845.809838 → pool USD 301,845.80" in text
    assert "awards 441,480.268041 (after caps 312,217.713041)" in text
    assert "max(0, 301,845.809838)" in text
    assert "0.945833 × 15,189.885" in text


def test_pool_figures_in_json_carry_no_padding(run_dir: Path) -> None:
    data = _data(run_dir, "00004")
    pools = [f for p in data["policies"] for f in p.get("pools", [])]
    figures = pools[0]["figures"]
    for key in ("funding", "awards_before", "awards_capped", "factor"):
        value = figures[key]
        assert Decimal(value) == Decimal(value).normalize() or "." not in value, key
        assert not ("." in value and value.endswith("0")), (key, value)
    assert figures["funding"] == "301845.809838226"
    assert figures["pool_amount"] == "301845.80"  # a rounded amount keeps its minor unit


# -- 3. budgets.csv used_pct is a fraction, not cut


def test_budgets_csv_used_pct_is_the_fraction_at_breakdown_precision(run_dir: Path) -> None:
    with (run_dir / "budgets.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if not row["amount"]:
            continue
        exact = Decimal(row["spend"]) / Decimal(row["amount"])
        # the exact fraction at the breakdown precision (6 decimals), not percent units cut to 2
        assert Decimal(row["used_pct"]) == exact.quantize(Decimal("0.000001")), row
    ops = next(r for r in rows if r["budget"] == "merit_budget" and r["group"] == "Operations")
    assert ops["used_pct"].startswith("1.1544")


# -- 4. a value read from the record raises no alarm


def test_a_recorded_function_value_has_no_re_evaluation_alarm(run_dir: Path) -> None:
    text = _text(run_dir, "00041")
    assert "ratings_count() = 3" in text
    assert "not re-evaluated" not in text


# -- 6. as_of is never empty


def test_as_of_in_json_is_never_empty(run_dir: Path) -> None:
    data = _data(run_dir, "00004")
    assert data["as_of"]
    assert data["as_of"] == {p["id"]: p["as_of"] for p in data["policies"]}
    assert "{" not in _text(run_dir, "00004").splitlines()[0]


def test_table_key_on_a_percent_value_prints_as_the_value_is_shown(run_dir: Path) -> None:
    text = _text(run_dir, "00041")
    assert (
        "merit_matrix_min(rating=5, compa_ratio=300%) = 2% (compa_ratio in band [110%, …))" in text
    )
