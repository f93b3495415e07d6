"""Assembling a policy's generated module and compiling it into a `CompiledPolicy`.

The module has functions over one roster row: ``c``, its converted cells, and ``X``, the
`EmployeeInput` (goals, and any per-employee history):

    population(c)   whether the row is in the policy's population at all
    evaluate(c, X, SEGS=None)  every slot value, as one flat tuple laid out as
                    `CompiledPolicy.slots`; ``SEGS``, the employee's segments of the performance
                    period (`incentives.rulebook.runtime.weighted`), only for weighted steps
    stage1(c, X)    the (key, value) pair each group total sums, for the first pass over rows
    stage1_full, funding, stage2   the other passes' functions (see `module_plan`)

Each is straight-line code: the input prelude, eligibility rules (an ineligible row returns its
inputs and zero pay early), steps in dependency order, readiness criteria, then pay. ``_s``
numbers what runs, so an error names the step it came from. Which functions run which steps is
planned once (`module_plan.plan_module`); the emitters here write the code of that plan, and
every global name they write is one of `incentives.rulebook.runtime.contract`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import CodeType, MappingProxyType

import attrs

from incentives.rulebook.compiler.allocations import budget_defs
from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.compiler.criteria import Criterion, criteria_code
from incentives.rulebook.compiler.formulas import Formulas
from incentives.rulebook.compiler.gen_expr import RATINGS_LOCAL, Emitter
from incentives.rulebook.compiler.gen_inputs import (
    ZERO_PAY,
    code_constants,
    input_rules,
    input_type,
    prelude,
)
from incentives.rulebook.compiler.gen_pay import pay_code
from incentives.rulebook.compiler.gen_steps import step_code
from incentives.rulebook.compiler.graph import StepGraph
from incentives.rulebook.compiler.module_plan import ModulePlan, plan_module
from incentives.rulebook.compiler.plan_gates import ZeroGates
from incentives.rulebook.runtime.allocation_defs import PoolDef
from incentives.rulebook.runtime.contract import (
    DEFAULT,
    POPULATION_FAILED,
    READ_RATINGS,
    ROW_ERROR,
    ROW_FAILED,
    STEP_FAILED,
)
from incentives.rulebook.runtime.policy import (
    CompiledPolicy,
    PayDef,
    Slot,
    show_in_tracebacks,
    source_filename,
)

__all__ = ["generate"]

_INDENT = "        "  # a function body's lines, inside its try


@attrs.frozen
class _Body:
    """The code the emitters wrote for one policy, in the order they wrote it (labels, call
    sites and slots are numbered as written), ready to be placed into the module's functions."""

    population: tuple[str, ...]  # the whole function
    prelude: tuple[str, ...]
    first_prelude: tuple[str, ...]  # only what the first pass reads
    eligibility: tuple[str, ...]
    eligible: tuple[str, ...]  # the locals holding each rule's outcome
    eligibility_slots: tuple[int, ...]
    steps: dict[str, list[str]]
    tail: tuple[str, ...]  # criteria, pay and the return of every slot: end of `evaluate`
    ineligible: str  # the tuple an ineligible row returns
    sites: int  # call sites, each with locals a<n> (its arguments) and c<n> (its result)
    zero_gates: ZeroGates
    criteria_slots: tuple[tuple[int, int], ...]
    ready_slot: int | None
    pay: tuple[PayDef, ...]
    # what the functions recording no trace write instead of a traced call (`_untraced`)
    untraced: tuple[tuple[str, str, tuple[str, ...]], ...]


def generate(
    p: CompileState,
    formulas: Formulas,
    graph: StepGraph,
    order: list[str],
    constants: dict[str, object],
    criteria: list[Criterion] | None = None,
) -> CompiledPolicy:
    """Generate and compile the module of a policy that has no problems."""
    plan = plan_module(p, formulas, graph, order)
    gen = Emitter(p)
    body = _emit(gen, plan, formulas, criteria or [])
    source = "\n".join(
        [*body.population, *_evaluate(plan, body), *_first_pass(plan, body), *_stage2(plan, body)]
    )
    return _compiled(
        p, gen, plan, body, source, constants, _zero_gate_order(p, formulas, graph, body.zero_gates)
    )


def _emit(gen: Emitter, plan: ModulePlan, formulas: Formulas, criteria: list[Criterion]) -> _Body:
    """Write every part of the module once, in slot order: population, inputs, eligibility,
    steps, criteria, pay."""
    p = gen.p
    population = _population(gen, formulas, plan.input_index)
    for name in plan.inputs:
        slot = Slot(
            name, "input", input_type(p.spec.inputs[name].type), name, p.line(("inputs", name))
        )
        gen.add_slot(slot, f"v_{name}")
    eligibility, eligible, eligibility_slots = _eligibility(gen, formulas)
    n_pre_slots = len(p.slots)
    zero_gates: ZeroGates = []
    steps = {
        name: step_code(gen, name, p.spec.steps.get(name), formulas.steps.get(name, []), zero_gates)
        for name in plan.order
    }
    crit_lines, crit_slots, ready_slot = criteria_code(gen, criteria)
    pay_defs, pay_lines = pay_code(gen)
    # an ineligible row keeps its inputs and eligibility outcomes; pay is zero, not ready,
    # the rest None
    early = {"pay": "_zero_pay", "ready": "False"}
    ineligible = [
        p.slot_exprs[i] if i < n_pre_slots else early.get(slot.kind, "None")
        for i, slot in enumerate(p.slots)
    ]
    first = plan.first_pass
    return _Body(
        population=tuple(population),
        prelude=_prelude(p, plan, None),
        first_prelude=_prelude(p, plan, first.reads) if first else (),
        eligibility=tuple(eligibility),
        eligible=tuple(eligible),
        eligibility_slots=tuple(eligibility_slots),
        steps=steps,
        tail=(*crit_lines, *pay_lines, "return (" + ", ".join(p.slot_exprs) + ",)"),
        ineligible="(" + ", ".join(ineligible) + ",)",
        sites=p.sites,
        zero_gates=zero_gates,
        criteria_slots=crit_slots,
        ready_slot=ready_slot,
        pay=tuple(pay_defs),
        untraced=tuple(gen.untraced),
    )


def _prelude(p: CompileState, plan: ModulePlan, only: frozenset[str] | None) -> tuple[str, ...]:
    """The inputs (``only`` those the first pass reads), and the rating history, once."""
    lines = prelude(p, dict(plan.input_index), only=None if only is None else set(only))
    if plan.ratings:  # converted once, read by the rating functions
        lines.append(f"{RATINGS_LOCAL} = {READ_RATINGS}(X)")
    return tuple(lines)


def _eligibility(gen: Emitter, formulas: Formulas) -> tuple[list[str], list[str], list[int]]:
    """Each eligibility rule's outcome into ``e<i>``, with its slot."""
    p = gen.p
    lines: list[str] = []
    outcomes: list[str] = []
    slots: list[int] = []
    for expr, i in formulas.eligibility:
        assert expr is not None
        rule = p.spec.eligibility[i]
        label = gen.label(f"eligibility rule '{rule.name}'", expr.names)
        gen.begin_calls()
        code = gen.render(expr, rule.name, ("eligibility", i, "rule"))
        lines += [f"_s = {label}", f"e{i} = {gen.truth(expr, code)}"]
        outcomes.append(f"e{i}")
        slot = Slot(
            f"eligible.{rule.name}",
            "eligibility",
            "boolean",
            rule.name,
            p.line(("eligibility", i)),
            text=rule.rule,
            reads=tuple(sorted(expr.names)),
            reason=rule.reason,
        )
        slots.append(gen.add_slot(slot, f"e{i}"))
        gen.add_call_slots()
    return lines, outcomes, slots


def _function(
    name: str,
    body: _Body,
    steps: tuple[str, ...],
    tail: tuple[str, ...],
    early: str,
    head: tuple[str, ...],
    traced: bool = False,
) -> list[str]:
    """One function of the module: ``head``, eligibility (an ineligible row returns
    ``early``), ``steps`` in order, then ``tail``; an error is told with what ran (``_s``).
    Only ``evaluate`` returns a trace (``traced``): the others call for values alone."""
    lines = [f"def {name}(c, X, SEGS=None):", "    _s = -1"]
    if body.sites:
        lines.append("    " + " = ".join(f"a{i} = c{i}" for i in range(body.sites)) + " = None")
    lines.append("    try:")
    inner = [*head, *body.eligibility]
    if body.eligibility:
        inner += [f"if not ({' and '.join(body.eligible)}):", f"    return {early}"]
    for step in steps:
        inner += body.steps[step]
    inner += tail
    inner = _unread_dropped(inner)
    if not traced:
        inner = _untraced(inner, body.untraced)
    lines += [_INDENT + line for line in inner]
    lines += [
        f"    except {ROW_ERROR} as _e:",
        f"        raise {ROW_FAILED}(_s, _e) from None",
        "    except Exception as _e:",
        f"        raise {STEP_FAILED}(_s, _e, locals()) from None",
        "",
    ]
    return lines


_ZERO_PAY_READ = re.compile(r"\b_zero_pay\b")


def _unread_dropped(inner: list[str]) -> list[str]:
    """``inner`` without the prelude's ``_zero_pay`` when no other of its lines (the early
    return of an ineligible row among them) reads it: a decimal product per row and policy
    that nothing uses (it cannot fail: ``_mu`` is a currency's minor unit)."""
    if ZERO_PAY not in inner:
        return inner
    at = inner.index(ZERO_PAY)
    rest = [*inner[:at], *inner[at + 1 :]]
    return inner if any(_ZERO_PAY_READ.search(line) for line in rest) else rest


def _untraced(
    inner: list[str], untraced: tuple[tuple[str, str, tuple[str, ...]], ...]
) -> list[str]:
    """``inner`` calling for values alone where only the trace reads what a call gives beside
    its value (a scorecard's goals, fx's rate, a weighted step's segments, a call's arguments
    and result): the same value by the same operations (`EmployeeScorecard.quick_score`,
    `run_inputs.fx_function`'s ``amount``, `weighted.weigh_value`), none of the rest built.
    A call whose dropped locals something still reads is kept as it is. Outer calls first
    (an fx inside another's arguments was recorded before it, and is in its text)."""
    text = "\n".join(inner)
    for old, new, dropped in reversed(untraced):
        if old not in text:
            continue
        candidate = text.replace(old, new)
        if not any(re.search(rf"\b{name}\b(?!\s*=[^=])", candidate) for name in dropped):
            text = candidate
    return text.split("\n")


def _evaluate(plan: ModulePlan, body: _Body) -> list[str]:
    return _function(
        "evaluate", body, plan.order, body.tail, body.ineligible, body.prelude, traced=True
    )


def _first_pass(plan: ModulePlan, body: _Body) -> list[str]:
    """``stage1``, ``stage1_full`` and ``funding`` (or their stand-ins without a first pass)."""
    first = plan.first_pass
    if first is None:
        return [
            "def stage1(c, X, SEGS=None):",
            "    return None",
            "",
            "stage1_full = stage1",
            "",
            "funding = None",
            "",
        ]
    keys = "".join(f"({_by(a.by)}, v_{a.of}), " for a in plan.aggregates)
    members = (
        "".join(_member(d) + ", " for d in plan.pools) if first.funding_steps is not None else ""
    )
    back = (f"return (({keys}), ({members}))",)
    out = _function("stage1", body, first.stage1_steps, back, "None", body.first_prelude)
    out += _function("stage1_full", body, first.stage1_full_steps, back, "None", body.prelude)
    if first.funding_steps is None:
        return [*out, "funding = None", ""]
    values = ("return (" + "".join(f"v_{name}, " for name in first.fundings) + ")",)
    return out + _function("funding", body, first.funding_steps, values, "None", body.first_prelude)


def _stage2(plan: ModulePlan, body: _Body) -> list[str]:
    """``stage2``: after the group totals, every step that reads no pool's allocation; per
    pool (group, member?, award in the pool's currency, own cap, funding)."""
    if plan.stage2_steps is None:
        return ["stage2 = None", ""]
    members = ", ".join(_member(d, funding=True) for d in plan.pools)
    back = (f"return ({members},)",)
    return _function("stage2", body, plan.stage2_steps, back, "None", body.prelude)


def _by(group: str | None) -> str:
    return f"v_{group}" if group else "None"


def _member(pool: PoolDef, funding: bool = False) -> str:
    """A pool member's values: (group, member?, award in, own cap[, funding])."""
    member = f"v_{pool.name}_member" if pool.has_members else "True"
    cap = f"v_{pool.name}_cap" if pool.has_cap else "None"
    more = f", v_{pool.name}_funding" if funding else ""
    return f"({_by(pool.by)}, {member}, v_{pool.name}_award_in, {cap}{more})"


def _compile(policy_id: str, source: str) -> CodeType:
    filename = source_filename(policy_id, source)
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:  # pragma: no cover - a compiler bug, not a user error
        raise AssertionError(f"generated code does not compile: {exc}\n{source}") from exc
    show_in_tracebacks(filename, source)
    return code


def _compiled(
    p: CompileState,
    gen: Emitter,
    plan: ModulePlan,
    body: _Body,
    source: str,
    constants: dict[str, object],
    zero_gate_slots: tuple[int, ...],
) -> CompiledPolicy:
    spec = p.spec
    first = plan.first_pass
    return CompiledPolicy(
        spec=spec,
        file=p.doc.file,
        sha256=p.sha,
        input_names=plan.inputs,
        slots=tuple(p.slots),
        source=source,
        code=_compile(spec.policy.id, source),
        lookups=MappingProxyType(dict(p.lookups)),
        scorecards=MappingProxyType(dict(p.scorecards)),
        parameters=MappingProxyType(dict(spec.parameters)),
        aggregates=plan.aggregates,
        pools=plan.pools,
        pools_in_first_pass=plan.pools_in_first_pass,
        funding_slots=tuple(_slot_index(p, f"{d.name}_funding", "step") for d in plan.pools),
        budgets=budget_defs(spec, p.line, lambda name, kind: _slot_index(p, name, kind)),
        pay=body.pay,
        eligibility_slots=body.eligibility_slots,
        zero_gate_slots=zero_gate_slots,
        gate_slots=tuple(i for i, slot in enumerate(p.slots) if slot.kind == "gate"),
        pay_total_slots=tuple(pay.total_slot for pay in body.pay),
        output_slots=tuple((name, _slot_index(p, name, "step")) for name in spec.outputs),
        currency_input=spec.policy.currency,
        criteria_slots=body.criteria_slots,
        ready_slot=body.ready_slot,
        globals_=MappingProxyType({**p.const_values, **code_constants(constants)}),
        labels=tuple(gen.labels),
        input_rules=MappingProxyType(input_rules(p, constants)),
        lines={name: p.line(("steps", name)) or 0 for name in spec.steps},
        first_pass_inputs=first.inputs if first else (),
        first_pass_goals=first.goals if first else False,
        population_inputs=plan.population_inputs,
    )


def _zero_gate_order(
    p: CompileState, formulas: Formulas, graph: StepGraph, zero_gates: ZeroGates
) -> tuple[int, ...]:
    """The zeroing gates that can explain a zero payout, in the order `zero_reason` looks for
    the first that applied: only those of the steps the pay reads (directly or not) and of the
    plan scorecards these read; the level nearest the pay first (a step's gates before those
    of what it reads, a scorecard's own before its sections' and items'); within a level, as
    written."""
    on_path = graph.closure(sorted({pay.step for pay in p.spec.pay}))
    cards = {
        n
        for step in on_path
        for _, expr, _ in formulas.steps.get(step, [])
        if expr is not None
        for n in expr.names
        if p.kinds.get(n) == "plan"
    }
    return tuple(
        slot
        for (owner, _), slots in reversed(zero_gates)
        if owner in on_path or owner in cards
        for slot in slots
    )


def _slot_index(p: CompileState, name: str, kind: str) -> int:
    return next(i for i, slot in enumerate(p.slots) if slot.kind == kind and slot.name == name)


def _population(gen: Emitter, formulas: Formulas, input_index: Mapping[str, int]) -> list[str]:
    """``population(c)``: reads only the inputs its formula names; a failure is told as a
    step's (the cause, then the values it read), under its own label."""
    p, pop = gen.p, formulas.population
    out = ["def population(c):", "    try:"]
    if pop:
        label = gen.label(f"population '{pop.text}' of policy '{p.spec.policy.id}'", pop.names)
        out.append(f"        _s = {label}")
    for name in sorted(pop.names if pop else ()):
        if p.kinds.get(name) == "input":
            out.append(f"        v_{name} = c[{input_index[name]}]")
            if p.spec.inputs[name].default is not None:
                out.append(f"        if v_{name} is None: v_{name} = {DEFAULT}{name}")
    out.append(
        f"        return bool({gen.render(pop, 'population', ('policy', 'population'))})"
        if pop
        else "        return True"
    )
    out.append("    except Exception as _e:")
    out.append(f"        raise {POPULATION_FAILED}(_s, _e, locals()) from None")
    out.append("")
    return out
