"""Which values an input can still hold where a formula reads it, given the guards around it.

A value excluded by the population, an eligibility rule (an ineligible employee's steps are not
evaluated), an enclosing ``a if test else b`` or a variant's ``when`` (and the earlier variants'
``when``s, which did not hold) cannot reach the read. Each guard is evaluated with the input set
to one candidate value and everything else unknown: a guard that would then have to be false
where it is known to hold (or true where it is known to fail) excludes the value.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal

__all__ = ["Guard", "Literal", "possible", "tree_guards"]

Guard = tuple[ast.expr, bool]  # a condition and the truth it is known to have
Literal = Callable[[ast.expr], object]  # the value a literal node stands for, else None

_OPS: dict[type[ast.cmpop], Callable[[object, object], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,  # type: ignore[dict-item]
    ast.LtE: operator.le,  # type: ignore[dict-item]
    ast.Gt: operator.gt,  # type: ignore[dict-item]
    ast.GtE: operator.ge,  # type: ignore[dict-item]
}

_FLIPPED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.Gt: ast.Lt,
    ast.LtE: ast.GtE,
    ast.GtE: ast.LtE,
}


# The parent map of the last tree asked about (the tree is kept, so its ids stay its own): a
# formula with a thousand table lookups asks a thousand times, and one map serves them all.
_last_parents: list[tuple[ast.expr, dict[int, ast.expr]]] = []


def _parents(tree: ast.expr) -> dict[int, ast.expr]:
    if _last_parents and _last_parents[0][0] is tree:
        return _last_parents[0][1]
    parents: dict[int, ast.expr] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.expr):
                parents[id(child)] = node
    _last_parents[:] = [(tree, parents)]
    return parents


def tree_guards(tree: ast.expr, target: ast.expr) -> list[Guard]:
    """The ``if … else`` tests around ``target`` within ``tree``, with the truth each has there."""
    parents = _parents(tree)
    found: list[Guard] = []
    at: ast.expr = target
    while id(at) in parents:
        parent = parents[id(at)]
        if isinstance(parent, ast.IfExp) and at is not parent.test:
            found.append((parent.test, at is parent.body))
        at = parent
    return found


def possible(
    name: str, values: Sequence[object], guards: Sequence[Guard], literal: Literal
) -> list[object]:
    """The ``values`` input ``name`` may hold where every guard has its known truth."""
    return [
        value
        for value in values
        if all(_truth(test, name, value, literal) in (None, truth) for test, truth in guards)
    ]


def _truth(node: ast.expr, name: str, value: object, literal: Literal) -> bool | None:
    """``node`` with ``name`` == ``value``: true, false, or None when it depends on more."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _truth(node.operand, name, value, literal)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        parts = [_truth(v, name, value, literal) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # True decides an or, False an and
        if decisive in parts:
            return decisive
        return None if None in parts else not decisive
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _compare(node.left, node.ops[0], node.comparators[0], name, value, literal)
    return None


def _compare(
    left: ast.expr, op: ast.cmpop, right: ast.expr, name: str, value: object, literal: Literal
) -> bool | None:
    if isinstance(op, (ast.In, ast.NotIn)):
        if not (_is(left, name) and isinstance(right, (ast.Tuple, ast.List))):
            return None
        elements = [literal(e) for e in right.elts]
        if any(e is None for e in elements) or not _same_kind(value, elements):
            return None
        return (value in elements) == isinstance(op, ast.In)
    kind = type(op)
    if _is(right, name):  # 'HR' == unit reads as unit == 'HR' (orderings flip)
        left, right = right, left
        kind = _FLIPPED.get(kind, kind)
    compare = _OPS.get(kind)
    other = literal(right)
    if compare is None or not _is(left, name) or other is None or not _same_kind(value, [other]):
        return None
    return compare(value, other)


def _same_kind(value: object, others: Sequence[object]) -> bool:
    number = isinstance(value, Decimal)
    return all(isinstance(o, Decimal) == number for o in others)


def _is(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
