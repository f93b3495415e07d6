"""Rejections visible without data that are not about one formula's types.

- An optional input (``required: false``, no ``default``) used where a missing value fails
  (arithmetic, an ordering comparison, a function or a table), when neither that step (any of its
  parts), an eligibility rule nor the population tests it with ``is_missing``/``coalesce``. A
  readiness criterion is exempt: a missing value fails the criterion, naming it, without
  rejecting the row; ``==`` with a missing value is false; ``prorate`` reads a missing date as
  the period's end. A boolean step that is exactly ``(not) is_missing(x)`` tests ``x`` where it is
  read; a step merely passing ``x`` on (a bare name, an if-else branch) may be missing in turn;
  ``x`` read where ``is_missing(x)`` holds is always missing there.
- A code the pay-currency input allows that the engine does not know.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from incentives.expr import Expression
from incentives.money import CURRENCY_MINOR_UNITS
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath, StepExprs

__all__ = ["check_currency_codes", "check_optional_inputs"]

_SAFE_WITH_MISSING = frozenset({"is_missing", "coalesce", "prorate"})


def check_currency_codes(p: CompileState) -> None:
    """Every allowed value of the pay-currency input is a currency code the engine knows."""
    spec = p.spec.inputs.get(p.spec.policy.currency)
    unknown = (
        [str(v) for v in (spec.allowed or []) if str(v) not in CURRENCY_MINOR_UNITS] if spec else []
    )
    if unknown:
        p.problem(
            ("inputs", p.spec.policy.currency, "allowed"),
            f"{', '.join(unknown)} {'is not a currency code' if len(unknown) == 1 else 'are not currency codes'}"
            " the engine knows: every employee paid in it would be rejected",
            "use ISO 4217 codes (USD, EUR, GBP, ...)",
        )


# -- optional inputs ----------------------------------------------------------------------------


def check_optional_inputs(p: CompileState, steps: dict[str, StepExprs]) -> None:
    """An optional input without a default, used where a missing value fails (arithmetic,
    ordering, a function or table), without any is_missing/coalesce of it nearby."""
    optional = {
        name for name, spec in p.spec.inputs.items() if not spec.required and spec.default is None
    }
    if not optional:
        return
    groups: list[list[tuple[Expression, SpecPath]]] = [
        [(expr, path) for _, expr, path in parts if expr is not None] for parts in steps.values()
    ]
    in_steps = {id(expr) for group in groups for expr, _ in group}
    others = [(expr, path) for expr, path in p.expressions if id(expr) not in in_steps]
    guards = _guard_steps(steps)
    everywhere = _tested(
        (expr for expr, path in others if path[0] in ("eligibility", "policy")), guards
    )
    # a missing value fails a readiness criterion (naming it) without rejecting the row
    groups += [[item] for item in others if item[1][0] != "criteria"]
    passed = _passed_on(steps, optional, everywhere, guards)
    for group in groups:
        tested = everywhere | _tested((expr for expr, _ in group), guards)
        for expr, path in group:
            _read_where_missing(p, expr, path, optional)
            for name, node in _unsafe_uses(expr, (optional | set(passed)) - tested):
                source = passed.get(name)
                if source is not None:
                    message = (
                        f"step '{name}' passes on optional input '{source}' (required: false, "
                        "no default) and is used without a test"
                    )
                    hint = (
                        f"write coalesce({source}, ...) in step '{name}', test "
                        f"is_missing({source}) where it is read, or give the input a default"
                    )
                else:
                    message = (
                        f"optional input '{name}' (required: false, no default) is used "
                        "without a test"
                    )
                    hint = (
                        f"write coalesce({name}, ...), test is_missing({name}), or give the "
                        "input a default"
                    )
                p.formula_problem(
                    path,
                    expr.text,
                    expr.column(node),
                    message,
                    hint,
                    after=": an employee without it would be rejected",
                )


def _passed_on(
    steps: dict[str, StepExprs], optional: set[str], everywhere: set[str], guards: dict[str, str]
) -> dict[str, str]:
    """Steps that may be missing because their formula merely passes on an optional input (or
    such a step) untested: a bare name, an if-else branch (step -> the optional input)."""
    found: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for name, parts in steps.items():
            if name in found:
                continue
            exprs = [expr for _, expr, _ in parts if expr is not None]
            tested = everywhere | _tested(exprs, guards)
            for role, expr, _ in parts:
                if expr is None or not role.startswith(("formula", "variant")):
                    continue
                tree, _ = expr.reference_tree()
                for passed in _passes(tree):
                    source = found.get(passed, passed if passed in optional else None)
                    if source is not None and passed not in tested and source not in tested:
                        found[name] = source
                        changed = True
                        break
                if name in found:
                    break
    return found


def _passes(node: ast.expr) -> list[str]:
    """The names whose value ``node`` may be, unchanged (a missing one stays missing)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.IfExp):
        return _passes(node.body) + _passes(node.orelse)
    return []


def _read_where_missing(
    p: CompileState, expr: Expression, path: SpecPath, optional: set[str]
) -> None:
    """``x if is_missing(x) else …`` (or the ``not`` form's else branch): optional input x is
    read exactly where it is missing."""
    tree, _ = expr.reference_tree()
    for node in ast.walk(tree):
        if not isinstance(node, ast.IfExp):
            continue
        test, negated = node.test, False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negated = test.operand, True
        if not (
            isinstance(test, ast.Call)
            and isinstance(test.func, ast.Name)
            and test.func.id == "is_missing"
            and len(test.args) == 1
            and isinstance(test.args[0], ast.Name)
        ):
            continue
        name = test.args[0].id
        if name not in optional:
            continue
        branch = node.orelse if negated else node.body
        for use in _bare_reads(branch, name):
            p.formula_problem(
                path,
                expr.text,
                expr.column(use),
                f"optional input '{name}' is read where is_missing({name}) holds, so it is "
                "always missing there",
                "swap the branches: x if not is_missing(x) else fallback",
                after=": an employee without it would be rejected",
            )
            return


def _bare_reads(node: ast.expr, name: str) -> list[ast.Name]:
    """Reads of ``name`` in ``node`` other than inside is_missing/coalesce."""
    if isinstance(node, ast.Name):
        return [node] if node.id == name else []
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("is_missing", "coalesce")
    ):
        return []
    found: list[ast.Name] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            found += _bare_reads(child, name)
    return found


def _guard_steps(steps: dict[str, StepExprs]) -> dict[str, str]:
    """Steps whose formula is exactly ``is_missing(x)`` or ``not is_missing(x)``: reading one
    tests ``x`` (step name -> input name)."""
    found: dict[str, str] = {}
    for name, parts in steps.items():
        formulas = [expr for role, expr, _ in parts if expr is not None and role == "formula"]
        if len(formulas) != 1 or len(parts) != 1:
            continue
        tree, _ = formulas[0].reference_tree()
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
            tree = tree.operand
        if (
            isinstance(tree, ast.Call)
            and isinstance(tree.func, ast.Name)
            and tree.func.id == "is_missing"
            and len(tree.args) == 1
            and isinstance(tree.args[0], ast.Name)
        ):
            found[name] = tree.args[0].id
    return found


def _tested(exprs: Iterable[Expression], guards: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for expr in exprs:
        tree, _ = expr.reference_tree()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in guards:
                found.add(guards[node.id])
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("is_missing", "coalesce")
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                found.add(node.args[0].id)
    return found


def _unsafe_uses(expr: Expression, names: set[str]) -> list[tuple[str, ast.Name]]:
    if not names or not (expr.names & names):
        return []
    tree, _ = expr.reference_tree()
    found: list[tuple[str, ast.Name]] = []

    def check(child: ast.expr) -> None:
        if isinstance(child, ast.Name) and child.id in names:
            found.append((child.id, child))

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            check(node.operand)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    check(operands[i])
                    check(operands[i + 1])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id not in _SAFE_WITH_MISSING
        ):
            for arg in node.args:
                check(arg)
    return found
