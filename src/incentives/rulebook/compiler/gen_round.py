"""Rounding to a step in generated code: a decimal inline, anything else through ``F_round_to``.

Steps and pay components round several values per employee; a call of ``F_round_to`` costs
more than the rounding itself. When the step is known positive and the mode known, the
generated code rounds a `Decimal` inline exactly as ``F_round_to`` does for one (the value
divided by the step, quantized to a whole number with the mode, times the step), and leaves any
other value (None, an integer) to ``F_round_to``, with its checks and messages.

One `quantize` instead (`round_lines`): where the step is a power of ten ``10**e`` with
``e <= 0`` (0.01, 0.000001, a currency's minor unit) and the value is *context-sized* (when a
`Decimal`, the result of arithmetic in the current context, so it has at most ``prec`` digits:
`context_sized`), ``x.quantize(step, mode)`` is ``(x / step).quantize(1, mode) * step``, digit
for digit and exponent for exponent. Proof, for such an ``x`` (``prec`` digits ``c``, exponent
``q``) in a context of precision ``prec`` (the engine's: 28, Emax 999999):

- ``x / 10**e`` is ``c`` with exponent ``q - e``: representable (``c`` fits ``prec``), hence
  exact, with the ideal exponent; it overflows only if its adjusted exponent passes Emax.
- ``.quantize(1, mode)`` rounds it with ``mode`` to a whole number ``m``, invalid (trapped) if
  ``m`` has more than ``prec`` digits; ``* 10**e`` then gives ``m`` with exponent ``e``, exactly.
- ``x.quantize(10**e, mode)`` rounds ``x = c·10**q`` to exponent ``e`` with ``mode``: the same
  ``m`` (the same number rounded at the same digit), exponent ``e``, invalid under the same
  condition. Signs agree, a zero's too (neither the division nor the product by a positive power
  of ten changes a sign).
- Where the general form overflows in its division, ``m`` would have more than Emax digits, so
  ``quantize`` raised too: the generated code then runs the general form, which raises what it
  raises (an `ArithmeticError` in both cases, so nothing is caught that the general form would
  not raise). A value of more than ``prec`` digits (an input or a table cell, up to 40) is never
  given to this path: the general form rounds it to ``prec`` digits in its division first.

tests/test_eval_fast_paths.py holds both forms to each other with Hypothesis.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from decimal import Decimal

from incentives.expr import Expression
from incentives.money import ROUNDING_MODES
from incentives.rulebook.runtime.contract import DECIMAL, ONE, ROUND_TO

__all__ = ["context_sized", "power_of_ten", "round_code", "round_lines"]


def round_code(value: str, step: str, mode: str, positive_step: bool) -> str:
    """Python rounding ``value`` (a local's name: it is read more than once) to ``step`` (a
    name) with ``mode``; inline for a decimal when ``positive_step`` (the step is a constant
    above zero or the currency's minor unit) and the mode is one of `ROUNDING_MODES`. The mode
    is passed by position: the same call as by keyword, without the keyword's parsing."""
    call = f"{ROUND_TO}({value}, {step}, {mode!r})"
    rounding = ROUNDING_MODES.get(mode)
    if rounding is None or not positive_step or not value.isidentifier():
        return call
    return (
        f"({value} / {step}).quantize({ONE}, {rounding!r}) * {step} "
        f"if type({value}) is {DECIMAL} else {call}"
    )


def round_lines(
    target: str, value: str, step: str, mode: str, positive_step: bool, quantum: bool
) -> list[str]:
    """Lines setting ``target`` to ``value`` rounded (`round_code`); with ``quantum`` (the step
    is a power of ten ``10**e``, ``e <= 0``, and ``value`` is context-sized) one `quantize` for a
    decimal, the general form only where that raised (see the module docstring)."""
    rounding = ROUNDING_MODES.get(mode)
    if not quantum or rounding is None or not positive_step or not value.isidentifier():
        return [f"{target} = {round_code(value, step, mode, positive_step)}"]
    return [
        f"if type({value}) is {DECIMAL}:",  # x.quantize(q) is (x / q).quantize(1) * q: see above
        f"    try: {target} = {value}.quantize({step}, {rounding!r})",
        f"    except ArithmeticError: {target} = "
        f"({value} / {step}).quantize({ONE}, {rounding!r}) * {step}",
        f"else: {target} = {ROUND_TO}({value}, {step}, {mode!r})",
    ]


def power_of_ten(step: object) -> bool:
    """Whether ``step`` is a `Decimal` ``10**e`` with ``e <= 0`` written with one digit (0.01,
    1E-6, 1; not 0.010, 10 or 1E+1): what `round_lines` may quantize to directly."""
    if type(step) is not Decimal or not step.is_finite():
        return False
    sign, digits, exponent = step.as_tuple()
    return sign == 0 and digits == (1,) and isinstance(exponent, int) and exponent <= 0


_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_PASSING = frozenset({"min", "max", "coalesce"})  # give back one of their arguments
_ROUNDING = frozenset({"round_to", "truncate_to"})  # a quotient quantized, times the step


def context_sized(expr: Expression, sized: Collection[str]) -> bool:
    """Whether ``expr``'s value, when it is a `Decimal`, is the result of arithmetic in the
    current context (so it has at most the context's precision in digits): an arithmetic
    operation, ``round_to``/``truncate_to``, ``min``/``max``/``coalesce`` or a conditional of
    such values, or a step named in ``sized``. An input, parameter, number, table value or
    call of anything else may be written with more digits: not context-sized."""
    node, literals = expr.reference_tree()
    callables = {site.name for site in expr.calls}  # tables, curves, fx: not builtins
    return _sized(node, literals, callables, sized)


def _sized(
    node: ast.expr,
    literals: Mapping[str, Decimal],
    callables: Collection[str],
    sized: Collection[str],
) -> bool:
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _ARITHMETIC)
    if isinstance(node, ast.UnaryOp):  # -x and +x round to the context, as any operation
        return isinstance(node.op, ast.USub | ast.UAdd)
    if isinstance(node, ast.Name):
        return node.id not in literals and node.id in sized
    if isinstance(node, ast.IfExp):
        return all(_sized(n, literals, callables, sized) for n in (node.body, node.orelse))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = node.func.id
        if fn in callables:
            return False
        if fn in _ROUNDING:
            return True
        if fn in _PASSING:
            return all(_sized(a, literals, callables, sized) for a in node.args)
    return False
