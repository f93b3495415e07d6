"""Declaring a policy's names and checking the sections that need no formula order.

Every input, parameter, result (with its derived names), lookup, scorecard, step and pay
component is declared in one shared namespace; lookups are compiled, scorecards and their
items checked, pay splits checked. Problems go to the `CompileState`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incentives.rulebook.compile_state import (
    BUILTIN_NAMES,
    RESULT_SUFFIXES,
    CompileState,
    SpecPath,
)
from incentives.rulebook.curves import compile_curve, compile_tiers
from incentives.rulebook.schema import ScorecardItemSpec
from incentives.rulebook.scorecard import EmployeeScorecard
from incentives.rulebook.tables import compile_table
from incentives.rulebook.values import SpecIssue, SpecIssues

__all__ = ["declare_pay", "declare_sections"]


def declare_sections(p: CompileState) -> None:
    """Declare every name up to the steps; compile lookups, check results and scorecards."""
    spec = p.spec
    for name in BUILTIN_NAMES:
        p.kinds[name] = "builtin"
    for name in spec.inputs:
        p.declare(name, "input", ("inputs", name))
    for name in spec.parameters:
        p.declare(name, "parameter", ("parameters", name))
    for name, result in spec.results.items():
        for suffix in RESULT_SUFFIXES:
            p.declare(name + suffix, "result", ("results", name))
            if result.by:
                p.unit_results[name + suffix] = name
        if result.by and result.by not in spec.inputs:
            p.problem(
                ("results", name, "by"),
                f"'{result.by}' is not an input of this policy",
                "declare it under inputs",
            )
        if result.payout is not None:
            _check_result_figures(p, name)
    _compile_lookups(p)
    for name, card in spec.scorecards.items():
        p.declare(name, "plan" if card.scope == "plan" else "scorecard", ("scorecards", name))
    for name in spec.steps:
        p.declare(name, "step", ("steps", name))
    if spec.policy.currency not in spec.inputs:
        p.problem(
            ("policy", "currency"),
            f"'{spec.policy.currency}' is not an input of this policy",
            "name the input holding each employee's currency",
        )
    _compile_scorecards(p)


def declare_pay(p: CompileState) -> None:
    """Declare the pay components and their split parts; check steps and shares."""
    spec = p.spec
    for c, comp in enumerate(spec.pay):
        p.declare(comp.name, "pay component", ("pay", c, "name"))
        if comp.step not in spec.steps:
            p.unknown(("pay", c, "step"), comp.step, "step", spec.steps)
        shares = sum((part.share or Decimal(0) for part in comp.split), Decimal(0))
        if shares > 1:
            p.problem(
                ("pay", c, "split"), f"split shares add up to {shares * 100:f}%, more than 100%"
            )
        for s, part in enumerate(comp.split):
            p.declare(part.name, "pay component", ("pay", c, "split", s, "name"))


def _check_result_figures(p: CompileState, name: str) -> None:
    result = p.spec.results[name]
    sets = (
        [("results", name)]
        if not result.units
        else [("results", name, "units", u) for u in result.units]
    )
    for path in sets:
        figures = result if not result.units else result.units[str(path[-1])]
        for field in ("threshold", "target", "maximum"):
            if getattr(figures, field) is None:
                p.problem(path, f"a result with a payout curve needs '{field}'")


def _compile_lookups(p: CompileState) -> None:
    spec = p.spec
    groups: list[tuple[str, dict[str, Any], Any]] = [
        ("tables", dict(spec.tables), compile_table),
        ("curves", dict(spec.curves), compile_curve),
        ("tiers", dict(spec.tiers), compile_tiers),
    ]
    for section, specs, build in groups:
        for name, item in specs.items():
            p.declare(name, "lookup", (section, name))
            # declared arity even if the lookup itself is broken: no second "unknown" problem
            width = len(item.axes) if section == "tables" else 1
            p.arities[name] = (width, width)
            try:
                p.lookups[name] = build(name, item)
            except SpecIssues as exc:
                for issue in exc.issues:
                    p.problem((section, name, *issue.path), issue.message, issue.hint)
            except SpecIssue as issue:
                p.problem((section, name, *issue.path), issue.message, issue.hint)


def _compile_scorecards(p: CompileState) -> None:
    spec = p.spec
    for name, card in spec.scorecards.items():
        path: SpecPath = ("scorecards", name)
        if card.scope == "employee":
            curve = p.lookups.get(card.curve or "")
            if curve is None or type(curve).__name__ != "Curve":
                p.unknown((*path, "curve"), card.curve or "", "curve", spec.curves)
                continue
            p.scorecards[name] = EmployeeScorecard(name, curve, card.max_goals, card.normalise)
            continue
        _check_items(p, card.items or [], (*path, "items"), card.normalise)


def _check_items(
    p: CompileState, items: list[ScorecardItemSpec], path: SpecPath, normalise: bool
) -> None:
    spec = p.spec
    total = sum((item.weight for item in items), Decimal(0))
    if not normalise and total != 1:
        p.problem(
            path,
            f"weights sum to {total * 100:f}%, not 100%",
            "fix the weights or set normalise: true",
        )
    for index, item in enumerate(items):
        item_path = (*path, index)
        if item.items is not None:
            _check_items(p, item.items, (*item_path, "items"), normalise)
        else:
            result = spec.results.get(item.result or "")
            if result is None:
                p.unknown((*item_path, "result"), item.result or "", "result", spec.results)
            elif item.curve is None and result.payout is None:
                p.problem(
                    item_path,
                    f"result '{item.result}' has no payout curve",
                    "give the result 'payout:' or the item 'curve:'",
                )
            if item.curve is not None and item.curve not in spec.curves:
                p.unknown((*item_path, "curve"), item.curve, "curve", spec.curves)
        # gate formulas are only checked here; the plan scorecard evaluates them at bind time
        plan_names = p.names_of_kind("builtin", "parameter", "result")
        for g, gate in enumerate(item.gates):
            p.expression(gate.when, (*item_path, "gates", g, "when"), plan_names)
            if gate.value is not None:
                p.expression(gate.value, (*item_path, "gates", g, "value"), plan_names)
