"""The type of one formula, found by walking its validated tree; problems point at a column.

`Infer` is given the type of every name (`TypeEnv.name_type`) and of every callable, and
reports what cannot work whatever the data: text compared with a number, a date plus a number,
true/false summed, money in two currencies added or compared, a builtin given the wrong kind of
argument. A rating compared with one of its scale's labels is compiled as a comparison with the
label's value (`Expression.bind_text`); a text that is not a label is an error.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from incentives.expr import Expression
from incentives.expr.codegen import OPERATOR_SYMBOLS
from incentives.rulebook.valuetypes import (
    ANY,
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    PERCENT,
    TEXT,
    VType,
    clash,
    currency_text,
    join,
    money,
)

__all__ = ["Infer", "TypeEnv"]

_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_NUMERIC_FUNCTIONS = ("min", "max", "clamp")


class TypeEnv(Protocol):
    """What inference needs from the policy."""

    def name_type(self, name: str, report: Callable[[str, str], None]) -> VType: ...

    def currency_of(self, name: str) -> str | None: ...

    def code_of(self, currency: str | None) -> str: ...

    def call_type(self, name: str, node: ast.Call, infer: Infer) -> VType: ...

    def history_type(self) -> VType: ...


class Infer:
    """Infers one expression's type once, reporting each problem through ``report``."""

    def __init__(
        self, env: TypeEnv, expr: Expression, report: Callable[[str, int, str], None]
    ) -> None:
        self.env = env
        self.expr = expr
        self._report = report
        _, self.literals = expr.reference_tree()

    def run(self) -> VType:
        tree, _ = self.expr.reference_tree()
        return self.of(tree)

    def fail(self, node: ast.expr, message: str, hint: str = "") -> None:
        self._report(message, self.expr.column(node), hint)

    # -- the walk -----------------------------------------------------------------------------
    def of(self, node: ast.expr) -> VType:
        if isinstance(node, ast.Name):
            if node.id in self.literals:
                return DECIMAL
            return self.env.name_type(node.id, lambda m, h: self.fail(node, m, h))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return BOOLEAN
            return TEXT if isinstance(node.value, str) else DECIMAL
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.of(node.operand)
            if isinstance(node.op, ast.Not):
                return BOOLEAN
            if operand.kind in ("text", "date", "boolean"):
                self.fail(node, f"a minus sign cannot apply to {operand.describe()}")
                return ANY
            return operand
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.of(value)
            return BOOLEAN
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            self.of(node.test)
            return self.either(node.body, self.of(node.body), node.orelse, self.of(node.orelse))
        if isinstance(node, ast.Call):
            return self._call(node)
        return ANY  # tuples are read by their comparison

    def either(self, a_node: ast.expr, a: VType, b_node: ast.expr, b: VType) -> VType:
        """One of two values (if-branches, min/max, coalesce): same kind, same currency."""
        if clash(a, b):
            self.currency_clash(b_node, a, b, "choose between")
            return money(None)
        if a.known and b.known and _family(a) != _family(b):
            self.fail(b_node, f"mixes {a.describe()} with {b.describe()}")
            return ANY
        return join(a, b)

    def currency_clash(self, node: ast.expr, a: VType, b: VType, verb: str) -> None:
        """Money in ``a``'s and ``b``'s currencies meet at ``node`` (the ``b`` side)."""
        text = self.expr.source_of(node)
        self.fail(
            node,
            f"cannot {verb} money in {currency_text(a.currency)} and money in "
            f"{currency_text(b.currency)} without converting",
            f"convert one side first, e.g. fx({text}, {self.env.code_of(b.currency)}, "
            f"{self.env.code_of(a.currency)})",
        )

    # -- arithmetic ---------------------------------------------------------------------------
    def _binop(self, node: ast.BinOp) -> VType:
        # a long sum (a + b + c + …) nests to the left: walk it as a loop, not by recursion
        chain: list[ast.BinOp] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp):
            chain.append(left)
            left = left.left
        found = self.of(left)
        for link in reversed(chain):
            found = self._arithmetic(link, found, self.of(link.right))
        return found

    def _arithmetic(self, node: ast.BinOp, a: VType, b: VType) -> VType:
        symbol = OPERATOR_SYMBOLS[type(node.op)]
        for side, t in ((node.left, a), (node.right, b)):
            if t.kind == "text":
                self.fail(side, f"text cannot be used in arithmetic ({symbol})")
                return ANY
            if t.kind == "boolean":
                self.fail(
                    side,
                    f"true/false cannot be used in arithmetic ({symbol})",
                    "write (1 if condition else 0) to count it",
                )
                return ANY
        if a.kind == "date" or b.kind == "date":
            if isinstance(node.op, ast.Sub) and a.kind == b.kind == "date":
                self.fail(node, "dates cannot be subtracted", "write days_between(start, end)")
            else:
                self.fail(
                    node,
                    f"a date cannot be used in arithmetic ({symbol})",
                    "write add_months(d, n) to move a date, days_between(a, b) for a span",
                )
            return ANY
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if clash(a, b):
                self.currency_clash(node.right, a, b, "add" if symbol == "+" else "subtract")
                return money(None)
            if a.kind == b.kind == "integer":
                return INTEGER
            if a.kind == b.kind == "percent":
                return PERCENT
            return (
                join(a, b) if "money" in (a.kind, b.kind) or not (a.known and b.known) else DECIMAL
            )
        if isinstance(node.op, ast.Mult):
            if a.kind == "money" and b.kind != "money":
                return a
            if b.kind == "money" and a.kind != "money":
                return b
            return INTEGER if a.kind == b.kind == "integer" else DECIMAL
        if isinstance(node.op, ast.Div):
            if self.literal(node.right) == 0:
                self.fail(node.right, "division by zero: every employee would be rejected")
                return ANY
            if a.kind == "money" and b.kind != "money":
                return a
            return DECIMAL
        return DECIMAL  # ** (a whole constant exponent)

    # -- comparisons --------------------------------------------------------------------------
    def _compare(self, node: ast.Compare) -> VType:
        left = node.left
        lt = self.of(left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List)):
                for element in right.elts:
                    self._pair(left, lt, element, self.of(element), op)
                left, lt = right, ANY
                continue
            rt = self.of(right)
            self._pair(left, lt, right, rt, op)
            left, lt = right, rt
        return BOOLEAN

    def _pair(self, ln: ast.expr, lt: VType, rn: ast.expr, rt: VType, op: ast.cmpop) -> None:
        if lt.kind == "rating" and rt.kind == "text":
            self._rating_label(ln, lt, rn)
            return
        if rt.kind == "rating" and lt.kind == "text":
            self._rating_label(rn, rt, ln)
            return
        if not (lt.known and rt.known):
            return
        if clash(lt, rt):
            self.currency_clash(rn, lt, rt, "compare")
            return
        kinds = {_family(lt), _family(rt)}
        if len(kinds) == 1:
            return
        if kinds == {"text", "number"}:
            text_node, number_node = (ln, rn) if lt.kind == "text" else (rn, ln)
            self.fail(
                number_node if isinstance(number_node, ast.Name) else text_node,
                f"compares text with a number: '{self.expr.source_of(ln)}' is {lt.describe()} and "
                f"'{self.expr.source_of(rn)}' is {rt.describe()}; they are never equal",
                "quote the number ('4') to compare text, or compare with a number input",
            )
        elif "date" in kinds:
            self.fail(
                rn,
                f"compares a date with {(rt if lt.kind == 'date' else lt).describe()}",
                "write a date as date('2026-07-01')",
            )
        elif "boolean" in kinds and "text" in kinds:
            self.fail(
                rn,
                "compares true/false with text; they are never equal",
                "test the flag itself: on_pip, or not on_pip",
            )
        elif "boolean" in kinds and isinstance(op, _ORDERING):
            self.fail(rn, "true/false cannot be ordered with < or >")

    def _rating_label(self, rating_node: ast.expr, rating: VType, text_node: ast.expr) -> None:
        if not (isinstance(text_node, ast.Constant) and isinstance(text_node.value, str)):
            self.fail(
                text_node,
                f"compares {rating.describe()} with text; a rating is a number",
                "compare with one of the scale's labels in quotes, or with its value",
            )
            return
        label = text_node.value
        by_fold = {name.strip().casefold(): value for name, value in rating.labels}
        value = by_fold.get(label.strip().casefold())
        if value is not None:
            self.expr.bind_text(text_node, value)
            return
        if not rating.labels:
            self.fail(
                text_node,
                f"'{label}' is not a value of rating scale '{rating.scale}', which has no labels",
                "compare with a number on the scale",
            )
            return
        names = [name for name, _ in rating.labels]
        close = difflib.get_close_matches(label, names, n=1, cutoff=0.5)
        self.fail(
            text_node,
            f"'{label}' is not a label of rating scale '{rating.scale}' (labels: "
            + ", ".join(names)
            + f"); '{self.expr.source_of(rating_node)}' would never equal it",
            f"did you mean '{close[0]}'?" if close else "use one of the labels",
        )

    # -- calls --------------------------------------------------------------------------------
    def _call(self, node: ast.Call) -> VType:
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        args = node.args
        handler = _BUILTIN_TYPES.get(fn)
        if handler is not None:
            return handler(self, node, args)
        if fn in ("rating_in", "lowest_rating"):
            for arg in args:
                self.of(arg)
            return self.env.history_type()
        if fn == "ratings_count":
            return INTEGER
        return self.env.call_type(fn, node, self)

    def literal(self, node: ast.expr) -> Decimal | None:
        """The number a literal stands for (``-2`` included), else None."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.literal(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.Name):
            return self.literals.get(node.id)
        return None

    def expect(self, fn: str, arg: ast.expr, position: int, family: str) -> VType:
        """The type of an argument that must be a number or a date (``family``)."""
        t = self.of(arg)
        if t.known and _family(t) != family:
            wanted = "a number" if family == "number" else "a date"
            self.fail(
                arg,
                f"{fn}: argument {position + 1} ('{self.expr.source_of(arg)}') is {t.describe()}, "
                f"not {wanted}",
                _FUNCTION_HINTS.get(fn, ""),
            )
            return ANY
        return t

    def _extremes(self, node: ast.Call, args: list[ast.expr]) -> VType:
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        found: VType | None = None
        first: ast.expr | None = None
        for position, arg in enumerate(args):
            t = self.of(arg)
            if t.kind in ("text", "boolean", "date"):  # min, max and clamp read numbers
                self.fail(arg, f"{fn}: argument {position + 1} is {t.describe()}, not a number")
                return ANY
            if found is None or first is None:
                found, first = t, arg
                continue
            found = self.either(first, found, arg, t)
        return found or ANY

    def _fx(self, node: ast.Call, args: list[ast.expr]) -> VType:
        amount = self.expect("fx", args[0], 0, "number")
        source, target = (self.currency_arg(a) for a in args[1:3])
        for arg in args[3:]:
            self.of(arg)
        if (
            amount.kind == "money"
            and amount.currency is not None
            and source is not None
            and amount.currency != source
        ):
            self.fail(
                args[0],
                f"fx converts from {currency_text(source)} an amount in "
                f"{currency_text(amount.currency)}",
                f"write fx({self.expr.source_of(args[0])}, "
                f"{self.env.code_of(amount.currency)}, ...)",
            )
        return money(target)

    def currency_arg(self, arg: ast.expr) -> str | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name) and arg.id not in self.literals:
            self.of(arg)
            return self.env.currency_of(arg.id)
        self.of(arg)
        return None


def _family(t: VType) -> str:
    return "number" if t.numeric else t.kind


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
        for arg in args[2:]:
            infer.of(arg)
        return found[0] if keep_first else DECIMAL

    return check


def _add_months(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    infer.expect("add_months", args[0], 0, "date")
    infer.expect("add_months", args[1], 1, "number")
    return DATE


def _coalesce(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    return infer.either(args[0], infer.of(args[0]), args[1], infer.of(args[1]))


def _is_missing(infer: Infer, node: ast.Call, args: list[ast.expr]) -> VType:
    infer.of(args[0])
    return BOOLEAN


_BUILTIN_TYPES: dict[str, Callable[[Infer, ast.Call, list[ast.expr]], VType]] = {
    "min": lambda i, n, a: i._extremes(n, a),
    "max": lambda i, n, a: i._extremes(n, a),
    "clamp": lambda i, n, a: i._extremes(n, a),
    "abs": _numbers(keep_first=True),
    "round_to": _numbers(keep_first=True),
    "truncate_to": _numbers(keep_first=True),
    "days_between": _dates("days_between", INTEGER),
    "months_between": _dates("months_between", INTEGER),
    "prorate": _dates("prorate", PERCENT),
    "add_months": _add_months,
    "date": lambda i, n, a: DATE,
    "fx": lambda i, n, a: i._fx(n, a),
    "coalesce": _coalesce,
    "is_missing": _is_missing,
}
_FUNCTION_HINTS = {
    "days_between": "days_between(a, b) counts the days between two dates",
    "months_between": "months_between(a, b) counts whole months between two dates",
    "add_months": "add_months(d, n) moves date d by n months",
    "prorate": "prorate(start, end) reads two dates (a missing one is the period's start or end)",
    "fx": "fx(amount, from, to) converts an amount",
}
