"""Scorecard weights stated as shares of the whole plan (``weights: of_plan``).

Some plans weigh each goal as a share of the total even inside a section (SAP: three sections
of 1/3, each goal 1/15 of the whole; Flutter: 1.65 % of the total within a 15 % section).
Rather than restate the weights per section, a scorecard says ``weights: of_plan``: its top
level sums to 100 % and each section's items sum to the section's own weight, checked exactly
(fractions as written, see `language.fractions`). The plan scorecard then weighs an item within
its section by its share of the section (`relative_weight`), which gives the same score.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath
from incentives.rulebook.language.schema import ScorecardItemSpec
from incentives.rulebook.language.values import exact

__all__ = ["check_plan_shares", "shown_percent"]


def shown_percent(value: Fraction) -> str:
    """A sum of weights as a percent for a message: exact when it is a decimal, else 28 digits."""
    percent = value * 100
    text = ENGINE_CONTEXT.divide(Decimal(percent.numerator), Decimal(percent.denominator))
    return f"{text.normalize():f}%"


def check_plan_shares(
    p: CompileState, items: list[ScorecardItemSpec], path: SpecPath, normalise: bool
) -> None:
    """Each section's items sum to the section's weight (its share of the plan), at every level."""
    for index, item in enumerate(items):
        if item.items is None:
            continue
        inner = sum((exact(child.weight) for child in item.items), Fraction(0))
        if not normalise and inner != exact(item.weight):
            p.problem(
                (*path, index, "items"),
                f"with weights of_plan, the items of section '{item.name}' are shares of the "
                f"whole plan and sum to {shown_percent(inner)}, not the section's weight "
                f"{shown_percent(exact(item.weight))}",
                "fix the weights, or drop 'weights: of_plan' to weigh items within their section",
            )
        check_plan_shares(p, item.items, (*path, index, "items"), normalise)
