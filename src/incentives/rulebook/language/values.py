"""Scalar types for policy schemas, read from YAML source text by declared type.

The YAML loader hands every plain scalar over as its source text (a `str`), so the type declared
here decides what it means: ``1.10`` stays the decimal 1.10, ``010`` is 10, ``15%`` is 0.15,
``NO`` stays text. A binary float never gets in.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WrapValidator

from incentives.errors import IncentivesError
from incentives.rulebook.language.fractions import NumberFraction, exact, parse_fraction

__all__ = [
    "MAX_DIGITS",
    "MAX_MAGNITUDE",
    "IsoDate",
    "Label",
    "Num",
    "NumberFraction",
    "SpecIssue",
    "SpecIssues",
    "Text",
    "Weight",
    "check_number",
    "exact",
    "parse_iso_date",
    "parse_label",
    "parse_number",
    "parse_weight",
]

MAX_DIGITS = 40
"""Significant digits of a number written in a policy (the engine computes with 28)."""
MAX_MAGNITUDE = 40
"""A number written in a policy is 0 or lies between 1e-40 and 1e40 in size."""

_NUMBER = re.compile(r"^[+-]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)


def not_ascii_digits(value: object, what: str = "a number") -> str:
    """The message for a number or date written with other digits than 0-9 (Python's Decimal
    and int would read '١٠٠' or '１０' as 100 and 10; a file's numbers are ASCII only)."""
    return f"'{value}' is not {what}: use the digits 0-9"


class SpecIssue(IncentivesError, ValueError):
    """A problem inside one part of a policy, found while compiling it.

    ``path`` is relative to the part being compiled (for a table: ``("axes", 0, "at", 2)``);
    the loader prefixes it and turns it into a file:line `Problem`.
    """

    def __init__(self, path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        self.path = path
        self.message = message
        self.hint = hint
        super().__init__(message)


def _kind_of(value: object) -> str:
    """What a YAML value is, in a policy writer's words (not Python's type names)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date"
    return f"a {type(value).__name__}"


def parse_number(value: Any) -> Decimal:
    """Read a number from source text: ``1.10``, ``010``, ``1e3``, ``15%``, ``-2.5%``, ``1_000``."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise ValueError("binary floats are not accepted; write the number as text")
    if not isinstance(value, str):
        raise ValueError(f"expected a number, got {_kind_of(value)}")
    text = value.strip()
    if not text.isascii():
        raise ValueError(not_ascii_digits(value))
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if "/" in text:  # a fraction as the plan states it (2/3, 1/15, 1.65/3 %)
        return Decimal(parse_fraction(value, text, percent, _NUMBER, check_number))
    if not _NUMBER.match(text):
        raise ValueError(f"'{value}' is not a number (write e.g. 1500, 1.10, 15% or 1e3)")
    try:
        number = Decimal(text.replace("_", ""))
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        raise ValueError(f"'{value}' is not a number") from None
    check_number(number, text)
    return number.scaleb(-2) if percent else number


def check_number(number: Decimal, text: str) -> Decimal:
    """``number`` (read from ``text``) if it has at most `MAX_DIGITS` digits and lies within
    `MAX_MAGNITUDE`; else a ValueError saying so. A number such as 1e999999999 is refused when
    it is read, so nothing later formats or computes with a billion-digit value."""
    digits = len(number.as_tuple().digits)
    if digits > MAX_DIGITS:
        raise ValueError(
            f"'{_shortened(text)}' has {digits:,} digits; at most {MAX_DIGITS} are accepted"
        )
    if number and not -MAX_MAGNITUDE <= number.adjusted() < MAX_MAGNITUDE:
        raise ValueError(
            f"'{_shortened(text)}' is out of range; numbers lie between "
            f"1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}"
        )
    return number


def _shortened(text: str, keep: int = 24) -> str:
    return text if len(text) <= keep else text[: keep - 1] + "…"


def parse_label(value: Any) -> Decimal | str:
    """An exact key: a label that reads as a number is a number (so 4 matches level 4)."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a label or a number, got {_kind_of(value)}")
    try:
        return parse_number(value)
    except ValueError:
        return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {_kind_of(value)}")


Num = Annotated[Decimal, BeforeValidator(parse_number)]


def parse_weight(value: Any) -> Decimal:
    """A weight: a number as `parse_number` reads it, but a fraction stays a `NumberFraction`
    (its exact value is what the weights' sum is checked with, and what weighs a payout)."""
    if isinstance(value, str) and "/" in value and value.isascii():
        text = value.strip()
        percent = text.endswith("%")
        body = text[:-1].strip() if percent else text
        return parse_fraction(value, body, percent, _NUMBER, check_number)
    return parse_number(value)


def _weight_json(value: Decimal) -> object:
    """A weight in JSON (rulebook.json): a fraction as written (``1/3``, read back exactly),
    any other weight as the decimal's text, as for every number."""
    return value.text if isinstance(value, NumberFraction) else str(value)


Weight = Annotated[
    Decimal,
    WrapValidator(lambda value, _next: parse_weight(value)),
    PlainSerializer(_weight_json, when_used="json"),
]
"""A scorecard weight (`parse_weight`), kept as read so an exact fraction stays one."""
Label = Annotated[Decimal | str, BeforeValidator(parse_label)]
Text = Annotated[str, BeforeValidator(_text)]


class SpecIssues(IncentivesError, ValueError):
    """Several `SpecIssue`s found in one part of a policy; all of them are reported."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def parse_iso_date(value: Any) -> datetime.date:
    """An ISO date ``YYYY-MM-DD`` and nothing else (no timestamps, no 03/15/2026)."""
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and not value.isascii():
        raise ValueError(not_ascii_digits(value, "a date"))
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise ValueError(f"'{value}' is not an ISO date (write YYYY-MM-DD, e.g. 2026-03-31)")
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None


IsoDate = Annotated[datetime.date, BeforeValidator(parse_iso_date)]
