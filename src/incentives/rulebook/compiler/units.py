"""What `check` refuses about pay components in units (shares, points; see `units_spec`).

A component in units pays a count: its step must be a number of units, never money (an amount
must first be divided by a price: ``deferred_amount / share_price``), a date, text or a
condition. Found when the policy loads, at the component's `step:` line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from incentives.expr import Expression
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath
from incentives.rulebook.compiler.valuetypes import PAY, VType

__all__ = ["check_prices", "check_unit_steps", "declare_conversions"]


def declare_conversions(p: CompileState) -> None:
    """Declare each conversion's component in units and parse its price."""
    allowed = p.employee_names()
    for c, comp in enumerate(p.spec.pay):
        if comp.convert is not None:
            p.declare(comp.convert.name, "pay component", ("pay", c, "convert", "name"))
            p.expression(comp.convert.price, ("pay", c, "convert", "price"), allowed)


def check_prices(p: CompileState, infer: Callable[[Expression, SpecPath], VType]) -> None:
    """A conversion's price is the money one unit costs, in the pay currency."""
    for expr, path in p.expressions:
        if path[:1] != ("pay",) or path[-2:] != ("convert", "price"):
            continue
        found = infer(expr, path)
        if found.known and (found.kind != "money" or found.currency not in (None, PAY)):
            p.formula_problem(
                path,
                expr.text,
                0,
                f"a conversion's price is the money one unit costs in the pay currency, not "
                f"{found.describe()}",
                "give a step of type money (share_price: {formula: ..., type: money})",
            )


def check_unit_steps(p: CompileState, step_types: Mapping[str, VType]) -> None:
    """Report each component in units whose step is not a count."""
    for c, comp in enumerate(p.spec.pay):
        t = step_types.get(comp.step)
        if comp.unit is None or t is None or not t.known:
            continue
        if t.kind == "money":
            p.problem(
                ("pay", c, "step"),
                f"pay component '{comp.name}' is paid in {comp.unit}, but step '{comp.step}' is "
                "money",
                f"count the units: divide the amount by the price ({comp.step} / price)",
            )
        elif t.kind not in ("integer", "decimal", "percent"):
            p.problem(
                ("pay", c, "step"),
                f"pay component '{comp.name}' is paid in {comp.unit}, but step '{comp.step}' is "
                f"{t.describe()}",
                "pay a number of units",
            )
