"""Month arithmetic for time in level, service and promotion timing: whole calendar months,
end-of-month aware."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incentives.errors import RowError
from incentives.expr.functions import f_add_months, f_months_between


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 15), date(2026, 4, 14), 2),  # the 15th of April is not reached yet
        (date(2026, 1, 15), date(2026, 4, 15), 3),  # same day three months later: 3
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # last day of a shorter month completes it
        (date(2024, 2, 29), date(2025, 2, 28), 12),  # leap day to the last day of February
        (date(2026, 3, 31), date(2026, 4, 29), 0),  # 29 April is not the end of April
        (date(2026, 3, 31), date(2026, 4, 30), 1),  # 30 April is
        (date(2026, 5, 1), date(2026, 1, 1), -4),  # backwards: negative
        (date(2026, 7, 1), date(2026, 7, 1), 0),
    ],
)
def test_months_between_counts_whole_calendar_months(start: date, end: date, months: int) -> None:
    """A month counts once the same day of a later month is reached, or the last day of a
    month too short to have that day."""
    assert f_months_between(start, end) == months


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped to the month's last day
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across a year
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_the_month_end(start: date, n: int, expected: date) -> None:
    """add_months moves by whole months and never past the end of the target month."""
    assert f_add_months(start, Decimal(n)) == expected


def test_add_months_refuses_part_months() -> None:
    """1.5 months is not a whole number of months: the row is rejected with that reason."""
    with pytest.raises(RowError, match="not a whole number of months"):
        f_add_months(date(2026, 1, 1), Decimal("1.5"))


def test_months_between_needs_dates() -> None:
    """A number where a date is expected rejects the row, naming the argument."""
    with pytest.raises(RowError, match="argument 1 is not a date"):
        f_months_between(Decimal(3), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "n", "says"),
    [
        (date(9999, 11, 30), 2, "after 9999-12-31"),
        (date(2026, 1, 31), 100_000, "after 9999-12-31"),
        (date(2026, 1, 31), -100_000, "before 0001-01-01"),
    ],
)
def test_add_months_beyond_the_calendar_is_a_row_error(start: date, n: int, says: str) -> None:
    """Not Python's "ValueError: year 10000 is out of range": the row is rejected saying why."""
    with pytest.raises(RowError, match=f"add_months: the date would be {says}"):
        f_add_months(start, Decimal(n))


def test_add_months_reaches_the_last_month_of_the_calendar() -> None:
    assert f_add_months(date(9999, 11, 30), Decimal(1)) == date(9999, 12, 30)
