"""Assembling a policy's generated module and compiling it into a `CompiledPolicy`.

The module has three functions over one roster row: ``c``, its converted cells, and ``X``, the
`EmployeeInput` (goals, and any per-employee history):

    population(c)   whether the row is in the policy's population at all
    evaluate(c, X, SEGS=None)  every slot value, as one flat tuple laid out as
                    `CompiledPolicy.slots`; ``SEGS``, the employee's segments of the performance
                    period (`incentives.rulebook.compiler.segments`), only for weighted steps
    stage1(c, X)    the (key, value) pair each group total sums, for the first pass over rows

Each is straight-line code: the input prelude, eligibility rules (an ineligible row returns its
inputs and zero pay early), steps in dependency order, readiness criteria, then pay. ``_s``
numbers what runs, so an error names the step it came from.
"""

from __future__ import annotations

from types import MappingProxyType

from incentives.rulebook.compiler.allocations import budget_defs, pool_defs
from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.compiler.criteria import Criterion, criteria_code
from incentives.rulebook.compiler.formulas import Formulas
from incentives.rulebook.compiler.gen_expr import RATINGS_LOCAL, Emitter
from incentives.rulebook.compiler.gen_inputs import (
    code_constants,
    first_pass_names,
    input_rules,
    input_type,
    prelude,
)
from incentives.rulebook.compiler.gen_pay import pay_code
from incentives.rulebook.compiler.gen_steps import step_code
from incentives.rulebook.compiler.graph import StepGraph
from incentives.rulebook.compiler.plan_gates import ZeroGates
from incentives.rulebook.runtime.contract import (
    DEFAULT,
    POPULATION_FAILED,
    READ_RATINGS,
    ROW_ERROR,
    ROW_FAILED,
    STEP_FAILED,
)
from incentives.rulebook.runtime.policy import (
    AggregateDef,
    CompiledPolicy,
    Slot,
    show_in_tracebacks,
    source_filename,
)

__all__ = ["generate"]


def generate(
    p: CompileState,
    formulas: Formulas,
    graph: StepGraph,
    order: list[str],
    constants: dict[str, object],
    criteria: list[Criterion] | None = None,
) -> CompiledPolicy:
    """Generate and compile the module of a policy that has no problems."""
    spec = p.spec
    gen = Emitter(p)
    inputs = list(spec.inputs)
    input_index = {name: sorted(p.fields).index(name) for name in inputs if name in p.fields}
    pre = prelude(p, input_index)
    if spec.policy.rating_history is not None:  # converted once, read by the rating functions
        pre = [*pre, f"{RATINGS_LOCAL} = {READ_RATINGS}(X)"]
    out = _population(gen, formulas, input_index)

    # slots: inputs, eligibility
    for name in inputs:
        gen.add_slot(
            Slot(name, "input", input_type(spec.inputs[name].type), name, p.line(("inputs", name))),
            f"v_{name}",
        )
    elig_lines: list[str] = []
    elig_slots: list[int] = []
    for expr, i in formulas.eligibility:
        assert expr is not None
        rule = spec.eligibility[i]
        label = gen.label(f"eligibility rule '{rule.name}'", expr.names)
        gen.begin_calls()
        code = gen.render(expr, rule.name, ("eligibility", i, "rule"))
        elig_lines.append(f"_s = {label}")
        elig_lines.append(f"e{i} = bool({code})")
        elig_slots.append(
            gen.add_slot(
                Slot(
                    f"eligible.{rule.name}",
                    "eligibility",
                    "boolean",
                    rule.name,
                    p.line(("eligibility", i)),
                    text=rule.rule,
                    reads=tuple(sorted(expr.names)),
                    reason=rule.reason,
                ),
                f"e{i}",
            )
        )
        gen.add_call_slots()
    n_pre_slots = len(p.slots)

    zero_gates: ZeroGates = []
    steps = {
        name: step_code(gen, name, spec.steps.get(name), formulas.steps.get(name, []), zero_gates)
        for name in order
    }
    crit_lines, crit_slots, ready_slot = criteria_code(gen, criteria or [])
    pay_defs, pay_lines = pay_code(gen)
    nsites = p.sites

    def function(
        fname: str, names: list[str], tail: list[str], early: str, head: list[str] = pre
    ) -> list[str]:
        lines = [f"def {fname}(c, X, SEGS=None):", "    _s = -1"]
        if nsites:
            lines.append("    " + " = ".join([f"a{i} = c{i}" for i in range(nsites)]) + " = None")
        lines.append("    try:")
        lines += ["        " + line for line in head]
        lines += ["        " + line for line in elig_lines]
        if elig_lines:
            lines.append(
                "        if not (" + " and ".join(f"e{i}" for _, i in formulas.eligibility) + "):"
            )
            lines.append(f"            return {early}")
        for name in names:
            lines += ["        " + line for line in steps[name]]
        lines += ["        " + line for line in tail]
        lines.append(f"    except {ROW_ERROR} as _e:")
        lines.append(f"        raise {ROW_FAILED}(_s, _e) from None")
        lines.append("    except Exception as _e:")
        lines.append(f"        raise {STEP_FAILED}(_s, _e, locals()) from None")
        lines.append("")
        return lines

    # an ineligible row keeps its inputs and eligibility outcomes; pay is zero, not ready,
    # the rest None
    early = {"pay": "_zero_pay", "ready": "False"}
    ineligible = [
        p.slot_exprs[i] if i < n_pre_slots else early.get(slot.kind, "None")
        for i, slot in enumerate(p.slots)
    ]
    out += function(
        "evaluate",
        order,
        [*crit_lines, *pay_lines, "return (" + ", ".join(p.slot_exprs) + ",)"],
        "(" + ", ".join(ineligible) + ",)",
    )
    aggregates = tuple(
        AggregateDef(n, str(s.aggregate), str(s.of), s.by)
        for n, s in spec.steps.items()
        if s.aggregate
    )
    pools = pool_defs(spec, p.line)
    full = graph.independent_of_aggregates(order)  # neither a group total nor a pool read
    member_side = {
        f"{d.name}_{role}"
        for d in pools
        for role in ("award_in", "cap", "member")
        if f"{d.name}_{role}" in spec.steps
    }
    # a pool whose members' awards read no group total is collected in the first pass, with
    # the totals; its funding is evaluated once per group after that pass (`funding`)
    merged = bool(pools) and graph.closure(sorted(member_side)) <= full
    if aggregates or merged:
        keys = "".join(f"({'v_' + a.by if a.by else 'None'}, v_{a.of}), " for a in aggregates)
        members = "".join(
            f"({'v_' + d.by if d.by else 'None'}, "
            f"{f'v_{d.name}_member' if d.has_members else 'True'}, v_{d.name}_award_in, "
            f"{f'v_{d.name}_cap' if d.has_cap else 'None'}), "
            for d in pools
        ) if merged else ""  # fmt: skip
        back = f"return (({keys}), ({members}))"
        # stage1: only what the totals (and merged pools) read (fast; a row it counts but a
        # later step rejects is found in the last pass and the run is redone without it, see
        # incentives.jobs); stage1_full: every step that reads no total and no pool, so a row
        # rejected by any of them never counts (for callers that cannot redo a pass)
        roots = [a.of for a in aggregates] + (sorted(member_side) if merged else [])
        needed = [n for n in order if n in graph.closure(roots)]
        fundings = [f"{d.name}_funding" for d in pools] if merged else []
        funded = [n for n in order if n in graph.closure(fundings)]
        reads = {a.by for a in aggregates if a.by} | {d.by for d in pools if d.by and merged}
        for condition, _ in formulas.eligibility:
            reads |= set(condition.names) if condition is not None else set()
        for name in {*needed, *funded}:
            for _, expr, _ in formulas.steps.get(name, []):
                reads |= set(expr.names) if expr is not None else set()
        first_names = first_pass_names(p, reads)
        first_head = prelude(p, input_index, only=first_names)
        if spec.policy.rating_history is not None:
            first_head = [*first_head, f"{RATINGS_LOCAL} = {READ_RATINGS}(X)"]
        first_inputs = tuple(n for n in inputs if n in first_names)
        first_goals = any(n in p.scorecards for n in {*needed, *funded})
        out += function("stage1", needed, [back], "None", first_head)
        out += function("stage1_full", [n for n in order if n in full], [back], "None")
        if merged:  # after the totals: each pool's funding, for one member of each group
            values = "".join(f"v_{name}, " for name in fundings)
            out += function("funding", funded, [f"return ({values})"], "None", first_head)
    else:
        out += ["def stage1(c, X, SEGS=None):", "    return None", "", "stage1_full = stage1", ""]
        first_inputs, first_goals = (), False
    if not merged:
        out += ["funding = None", ""]
    if pools and not merged:
        # stage2: after the group totals, every step that does not read a pool's allocation;
        # per pool (group, member?, award in the pool's currency, own cap, funding)
        members = ", ".join(
            f"({'v_' + d.by if d.by else 'None'}, "
            f"{f'v_{d.name}_member' if d.has_members else 'True'}, v_{d.name}_award_in, "
            f"{f'v_{d.name}_cap' if d.has_cap else 'None'}, v_{d.name}_funding)"
            for d in pools
        )
        free = graph.independent_of_pools(order)
        out += function("stage2", [n for n in order if n in free], [f"return ({members},)"], "None")
    else:
        out += ["stage2 = None", ""]
    source = "\n".join(out)
    filename = source_filename(spec.policy.id, source)
    try:
        code_obj = compile(source, filename, "exec")
    except SyntaxError as exc:  # pragma: no cover - a compiler bug, not a user error
        raise AssertionError(f"generated code does not compile: {exc}\n{source}") from exc
    show_in_tracebacks(filename, source)
    globals_ = {**p.const_values, **code_constants(constants)}
    return CompiledPolicy(
        spec=spec,
        file=p.doc.file,
        sha256=p.sha,
        input_names=tuple(inputs),
        slots=tuple(p.slots),
        source=source,
        code=code_obj,
        lookups=MappingProxyType(dict(p.lookups)),
        scorecards=MappingProxyType(dict(p.scorecards)),
        parameters=MappingProxyType(dict(spec.parameters)),
        aggregates=aggregates,
        pools=pools,
        pools_in_first_pass=merged,
        funding_slots=tuple(_slot_index(p, f"{d.name}_funding", "step") for d in pools),
        budgets=budget_defs(spec, p.line, lambda name, kind: _slot_index(p, name, kind)),
        pay=tuple(pay_defs),
        eligibility_slots=tuple(elig_slots),
        zero_gate_slots=_zero_gate_order(p, formulas, graph, zero_gates),
        gate_slots=tuple(i for i, slot in enumerate(p.slots) if slot.kind == "gate"),
        pay_total_slots=tuple(pay.total_slot for pay in pay_defs),
        output_slots=tuple(
            (
                name,
                next(
                    i for i, slot in enumerate(p.slots) if slot.kind == "step" and slot.name == name
                ),
            )
            for name in spec.outputs
        ),
        currency_input=spec.policy.currency,
        criteria_slots=crit_slots,
        ready_slot=ready_slot,
        globals_=MappingProxyType(globals_),
        labels=tuple(gen.labels),
        input_rules=MappingProxyType(input_rules(p, constants)),
        lines={name: p.line(("steps", name)) or 0 for name in spec.steps},
        first_pass_inputs=first_inputs,
        first_pass_goals=first_goals,
        population_inputs=tuple(
            sorted(
                n for n in (formulas.population.names if formulas.population else ()) if n in inputs
            )
        ),
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


def _population(gen: Emitter, formulas: Formulas, input_index: dict[str, int]) -> list[str]:
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
