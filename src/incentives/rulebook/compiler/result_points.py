"""The load check of a result whose ``payout:`` lists its own [actual, payout] points."""

from __future__ import annotations

from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.language.values import SpecIssues
from incentives.rulebook.runtime.result_curve import result_curve

__all__ = ["check_result_points"]


def check_result_points(p: CompileState, name: str) -> None:
    """The points make a curve (actuals strictly increasing, or decreasing when lower is
    better); each problem is reported at the point at fault."""
    result = p.spec.results[name]
    try:
        result_curve(name, result.payout, None, None, None)
    except SpecIssues as exc:
        for issue in exc.issues:
            p.problem(("results", name, "payout", *issue.path[1:]), issue.message, issue.hint)
