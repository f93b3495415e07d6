"""What `check` refuses about pay components in units (shares, points; see `units_spec`).

A component in units pays a count: its step must be a number of units, never money (an amount
must first be divided by a price: ``deferred_amount / share_price``), a date, text or a
condition. Found when the policy loads, at the component's `step:` line.
"""

from __future__ import annotations

from collections.abc import Mapping

from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.compiler.valuetypes import VType

__all__ = ["check_unit_steps"]


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
