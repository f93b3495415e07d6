"""Input fields: their declared types and the converters from roster text to typed values.

A field is declared by each policy that reads it; across the rulebook a field has one type
(and one rating scale), so a roster cell is converted once per employee. Converters accept an
already-typed value unchanged, so a notebook can pass `Decimal` or `date` objects directly.

The converters that `make_converter` and `rating_converter` return remember what they made of each
text cell (`memoised`): a roster repeats its levels, dates, rating labels and goal weights, and
a remembered value is the very object the converter gave the first time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal

import attrs

from incentives.rulebook.language.values import (
    check_number,
    not_ascii_digits,
    parse_iso_date,
    parse_number,
)

__all__ = [
    "MEMO_CHARS",
    "MEMO_SIZE",
    "Converter",
    "FieldDef",
    "make_converter",
    "memoised",
    "rating_converter",
]

Converter = Callable[[object], object]

_INTEGER = re.compile(r"^[+-]?\d+$", re.ASCII)
MEMO_SIZE = 4096
"""Distinct cells a converter remembers (per field): bounded, so memory stays flat."""
MEMO_CHARS = 24
"""The longest cell remembered: its value cannot depend on the decimal context (28 digits)."""
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@attrs.frozen
class FieldDef:
    """One roster field as the rulebook reads it: name, type, rating scale, converter."""

    name: str
    type: str
    scale: str | None
    convert: Converter = attrs.field(eq=False, repr=False)
    declared_by: tuple[str, ...] = ()


def _text(value: object) -> object:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None


def _integer(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.isascii():
        raise ValueError(not_ascii_digits(value, "a whole number"))
    if not _INTEGER.match(text):
        raise ValueError(f"'{value}' is not a whole number")
    return int(text)


def _decimal(value: object) -> object:
    if value is None or value == "":
        return None
    if type(value) is str and not value.isascii():
        raise ValueError(not_ascii_digits(value))
    if type(value) is str and "%" not in value:
        try:  # the fast path: the C parser, then refuse NaN and Infinity
            number = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"'{value}' is not a number (write e.g. 1500 or 1500.50)") from None
        if number.is_finite():
            return check_number(number, value)
        raise ValueError(f"'{value}' is not a finite number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"'{value}' is not a finite number")
        return value
    text = str(value).strip()
    if text.endswith("%"):
        raise ValueError(f"'{value}' is a percentage where a plain number is expected")
    try:
        return parse_number(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a number (write e.g. 1500 or 1500.50)") from None


def _percent(value: object) -> object:
    if value is None or value == "":
        return None
    if type(value) is str and not value.isascii():
        raise ValueError(not_ascii_digits(value, "a percentage"))
    if type(value) is str:
        try:  # the fast path: 12.5% or 0.125 through the C parser
            number = Decimal(value[:-1]).scaleb(-2) if value[-1] == "%" else Decimal(value)
            if number.is_finite():
                return check_number(number, value)
        except ArithmeticError:
            pass
    if isinstance(value, Decimal):
        return _decimal(value)
    try:
        return parse_number(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a percentage (write 12.5% or 0.125)") from None


def _date(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return parse_iso_date(str(value))
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _boolean(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{value}' is not true or false (write true/false, yes/no or 1/0)")


_CONVERTERS: dict[str, Converter] = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "percent": _percent,
    "date": _date,
    "boolean": _boolean,
}


def memoised(convert: Converter, size: int = MEMO_SIZE) -> Converter:
    """``convert``, remembering the value of each text cell it converts (up to ``size`` of
    them, at most `MEMO_CHARS` long): a repeated cell costs a dictionary look-up and gives the
    same value (type, digits and exponent) as ``convert``. A cell it rejects is not remembered,
    so each occurrence raises its own error; other values than text go to ``convert``."""
    memo: dict[str, object] = {}
    get = memo.get

    def remembered(value: object) -> object:
        if type(value) is not str:
            return convert(value)
        found = get(value)
        if found is None:
            found = convert(value)
            if found is not None and len(value) <= MEMO_CHARS and len(memo) < size:
                memo[value] = found
        return found

    return remembered


def make_converter(type_: str) -> Converter:
    """The converter for a non-rating type (text is kept as it is; the others remember)."""
    convert = _CONVERTERS[type_]
    return convert if type_ == "text" else memoised(convert)


def rating_converter(
    scale: str,
    labels: Mapping[str, Decimal] | None,
    low: Decimal | None = None,
    high: Decimal | None = None,
    step: Decimal = Decimal(1),
) -> Converter:
    """A converter for a rating scale: labels to their values, or numbers on the scale; it
    remembers (`memoised`)."""
    return memoised(_rating_converter(scale, labels, low, high, step))


def _rating_converter(
    scale: str,
    labels: Mapping[str, Decimal] | None,
    low: Decimal | None,
    high: Decimal | None,
    step: Decimal,
) -> Converter:
    if labels is not None:
        by_label = {label.strip().casefold(): value for label, value in labels.items()}
        known = ", ".join(labels)

        def from_label(value: object) -> object:
            if value is None or value == "":
                return None
            if isinstance(value, Decimal):
                if value in labels.values():
                    return value
                raise ValueError(f"{value} is not a value of rating scale '{scale}' ({known})")
            found = by_label.get(str(value).strip().casefold())
            if found is None:
                raise ValueError(f"unknown rating '{value}' on scale '{scale}' (one of: {known})")
            return found

        return from_label
    assert low is not None and high is not None

    def from_number(value: object) -> object:
        if value is None or value == "":
            return None
        try:
            number = value if isinstance(value, Decimal) else parse_number(str(value).strip())
        except ValueError:
            raise ValueError(
                f"unknown rating '{value}' on scale '{scale}' ({low} to {high})"
            ) from None
        if not (low <= number <= high) or (number - low) % step != 0:
            raise ValueError(
                f"rating {value} is not on scale '{scale}' ({low} to {high} in steps of {step})"
            )
        return number

    return from_number
