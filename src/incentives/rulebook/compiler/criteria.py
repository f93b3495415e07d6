"""Readiness criteria (``criteria:``) and the rating history header: checks and generated code.

Each criterion is a named rule with the reason it fails and, optionally, a gap template whose
``{formula}`` placeholders are parsed here, once. The generated code evaluates every criterion
of an eligible employee after the steps (no short-circuit): a rule that holds gives True and an
empty gap; one that does not gives False and its gap (or its reason); one that meets a missing
value (`MissingValue`, or a TypeError or `RowError` while an optional input it reads is missing)
gives False and the missing value's message, or the criterion's ``missing:`` text; any other
error rejects the row as in a step. ``ready`` is all of them.

Slots: ``criterion.<name>`` (boolean), ``criterion.<name>.gap`` (text), each call site of the
rule and the gap, then ``ready``.
"""

from __future__ import annotations

import re

import attrs

from incentives.expr import Expression
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath, is_name, name_problem
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.language.schema import CriterionSpec
from incentives.rulebook.runtime.contract import (
    FORMAT_VALUE,
    MISSING_TEXT,
    MISSING_VALUE,
    ROW_ERROR,
)
from incentives.rulebook.runtime.policy import Slot
from incentives.rulebook.runtime.ratings import RATING_FUNCTIONS

__all__ = [
    "Criterion",
    "check_population",
    "criteria_code",
    "parse_criteria",
]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
READY = "ready"


@attrs.frozen
class Criterion:
    """One parsed criterion: its spec, rule, and gap template (text parts and formulas)."""

    index: int
    spec: CriterionSpec
    rule: Expression
    gap: tuple[str | Expression, ...] | None


def parse_criteria(p: CompileState) -> list[Criterion]:
    """Check the rating history header and parse every criterion (problems go to ``p``)."""
    spec = p.spec
    history = spec.policy.rating_history
    if history is not None and history.scale not in spec.rating_scales:
        p.unknown(
            ("policy", "rating_history", "scale"), history.scale, "rating scale", spec.rating_scales
        )
    allowed = p.names_of_kind(
        "input", "builtin", "parameter", "result", "plan", "scorecard", "step"
    )
    found: list[Criterion] = []
    seen: set[str] = set()
    for i, crit in enumerate(spec.criteria):
        base: SpecPath = ("criteria", i)
        if crit.name in seen:
            p.problem((*base, "name"), f"criterion '{crit.name}' is listed twice")
        elif not is_name(crit.name):
            p.problem((*base, "name"), *name_problem(crit.name))
        seen.add(crit.name)
        rule = p.expression(crit.rule, (*base, "rule"), allowed)
        gap = None if crit.gap is None else _gap(p, crit.gap, (*base, "gap"), allowed)
        if rule is not None and (crit.gap is None or gap is not None):
            found.append(Criterion(i, crit, rule, gap))
    if spec.criteria and READY in p.kinds:
        p.problem(
            ("steps", READY) if READY in spec.steps else ("criteria",),
            f"'{READY}' is the readiness column of a policy with criteria",
            "rename the step or input",
        )
    return found


def check_population(p: CompileState, population: Expression | None) -> None:
    """The population is decided before any rating history is read."""
    used = [c.name for c in (population.calls if population else ()) if c.name in RATING_FUNCTIONS]
    if used:
        p.problem(
            ("policy", "population"),
            f"{used[0]}() cannot be used in the population",
            "test the rating in an eligibility rule or a criterion",
        )


def _gap(
    p: CompileState, text: str, path: SpecPath, allowed: list[str]
) -> tuple[str | Expression, ...] | None:
    parts: list[str | Expression] = []
    at = 0
    ok = True
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[at : match.start()])
        at = match.end()
        formula = match.group(1)
        try:
            expr = p.expression(formula, path, allowed) if formula.strip() else None
        except Exception:  # pragma: no cover - expression() reports, never raises
            expr = None
        if expr is None:
            if not formula.strip():
                p.problem(path, "an empty placeholder {} in the gap", "write a formula inside {}")
            ok = False
            continue
        parts.append(expr)
    parts.append(text[at:])
    for part in parts:
        if isinstance(part, str) and ("{" in part or "}" in part):
            p.problem(path, f"unmatched brace in the gap '{text}'", "write {formula} placeholders")
            ok = False
            break
    return tuple(part for part in parts if part != "") if ok else None


def criteria_code(
    gen: Emitter, criteria: list[Criterion]
) -> tuple[list[str], tuple[tuple[int, int], ...], int | None]:
    """Lines (unindented) evaluating every criterion and ``ready``; their slot indices."""
    if not criteria:
        return [], (), None
    p = gen.p
    lines: list[str] = []
    slots: list[tuple[int, int]] = []
    for crit in criteria:
        spec, i = crit.spec, crit.index
        owner = f"criterion.{spec.name}"
        path: SpecPath = ("criteria", i)
        reads = set(crit.rule.names)
        for part in crit.gap or ():
            if not isinstance(part, str):
                reads |= part.names
        label = gen.label(f"criterion '{spec.name}'", reads)
        gen.begin_calls()
        rule = gen.render(crit.rule, owner, (*path, "rule"))
        if crit.gap is None:
            gap = repr(spec.reason)
        else:
            pieces = [
                repr(part)
                if isinstance(part, str)
                else f"{FORMAT_VALUE}({gen.render(part, owner + '.gap', path)})"
                for part in crit.gap
            ]
            gap = '"".join((' + ", ".join(pieces) + ",))"
        names = sorted(n for n in reads if p.kinds.get(n) != "lookup")
        values = "".join(f"{gen.pyname(n)}, " for n in names)
        given = repr(spec.missing) if spec.missing else None
        lines += [
            f"_s = {label}",
            "try:",
            f"    k{i} = {gen.truth(crit.rule, rule)}",
            f"    kg{i} = '' if k{i} else {gap}",
            f"except {MISSING_VALUE} as _m:",
            f"    k{i}, kg{i} = False, {given or '_m.reason'}",
            f"except (TypeError, {ROW_ERROR}):  # on a missing optional input: fails, else re-raised",
            f"    _g = {MISSING_TEXT}({tuple(names)!r}, ({values}))",
            "    if _g is None:",
            "        raise",
            f"    k{i}, kg{i} = False, {given or '_g'}",
        ]
        line = p.line(path)
        crit_slot = gen.add_slot(
            Slot(
                owner,
                "criterion",
                "boolean",
                owner,
                line,
                text=spec.rule,
                reads=tuple(names),
                reason=spec.reason,
            ),
            f"k{i}",
        )
        gap_slot = gen.add_slot(
            Slot(f"{owner}.gap", "gap", "text", owner, line, text=spec.gap or spec.reason),
            f"kg{i}",
        )
        gen.add_call_slots()
        slots.append((crit_slot, gap_slot))
    lines.append(f"k_ready = {' and '.join(f'k{c.index}' for c in criteria)}")
    ready = gen.add_slot(
        Slot(READY, "ready", "boolean", READY, p.line(("criteria",)), text="all criteria pass"),
        "k_ready",
    )
    return lines, tuple(slots), ready
