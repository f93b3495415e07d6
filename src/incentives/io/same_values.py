"""Which other steps' values a step's value may be the very object of, read from its formula.

A breakdown line writes each value's text once per object where it can (`run_outputs._Chains`):
a cell whose value ``is`` the value of an earlier cell written alike reuses that cell's text.
Which earlier cells are worth testing is read here from the formulas: a value is the very
object of another step's when the formula hands that object on (``max(new_range_max,
current_salary)``, ``clamp(coalesce(proposal, target), min, max)``, ``x if c else y``), when
both give the same literal (``... else 0``: one constant of the generated code), or when both
call the same table (an exact table answers equal keys with the very same tuple:
``salary_range_min(grade, country)`` and ``salary_range_min(coalesce(new_grade, grade),
country)`` for everyone not promoted).

This is only a guess of where to look: a cell tests ``is`` at run time, and the same object
written by the same expression is the same text whatever the guess (held by
tests/test_same_values.py).
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping, Sequence

__all__ = ["handed_on_literals", "same_value_candidates"]

# functions that give one of their arguments, the very object
_PASSING = frozenset({"max", "min", "clamp", "coalesce"})


def same_value_candidates(
    formulas: Mapping[str, Sequence[str]], tables: Collection[str]
) -> dict[str, tuple[str, ...]]:
    """For each step (name → its formula, or its variants' formulas, in the policy's order):
    the other steps whose value its value may be the very object of, those its formula hands
    on first (in formula order), then those sharing a literal or a call of one of ``tables``
    (exact tables: the same answer for equal keys) with it (the later steps first)."""
    direct = {
        name: [
            t for f in texts for t in _handed_on(f) if not t.startswith("#call:") or t[6:] in tables
        ]
        for name, texts in formulas.items()
    }
    reach = {name: _reach(name, direct) for name in formulas}
    found: dict[str, tuple[str, ...]] = {}
    for name in formulas:
        named = [n for n in reach[name] if n in formulas and n != name]
        tokens = {t for t in reach[name] if t.startswith("#")}
        sharing = [
            other
            for other in reversed(list(formulas))
            if other != name and other not in named and tokens.intersection(reach[other])
        ]
        found[name] = tuple(named + sharing)
    return found


def handed_on_literals(formulas: Sequence[str]) -> tuple[str, ...]:
    """The number literals a step's formula (or its variants') may give as they are, the very
    constant of the generated code (``... else 0``, a variant ``0``): as written (``0``)."""
    found = [t[1:] for f in formulas for t in _handed_on(f) if t.startswith("#")]
    return tuple(dict.fromkeys(t for t in found if t.isdigit()))


def _reach(name: str, direct: Mapping[str, list[str]]) -> list[str]:
    """What ``name``'s value may be, followed through the steps its formula hands on."""
    seen: list[str] = []
    todo = list(direct.get(name, ()))
    while todo:
        token = todo.pop(0)
        if token in seen or token == name:
            continue
        seen.append(token)
        todo.extend(direct.get(token, ()))
    return seen


def _handed_on(formula: str) -> list[str]:
    """The names, literals (``#0``) and table calls (``#call:table``) whose very value the
    formula may give; nothing for a formula that is not plain Python (``8%``)."""
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError:
        return []
    return _given(tree.body)


def _given(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Constant):
        return [f"#{node.value!r}"]
    if isinstance(node, ast.IfExp):
        return _given(node.body) + _given(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in _PASSING:
            return [token for arg in node.args for token in _given(arg)]
        return [f"#call:{node.func.id}"]
    return []
