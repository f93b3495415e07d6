"""The builtin function library: exact Decimal results, proration bases, row-level failures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incentives.errors import RowError
from incentives.expr.functions import BUILTINS, NAMESPACE

F = NAMESPACE
Y2024 = (date(2024, 1, 1), date(2024, 12, 31))


def prorate(
    start: date | None,
    end: date | None,
    basis: str = "actual_days",
    partial: str = "count",
    period: tuple[date, date] = Y2024,
) -> object:
    return F["F_prorate"](start, end, basis, partial, *period)


def test_namespace_has_every_builtin_but_fx() -> None:
    """NAMESPACE maps F_<name> to each implementation; fx is declared but supplied by the engine."""
    engine_supplied = {"F_fx", "F_rating_in", "F_lowest_rating", "F_ratings_count"}
    assert set(NAMESPACE) == {f"F_{n}" for n in BUILTINS} - engine_supplied
    assert BUILTINS["fx"].impl is None
    assert (BUILTINS["fx"].min_arity, BUILTINS["fx"].max_arity) == (3, 5)
    assert BUILTINS["fx"].text_positions == frozenset({1, 2, 3})


def test_min_max() -> None:
    """min(3, 1.5, 2) = 1.5 and max(3, 1.5, 2) = 3; one argument is returned as is."""
    values = (Decimal(3), Decimal("1.5"), Decimal(2))
    assert F["F_min"](*values) == Decimal("1.5")
    assert F["F_max"](*values) == Decimal(3)
    assert F["F_min"](Decimal(7)) == Decimal(7)


def test_min_of_a_missing_value_rejects_the_row() -> None:
    """min(None, 1) names the missing argument instead of a Python TypeError."""
    with pytest.raises(RowError, match="argument 1 is missing"):
        F["F_min"](None, Decimal(1))


def test_clamp() -> None:
    """clamp(1.3, 0, 1.2) = 1.2; clamp(-1, 0, 1) = 0; clamp(0.5, 0, 1) = 0.5."""
    assert F["F_clamp"](Decimal("1.3"), Decimal(0), Decimal("1.2")) == Decimal("1.2")
    assert F["F_clamp"](Decimal(-1), Decimal(0), Decimal(1)) == Decimal(0)
    assert F["F_clamp"](Decimal("0.5"), Decimal(0), Decimal(1)) == Decimal("0.5")


def test_clamp_with_low_above_high_rejects_the_row() -> None:
    """clamp(x, 2, 1) cannot hold: a RowError, not a silent pick."""
    with pytest.raises(RowError, match="low 2 is above high 1"):
        F["F_clamp"](Decimal(0), Decimal(2), Decimal(1))


def test_abs() -> None:
    """abs(-2.50) = 2.50, keeping the exponent."""
    assert str(F["F_abs"](Decimal("-2.50"))) == "2.50"


def test_round_to_half_up_and_half_even() -> None:
    """0.125 to a 0.01 step: half_up gives 0.13, half_even gives 0.12 (2 is even); 0.135 → 0.14."""
    step = Decimal("0.01")
    assert F["F_round_to"](Decimal("0.125"), step) == Decimal("0.13")
    assert F["F_round_to"](Decimal("0.125"), step, "half_up") == Decimal("0.13")
    assert F["F_round_to"](Decimal("0.125"), step, "half_even") == Decimal("0.12")
    assert F["F_round_to"](Decimal("0.135"), step, "half_even") == Decimal("0.14")


def test_round_to_a_step_of_five_thousandths() -> None:
    """1.0125 to a 0.005 step: 1.0125 / 0.005 = 202.5; half_up → 203 × 0.005 = 1.015,
    half_even → 202 × 0.005 = 1.010."""
    step = Decimal("0.005")
    assert F["F_round_to"](Decimal("1.0125"), step, "half_up") == Decimal("1.015")
    assert F["F_round_to"](Decimal("1.0125"), step, "half_even") == Decimal("1.010")


def test_round_to_unknown_mode_rejects_the_row() -> None:
    """A mode read from data that is not a known mode is a RowError."""
    with pytest.raises(RowError, match="unknown rounding mode 'bankers'"):
        F["F_round_to"](Decimal(1), Decimal(1), "bankers")


def test_round_to_non_positive_step_rejects_the_row() -> None:
    """A zero step cannot be rounded to."""
    with pytest.raises(RowError, match="step must be positive"):
        F["F_round_to"](Decimal(1), Decimal(0))


def test_truncate_to_cuts_towards_zero() -> None:
    """truncate_to(-12.349, 0.01) = -12.34 (towards zero, not down); 12.349 → 12.34."""
    assert F["F_truncate_to"](Decimal("-12.349"), Decimal("0.01")) == Decimal("-12.34")
    assert F["F_truncate_to"](Decimal("12.349"), Decimal("0.01")) == Decimal("12.34")


def test_days_between() -> None:
    """From 2024-02-28 to 2024-03-01 is 2 days (29 Feb exists); backwards is -2."""
    assert F["F_days_between"](date(2024, 2, 28), date(2024, 3, 1)) == 2
    assert F["F_days_between"](date(2024, 3, 1), date(2024, 2, 28)) == -2


def test_date() -> None:
    """date('2026-07-01') is 1 July 2026; a malformed text from data is a RowError."""
    assert F["F_date"]("2026-07-01") == date(2026, 7, 1)
    with pytest.raises(RowError):
        F["F_date"]("01/07/2026")


def test_is_missing_and_coalesce() -> None:
    """is_missing(None) is True; coalesce(None, 0) = 0; coalesce(5, 0) = 5."""
    assert F["F_is_missing"](None) is True
    assert F["F_is_missing"](Decimal(0)) is False
    assert F["F_coalesce"](None, Decimal(0)) == Decimal(0)
    assert F["F_coalesce"](Decimal(5), Decimal(0)) == Decimal(5)


# --- prorate ----------------------------------------------------------------------------------


def test_prorate_full_leap_year_actual_days() -> None:
    """Employed all of 2024 (366 days): 366 / 366 = 1."""
    assert prorate(None, None) == Decimal(1)
    assert prorate(date(2020, 5, 1), date(2030, 1, 1)) == Decimal(1)


def test_prorate_hired_on_the_last_day() -> None:
    """Hired 2024-12-31, ends inclusive: 1 day of 366 = 1/366."""
    assert prorate(date(2024, 12, 31), None) == Decimal(1) / Decimal(366)


def test_prorate_no_overlap_is_zero() -> None:
    """Left before the period, or hired after it: 0."""
    assert prorate(None, date(2023, 12, 31)) == Decimal(0)
    assert prorate(date(2025, 1, 1), None) == Decimal(0)


def test_prorate_half_year() -> None:
    """2024-01-01 to 2024-06-30: 31+29+31+30+31+30 = 182 days of 366."""
    assert prorate(None, date(2024, 6, 30)) == Decimal(182) / Decimal(366)


def test_prorate_days_365_full_leap_year_is_one() -> None:
    """A full 2016 (leap, 366 days) on days_365 is 1, not 366/365 nor 365/366 = 99.7%."""
    y2016 = (date(2016, 1, 1), date(2016, 12, 31))
    assert prorate(None, None, "days_365", period=y2016) == Decimal(1)


def test_prorate_days_365_part_year() -> None:
    """2024-07-01 to 2024-12-31 is 184 days: 184 / 365 on days_365."""
    assert prorate(date(2024, 7, 1), None, "days_365") == Decimal(184) / Decimal(365)


def test_prorate_days_365_capped_at_one() -> None:
    """All of 2024 but the first day is 365 days: 365/365 = 1 (capped, never above 1)."""
    assert prorate(date(2024, 1, 2), None, "days_365") == Decimal(1)


def test_prorate_days_360() -> None:
    """30E/360: hired 2024-03-16, covered to 2025-01-01 (exclusive) counts
    360×1 + 30×(1−3) + (1−16) = 285 of 360 days."""
    assert prorate(date(2024, 3, 16), None, "days_360") == Decimal(285) / Decimal(360)
    assert prorate(None, None, "days_360") == Decimal(1)


def test_prorate_days_360_treats_the_31st_as_the_30th() -> None:
    """Left 2024-01-31: 30E/360 from 01-01 to 02-01 is 30×1 + (1−1) = 30 days: 30/360."""
    assert prorate(None, date(2024, 1, 31), "days_360") == Decimal(30) / Decimal(360)


@pytest.mark.parametrize(
    ("partial", "months"),
    [("count", 7), ("drop", 6), ("fifteenth", 7)],
)
def test_prorate_months_hired_before_the_fifteenth(partial: str, months: int) -> None:
    """Hired 2024-06-10: July–December are 6 full months; June is partial, counted by
    'count' (7), dropped by 'drop' (6), counted by 'fifteenth' since 15 June is covered (7)."""
    value = prorate(date(2024, 6, 10), None, "months", partial)
    assert value == Decimal(months) / Decimal(12)


@pytest.mark.parametrize(
    ("partial", "months"),
    [("count", 7), ("drop", 6), ("fifteenth", 6)],
)
def test_prorate_months_hired_after_the_fifteenth(partial: str, months: int) -> None:
    """Hired 2024-06-20: 15 June is not covered, so 'fifteenth' drops June: 6/12."""
    value = prorate(date(2024, 6, 20), None, "months", partial)
    assert value == Decimal(months) / Decimal(12)


def test_prorate_months_leaving_mid_month() -> None:
    """Left 2024-03-15 with 'fifteenth': Jan, Feb full, March covers the 15th: 3/12."""
    assert prorate(None, date(2024, 3, 15), "months", "fifteenth") == Decimal(3) / Decimal(12)
    assert prorate(None, date(2024, 3, 14), "months", "fifteenth") == Decimal(2) / Decimal(12)


def test_prorate_months_full_year() -> None:
    """All 12 months covered: 12/12 = 1 whatever the partial rule."""
    assert prorate(None, None, "months", "drop") == Decimal(1)


def test_prorate_is_always_between_zero_and_one() -> None:
    """Every basis gives a fraction in [0, 1] for a sample of hire dates."""
    for basis in ("actual_days", "days_365", "days_360", "months"):
        for day in range(1, 366, 7):
            hire = date.fromordinal(date(2024, 1, 1).toordinal() + day - 1)
            value = prorate(hire, None, basis)
            assert isinstance(value, Decimal)
            assert Decimal(0) <= value <= Decimal(1)


def test_prorate_unknown_basis_rejects_the_row() -> None:
    """A basis that is not one of the four is a RowError."""
    with pytest.raises(RowError, match="unknown basis"):
        prorate(None, None, "weeks")
    with pytest.raises(RowError, match="unknown partial-month rule"):
        prorate(None, None, "months", "half")


def test_prorate_start_that_is_not_a_date_rejects_the_row() -> None:
    """A start that is not a date (a number by mistake) is a RowError naming the argument."""
    with pytest.raises(RowError, match="argument 1 is not a date"):
        F["F_prorate"](Decimal(1), None, "actual_days", "count", *Y2024)
