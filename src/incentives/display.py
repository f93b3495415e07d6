"""How values print for people: percentages, money with thousands separators, plain numbers.

Used by explanations and reports only; computed values are never rounded for display in the
engine, and CSV outputs print exact decimals.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

__all__ = ["VALUE_TYPES", "format_number", "format_value"]

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
