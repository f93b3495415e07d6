"""An item's weight within its section when a plan scorecard states weights ``of_plan``.

The compiler checked that a section's items sum exactly to the section's weight (see
`compiler.plan_shares`); here an item's share of the whole plan becomes its share of the
section, exact as a fraction and then held at the engine's precision, so the section's score
is a weighted average as in any scorecard and its gates read it the same way.
"""

from __future__ import annotations

from decimal import Decimal

from incentives.rulebook.language.fractions import NumberFraction, exact

__all__ = ["item_weight"]


def item_weight(weight: Decimal, section: Decimal | None) -> Decimal:
    """``weight`` (a share of the plan) as a share of its ``section``'s weight; ``weight``
    itself at the top level (``section`` None) or when it is already exact as a decimal."""
    if section is None or not section:
        return weight
    share = exact(weight) / exact(section)
    shown = f"{share.numerator}/{share.denominator}"
    return NumberFraction(share, shown)
