"""What a sweep varies: plan result figures, named as a results file would give them.

    revenue_growth                       the actual of a whole-plan result
    operating_margin[Sales]              the actual of a result given by unit, for unit Sales
    operating_margin.actual[unit=Sales]  the same, written in full
    bench-bonus-2026:revenue_growth      with the policy id (needed when two policies share it)

A name is checked against the rulebook before anything runs: an unknown policy, result or field
is an error with "did you mean"; a result given by unit needs its unit, a whole-plan one none.
"""

from __future__ import annotations

import difflib
import re

import attrs

from incentives.errors import OptionsError
from incentives.io.plan_inputs import FIELDS
from incentives.rulebook.rulebook import Rulebook

__all__ = ["SweepInputError", "Variable", "parse_variable"]

_NAME = re.compile(
    r"(?:(?P<policy>[^:\[\].=\s]+):)?(?P<result>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\.(?P<field>[A-Za-z_]+))?(?:\[(?:unit=)?(?P<unit>[^\]]+)\])?"
)


class SweepInputError(OptionsError):
    """A sweep's points (draws file, grid, distributions) cannot be used; says where
    (file:row:column, or the option) and how to fix it. The CLI exits 2."""


@attrs.frozen
class Variable:
    """One swept figure: the (policy, result, unit, field) key of a results file line."""

    policy: str
    result: str
    unit: str  # "" for a whole-plan result
    field: str = "actual"

    @property
    def label(self) -> str:
        """The short name written in sweep.csv's header (policy id left out)."""
        field = "" if self.field == "actual" else f".{self.field}"
        unit = f"[{self.unit}]" if self.unit else ""
        return f"{self.result}{field}{unit}"


def parse_variable(text: str, rulebook: Rulebook, where: str) -> Variable:
    """``text`` as a `Variable` of ``rulebook``; ``where`` prefixes any error (file:row:column)."""
    match = _NAME.fullmatch(text.strip())
    if match is None:
        raise SweepInputError(
            f"{where}: '{text}' is not a result name (write e.g. revenue_growth, "
            "operating_margin[Sales] or POLICY:result.field[unit=UNIT])"
        )
    result, field, unit = match["result"], match["field"] or "actual", (match["unit"] or "").strip()
    policies = rulebook.policies
    if match["policy"] is not None:
        ids = [p.id for p in policies]
        if match["policy"] not in ids:
            raise SweepInputError(f"{where}: no policy '{match['policy']}'{_hint(match['policy'], ids)}")
        policies = tuple(p for p in policies if p.id == match["policy"])
    having = [p for p in policies if result in p.spec.results]
    if not having:
        known = sorted({name for p in policies for name in p.spec.results})
        raise SweepInputError(
            f"{where}: no plan result '{result}'{_hint(result, known)}"
            + ("" if known else " (no policy declares plan results)")
        )
    if len(having) > 1:
        raise SweepInputError(
            f"{where}: result '{result}' is declared by {', '.join(p.id for p in having)}; "
            f"name the policy, e.g. {having[0].id}:{result}"
        )
    policy = having[0]
    if field not in FIELDS:
        raise SweepInputError(f"{where}: no field '{field}' of a result{_hint(field, FIELDS)}")
    spec = policy.spec.results[result]
    if spec.by and not unit:
        units = ", ".join(sorted(spec.units or {})) or "e.g. Sales"
        raise SweepInputError(
            f"{where}: result '{result}' is given by {spec.by}: name the {spec.by}, "
            f"e.g. {result}[{units.split(', ')[0]}] ({spec.by}s: {units})"
        )
    if unit and not spec.by:
        raise SweepInputError(f"{where}: result '{result}' is company-wide: write it without [{unit}]")
    if spec.payout is not None and field in ("attainment", "stated_payout"):
        raise SweepInputError(
            f"{where}: result '{result}' computes its payout from a curve on its actual; "
            f"a swept {field} would not be used (sweep its actual)"
        )
    return Variable(policy.id, result, unit, field)


def _hint(name: str, known: object) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)  # type: ignore[call-overload]
    return f" (did you mean '{close[0]}'?)" if close else ""
