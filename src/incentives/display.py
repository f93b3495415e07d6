"""How values print for people: percentages, money with thousands separators, plain numbers.

Used by explanations and reports only; computed values are never rounded for display in the
engine. `format_recorded` prints a value as a CSV output wrote it (its digits kept, grouped, a
percent as ``1.5%``), so that an explanation shows exactly the breakdown's value; how the CSV
outputs write numbers is decided in `incentives.io.run_outputs` (README, "How numbers are
written").
"""

from __future__ import annotations

import datetime
from decimal import Decimal

__all__ = ["VALUE_TYPES", "format_number", "format_recorded", "format_value"]

VALUE_TYPES = ("money", "percent", "decimal", "integer", "boolean", "date", "text")


def _plain(value: Decimal) -> str:
    """A decimal without exponent notation and without trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_number(value: Decimal | int, *, grouping: bool = True, places: int | None = None) -> str:
    """``1234567.5`` → ``1,234,567.5``; with ``places`` a fixed number of decimals."""
    number = Decimal(value)
    if places is not None and number == number.quantize(
        Decimal(1).scaleb(-places), rounding="ROUND_HALF_EVEN"
    ):
        text = format(number.quantize(Decimal(1).scaleb(-places)), "f")
    else:
        text = _plain(number)
    if not grouping:
        return text
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    whole, _, frac = digits.partition(".")
    whole = f"{int(whole):,}"
    return sign + whole + ("." + frac if frac else "")


def format_value(value: object, type_: str = "decimal") -> str:
    """Format one value for a person: 0.15 as ``15%`` when percent, money as ``120,000.00``."""
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (Decimal, int)):
        if type_ == "percent":
            return _plain(Decimal(value).scaleb(2)) + "%"
        if type_ == "money":
            return format_number(value, places=2)
        return format_number(value)
    return str(value)


def format_recorded(value: object, type_: str = "decimal") -> str:
    """A value as recorded in a CSV output, for a person: its digits kept, the whole part
    grouped, a percent (a fraction in the CSV) as a percentage: ``0.015`` → ``1.5%``,
    ``2100.00`` → ``2,100.00``, ``4178`` → ``4,178``."""
    if not isinstance(value, Decimal) or isinstance(value, bool):
        return format_value(value, type_)
    if type_ == "percent":
        text = format(value.scaleb(2), "f")
        return ("0" if text == "-0" else text) + "%"
    text = format(value, "f")
    sign = "-" if text.startswith("-") else ""
    whole, dot, frac = text.lstrip("-").partition(".")
    return sign + f"{int(whole):,}" + dot + frac
