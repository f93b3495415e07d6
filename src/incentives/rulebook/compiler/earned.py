"""Steps weighted by the time employed (``earned:``): the salary earned in the period.

The generated code runs the weighted step's per-segment loop over the employee's segments,
or over the whole period as one segment for an employee without history (employment dates
cut it all the same), and calls `incentives.rulebook.runtime.earned.weigh_earned`. What
`check` refuses: an ``earned: from`` or ``to`` that is not a date.
"""

from __future__ import annotations

from collections.abc import Callable

from incentives.expr import Expression
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath, StepExprs
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.valuetypes import VType
from incentives.rulebook.language.schema import StepSpec
from incentives.rulebook.runtime.contract import EARNED_SEGMENTS, WEIGH_EARNED

__all__ = ["EARNED_TEXT", "check_earned_dates", "earned_lines"]

EARNED_TEXT = "Σ value × share of the period earned"


def earned_lines(
    gen: Emitter,
    name: str,
    step: StepSpec,
    exprs: StepExprs,
    target: str,
    loop: list[str],
    reads: tuple[str, ...],
) -> list[str]:
    """Lines computing ``target`` and ``sg_<name>`` from ``loop`` (the per-segment loop over
    ``SEGS``, indented once), over the employed part of each segment."""
    earned = step.earned
    assert earned is not None
    dates = {role: (expr, path) for role, expr, path in exprs if role.startswith("earned")}

    def date(role: str) -> str:
        if role not in dates or dates[role][0] is None:
            return "None"
        expr, path = dates[role]
        assert expr is not None
        return gen.render(expr, name, path)

    period = f"{gen.pyname('period_start')}, {gen.pyname('period_end')}"
    return [
        f"_segs = {EARNED_SEGMENTS}(SEGS, {period})",
        "_w = []",
        *(line[4:].replace("in SEGS:", "in _segs:", 1) for line in loop),
        f"{target}, sg_{name} = {WEIGH_EARNED}(_segs, _w, {reads!r}, {date('earnedfrom')}, "
        f"{date('earnedto')}, {earned.basis!r}, {earned.partial_month!r})",
    ]


def check_earned_dates(p: CompileState, infer: Callable[[Expression, SpecPath], VType]) -> None:
    """An ``earned:`` ``from`` or ``to`` must give a date (the hire or termination date)."""
    for expr, path in p.expressions:
        if path[:1] != ("steps",) or path[2:3] != ("earned",):
            continue
        found = infer(expr, path)
        if found.known and found.kind != "date":
            p.formula_problem(
                path,
                expr.text,
                0,
                f"earned: '{path[-1]}' is the employment's {'start' if path[-1] == 'from' else 'end'} "
                f"date, not {found.describe()}",
                "name a date input (hire_date, termination_date)",
            )
