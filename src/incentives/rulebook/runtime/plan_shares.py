"""An item's weight within its section when a plan scorecard states weights ``of_plan``.

The compiler checked that a section's items sum exactly to the section's weight (see
`compiler.plan_shares`); here an item's share of the whole plan becomes its share of the
section, exact as a fraction and then held at the engine's precision, so the section's score
is a weighted average as in any scorecard and its gates read it the same way.
"""

from __future__ import annotations

from decimal import Decimal

from incentives.rulebook.language.fractions import NumberFraction, exact

__all__ = ["item_weight", "written_weights"]


def item_weight(weight: Decimal, section: Decimal | None) -> Decimal:
    """``weight`` (a share of the plan) as a share of its ``section``'s weight; ``weight``
    itself at the top level (``section`` None) or when it is already exact as a decimal."""
    if section is None or not section:
        return weight
    share = exact(weight) / exact(section)
    if _terminates(share.denominator):  # 1.65 % of a 15 % section is exactly 11 %
        return Decimal(share.numerator) / Decimal(share.denominator)
    return NumberFraction(share, f"{share.numerator}/{share.denominator}")


def _terminates(denominator: int) -> bool:
    """Whether a fraction with this denominator is a finite decimal (only 2s and 5s divide it)."""
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def written_weights(weight: Decimal, stated: Decimal) -> dict[str, str]:
    """The fractions among an item's weight (as weighed) and its stated weight, as written
    (``1/3``), for the record: `explain` prints them so rather than as 33.3333 %."""
    found: dict[str, str] = {}
    if isinstance(weight, NumberFraction):
        found["weight_written"] = weight.text
    if weight is not stated and isinstance(stated, NumberFraction):
        found["plan_weight_written"] = stated.text
    return found
