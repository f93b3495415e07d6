"""Exact money: `round_to` and `truncate_to` by mode and step, and rounding only where declared."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine_helpers import compute, policy_yaml
from incentives.engine.calculate import PolicyOutcome
from incentives.money import minor_unit, quantize_step, round_to, truncate_to

D = Decimal


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("2.675", "half_up", "2.68"),  # exactly half: away from zero
        ("2.675", "half_even", "2.68"),  # 267.5 → 268 (8 is even)
        ("2.675", "half_down", "2.67"),
        ("2.675", "down", "2.67"),
        ("2.675", "up", "2.68"),
        ("2.665", "half_up", "2.67"),
        ("2.665", "half_even", "2.66"),  # 266.5 → 266 (6 is even)
        ("2.665", "down", "2.66"),
        ("-2.675", "half_up", "-2.68"),  # half up is half away from zero
        ("-2.675", "half_even", "-2.68"),
        ("-2.675", "down", "-2.67"),  # down is towards zero
        ("-2.675", "floor", "-2.68"),
        ("-2.675", "ceiling", "-2.67"),
        ("2.6749999", "half_up", "2.67"),  # just under the half
    ],
)
def test_round_to_a_cent_by_mode(value: str, mode: str, expected: str) -> None:
    """Round to 0.01 by the named mode: .005 is the tie that half_up, half_even and down treat differently."""
    result = round_to(D(value), D("0.01"), mode)
    assert result == D(expected)
    assert str(result) == expected  # the cent's exponent is kept: 2.68, not 2.680 or 268E-2


def test_round_to_defaults_to_half_up() -> None:
    """Without a mode, 2.665 rounds half up to 2.67."""
    assert round_to(D("2.665"), D("0.01")) == D("2.67")


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("1234.565", "0.01", "1234.57"),
        ("1234.5", "1", "1235"),  # half up to whole units
        ("1249.99", "100", "1200"),  # whole hundreds
        ("1250", "100", "1300"),
        ("49.99", "100", "0"),
        ("2.6775", "0.005", "2.680"),  # 2.6775 / 0.005 = 535.5 → 536 × 0.005 = 2.680
        ("2.6774", "0.005", "2.675"),  # 535.48 → 535 × 0.005 = 2.675
        ("0.12345", "0.0001", "0.1235"),
    ],
)
def test_round_to_steps(value: str, step: str, expected: str) -> None:
    """Half up to a multiple of the step (0.01, 1, 100, 0.005, 0.0001)."""
    assert round_to(D(value), D(step)) == D(expected)


def test_round_to_a_hundred_keeps_a_whole_number() -> None:
    """1,250 to a step of 100 is 1,300 (13 × 100), printed without decimals."""
    assert format(round_to(D("1250"), D("100")), "f") == "1300"


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("2.679", "0.01", "2.67"),
        ("-2.679", "0.01", "-2.67"),  # towards zero, not down to −2.68
        ("1299.99", "100", "1200"),
        ("2.679", "0.005", "2.675"),
        ("7", "1", "7"),
    ],
)
def test_truncate_to(value: str, step: str, expected: str) -> None:
    """Cut towards zero to a multiple of the step."""
    assert truncate_to(D(value), D(step)) == D(expected)


def test_the_float_trap_is_avoided() -> None:
    """50,001.00 × 1.005 = 50,251.005 exactly in decimals (as a binary float it is
    50251.00499999999…, which rounds to .00); half up to the cent it is 50,251.01."""
    amount = D("50001.00") * D("1.005")
    assert amount == D("50251.005")
    assert round_to(amount, D("0.01"), "half_up") == D("50251.01")
    assert round(50001.00 * 1.005, 2) == 50251.0  # the float answer we must never give


@pytest.mark.parametrize("step", ["0", "-0.01"])
def test_a_step_must_be_positive(step: str) -> None:
    """A zero or negative step is refused."""
    with pytest.raises(ValueError, match="positive"):
        quantize_step(D("1"), D(step), "ROUND_HALF_UP")


@pytest.mark.parametrize(("currency", "step"), [("USD", "0.01"), ("JPY", "1"), ("KWD", "0.001")])
def test_minor_units(currency: str, step: str) -> None:
    """EUR/USD cents, whole yen, three decimals for the Kuwaiti dinar."""
    assert minor_unit(currency) == D(step)


def test_an_unknown_currency_has_no_minor_unit() -> None:
    with pytest.raises(ValueError, match="XXX"):
        minor_unit("XXX")


# ------------------------------------------------------------- rounding only where declared

DECLARED = policy_yaml(
    """
    steps:
      exact: "salary * 1.005 / 3"
      third: "salary / 3"
      cents:
        formula: "salary * 1.005"
        type: money
        round: {step: 0.01, mode: half_up}
      cut:
        formula: "salary * 1.005"
        truncate: 0.01
      even:
        formula: "salary * 1.005"
        round: {step: 0.01, mode: half_even}
      in_formula: "round_to(salary * 1.005, 0.01, 'down')"
      bonus: {formula: "exact", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="salary: {type: decimal}\n",
)


def declared(tmp_path: Path, salary: str) -> PolicyOutcome:
    [out] = compute(tmp_path, DECLARED, [{"salary": salary}])
    assert isinstance(out, PolicyOutcome), out
    return out


def test_a_step_without_round_keeps_every_digit(tmp_path: Path) -> None:
    """50,001.00 × 1.005 / 3 = 50,251.005 / 3 = 16,750.335 exactly: no rounding in the step;
    the pay component alone rounds it, half up to the cent: 16,750.34."""
    out = declared(tmp_path, "50001.00")
    assert out.value("exact") == D("16750.335")
    assert out.value("pay.annual_bonus") == D("16750.34")


def test_a_non_terminating_step_keeps_28_digits(tmp_path: Path) -> None:
    """1 / 3 does not terminate: the step keeps 0.3333333333333333333333333333 (28 significant
    digits, the engine's precision), never cut to a few decimals."""
    out = declared(tmp_path, "1")
    assert out.value("third") == D("0.3333333333333333333333333333")
    assert len(out.value("third").as_tuple().digits) == 28


def test_declared_step_rounding(tmp_path: Path) -> None:
    """50,001.00 × 1.005 = 50,251.005: round half up → 50,251.01; truncate → 50,251.00;
    half even → 50,251.00 (the cent digit 0 is even); round_to(…, 'down') in a formula → 50,251.00."""
    out = declared(tmp_path, "50001.00")
    assert out.value("cents") == D("50251.01")
    assert out.value("cut") == D("50251.00")
    assert out.value("even") == D("50251.00")
    assert out.value("in_formula") == D("50251.00")
    assert out.value("cents.raw") == D("50251.005")


def test_a_literal_is_read_as_a_decimal_not_a_float(tmp_path: Path) -> None:
    """The literal 1.005 is the decimal 1.005: 1 × 1.005 = 1.005 exactly, not 1.00499999999999989…"""
    out = declared(tmp_path, "1")
    assert out.value("cents.raw") == D("1.005")
    assert out.value("cents") == D("1.01")
