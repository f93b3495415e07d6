"""Declaring a policy's names and checking the sections that need no formula order.

Every input, parameter, result (with its derived names), lookup, scorecard, step and pay
component is declared in one shared namespace; lookups are compiled, scorecards and their
items checked, pay splits checked. Problems go to the `CompileState`.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from typing import Any

from incentives.rulebook.compiler.compile_state import (
    BUILTIN_NAMES,
    RESULT_SUFFIXES,
    CompileState,
    SpecPath,
)
from incentives.rulebook.compiler.plan_shares import check_plan_shares, shown_percent
from incentives.rulebook.compiler.result_points import check_result_points
from incentives.rulebook.compiler.result_rank import check_rank
from incentives.rulebook.language.result_spec import is_points
from incentives.rulebook.language.schema import GateSpec, ResultSpec, ScorecardItemSpec
from incentives.rulebook.language.values import NumberFraction, SpecIssue, SpecIssues, exact
from incentives.rulebook.runtime.accelerators import compile_accelerator
from incentives.rulebook.runtime.curves import compile_curve, compile_tiers
from incentives.rulebook.runtime.ratings import RATING_FUNCTIONS
from incentives.rulebook.runtime.scorecard import EmployeeScorecard
from incentives.rulebook.runtime.tables import compile_table

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
            p.declare(name + suffix, "result", ("results", name), derived_from=name)
            if result.by:
                p.unit_results[name + suffix] = name
        if result.by and result.by not in spec.inputs:
            p.problem(
                ("results", name, "by"),
                f"'{result.by}' is not an input of this policy",
                "declare it under inputs",
            )
        check_rank(p, name)
        if is_points(result.payout):
            check_result_points(p, name)
        elif result.payout is not None:
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
        shares = sum(
            (part.share for part in comp.split if isinstance(part.share, Decimal)), Decimal(0)
        )  # a share given by a formula is checked per employee, when it is computed
        if shares > 1:
            p.problem(
                ("pay", c, "split"), f"split shares add up to {shares * 100:f}%, more than 100%"
            )
        for s, part in enumerate(comp.split):
            p.declare(part.name, "pay component", ("pay", c, "split", s, "name"))
    for o, name in enumerate(spec.outputs):
        if name not in spec.steps:
            p.unknown(("outputs", o), name, "step", spec.steps)
        elif name in spec.outputs[:o]:
            p.problem(("outputs", o), f"'{name}' is listed twice")


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
        ("accelerators", dict(spec.accelerators or {}), compile_accelerator),
    ]
    for name, table in list(groups[0][1].items()):
        fields = _cell_fields(p, name, table)
        if fields:  # one table per named value: salary_range_min, salary_range_max, ...
            del groups[0][1][name]
            for field in fields:
                groups[0][1][f"{name}_{field}"] = table.model_copy(
                    update={"values": _project(table.values, field)}
                )
                p.origins[f"{name}_{field}"] = name
    for section, specs, build in groups:
        for name, item in specs.items():
            origin = p.origins.get(name, name)
            p.declare(name, "lookup", (section, origin))
            # declared arity even if the lookup itself is broken: no second "unknown" problem
            width = len(item.axes) if section == "tables" else 1
            p.arities[name] = (width, width)
            if section == "accelerators":  # commission(sales, plan), even when broken
                p.arities[name] = (2, 2)
            try:
                p.lookups[name] = build(name, item)
                p.arities[name] = p.lookups[name].arity  # two values for some (accelerators)
            except SpecIssues as exc:
                for issue in exc.issues:
                    p.problem((section, origin, *issue.path), issue.message, issue.hint)
            except SpecIssue as issue:
                p.problem((section, origin, *issue.path), issue.message, issue.hint)


_ORDERED = (("min", "midpoint", "max"), ("min", "mid", "max"), ("min", "target", "max"))


def _leaves(values: Any, path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], Any]]:
    if isinstance(values, list):
        return [leaf for i, item in enumerate(values) for leaf in _leaves(item, (*path, i))]
    return [(path, values)]


def _project(values: Any, field: str) -> Any:
    if isinstance(values, list):
        return [_project(item, field) for item in values]
    return values[field]


def _cell_fields(p: CompileState, name: str, table: Any) -> list[str]:
    """The names of a table whose cells hold named values, checked: every cell has the same
    names, and min ≤ midpoint (or target) ≤ max in each."""
    leaves = _leaves(table.values)
    named = [(path, cell) for path, cell in leaves if isinstance(cell, dict)]
    if not named:
        return []
    fields = list(named[0][1])
    for path, cell in leaves:
        where: SpecPath = ("tables", name, "values", *path)
        if not isinstance(cell, dict) or list(cell) != fields:
            got = ", ".join(cell) if isinstance(cell, dict) else "a single value"
            p.problem(where, f"every cell needs the values {', '.join(fields)}; this one has {got}")
            return []
        for order in _ORDERED:
            present = [key for key in order if key in cell]
            if len(present) > 1 and any(cell[a] > cell[b] for a, b in itertools.pairwise(present)):
                shown = ", ".join(f"{key} {cell[key]}" for key in present)
                p.problem(
                    where,
                    f"{' ≤ '.join(present)} does not hold: {shown}",
                    "check the cell's figures",
                )
    return fields


def _compile_scorecards(p: CompileState) -> None:
    spec = p.spec
    for name, card in spec.scorecards.items():
        path: SpecPath = ("scorecards", name)
        if card.scope == "employee":
            if card.gates:
                p.problem(
                    (*path, "gates"),
                    "gates on a per-employee scorecard are not supported",
                    "put the gate on the step that reads the scorecard",
                )
            curve = p.lookups.get(card.curve or "")
            if curve is None or type(curve).__name__ != "Curve":
                p.unknown((*path, "curve"), card.curve or "", "curve", spec.curves)
                continue
            p.scorecards[name] = EmployeeScorecard(name, curve, card.max_goals, card.normalise)
            continue
        _check_items(p, card.items or [], (*path, "items"), card.normalise)
        if card.weights == "of_plan":
            check_plan_shares(p, card.items or [], (*path, "items"), card.normalise)
        _check_plan_gates(p, card.gates, path)


def _check_items(
    p: CompileState, items: list[ScorecardItemSpec], path: SpecPath, normalise: bool
) -> None:
    spec = p.spec
    total = sum((item.weight for item in items), Decimal(0))
    exactly = sum((exact(item.weight) for item in items), Fraction(0))  # 3 × 1/3 is exactly 1
    nested_share = _of_plan(p, path) and len(path) > 3  # checked by check_plan_shares
    if not normalise and exactly != 1 and not nested_share:
        stated = any(isinstance(item.weight, NumberFraction) for item in items)
        shown = shown_percent(exactly) if stated else f"{total * 100:f}%"
        p.problem(
            path,
            f"weights sum to {shown}, not 100%",
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
            elif item.curve is None and not _has_payout(result):
                p.problem(
                    item_path,
                    f"result '{item.result}' has no payout",
                    "give the result a curve ('payout: [threshold, target, maximum payouts]'), "
                    "a disclosed 'stated_payout:' or an 'override:', or the item a 'curve:'",
                )
            if item.curve is not None and item.curve not in spec.curves:
                p.unknown((*item_path, "curve"), item.curve, "curve", spec.curves)
        _check_plan_gates(p, item.gates, item_path)


def _of_plan(p: CompileState, path: SpecPath) -> bool:
    """Whether the items at ``path`` belong to a scorecard whose weights are shares of the
    whole plan (checked against their section by `check_plan_shares`, not summed to 100 %)."""
    card = p.spec.scorecards.get(str(path[1]))
    return card is not None and card.weights == "of_plan"


def _has_payout(result: ResultSpec) -> bool:
    """Whether a result has a payout to read: a curve, a stated payout (on the result or a
    unit) or an override."""
    stated = [result.stated_payout, *(u.stated_payout for u in (result.units or {}).values())]
    return (
        result.payout is not None
        or result.override is not None
        or any(v is not None for v in stated)
    )


def _check_plan_gates(p: CompileState, gates: list[GateSpec], path: SpecPath) -> None:
    """Gate formulas of a plan scorecard are only checked here (the plan scorecard evaluates
    them once per run); they read plan-level names only, and cannot reject an employee."""
    plan_names = p.names_of_kind("builtin", "parameter", "result")
    for g, gate in enumerate(gates):
        for part, text in (("when", gate.when), ("value", gate.value)):
            if text is None:
                continue
            expr = p.expression(text, (*path, "gates", g, part), plan_names)
            for site in expr.calls if expr is not None else ():
                if site.name in RATING_FUNCTIONS or site.name == "fx":
                    p.problem(
                        (*path, "gates", g, part),
                        f"{site.name}() reads one employee's data; a plan-level gate reads "
                        "plan results, parameters and dates only",
                        "move the condition to a step gate or an eligibility rule",
                    )
        if gate.outcome == "reject":
            p.problem(
                (*path, "gates", g, "outcome"),
                "a plan-level gate cannot reject an employee",
                "use zero, cap, replace or flag here, or a step gate with reject",
            )
