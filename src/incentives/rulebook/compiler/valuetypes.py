"""The static type of a value in a policy: what `check` knows about a name before any data.

A type is one of: ``integer``, ``decimal``, ``percent``, ``money`` (with its currency when
known), ``rating`` (with its scale), ``text``, ``date``, ``boolean``, or ``any`` (not known:
never an error). Integers, decimals, percents, money and ratings are all numbers.

A currency is the pay currency (`PAY`, the employee's own, named by the header's
``currency:``), a currency code (``'USD'``), another input holding a code (``input:<name>``),
or `None` when it is not known (a plain decimal input or parameter). Two known currencies that
differ cannot be added, compared or chosen between without `fx`.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "DECIMAL",
    "INTEGER",
    "NUMBERS",
    "PAY",
    "PERCENT",
    "TEXT",
    "VType",
]

PAY = "pay"
NUMBERS = frozenset({"integer", "decimal", "percent", "money", "rating"})


@attrs.frozen
class VType:
    """A static type; ``currency`` only for money, ``scale``/``labels`` only for ratings."""

    kind: str
    currency: str | None = None
    scale: str | None = None
    labels: tuple[tuple[str, Decimal], ...] = ()  # a labelled scale's (label, value) pairs

    @property
    def numeric(self) -> bool:
        return self.kind in NUMBERS

    @property
    def known(self) -> bool:
        return self.kind != "any"

    def describe(self) -> str:
        """The type as the analyst reads it in a message."""
        if self.kind == "money":
            return f"money in {currency_text(self.currency)}"
        if self.kind == "rating":
            return f"a rating on scale '{self.scale}'"
        return _WORDS.get(self.kind, self.kind)


_WORDS = {
    "integer": "a whole number",
    "decimal": "a number",
    "percent": "a percent",
    "text": "text",
    "date": "a date",
    "boolean": "true/false",
    "any": "a value",
}


def currency_text(currency: str | None) -> str:
    if currency is None:
        return "an unknown currency"
    if currency == PAY:
        return "the pay currency"
    if currency.startswith("input:"):
        return f"the currency of input '{currency[6:]}'"
    return currency


def money(currency: str | None) -> VType:
    return VType("money", currency)


def clash(a: VType, b: VType) -> bool:
    """Money in two known, different currencies."""
    return (
        a.kind == "money"
        and b.kind == "money"
        and a.currency is not None
        and b.currency is not None
        and a.currency != b.currency
    )


def join(a: VType, b: VType) -> VType:
    """The type of a value that is either ``a`` or ``b`` (branches, min/max, coalesce); the
    caller reports a clash first."""
    if a == b:
        return a
    if not a.known:
        return b
    if not b.known:
        return a
    if a.kind == "money" or b.kind == "money":
        money_a, money_b = (a if a.kind == "money" else None), (b if b.kind == "money" else None)
        if money_a and money_b:
            return money(money_a.currency if money_a.currency == money_b.currency else None)
        found = money_a or money_b
        assert found is not None
        return found
    if a.numeric and b.numeric:
        return DECIMAL
    return ANY


INTEGER = VType("integer")
DECIMAL = VType("decimal")
PERCENT = VType("percent")
TEXT = VType("text")
DATE = VType("date")
BOOLEAN = VType("boolean")
ANY = VType("any")
