"""Generated code and trace slots for a pay component converted into units (``convert:``).

The component's rounded total ``pt<c>`` buys ``pu<c>`` units at the price ``pc<c>`` (counted
down to the conversion's step: never a unit not paid for); what they did not buy, ``px<c>``
(rounded down to the currency's minor unit), is what the component pays in cash, or nothing
when the remainder is forfeited. The units are a pay component of their own (a `PayDef` with
its unit), so results.csv, the summary and manifest.json count them as units; the price and the
remainder are recorded (``pay.<units>.price``, ``pay.<units>.remainder``) for explanations.
"""

from __future__ import annotations

from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.language.schema import PayComponentSpec
from incentives.rulebook.runtime.contract import ROUND_TO, ROW_ERROR
from incentives.rulebook.runtime.policy import PayDef, Slot

__all__ = ["convert_lines", "convert_slots"]


def convert_lines(gen: Emitter, c: int, comp: PayComponentSpec) -> list[str]:
    """Lines setting the units, the price and the remainder, and ``_rem`` to the cash paid."""
    p = gen.p
    cv = comp.convert
    assert cv is not None
    expr = p.expression(cv.price, ("pay", c, "convert", "price"), p.employee_names())
    assert expr is not None  # code is generated only for a policy without problems
    price = gen.render(expr, comp.name, ("pay", c, "convert", "price"))
    reason = f"conversion '{cv.name}': the price of one unit must be above 0"
    return [
        f"pc{c} = {price}",
        f"if not pc{c} > 0: raise {ROW_ERROR}({reason!r}, {cv.name!r}, str(pc{c}))",
        f"pu{c} = {ROUND_TO}(pt{c} / pc{c}, {p.const(cv.step)}, 'down')",
        f"px{c} = {ROUND_TO}(pt{c} - pu{c} * pc{c}, _mu, 'down')",
        f"_rem = px{c}" if cv.remainder == "cash" else "_rem = _zero_pay",
    ]


def convert_slots(gen: Emitter, c: int, comp: PayComponentSpec, line: int | None) -> PayDef:
    """Record the units, the price and the remainder; the units' pay component."""
    cv = comp.convert
    assert cv is not None
    units = gen.add_slot(
        Slot(
            f"pay.{cv.name}",
            "pay",
            "decimal",
            comp.name,
            line,
            text=f"{comp.name} ÷ {cv.price}",
            reason=cv.pay_code,
        ),
        f"pu{c}",
    )
    gen.add_slot(
        Slot(f"pay.{cv.name}.price", "stage", "money", comp.name, line, text=cv.price), f"pc{c}"
    )
    gen.add_slot(
        Slot(f"pay.{cv.name}.remainder", "stage", "money", comp.name, line, text=cv.remainder),
        f"px{c}",
    )
    return PayDef(cv.name, cv.pay_code, comp.step, (), units, (), units, cv.unit)
