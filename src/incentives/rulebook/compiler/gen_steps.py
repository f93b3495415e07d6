"""Generated code and trace slots for one step (or an employee scorecard used as a step).

A step's value comes from its formula, its first matching variant, or a group total
(``GROUP_TOTAL_<name>``); gates, floor, cap, rounding and truncation then apply in that order, with the
raw value, the variant chosen, each gate's outcome (a ``cap`` gate only where it binds) and the
value each cap or replace gate, floor and cap left kept as slots of their own (``stage``), so
that explanations read what was done instead of doing it again.
"""

from __future__ import annotations

from incentives.expr import Expression
from incentives.rulebook.compiler.allocations import Synthetic
from incentives.rulebook.compiler.compile_state import SpecPath, StepExprs
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.gen_round import context_sized, power_of_ten, round_lines
from incentives.rulebook.compiler.plan_gates import ZeroGates, plan_gate_code
from incentives.rulebook.compiler.segments import weighted_lines
from incentives.rulebook.language.schema import GateSpec, StepSpec
from incentives.rulebook.runtime.contract import (
    DECIMAL,
    GROUP_TOTAL,
    POOL,
    ROW_ERROR,
    SCORECARD,
    SCORECARD_SCORE,
    TRUNCATE_TO,
    ZERO,
)
from incentives.rulebook.runtime.policy import Slot

__all__ = ["step_code"]


def step_code(
    gen: Emitter, name: str, step: StepSpec | None, exprs: StepExprs, zero_gates: ZeroGates
) -> list[str]:
    """Lines (unindented) computing ``v_<name>``; appends the slots of zeroing gates (those
    of the plan scorecards it is the first to read, then its own)."""
    if step is None or name in gen.p.scorecards:  # an employee scorecard used as a node
        return _scorecard_code(gen, name)
    p = gen.p
    made = p.synthetic.get(name)
    if made is not None and made.custom:
        return _pool_state_code(gen, name, step, made)
    base: SpecPath = ("steps", name)
    by_role = {role: (expr, path) for role, expr, path in exprs}
    reads = set().union(*[e.names for _, e, _ in exprs if e is not None]) if exprs else set()
    label = gen.label(f"step '{name}'", reads)
    lines = [f"_s = {label}"]
    for card in sorted(n for n in reads if p.kinds.get(n) == "plan" and n not in gen.plan_cards):
        gen.plan_cards.add(card)  # its gates, with the first step that reads it
        lines += plan_gate_code(gen, card, zero_gates)
    gen.begin_calls()

    def r(role: str) -> str:
        expr, path = by_role[role]
        assert expr is not None  # code is generated only for a policy without problems
        return gen.render(expr, name, path)

    def sized(role: str) -> bool:  # its value, when a decimal, has the context's digits at most
        expr = by_role[role][0]
        return expr is not None and context_sized(expr, gen.sized)

    post = bool(step.gates or step.floor or step.cap or step.round or step.truncate is not None)
    target = f"r_{name}" if post else f"v_{name}"
    text = step.formula or ""
    variant_slot = None
    mark = len(lines)
    if step.formula is not None:
        lines.append(f"{target} = {r('formula')}")
        in_context = sized("formula")
    elif step.variants is not None:
        in_context = all(sized(f"variant{v}") for v in range(len(step.variants)))
        for v, variant in enumerate(step.variants):
            head = "if" if v == 0 else "elif"
            if variant.when is not None:
                lines.append(f"{head} {r(f'when{v}')}:")
            else:
                lines.append("else:" if v else "if True:")
            lines.append(f"    vi_{name} = {v}")
            lines.append(f"    {target} = {r(f'variant{v}')}")
        text = " | ".join(
            f"when {v.when}: {v.formula}" if v.when else f"otherwise: {v.formula}"
            for v in step.variants
        )
        variant_slot = Slot(
            f"{name}.variant", "variant", "integer", name, p.line((*base, "variants")), text=text
        )
    else:
        key = f"v_{step.by}" if step.by else "None"
        lines.append(f"{target} = {GROUP_TOTAL}{name}[{key}]")
        in_context = False  # summed exactly, maybe beyond the context's digits
        text = f"{step.aggregate} of {step.of}" + (f" by {step.by}" if step.by else "")
    slot_line = p.line(base)
    if variant_slot is not None:
        gen.add_slot(variant_slot, f"vi_{name}")
    if step.segments == "weighted":  # once per segment when the employee has a history
        lines[mark:] = weighted_lines(gen, name, step, exprs, target, lines[mark:])
        in_context = False
    if post:
        gen.add_slot(Slot(f"{name}.raw", "raw", step.type, name, slot_line, text=text), f"r_{name}")
        lines.append(f"x = r_{name}")
        for g, gate in enumerate(step.gates):
            part = f"gate '{gate.name}'" if gate.name else f"gate {g + 1}"
            lines.append(f"_s = {_part_label(gen, name, part, by_role, g)}")
            gate_expr = by_role[f"gate{g}"][0]
            assert gate_expr is not None
            lines.append(f"gt_{name}_{g} = {gen.truth(gate_expr, r(f'gate{g}'))}")
            if gate.outcome in ("cap", "replace"):
                in_context = in_context and sized(f"gatevalue{g}")
            if gate.outcome == "zero":
                action = f"x = {ZERO}"
            elif gate.outcome == "cap":  # applied only where it binds: the cap is below x
                lines.append(f"if gt_{name}_{g}:")
                lines.append(f"    _c = {r(f'gatevalue{g}')}")
                lines.append(f"    gt_{name}_{g} = _c < x")
                action = "x = _c"
            elif gate.outcome == "replace":
                action = f"x = {r(f'gatevalue{g}')}"
            elif gate.outcome == "reject":
                action = f"_s = {label}; raise {ROW_ERROR}({gate.reason!r}, {name!r}, str(x))"
            else:  # flag: the value stands; the reason is noted in results.csv
                action = ""
            if action:
                lines.append(f"if gt_{name}_{g}: {action}")
            gate_index = gen.add_slot(_gate_slot(gen, name, g, gate), f"gt_{name}_{g}")
            if gate.outcome == "zero":
                if not zero_gates or zero_gates[-1][0] != (name, base):
                    zero_gates.append(((name, base), []))
                zero_gates[-1][1].append(gate_index)
            if gate.outcome in ("cap", "replace"):  # the value it left, for explanations
                lines.append(f"st_{name}_{g} = x")
                gate_label = gate.name or f"gate{g + 1}"
                stage = Slot(f"{name}.after_gate.{gate_label}", "stage", step.type, name, slot_line)
                gen.add_slot(stage, f"st_{name}_{g}")
        for what in ("floor", "cap"):  # each records the value it left
            if getattr(step, what) is None:
                continue
            lines.append(f"_s = {_part_label(gen, name, what, by_role, what)}")
            # the builtin's max(x, b) / min(x, b), inline for two decimals: b if b > x (b < x)
            # else x, the comparison the builtin makes (test_eval_fast_paths holds them equal)
            b, op, fn = gen.temp(), ">" if what == "floor" else "<", "max" if what == "floor" else "min"
            lines.append(
                f"x = ({b} if {b} {op} x else x) if type(x) is type({b} := {r(what)}) is "
                f"{DECIMAL} else {fn}(x, {b})"
            )
            in_context = in_context and sized(what)
            lines.append(f"st_{name}_{what} = x")
            gen.add_slot(
                Slot(f"{name}.after_{what}", "stage", step.type, name, slot_line, text=what),
                f"st_{name}_{what}",
            )
        if step.gates or step.floor or step.cap:
            lines.append(f"_s = {label}")
        if step.round is not None:
            quantum = in_context and power_of_ten(step.round.step)
            positive = not isinstance(step.round.step, str) and step.round.step > 0
            const = p.const(step.round.step)
            lines += round_lines("x", "x", const, step.round.mode, positive, quantum)
            in_context = True  # a whole number of steps: a product in the context
        if step.truncate is not None:
            lines.append(f"x = {TRUNCATE_TO}(x, {p.const(step.truncate)})")
            in_context = True
        lines.append(f"v_{name} = x")
    if in_context:
        gen.sized.add(name)
    gen.add_call_slots()
    gen.add_slot(
        Slot(
            name,
            "step",
            step.type,
            name,
            slot_line,
            text=text,
            reads=tuple(sorted(n for n in reads if p.kinds.get(n) != "lookup")),
        ),
        f"v_{name}",
    )
    return lines


def _scorecard_code(gen: Emitter, name: str) -> list[str]:
    """An employee scorecard: its score and its goals (7 slots per goal) as one call."""
    p = gen.p
    label = gen.label(f"scorecard '{name}'", ())
    line = p.line(("scorecards", name))
    gen.add_slot(Slot(name, "step", "percent", name, line, text=f"scorecard {name}"), f"v_{name}")
    gen.add_slot(
        Slot(
            f"{name}.goals",
            "goals",
            "percent",
            name,
            line,
            width=7 * p.scorecards[name].max_goals,
        ),
        f"g_{name}",
    )
    call = f"v_{name}, g_{name} = {SCORECARD}{name}(X.goals)"
    gen.untraced.append((call, f"v_{name} = {SCORECARD_SCORE}{name}(X.goals)", (f"g_{name}",)))
    return [f"_s = {label}", call]


def _gate_slot(gen: Emitter, owner: str, index: int, gate: GateSpec) -> Slot:
    label = gate.name or f"gate{index + 1}"
    return Slot(
        f"{owner}.gate.{label}",
        "gate",
        "boolean",
        owner,
        gen.p.line(("steps", owner, "gates", index)),
        text=gate.when,
        reason=gate.reason,
        outcome=gate.outcome if gate.value is None else f"{gate.outcome} {gate.value}",
    )


def _pool_state_code(gen: Emitter, name: str, step: StepSpec, made: Synthetic) -> list[str]:
    """A step read from a pool's allocation (``POOL_<pool>[group]``, solved between passes)."""
    p = gen.p
    owner = made.owner
    pool = p.spec.pools[owner]
    state = f"{POOL}{owner}[{f'v_{pool.by}' if pool.by else 'None'}]"
    cap = f"v_{owner}_cap" if pool.cap is not None else "None"
    expr = {
        "pool": f"{state}.amount",
        "factor": f"{state}.factor",
        "scaled": f"{state}.scaled(v_{owner}_award_in, {cap})",
        "remainder": f"{state}.share(v_{owner}_scaled, {cap}, X.employee_id)",
        "award": f"{state}.rounded(v_{owner}_scaled) + v_{owner}_remainder",
    }[made.role]
    if pool.members is not None:
        expr = f"({expr}) if v_{owner}_member else None"
    label = gen.label(f"pool '{owner}' ({made.role})", made.deps)
    gen.add_slot(
        Slot(
            name,
            "step",
            step.type,
            name,
            p.line(("steps", name)),
            text=step.formula or "",
            reads=made.deps,
        ),
        f"v_{name}",
    )
    return [f"_s = {label}", f"v_{name} = {expr}"]


def _part_label(
    gen: Emitter,
    name: str,
    part: str,
    by_role: dict[str, tuple[Expression | None, SpecPath]],
    key: object,
) -> int:
    """Number a gate, floor or cap of step ``name``, so a failure in it names it."""
    roles = [f"gate{key}", f"gatevalue{key}"] if isinstance(key, int) else [str(key)]
    reads: set[str] = set()
    for role in roles:
        expr = by_role.get(role, (None, ()))[0]
        if expr is not None:
            reads |= expr.names
    return gen.label(f"step '{name}', {part}", reads)
