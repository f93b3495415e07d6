"""Deferral and units: a split share given per employee (an input or an expression), and a pay
component paid in shares (a conversion rounded down, its remainder paid in cash), printed as
whole numbers and totalled per unit, never as money."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings

from conftest import POLICIES
from engine_helpers import compute, employees, only_problem, policy_yaml
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome, calculate
from incentives.jobs import RunRequest, run_job
from incentives.model import Rejection
from incentives.parallel import can_fork
from incentives.rulebook.rulebook import load_rules
from policy_files import file_cli_run, file_inputs, file_outcomes, results_rows
from strategies import decimals

SHARE = POLICIES / "valid" / "deferral_share.yaml"
CONVERSION = POLICIES / "valid" / "share_conversion.yaml"


def _computed(policy: Path, rows: list[dict[str, object]]) -> list[PolicyOutcome | Rejection]:
    return file_outcomes(policy, employees(rows))


def _three(policy: Path) -> list[PolicyOutcome]:
    """A deferral with a remainder (100,000 × 15% × 40%), an exact one (94,600 × 10% × 50%)
    and a director deferring 0% (100,000 × 15%)."""
    found = _computed(
        policy,
        [
            {"salary": "100000", "target_pct": "15%"},
            {"salary": "94600", "target_pct": "10%", "deferral_pct": "50%"},
            {"salary": "100000", "target_pct": "15%", "deferral_pct": "0%"},
        ],
    )
    assert all(isinstance(out, PolicyOutcome) for out in found), found
    return found  # type: ignore[return-value]


def test_a_split_share_may_be_a_per_employee_expression() -> None:
    """Bonus 100,000 × 10% = 10,000.00. Default deferral 25%: deferred 2,500.00, cash 7,500.00;
    deferral 33.33%: deferred 3,333.00, cash 6,667.00; a retiring director (share 0%): deferred
    0.00, cash 10,000.00. The share used is recorded as pay.deferred_bonus.share."""
    usual, third, retiring = _computed(
        SHARE,
        [
            {"salary": "100000"},
            {"salary": "100000", "deferral_pct": "33.33%"},
            {"salary": "100000", "deferral_pct": "40%", "retiring": "yes"},
        ],
    )
    assert isinstance(usual, PolicyOutcome) and isinstance(third, PolicyOutcome)
    assert isinstance(retiring, PolicyOutcome)
    assert (usual.value("pay.deferred_bonus"), usual.value("pay.annual_bonus")) == (
        D("2500.00"),
        D("7500.00"),
    )
    assert usual.value("pay.deferred_bonus.share") == D("0.25")
    assert (third.value("pay.deferred_bonus"), third.value("pay.annual_bonus")) == (
        D("3333.00"),
        D("6667.00"),
    )
    assert retiring.value("pay.deferred_bonus") == D("0.00")
    assert retiring.value("pay.annual_bonus") == D("10000.00")
    assert retiring.value("pay.deferred_bonus.share") == D("0")


def test_a_share_outside_0_to_100_percent_rejects_the_row() -> None:
    """A deferral of 120% cannot be split off 100%: the row is rejected, naming the part."""
    [out] = _computed(SHARE, [{"salary": "100000", "deferral_pct": "120%"}])
    assert isinstance(out, Rejection)
    assert "split part 'deferred_bonus'" in out.reason
    assert "between 0% and 100%" in out.reason


def test_a_money_share_is_refused_at_load(tmp_path: Path) -> None:
    """`share: bonus` (money) is no fraction: a load error at the share's line with a fix."""
    text = policy_yaml(
        """
        steps:
          bonus: {formula: "salary * 10%", type: money}
        pay:
          - name: annual
            step: bonus
            pay_code: AIP
            split:
              - {name: deferred, pay_code: DEF, share: "bonus"}
        """,
        inputs="salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert "a split share is a fraction of the pay component, not money" in problem.message
    assert problem.field == "pay[0].split[0].share"


def test_a_conversion_pays_whole_shares_and_the_remainder_in_cash() -> None:
    """Bonus 100,000 × 15% = 15,000.00, 40% deferred = 6,000.00; at 47.30 a share that buys
    6,000 ÷ 47.30 = 126.85 → 126 shares (rounded down) costing 5,959.80; the remainder 40.20
    is paid in cash: 15,000.00 − 6,000.00 + 40.20 = 9,040.20 (9,040.20 + 5,959.80 = 15,000).
    An exact conversion (94,600 × 10% × 50% = 4,730.00 = 100 × 47.30) leaves no remainder;
    a director deferring 0% gets 0 shares and 15,000.00 in cash."""
    remainder, exact, director = _three(CONVERSION)
    assert remainder.value("pay.shares") == D("126")
    assert remainder.value("share_remainder") == D("40.20")
    assert remainder.value("pay.cash") == D("9040.20")
    assert (exact.value("pay.shares"), exact.value("pay.cash")) == (D("100"), D("4730.00"))
    assert (director.value("pay.shares"), director.value("pay.cash")) == (D("0"), D("15000.00"))


def test_units_print_as_integers_and_total_per_unit(tmp_path: Path) -> None:
    """results.csv writes 126 and 100 shares as integers (never 126.00); the summary and
    manifest.json total 226 shares apart from the USD money; rulebook.json names the unit;
    explain shows "126 shares", never a money amount."""
    result, out = file_cli_run(
        tmp_path,
        CONVERSION,
        "employee_id,currency,salary,target_pct,deferral_pct\n"
        "001,USD,100000,15%,\n002,USD,94600,10%,50%\n",
    )
    assert "  cash (AIP) USD 13,770.20\n  shares (DSU) 226 shares\n" in result.stdout
    rows = results_rows(out)
    assert [(r["cash"], r["shares"]) for r in rows] == [("9040.20", "126"), ("4730.00", "100")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [t["currency"] for t in manifest["totals"]] == ["USD"]
    assert manifest["unit_totals"] == [
        {"amount": "226", "component": "shares", "pay_code": "DSU", "unit": "shares"}
    ]
    compiled = json.loads((out / "rulebook.json").read_text(encoding="utf-8"))
    assert compiled["policies"][0]["pay"][1]["unit"] == "shares"
    text = explain_employee(out, "001").text()
    assert "shares (DSU) = 126 shares" in text


def test_a_money_step_paid_in_units_is_refused(tmp_path: Path) -> None:
    """`unit: shares` on a money step: a load error saying to divide by the price."""
    text = policy_yaml(
        """
        steps:
          deferred: {formula: "salary * 10%", type: money}
        pay:
          - {name: shares, step: deferred, pay_code: DSU, unit: shares}
        """,
        inputs="salary: {type: decimal}",
    )
    problem = only_problem(tmp_path, text)
    assert (
        problem.message == "pay component 'shares' is paid in shares, but step 'deferred' is money"
    )
    assert problem.field == "pay[0].step"


def test_a_unit_is_no_currency_code_and_rounds_to_a_number(tmp_path: Path) -> None:
    """`unit: USD` reads as a currency: refused; `round: {step: minor_unit}` with a unit too."""
    body = """
        steps:
          n: {{formula: "salary / 50", type: integer}}
        pay:
          - {{name: shares, step: n, pay_code: DSU, unit: {unit}{extra}}}
        """
    upper = only_problem(
        tmp_path, policy_yaml(body.format(unit="USD", extra=""), inputs="salary: {type: decimal}")
    )
    assert "must be a lower-case name" in upper.message
    minor = only_problem(
        tmp_path,
        policy_yaml(
            body.format(unit="shares", extra=", round: {step: minor_unit}"),
            inputs="salary: {type: decimal}",
        ),
    )
    assert "which have no minor unit" in minor.message


@pytest.mark.skipif(not can_fork(), reason="needs fork")
def test_unit_totals_are_the_same_on_two_processes(tmp_path: Path) -> None:
    """40 employees at 100,000 × 15% × 40% = 6,000.00 → 126 shares each: 5,040 shares on one
    process and on two (each process's totals merged exactly)."""
    roster = "employee_id,currency,salary,target_pct,deferral_pct\n" + "".join(
        f"{n:03d},USD,100000,15%,\n" for n in range(40)
    )
    rules, roster_path, _ = file_inputs(tmp_path, CONVERSION, roster)
    totals = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_job(RunRequest(rules=rules, employees=roster_path, out=out, workers=workers))
        totals.append(json.loads((out / "manifest.json").read_text("utf-8"))["unit_totals"])
    assert (
        totals[0]
        == totals[1]
        == [{"amount": "5040", "component": "shares", "pay_code": "DSU", "unit": "shares"}]
    )


DECLARED = POLICIES / "valid" / "share_conversion_declared.yaml"


def test_a_declared_conversion_pays_shares_and_the_remainder_in_cash() -> None:
    """`convert:` on the deferred 6,000.00 at 47.30: 126 shares (6,000 ÷ 47.30 = 126.85, down),
    remainder 6,000.00 − 126 × 47.30 = 40.20 paid as deferred_cash; 4,730.00 buys exactly 100
    shares (remainder 0.00); a 0% deferral buys none."""
    remainder, exact, director = _three(DECLARED)
    assert remainder.value("pay.deferred_shares") == D("126")
    assert remainder.value("pay.deferred_cash") == D("40.20")
    assert remainder.value("pay.deferred_shares.price") == D("47.30")
    assert (exact.value("pay.deferred_shares"), exact.value("pay.deferred_cash")) == (
        D("100"),
        D("0.00"),
    )
    assert director.value("pay.deferred_shares") == D("0")
    assert director.value("pay.cash_bonus") == D("15000.00")


def test_a_declared_conversion_is_written_and_explained_as_units(tmp_path: Path) -> None:
    """results.csv: deferred_shares 126 (an integer column), deferred_cash 40.20; the summary
    counts 126 shares apart from USD; explain shows the conversion read from the record."""
    result, out = file_cli_run(
        tmp_path,
        DECLARED,
        "employee_id,currency,salary,target_pct,deferral_pct\n001,USD,100000,15%,\n",
    )
    assert "  deferred_shares (DSU) 126 shares\n" in result.stdout
    [row] = results_rows(out)
    assert (row["deferred_cash"], row["deferred_shares"]) == ("40.20", "126")
    text = explain_employee(out, "001").text()
    assert (
        "deferred_shares (DSU) = 6,000.00 ÷ share_price (47.30), counted down to 1 = 126 shares;"
        " not bought with it: 40.20" in text
    )
    assert "deferred_cash (DEFC) = the remainder not converted = 40.20" in text


def _converting(extra: str = "", price: str = "price", split: str = "") -> str:
    """A policy converting 10% of salary at ``price`` (a money step of 300) into units."""
    convert = f"{{name: units, unit: units, price: {price}, pay_code: DSU, {extra}}}"
    return policy_yaml(
        f"""
        steps:
          deferred: {{formula: "salary * 10%", type: money}}
          price: {{formula: "300", type: money}}
        pay:
          - name: deferred_cash
            step: deferred
            pay_code: DEFC
            {split}
            convert: {convert}
        """,
        inputs="salary: {type: decimal}",
    )


def test_a_forfeited_remainder_is_not_paid(tmp_path: Path) -> None:
    """`remainder: forfeit`: 1,000.00 at 300 buys 3 units; the 100.00 left is not paid."""
    text = _converting("remainder: forfeit")
    [out] = compute(tmp_path, text, [{"salary": "10000"}])
    assert isinstance(out, PolicyOutcome)
    assert (out.value("pay.units"), out.value("pay.deferred_cash")) == (D("3"), D("0.00"))
    assert out.value("pay.units.remainder") == D("100.00")


def test_a_price_that_is_not_money_is_refused(tmp_path: Path) -> None:
    """`price: 47.30` (a number, not money): the price is what one unit costs; load error."""
    text = _converting(price='"47.30"')
    problem = only_problem(tmp_path, text)
    assert "a conversion's price is the money one unit costs" in problem.message
    assert problem.field == "pay[0].convert.price"


def test_a_converted_component_takes_no_split_or_unit(tmp_path: Path) -> None:
    """A converted component is money whose remainder is paid: a split or a unit of its own
    is refused, saying to split in a step before."""
    text = _converting(split="split: [{name: part, pay_code: P, share: 10%}]")
    problem = only_problem(tmp_path, text)
    assert "is converted into units: it is money (no 'unit') and takes no split" in problem.message


_DECLARED_RULES = load_rules(DECLARED)


@settings(max_examples=60, deadline=None)
@given(decimals("0", "2000000", 2), decimals("0", "1", 4))
def test_a_conversion_never_pays_more_than_the_amount(salary: D, deferral: D) -> None:
    """For any salary and deferral: the shares are whole and never negative, they cost no
    more than the deferred amount, the cash remainder is below one share's price, and shares
    × price + remainder is the deferred amount to the cent (rounded down, never up)."""
    row = {"salary": str(salary), "target_pct": "15%", "deferral_pct": str(deferral)}
    [item] = list(calculate(_DECLARED_RULES, employees([row])))
    assert not isinstance(item, Rejection), item
    out = item.outcomes[0]
    units, price = out.value("pay.deferred_shares"), out.value("pay.deferred_shares.price")
    cash, amount = out.value("pay.deferred_cash"), out.value("pay.deferred_cash.total")
    assert units == units.to_integral_value() and units >= 0
    assert units * price <= amount
    assert 0 <= cash < price
    assert amount - D("0.01") < units * price + cash <= amount
