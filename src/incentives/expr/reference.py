"""The slow reference evaluator: the same validated tree, walked by simpleeval.

It exists to test the compiled path against. simpleeval gets only our operators and functions,
never its defaults (which include random numbers and ``float``); number placeholders are bound
as `Decimal` names, so no binary float is ever made.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import simpleeval

from incentives.expr.functions import BUILTINS, f_prorate
from incentives.expr.parse import Expression

__all__ = ["OPERATORS", "reference_eval"]


def _power(base: Any, exponent: Decimal) -> Any:
    return base ** int(exponent)  # the parser allows only whole literal exponents 0..4


def _contains(item: Any, options: Any) -> bool:
    return item in options


def _not_contains(item: Any, options: Any) -> bool:
    return item not in options


OPERATORS: dict[type[ast.AST], Callable[..., object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: _power,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: _contains,
    ast.NotIn: _not_contains,
}


def reference_eval(
    expr: Expression,
    values: Mapping[str, object],
    callables: Mapping[str, Callable[..., object]],
    period: tuple[date, date],
) -> object:
    """Evaluate ``expr`` with simpleeval; ``callables`` holds the user callables and ``fx``."""
    tree, literals = expr.reference_tree()
    period_start, period_end = period

    def prorate(
        start: object, end: object, basis: object = "actual_days", partial: object = "count"
    ) -> object:
        return f_prorate(start, end, basis, partial, period_start, period_end)

    functions: dict[str, Callable[..., object]] = {
        name: spec.impl for name, spec in BUILTINS.items() if spec.impl is not None
    }
    functions["prorate"] = prorate
    functions.update(callables)
    names: dict[str, object] = dict(values)
    names.update(literals)
    evaluator = simpleeval.SimpleEval(operators=OPERATORS, functions=functions, names=names)

    def sequence(node: ast.Tuple | ast.List) -> tuple[object, ...]:
        return tuple(evaluator._eval(element) for element in node.elts)

    evaluator.nodes[ast.Tuple] = sequence
    evaluator.nodes[ast.List] = sequence
    return evaluator.eval(expr.text, previously_parsed=tree)
