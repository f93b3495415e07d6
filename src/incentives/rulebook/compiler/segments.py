"""Steps weighted by the segments of the performance period (``segments: weighted``).

A history of dated changes splits the period into segments (see `incentives.engine.segments`).
A weighted step's formula is evaluated once per segment, with the inputs the history changes
taking their value in force in that segment, and the step's value is

    Σ segment value × segment days ÷ period days        (ends inclusive, actual days)

Here: the load check (a weighted step reads no other step) and the generated per-segment loop,
which calls `incentives.rulebook.runtime.weighted.weigh`. An employee without history never
enters the loop: the formula runs once with the roster values (``SEGS is None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incentives.expr import CallSite
from incentives.rulebook.compiler.compile_state import CompileState, StepExprs
from incentives.rulebook.compiler.earned import EARNED_TEXT, earned_lines
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.gen_inputs import bound_checks
from incentives.rulebook.language.schema import StepSpec
from incentives.rulebook.runtime.contract import (
    FX_CONVERT,
    LOOKUP,
    OUT_OF_BOUNDS,
    WEIGH_SEGMENTS,
    WEIGH_VALUE,
)
from incentives.rulebook.runtime.policy import Slot

__all__ = ["READABLE_KINDS", "check_weighted", "weighted_lines"]

# what a weighted step's formula may read: per-segment values and constants, never a step
READABLE_KINDS = frozenset({"input", "parameter", "lookup", "result", "plan", "builtin"})
_VALUE_ROLES = ("formula", "when", "variant")


def _value_exprs(exprs: StepExprs) -> list[Any]:
    return [e for role, e, _ in exprs if role.startswith(_VALUE_ROLES) and e is not None]


def check_weighted(p: CompileState, steps: Mapping[str, StepExprs]) -> None:
    """Report every weighted step whose formula (or variants) reads another step."""
    for name, step in p.spec.steps.items():
        if step.segments != "weighted":
            continue
        read = {n for e in _value_exprs(steps.get(name, [])) for n in e.names}
        for other in sorted(n for n in read if p.kinds.get(n) not in READABLE_KINDS):
            p.problem(
                ("steps", name, "segments"),
                f"step '{name}' is weighted by segments and reads "
                f"{p.kinds.get(other, 'name')} '{other}'; a weighted step reads only inputs, "
                "parameters, tables, curves, tiers, results, plan scorecards and built-in names",
                f"write what '{other}' computes into the formula of '{name}', "
                f"or weight '{other}' instead",
            )


def weighted_inputs(p: CompileState, exprs: StepExprs) -> tuple[str, ...]:
    """The inputs a weighted step's formula (or variants) reads, sorted."""
    names = {n for e in _value_exprs(exprs) for n in e.names}
    return tuple(sorted(n for n in names if p.kinds.get(n) == "input"))


def weighted_lines(
    gen: Emitter, name: str, step: StepSpec, exprs: StepExprs, target: str, plain: list[str]
) -> list[str]:
    """Lines computing ``target`` and ``sg_<name>``: ``plain`` (the formula once, as for any
    step) when the employee has no segments, else the per-segment loop; records the slot."""
    p = gen.p
    reads = weighted_inputs(p, exprs)
    by_role = {role: expr for role, expr, _ in exprs}

    def pyname(n: str) -> str:
        return f"w_{n}" if p.kinds.get(n) == "input" else gen.pyname(n)

    def call(site: CallSite, args: list[str]) -> str:  # lookups and fx, not traced per segment
        if site.name == "fx":
            args = list(args)
            if len(args) < 4:
                args.append(repr(gen.spec.policy.fx.rate_type))
            if len(args) < 5:
                args.append(gen._fx_date())
            return f"{FX_CONVERT}({', '.join(args)})[0]"
        return f"{LOOKUP}{site.name}({', '.join(args)})[0]"

    def render(role: str) -> str:
        expr = by_role[role]
        assert expr is not None
        return expr.to_python(pyname, call, p.const)

    loop = ["    for _g in SEGS:", "        _ch = _g.values"]
    for n in reads:
        loop.append(f"        w_{n} = _ch.get({n!r}, v_{n})")
        checks = bound_checks(p, n, f"w_{n}")
        if checks:
            loop.append(
                f"        if w_{n} is not v_{n} and ({checks}): raise {OUT_OF_BOUNDS}({n!r}, w_{n})"
            )
    if step.formula is not None:
        loop.append(f"        _w.append({render('formula')})")
    else:
        for v, variant in enumerate(step.variants or []):
            head = "if" if v == 0 else "elif"
            loop.append(
                f"        {head} {render(f'when{v}')}:"
                if variant.when is not None
                else ("        else:" if v else "        if True:")
            )
            loop.append(f"            vi_{name} = {v}")
            loop.append(f"            _w.append({render(f'variant{v}')})")
    gen.add_slot(
        Slot(
            f"{name}.segments",
            "segments",
            "text",
            name,
            p.line(("steps", name, "segments")) or p.line(("steps", name)),
            text="Σ value × days ÷ period days" if step.earned is None else EARNED_TEXT,
            reads=reads,
        ),
        f"sg_{name}",
    )
    if step.earned is not None:  # weighed by the time employed, with or without history
        return earned_lines(gen, name, step, exprs, target, loop, reads)
    weighed = f"    {target}, sg_{name} = {WEIGH_SEGMENTS}(SEGS, _w, {reads!r})"
    gen.untraced.append((weighed, f"    {target} = {WEIGH_VALUE}(SEGS, _w)", (f"sg_{name}",)))
    return [
        "if SEGS is None:",
        *("    " + line for line in plain),
        f"    sg_{name} = None",
        "else:",
        "    _w = []",
        *loop,
        weighed,
    ]
