"""The types of the builtin functions' results, and what they accept (see `type_infer`).

Each handler gets the `Infer` walking the formula, the call and its arguments; it types the
arguments (reporting a wrong kind with the function's hint) and returns the result's type:
dates for ``add_months`` and ``date``, whole numbers for ``days_between``, a percent for
``prorate``, money in ``to`` for ``fx``, the arguments' own type for ``min``/``max``/``clamp``,
``abs``, ``round_to`` and ``coalesce``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from incentives.errors import shorten
from incentives.rulebook.compiler.valuetypes import (
    ANY,
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    PERCENT,
    VType,
    currency_text,
    money,
)
from incentives.rulebook.language.schema import STEP_RANGE, step_in_range

if TYPE_CHECKING:
    from incentives.rulebook.compiler.type_infer import Infer

__all__ = ["BUILTIN_TYPES", "FUNCTION_HINTS"]


def _extremes(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    """min, max, clamp: numbers in one currency."""
    assert isinstance(node.func, ast.Name)
    fn = node.func.id
    found: VType | None = None
    first: ast.expr | None = None
    for position, arg in enumerate(args):
        t = infer.of(arg)
        if t.kind in ("text", "boolean", "date"):  # min, max and clamp read numbers
            infer.fail(arg, f"{fn}: argument {position + 1} is {t.describe()}, not a number")
            return ANY
        if found is None or first is None:
            found, first = t, arg
            continue
        found = infer.either(first, found, arg, t)
    low, high = (infer.literal(a) for a in args[1:3]) if fn == "clamp" else (None, None)
    if low is not None and high is not None and low > high:
        infer.fail(
            args[1],
            f"clamp: low {low} is above high {high}: every employee would be rejected",
            "write clamp(x, low, high) with low <= high",
        )
    return found or ANY


def _fx(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    """fx(amount, from, to, …): money in ``to``; the amount must be in ``from``."""
    amount = infer.expect("fx", args[0], 0, "number")
    source, target = (_currency_arg(infer, a) for a in args[1:3])
    for arg in args[3:]:
        infer.of(arg)
    if (
        amount.kind == "money"
        and amount.currency is not None
        and source is not None
        and amount.currency != source
    ):
        if infer.wrapper is not None and node is infer.root:
            what, hint = infer.wrapper
            infer.fail(
                args[0],
                f"{what} must be in {currency_text(source)} (it is converted into "
                f"{currency_text(target)}), not {amount.describe()}",
                hint,
            )
        else:
            infer.fail(
                args[0],
                f"fx converts from {currency_text(source)} an amount in "
                f"{currency_text(amount.currency)}",
                f"write fx({shorten(infer.expr.source_of(args[0]))}, "
                f"{infer.env.code_of(amount.currency)}, ...)",
            )
    return money(target)


def _currency_arg(infer: Infer, arg: ast.expr) -> str | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return infer.env.currency_code(arg.value)
    if isinstance(arg, ast.Name) and arg.id not in infer.literals:
        infer.of(arg)
        return infer.env.currency_of(arg.id)
    infer.of(arg)
    return None


def _dates(fn: str, result: VType) -> Callable[[Infer, ast.Call, list[ast.expr]], VType]:
    def check(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
        for position, arg in enumerate(args[:2]):
            infer.expect(fn, arg, position, "date")
        for arg in args[2:]:
            infer.of(arg)
        return result

    return check


def _numbers(keep_first: bool) -> Callable[[Infer, ast.Call, list[ast.expr]], VType]:
    def check(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
        assert isinstance(node.func, ast.Name)
        found = [
            infer.expect(node.func.id, arg, position, "number")
            for position, arg in enumerate(args[:2])
        ]
        step = infer.literal(args[1]) if len(args) > 1 else None
        if step is not None and step <= 0:
            infer.fail(
                args[1],
                f"{node.func.id}: the step must be above 0, not {step}",
                "write the unit to round to: 0.01, 1, 100",
            )
        elif step is not None and not step_in_range(step):
            infer.fail(
                args[1],
                f"{node.func.id}: the step must be {STEP_RANGE}, not {step}",
                "write the unit to round to: 0.01, 1, 100",
            )
        for arg in args[2:]:
            infer.of(arg)
        return found[0] if keep_first else DECIMAL

    return check


def _add_months(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    infer.expect("add_months", args[0], 0, "date")
    infer.expect("add_months", args[1], 1, "number")
    count = infer.literal(args[1])
    if count is not None and count != count.to_integral_value():
        infer.fail(
            args[1],
            f"add_months: '{shorten(infer.expr.source_of(args[1]))}' is not a whole number of months: "
            "every employee would be rejected",
            "write a whole number of months (1, 2, -3), or round_to(n, 1) a computed one",
        )
    return DATE


def _coalesce(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    return infer.either(args[0], infer.of(args[0]), args[1], infer.of(args[1]))


def _is_missing(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    infer.of(args[0])
    return BOOLEAN


BUILTIN_TYPES: dict[str, Callable[[Infer, ast.Call, list[ast.expr]], VType]] = {
    "min": _extremes,
    "max": _extremes,
    "clamp": _extremes,
    "abs": _numbers(keep_first=True),
    "round_to": _numbers(keep_first=True),
    "truncate_to": _numbers(keep_first=True),
    "days_between": _dates("days_between", INTEGER),
    "months_between": _dates("months_between", INTEGER),
    "prorate": _dates("prorate", PERCENT),
    "add_months": _add_months,
    "date": lambda i, n, a: DATE,
    "fx": _fx,
    "coalesce": _coalesce,
    "is_missing": _is_missing,
}
FUNCTION_HINTS = {
    "days_between": "days_between(a, b) counts the days between two dates",
    "months_between": "months_between(a, b) counts whole months between two dates",
    "add_months": "add_months(d, n) moves date d by n months",
    "prorate": "prorate(start, end) reads two dates (a missing one is the period's start or end)",
    "fx": "fx(amount, from, to) converts an amount",
}
