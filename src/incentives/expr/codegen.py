"""A validated formula tree → one Python expression, fully parenthesised.

The caller decides how the leaves are rendered:

- ``name(n)`` for a value the formula reads (``prorate`` also reads ``period_start`` and
  ``period_end`` this way);
- ``constant(v)`` for a number literal (a `Decimal`, with its exponent) and for a literal
  ``date('2026-07-01')`` (a `datetime.date`), so the caller can hoist them to module constants;
- ``call(site, args)`` for a user callable or ``fx``, with the rendered arguments;
- ``builtin(name, nodes, args)``, optional, for a builtin's call: Python source that computes
  the same (an inline form), or None for the ``F_<name>(...)`` call.

Builtins render as ``F_<name>(...)``; `functions.NAMESPACE` holds their implementations. The tree
has been validated by `parse`, so anything unexpected here is a bug, not a user error.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from incentives.expr.functions import parse_date
from incentives.expr.limits import chain_group

if TYPE_CHECKING:
    from incentives.expr.parse import CallSite

__all__ = ["OPERATOR_SYMBOLS", "render"]

OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
    ast.USub: "-", ast.UAdd: "+", ast.Not: "not ",
    ast.And: "and", ast.Or: "or",
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
_PRORATE_DEFAULTS = ("'actual_days'", "'count'")


def render(
    node: ast.expr,
    literals: Mapping[str, Decimal],
    sites: Mapping[int, CallSite],
    name: Callable[[str], str],
    call: Callable[[CallSite, list[str]], str],
    constant: Callable[[object], str],
    builtin: Callable[[str, list[ast.expr], list[str]], str | None] | None = None,
) -> str:
    """Python source for ``node``; see the module docstring for the callbacks."""

    def go(n: ast.expr) -> str:
        if isinstance(n, ast.Name):
            return constant(literals[n.id]) if n.id in literals else name(n.id)
        if isinstance(n, ast.Constant):
            # a Decimal here is a rating label bound to its value (`Expression.bind_text`)
            return constant(n.value) if isinstance(n.value, Decimal) else repr(n.value)
        if isinstance(n, ast.BinOp):
            if isinstance(n.op, ast.Pow):
                assert isinstance(n.right, ast.Name)
                return f"({go(n.left)} ** {int(literals[n.right.id])})"
            return chain(n)
        if isinstance(n, ast.UnaryOp):
            return f"({OPERATOR_SYMBOLS[type(n.op)]}{go(n.operand)})"
        if isinstance(n, ast.BoolOp):
            return "(" + f" {OPERATOR_SYMBOLS[type(n.op)]} ".join(map(go, n.values)) + ")"
        if isinstance(n, ast.Compare):
            parts = [go(n.left)]
            for op, right in zip(n.ops, n.comparators, strict=True):
                parts += [OPERATOR_SYMBOLS[type(op)], go(right)]
            return "(" + " ".join(parts) + ")"
        if isinstance(n, (ast.Tuple, ast.List)):
            return "(" + "".join(f"{go(e)}, " for e in n.elts) + ")"
        if isinstance(n, ast.IfExp):
            return f"({go(n.body)} if {go(n.test)} else {go(n.orelse)})"
        if isinstance(n, ast.Call):
            return _call(n)
        raise AssertionError(f"unvalidated node {type(n).__name__}")  # pragma: no cover

    def chain(n: ast.BinOp) -> str:
        # a + b - c renders flat, "(a + b - c)", as Python reads it the same way: a long sum
        # stays within Python's limit on nested parentheses, and is walked without recursion
        group = chain_group(n)
        spine: list[ast.BinOp] = []
        head: ast.expr = n
        while isinstance(head, ast.BinOp) and (head is n or chain_group(head) == group):
            spine.append(head)
            head = head.left
            if not group:
                break
        parts = [go(head)]
        for link in reversed(spine):
            parts.append(f"{OPERATOR_SYMBOLS[type(link.op)]} {go(link.right)}")
        return "(" + " ".join(parts) + ")"

    def _call(n: ast.Call) -> str:
        assert isinstance(n.func, ast.Name)
        fn = n.func.id
        args = [go(a) for a in n.args]
        site = sites.get(id(n))
        if site is not None:
            return call(site, args)
        if fn == "date" and isinstance(n.args[0], ast.Constant):
            return constant(parse_date(str(n.args[0].value)))
        if fn == "is_missing":  # the same test as F_is_missing, without a call
            return f"({args[0]} is None)"
        if fn == "prorate":
            args += list(_PRORATE_DEFAULTS[len(args) - 2 :])
            args += [name("period_start"), name("period_end")]
        inline = None if builtin is None else builtin(fn, n.args, args)
        return inline if inline is not None else f"F_{fn}({', '.join(args)})"

    return go(node)
