"""A pay split's share given by a formula: an input (a retiring director defers 0 %) or an
expression, evaluated per employee.

The share is recorded in the breakdown (``pay.<part>.share``) so `explain` shows the share that
was used, and must lie between 0 and 100 %: outside it the employee's row is rejected, naming
the part and the value (a fixed share is checked when the policy loads).
"""

from __future__ import annotations

from collections.abc import Callable

from incentives.expr import Expression
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.valuetypes import VType
from incentives.rulebook.language.schema import SplitSpec
from incentives.rulebook.runtime.contract import ROW_ERROR
from incentives.rulebook.runtime.policy import Slot

__all__ = ["check_shares", "share_lines", "share_slot"]


def share_lines(gen: Emitter, var: str, rendered: str, part: SplitSpec) -> list[str]:
    """Lines setting ``var`` to the share, rejecting the row when it is not within [0, 1]."""
    reason = f"split part '{part.name}': the share {part.share} must be between 0% and 100%"
    return [
        f"{var} = {rendered}",
        f"if not 0 <= {var} <= 1: raise {ROW_ERROR}({reason!r}, {part.name!r}, str({var}))",
    ]


def share_slot(part: str, component: str, line: int | None) -> Slot:
    """The recorded share of split part ``part`` of pay component ``component``."""
    return Slot(f"pay.{part}.share", "stage", "percent", component, line, text="share")


def check_shares(p: CompileState, infer: Callable[[Expression, SpecPath], VType]) -> None:
    """A share by formula is a fraction (25%, an input in percent), never money, text or a
    date: reported when the policy loads."""
    for expr, path in p.expressions:
        if path[:1] != ("pay",) or path[-1] != "share":
            continue
        found = infer(expr, path)
        if found.known and found.kind not in ("percent", "decimal", "integer"):
            p.formula_problem(
                path,
                expr.text,
                0,
                f"a split share is a fraction of the pay component, not {found.describe()}",
                "give a percent (25%) or an input or step of type percent",
            )
