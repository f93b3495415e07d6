"""Parsing a policy's per-employee formulas once: population, eligibility rules and steps.

Each formula is compiled against the names it may read; a formula that does not compile is
kept as ``None`` next to its problem, so later stages still see every step.
"""

from __future__ import annotations

import attrs

from incentives.expr import Expression
from incentives.rulebook.compiler.compile_state import (
    BUILTIN_NAMES,
    CompileState,
    SpecPath,
    StepExprs,
)
from incentives.rulebook.language.schema import StepSpec
from incentives.rulebook.language.values import parse_iso_date

__all__ = ["Formulas", "parse_formulas"]


@attrs.frozen
class Formulas:
    """The parsed formulas of one policy."""

    population: Expression | None
    eligibility: list[tuple[Expression | None, int]]  # (rule, index in the eligibility list)
    steps: dict[str, StepExprs]


def parse_formulas(p: CompileState) -> Formulas:
    """Parse population, eligibility (declaring each rule's name) and every step's parts."""
    spec = p.spec
    inputs = list(spec.inputs)
    step_names = p.employee_names()  # before eligibility rules are declared
    population = p.expression(
        spec.policy.population, ("policy", "population"), inputs + list(BUILTIN_NAMES)
    )
    eligibility: list[tuple[Expression | None, int]] = []
    for i, rule in enumerate(spec.eligibility):
        p.declare(rule.name, "eligibility", ("eligibility", i, "name"))
        allowed = p.names_of_kind("input", "builtin", "parameter", "result", "plan")
        eligibility.append((p.expression(rule.rule, ("eligibility", i, "rule"), allowed), i))
    steps = {name: _step_exprs(p, name, step, step_names) for name, step in spec.steps.items()}
    _check_pay_and_fx(p, step_names)
    return Formulas(population, eligibility, steps)


def _check_pay_and_fx(p: CompileState, allowed: list[str]) -> None:
    """Split limits and the fx date are checked here, with everything else, before any code
    is generated (the pay code parses the limits again, knowing they are valid)."""
    for c, comp in enumerate(p.spec.pay):
        for s, part in enumerate(comp.split):
            if part.above is not None:
                p.expression(part.above, ("pay", c, "split", s, "above"), allowed)
            if isinstance(part.share, str):  # a share by formula (an input, an expression)
                p.expression(part.share, ("pay", c, "split", s, "share"), allowed)
    text = p.spec.policy.fx.date
    if text not in BUILTIN_NAMES:
        try:
            parse_iso_date(text)
        except ValueError as exc:
            p.problem(
                ("policy", "fx", "date"), str(exc), "a date or one of " + ", ".join(BUILTIN_NAMES)
            )


def _step_exprs(p: CompileState, name: str, step: StepSpec, allowed: list[str]) -> StepExprs:
    base: SpecPath = ("steps", name)
    found: StepExprs = []
    made = p.synthetic.get(name)
    if made is not None and made.custom:
        return found  # read from the pool's allocation: no formula

    def add(role: str, text: str, path: SpecPath) -> None:
        found.append((role, p.expression(text, path, allowed), path))

    if step.formula is not None:
        add(
            "formula",
            step.formula,
            (*base, "formula") if p.doc.lines.get((*base, "formula")) else base,
        )
    for v, variant in enumerate(step.variants or []):
        if variant.when is not None:
            add(f"when{v}", variant.when, (*base, "variants", v, "when"))
        add(f"variant{v}", variant.formula, (*base, "variants", v, "formula"))
    if step.aggregate is not None:
        if step.of not in p.spec.steps:
            p.unknown((*base, "of"), str(step.of), "step", p.spec.steps)
        if step.by is not None and step.by not in p.spec.inputs:
            p.unknown((*base, "by"), step.by, "input", p.spec.inputs)
    for g, gate in enumerate(step.gates):
        add(f"gate{g}", gate.when, (*base, "gates", g, "when"))
        if gate.value is not None:
            add(f"gatevalue{g}", gate.value, (*base, "gates", g, "value"))
    if step.earned is not None and step.earned.from_ is not None:  # employment dates
        add("earnedfrom", step.earned.from_, (*base, "earned", "from"))
    if step.earned is not None and step.earned.to is not None:
        add("earnedto", step.earned.to, (*base, "earned", "to"))
    if step.floor is not None:
        add("floor", step.floor, (*base, "floor"))
    if step.cap is not None:
        add("cap", step.cap, (*base, "cap"))
    return found
