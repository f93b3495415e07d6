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

from incentives.errors import shorten
from incentives.expr import Expression
from incentives.expr.codegen import OPERATOR_SYMBOLS
from incentives.rulebook.compiler.type_builtins import BUILTIN_TYPES, FUNCTION_HINTS
from incentives.rulebook.compiler.type_guards import Guard
from incentives.rulebook.compiler.valuetypes import (
    ANY,
    BOOLEAN,
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
from incentives.rulebook.runtime.table_axes import plain_text

__all__ = ["Infer", "TypeEnv", "family"]

_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class TypeEnv(Protocol):
    """What inference needs from the policy."""

    def name_type(self, name: str, report: Callable[[str, str], None]) -> VType: ...

    def currency_of(self, name: str) -> str | None: ...

    def code_of(self, currency: str | None) -> str: ...

    def currency_code(self, code: str) -> str: ...

    def call_type(self, name: str, node: ast.Call, infer: Infer) -> VType: ...

    def history_type(self) -> VType: ...

    def allowed_texts(self, name: str) -> list[str] | None: ...


class Infer:
    """Infers one expression's type once, reporting each problem through ``report``."""

    def __init__(
        self,
        env: TypeEnv,
        expr: Expression,
        report: Callable[[str, int, str], None],
        *,
        condition: bool = False,
        wrapper: tuple[str, str] | None = None,
    ) -> None:
        self.env = env
        self.expr = expr
        self._report = report
        self.is_condition = condition  # the whole formula must be true/false
        # a generated fx(<what the user wrote>, pay, 'CUR') around a pool award or a budget
        # figure: (what it converts, the hint) to say when the user's part is in another currency
        self.wrapper = wrapper
        self.root, self.literals = expr.reference_tree()
        self.guards: list[Guard] = []  # conditions known to hold (or fail) wherever it runs

    def run(self) -> VType:
        found = self.of(self.root)
        if self.is_condition:
            self.condition(self.root, found)
        return found

    def condition(self, node: ast.expr, t: VType) -> None:
        """``node`` decides (population, a rule, a `when:`, and/or/not, if-else): true/false."""
        if not t.known or t.kind == "boolean":
            return
        text = self.expr.source_of(node)
        if t.kind == "text":
            hint = f"compare it: {text} == 'AIP'"
        elif t.kind == "date":
            hint = f"test it: is_missing({text})"
        else:
            hint = f"compare it: {text} > 0"
        self.fail(node, f"a condition must be true/false; '{text}' is {t.describe()}", hint)

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
                self.condition(node.operand, operand)
                return BOOLEAN
            if operand.kind in ("text", "date", "boolean"):
                self.fail(node, f"a minus sign cannot apply to {operand.describe()}")
                return ANY
            return operand
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.condition(value, self.of(value))
            return BOOLEAN
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            self.condition(node.test, self.of(node.test))
            return self.either(node.body, self.of(node.body), node.orelse, self.of(node.orelse))
        if isinstance(node, ast.Call):
            return self._call(node)
        return ANY  # tuples are read by their comparison

    def either(self, a_node: ast.expr, a: VType, b_node: ast.expr, b: VType) -> VType:
        """One of two values (if-branches, min/max, coalesce): same kind, same currency."""
        if clash(a, b):
            self.currency_clash(b_node, a, b, "choose between")
            return money(None)
        if a.known and b.known and family(a) != family(b):
            self.fail(b_node, f"mixes {a.describe()} with {b.describe()}")
            return ANY
        return join(a, b)

    def currency_clash(self, node: ast.expr, a: VType, b: VType, verb: str) -> None:
        """Money in ``a``'s and ``b``'s currencies meet at ``node`` (the ``b`` side)."""
        text = self.expr.source_of(node)
        back = self._unconverted(node, a.currency)
        self.fail(
            node,
            f"cannot {verb} money in {currency_text(a.currency)} and money in "
            f"{currency_text(b.currency)} without converting",
            f"convert one side first, e.g. {back} instead of {text}"
            if back is not None
            else f"convert one side first, e.g. fx({text}, {self.env.code_of(b.currency)}, "
            f"{self.env.code_of(a.currency)})",
        )

    def _unconverted(self, node: ast.expr, currency: str | None) -> str | None:
        """The amount inside ``fx(amount, from, ...)`` when ``from`` is ``currency``: the
        simplest fix is not to convert it (never fx of fx back again)."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "fx"
            and len(node.args) >= 3
        ):
            return None
        source = node.args[1]
        if isinstance(source, ast.Constant) and isinstance(source.value, str):
            code = self.env.currency_code(source.value)
        elif isinstance(source, ast.Name):
            code = self.env.currency_of(source.id) or ""
        else:
            return None
        return self.expr.source_of(node.args[0]) if code == currency else None

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
            self._rating_label(ln, lt, rn, isinstance(op, _ORDERING))
            return
        if rt.kind == "rating" and lt.kind == "text":
            self._rating_label(rn, rt, ln, isinstance(op, _ORDERING))
            return
        if not isinstance(op, _ORDERING):
            self._never_equal(ln, lt, rn)
            self._never_equal(rn, rt, ln)
        if not (lt.known and rt.known):
            return
        if clash(lt, rt):
            self.currency_clash(rn, lt, rt, "compare")
            return
        kinds = {family(lt), family(rt)}
        if len(kinds) == 1:
            return
        if kinds == {"text", "number"}:
            text_node, number_node = (ln, rn) if lt.kind == "text" else (rn, ln)
            self.fail(
                number_node if isinstance(number_node, ast.Name) else text_node,
                f"compares text with a number: '{shorten(self.expr.source_of(ln))}' is {lt.describe()} and "
                f"'{shorten(self.expr.source_of(rn))}' is {rt.describe()}; they are never equal",
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

    def _never_equal(self, node: ast.expr, t: VType, other: ast.expr) -> None:
        """A rating with labels compared with a number off its scale, or a text input with
        ``allowed:`` compared with a text it does not allow: the test never holds."""
        number = self.literal(other)
        if t.kind == "rating" and t.labels and number is not None:
            values = sorted({value for _, value in t.labels})
            if number not in values:
                self.fail(
                    other,
                    f"{plain_text(number)} is not a value of rating scale '{t.scale}' ("
                    + ", ".join(plain_text(v) for v in values)
                    + f"); '{shorten(self.expr.source_of(node))}' would never equal it",
                    "compare with one of the scale's values or labels",
                )
            return
        if not (isinstance(node, ast.Name) and t.kind == "text"):
            return
        if not (isinstance(other, ast.Constant) and isinstance(other.value, str)):
            return
        allowed = self.env.allowed_texts(node.id)
        if allowed is None or other.value in allowed:
            return
        folded = [text for text in allowed if text.casefold() == other.value.casefold()]
        close = folded or difflib.get_close_matches(other.value, allowed, n=1, cutoff=0.5)
        self.fail(
            other,
            f"'{other.value}' is not an allowed value of input '{node.id}' ("
            + ", ".join(allowed)
            + f"); '{node.id}' would never equal it",
            f"did you mean '{close[0]}'?" if close else "compare with one of its allowed values",
        )

    def _rating_label(
        self, rating_node: ast.expr, rating: VType, text_node: ast.expr, ordered: bool
    ) -> None:
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
            + f"); '{shorten(self.expr.source_of(rating_node))}' "
            + ("cannot be compared with it" if ordered else "would never equal it"),
            f"did you mean '{close[0]}'?" if close else "use one of the labels",
        )

    # -- calls --------------------------------------------------------------------------------
    def _call(self, node: ast.Call) -> VType:
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        args = node.args
        handler = BUILTIN_TYPES.get(fn)
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

    def expect(self, fn: str, arg: ast.expr, position: int, kind: str) -> VType:
        """The type of an argument that must be a number or a date (``kind``)."""
        t = self.of(arg)
        if t.known and family(t) != kind:
            wanted = "a number" if kind == "number" else "a date"
            self.fail(
                arg,
                f"{fn}: argument {position + 1} ('{shorten(self.expr.source_of(arg))}') is {t.describe()}, "
                f"not {wanted}",
                FUNCTION_HINTS.get(fn, ""),
            )
            return ANY
        return t


def family(t: VType) -> str:
    """number, text, date or boolean (a rating is a number)."""
    return "number" if t.numeric else t.kind
