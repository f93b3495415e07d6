"""Generated code and trace slots for the pay components and their split parts.

Each component rounds its step (to the currency's minor unit or a fixed step) into a total
``pt<c>``; split parts (``pp<c>_<s>``, a share or the amount above a threshold) are taken from
what is left of it in order, and the main line ``pm<c>`` keeps the rest, so nothing is negative.
An ``above`` part's rounded threshold is recorded too (``pay.<part>.above``), for explanations.
"""

from __future__ import annotations

from incentives.rulebook.compiler.compile_state import SpecPath
from incentives.rulebook.compiler.gen_convert import convert_lines, convert_slots
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.gen_round import power_of_ten, round_lines
from incentives.rulebook.compiler.split_shares import share_lines, share_slot
from incentives.rulebook.runtime.contract import NEGATIVE_PAY, ROUND_TO
from incentives.rulebook.runtime.policy import PayDef, Slot

__all__ = ["pay_code"]


def pay_code(gen: Emitter) -> tuple[list[PayDef], list[str]]:
    """The pay components with their slot indices, and the lines (unindented) computing them."""
    p = gen.p
    lines: list[str] = []
    defs: list[PayDef] = []
    allowed = p.employee_names()
    for c, comp in enumerate(p.spec.pay):
        base: SpecPath = ("pay", c)
        label = gen.label(f"pay component '{comp.name}'", (comp.step,))
        step_ = "_mu" if comp.round.step == "minor_unit" else p.const(comp.round.step)
        mode = repr(comp.round.mode)
        lines.append(f"_s = {label}")
        # negative only if it is still negative once rounded to the pay unit (a residue like
        # -3.5E-24 of exact arithmetic is zero pay); -0.00 is written as 0.00
        positive = comp.round.step == "minor_unit" or comp.round.step > 0
        # a currency's minor unit is a power of ten (1, 0.01, 0.001: `money.minor_unit`)
        ten = comp.round.step == "minor_unit" or power_of_ten(comp.round.step)
        quantum = ten and comp.step in gen.sized
        value = f"v_{comp.step}"
        lines += round_lines(f"pt{c}", value, step_, comp.round.mode, positive, quantum)
        lines.append(
            f"if pt{c} < 0: raise {NEGATIVE_PAY}({comp.name!r}, v_{comp.step}, {comp.step!r})"
        )
        lines.append(f"pt{c} = pt{c}.copy_abs()")
        lines.append(f"_rem = pt{c}")
        gen.begin_calls()
        if comp.convert is not None:  # paid in units: the cash is what they did not buy
            lines += convert_lines(gen, c, comp)
        limits: list[tuple[int, str]] = []  # each `above` part's rounded limit, recorded
        shares: list[tuple[int, str]] = []  # each share given by a formula, recorded
        for s, part in enumerate(comp.split):
            var = f"pp{c}_{s}"
            if part.above is not None:
                expr = p.expression(part.above, (*base, "split", s, "above"), allowed)
                if expr is None:
                    continue
                limit = gen.render(expr, comp.name, (*base, "split", s))
                lines.append(f"pl{c}_{s} = {ROUND_TO}({limit}, {step_}, {mode})")
                lines.append(f"{var} = pt{c} - pl{c}_{s} if pt{c} > pl{c}_{s} else _zero_pay")
                limits.append((s, part.name))
            elif isinstance(part.share, str):  # per employee: recorded, between 0 and 100%
                expr = p.expression(part.share, (*base, "split", s, "share"), allowed)
                if expr is None:
                    continue
                lines += share_lines(gen, f"ps{c}_{s}", gen.render(expr, comp.name, base), part)
                lines.append(f"{var} = {ROUND_TO}(pt{c} * ps{c}_{s}, {step_}, {mode})")
                shares.append((s, part.name))
            else:
                lines.append(f"{var} = {ROUND_TO}(pt{c} * {p.const(part.share)}, {step_}, {mode})")
            lines.append(f"if {var} > _rem: {var} = _rem")
            lines.append(f"_rem -= {var}")
        lines.append(f"pm{c} = _rem")  # parts never exceed what is left: no negative line
        line = p.line(base)
        paid_as = "money" if comp.unit is None else "decimal"  # units: a count, not money
        main = gen.add_slot(
            Slot(
                f"pay.{comp.name}",
                "pay",
                paid_as,
                comp.name,
                line,
                text=comp.step,
                reason=comp.pay_code,
            ),
            f"pm{c}",
        )
        part_slots = [
            gen.add_slot(
                Slot(
                    f"pay.{part.name}",
                    "pay",
                    "money",
                    comp.name,
                    p.line((*base, "split", s)),
                    text=part.above or f"{part.share} share",
                    reason=part.pay_code,
                ),
                f"pp{c}_{s}",
            )
            for s, part in enumerate(comp.split)
        ]
        total = gen.add_slot(
            Slot(
                f"pay.{comp.name}.total",
                "pay",
                paid_as,
                comp.name,
                line,
                text=f"round({comp.step})",
            ),
            f"pt{c}",
        )
        for s, part_name in limits:
            gen.add_slot(
                Slot(f"pay.{part_name}.above", "stage", "money", comp.name, line, text="above"),
                f"pl{c}_{s}",
            )
        for s, part_name in shares:
            gen.add_slot(share_slot(part_name, comp.name, line), f"ps{c}_{s}")
        converted = convert_slots(gen, c, comp, line) if comp.convert is not None else None
        gen.add_call_slots()
        defs.append(
            PayDef(
                comp.name,
                comp.pay_code,
                comp.step,
                tuple((pt.name, pt.pay_code) for pt in comp.split),
                main,
                tuple(part_slots),
                total,
                comp.unit,
            )
        )
        if converted is not None:
            defs.append(converted)
    return defs, lines
