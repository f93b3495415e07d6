"""Numbers written as fractions, as plans state them: ``2/3``, ``1/15``, ``1.65/3%``.

A plan that weighs three goals equally writes 1/3 each, and means exactly one third: three
thirds make exactly 100 %. A `Decimal` cannot hold one third, so a fraction is read as a
`NumberFraction`: the `Decimal` the engine computes with (the numerator divided by the
denominator at the engine's 28 digits, rounded half-even, the same at every use) that also
keeps the exact `fractions.Fraction`. Checks that must be exact (weights summing to 100 %) add
the `exact` values; arithmetic on a `NumberFraction` gives plain `Decimal`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from incentives.money import ENGINE_CONTEXT

__all__ = ["NumberFraction", "exact", "parse_fraction", "weigh"]


class NumberFraction(Decimal):
    """A number written as a fraction: the `Decimal` at the engine's precision, with the exact
    ``fraction`` and the ``text`` it was written as (for messages and the run's record)."""

    __slots__ = ("fraction", "text")
    fraction: Fraction
    text: str

    def __new__(cls, fraction: Fraction, text: str = "") -> NumberFraction:
        value = ENGINE_CONTEXT.divide(Decimal(fraction.numerator), Decimal(fraction.denominator))
        self = super().__new__(cls, value)
        object.__setattr__(self, "fraction", fraction)
        object.__setattr__(self, "text", text or f"{fraction.numerator}/{fraction.denominator}")
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole: a worker process sees the fraction
        return (NumberFraction, (self.fraction, self.text))

    def __repr__(self) -> str:  # generated code and records see a plain Decimal literal
        return f"Decimal('{self}')"


def exact(value: Decimal) -> Fraction:
    """The exact value of a number from a policy: a fraction as written, else the decimal."""
    return value.fraction if isinstance(value, NumberFraction) else Fraction(value)


def weigh(weight: Decimal, value: Decimal) -> Decimal:
    """``weight × value``; a fraction multiplies by its numerator and then divides by its
    denominator, so 1/3 × 120 % is exactly 40 % (not 39.99…%)."""
    if isinstance(weight, NumberFraction):
        fraction = weight.fraction
        return value * fraction.numerator / fraction.denominator
    return weight * value


def parse_fraction(
    source: object,
    text: str,
    percent: bool,
    number: re.Pattern[str],
    check: Callable[[Decimal, str], Decimal],
) -> Decimal:
    """``a/b`` (the ``%`` already taken off ``text``) as a `NumberFraction`, or a ValueError in
    the words of `values.parse_number`; a fraction that is a whole decimal (``3/4``, ``10/2``)
    is still kept as written so its origin shows."""
    top, _, bottom = (part.strip() for part in text.partition("/"))
    if not (number.match(top) and number.match(bottom)) or "/" in bottom:
        raise ValueError(f"'{source}' is not a number or a fraction (write e.g. 2/3, 1/15 or 15%)")
    numerator, denominator = (check(Decimal(part.replace("_", "")), part) for part in (top, bottom))
    if not denominator:
        raise ValueError(f"'{source}' divides by 0: a fraction needs a denominator other than 0")
    fraction = Fraction(numerator) / Fraction(denominator)
    if percent:
        fraction /= 100
    written = str(source).strip()
    return NumberFraction(fraction, written)
