"""Formula text → a validated syntax tree (`Expression`), or an `ExpressionError` with a column.

Three stages:

1. *Scan*: every number literal outside quotes (``15``, ``1.10``, ``010``, ``1e3``, ``15%``) is
   replaced by a placeholder name ``lit__<n>`` bound to its exact `Decimal`, so Python never
   sees a float. A table of segments maps columns of the scanned text back to the original.
2. *Parse* with `ast.parse` in ``eval`` mode.
3. *Validate* against an allow-list: only the node types the policy language documents, with
   names, functions and arities checked and "did you mean" hints for near misses.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import keyword
import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal

import attrs

from incentives.errors import IncentivesError, shorten
from incentives.expr import codegen, limits
from incentives.expr.functions import BUILTINS, PARTIAL_MONTH_RULES, PRORATE_BASES, parse_date
from incentives.money import CURRENCY_MINOR_UNITS, ROUNDING_MODES
from incentives.rulebook.language.values import parse_number

__all__ = ["CallSite", "Expression", "ExpressionError", "compile_expression"]

PLACEHOLDER = "lit__"
_NUMBER = re.compile(r"([0-9][0-9_]*(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?(\s*%)?")
_WORD = re.compile(r"\w+")
TEXT_ONLY_IN_COMPARISONS = "text can only be compared, as in unit == 'Sales'"
PERCENT_ONLY = "% is only a percent sign after a number (15%)"
POWER_RULE = "** needs a whole-number exponent from 0 to 4"


class ExpressionError(IncentivesError, ValueError):
    """A formula is invalid. ``offset`` is the 0-based column in the original text."""

    def __init__(self, message: str, offset: int | None = None, hint: str = "") -> None:
        self.message = message
        self.offset = offset
        self.hint = hint
        where = "" if offset is None else f" (at column {offset + 1})"
        super().__init__(f"{message}{where}" + (f"; {hint}" if hint else ""))


@attrs.frozen
class CallSite:
    """One call of a user callable (table, curve, tier) or of ``fx``, in order of appearance."""

    index: int
    name: str
    arg_texts: tuple[str, ...]


@attrs.frozen
class Expression:
    """A validated formula: its text, the value names it reads, its call sites, its tree."""

    text: str
    names: frozenset[str]
    calls: tuple[CallSite, ...]
    _tree: ast.Expression = attrs.field(eq=False, repr=False, alias="tree")
    _literals: Mapping[str, Decimal] = attrs.field(eq=False, repr=False, alias="literals")
    _sites: Mapping[int, CallSite] = attrs.field(eq=False, repr=False, alias="sites")
    _offset: Callable[[ast.expr], int] = attrs.field(
        eq=False, repr=False, alias="offset", default=lambda node: 0
    )
    _source: Callable[[ast.expr], str] = attrs.field(
        eq=False, repr=False, alias="source", default=ast.unparse
    )

    def to_python(
        self,
        name: Callable[[str], str],
        call: Callable[[CallSite, list[str]], str],
        constant: Callable[[object], str],
        builtin: Callable[[str, list[ast.expr], list[str]], str | None] | None = None,
    ) -> str:
        """Python expression source; see `codegen.render` for what each callback renders."""
        tree = self._tree.body
        return codegen.render(tree, self._literals, self._sites, name, call, constant, builtin)

    def reference_tree(self) -> tuple[ast.expr, Mapping[str, Decimal]]:
        """The validated tree and the `Decimal` bound to each number placeholder in it."""
        return self._tree.body, self._literals

    def column(self, node: ast.expr) -> int:
        """The 0-based column of ``node`` in the formula as written."""
        return self._offset(node)

    def source_of(self, node: ast.expr) -> str:
        """The text of ``node`` as written in the formula."""
        return self._source(node)

    def bind_text(self, node: ast.Constant, value: Decimal) -> None:
        """Compile time only, before any code is generated: a quoted label compared with a
        rating becomes the label's value, in the generated code and the reference evaluator
        alike (both render a `Decimal` constant as the number it is)."""
        assert isinstance(node.value, str)
        node.value = value  # type: ignore[assignment]  # ast's stub: constants are builtins


@attrs.frozen
class _Segment:
    new_start: int
    orig_start: int
    orig_end: int
    placeholder: bool


class _Scanned:
    """The scanned text, its literals, and the map from its columns back to the original."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.literals: dict[str, Decimal] = {}
        self.segments: list[_Segment] = []
        self.starts: list[int] = []  # each segment's new_start, for bisect
        self.parts: list[str] = []
        self.length = 0

    def emit(self, text: str, orig_start: int, orig_end: int, placeholder: bool) -> None:
        self.segments.append(_Segment(self.length, orig_start, orig_end, placeholder))
        self.starts.append(self.length)
        self.parts.append(text)
        self.length += len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def _segment(self, offset: int) -> _Segment:
        return self.segments[max(0, bisect.bisect_right(self.starts, offset) - 1)]

    def start(self, offset: int) -> int:
        """Original column of scanned column ``offset``."""
        if not self.segments:
            return offset
        seg = self._segment(offset)
        return seg.orig_start if seg.placeholder else seg.orig_start + offset - seg.new_start

    def end(self, offset: int) -> int:
        """Original column just after scanned column ``offset - 1``."""
        if offset <= 0 or not self.segments:
            return offset
        seg = self._segment(offset - 1)
        return seg.orig_end if seg.placeholder else seg.orig_start + offset - seg.new_start


def _scan(text: str) -> _Scanned:
    out = _Scanned(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
            out.emit(text[i:j], i, j, False)
        elif ch == "_" or ch.isalpha():
            word = _WORD.match(text, i)
            assert word is not None
            j = word.end()
            after_dot = text[:i].rstrip().endswith(".")
            if not after_dot and (ch == "_" or word.group().startswith(PLACEHOLDER)):
                raise ExpressionError(
                    f"names starting with '_' or '{PLACEHOLDER}' are not allowed", i
                )
            if not word.group().isascii():  # Python would fold it (NFKC) into another name
                raise ExpressionError(
                    f"'{shorten(word.group())}' is not a valid name",
                    i,
                    "names are lower case ASCII letters, digits and _; retype it",
                )
            out.emit(text[i:j], i, j, False)
        elif (ch.isdigit() or ch == ".") and (number := _NUMBER.match(text, i)):
            j = number.end()
            if j < n and (text[j] == "_" or text[j].isalnum()):
                raise ExpressionError(
                    f"a number cannot run into a name: '{text[i : j + 1]}'",
                    j,
                    "put an operator or a space between them, as in 2 * x",
                )
            if number.group(4):
                follow = text[j:].lstrip()
                word = _WORD.match(follow)
                operand = bool(follow) and (follow[0] in "(." or follow[0].isalnum())
                if operand and not (word and keyword.iskeyword(word.group())):
                    raise ExpressionError(PERCENT_ONLY, i + number.group().index("%"))
            try:
                value = parse_number(number.group())
            except ValueError as exc:
                raise ExpressionError(str(exc), i) from None
            name = f"{PLACEHOLDER}{len(out.literals)}"
            out.literals[name] = value
            glued = i > 0 and (text[i - 1] in "._" or text[i - 1].isalnum())
            out.emit(f" {name}" if glued else name, i, j, True)
            i = j
            continue
        elif ch == "#":  # Python would read the rest as a comment and pay what comes before
            raise ExpressionError(
                "# is not part of the formula language",
                i,
                "a YAML comment goes after the quoted formula: formula: \"a * b\"  # note",
            )
        else:
            out.emit(ch, i, i + 1, False)
            j = i + 1
        i = j
    return out


def compile_expression(
    text: str, *, values: Collection[str], callables: Mapping[str, tuple[int, int]]
) -> Expression:
    """Parse and validate ``text``; raise `ExpressionError` pointing into ``text`` if invalid."""
    if not text.strip():
        raise ExpressionError("the formula is empty", 0)
    if (broken := limits.excess(text)) is not None:
        raise ExpressionError(broken.message, broken.offset, broken.hint)
    scanned = _scan(text)
    source = scanned.text.replace("\r", " ").replace("\n", " ")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        habit = _excel_habit(text)
        if habit is not None:
            raise ExpressionError(f"syntax error: {habit[0]}", habit[2], habit[1]) from None
        col = (exc.offset or 1) - 1
        raise ExpressionError(
            f"syntax error: {exc.msg}", min(scanned.start(col), len(text))
        ) from None
    except (RecursionError, MemoryError):  # Python's parser gave up: too deep for it
        raise ExpressionError("the formula nests too deeply", 0, limits.SIMPLER) from None
    depth, deepest, tree_depth = limits.nesting(tree.body)
    if depth > limits.MAX_NESTING:
        where = deepest.col_offset if isinstance(deepest, ast.expr) else 0
        raise ExpressionError(
            f"the formula nests {depth} levels deep; the limit is {limits.MAX_NESTING}",
            scanned.start(len(source.encode()[:where].decode(errors="ignore"))),
            limits.SIMPLER,
        )
    checker = _Checker(scanned, source, frozenset(values), callables)
    with limits.recursion_room(tree_depth):
        checker.visit(tree.body, text_ok=False)
    calls = sorted(checker.call_nodes, key=lambda node: node.col_offset)
    sites: dict[int, CallSite] = {}
    for index, node in enumerate(calls):
        assert isinstance(node.func, ast.Name)
        texts = tuple(checker.source_of(arg) for arg in node.args)
        sites[id(node)] = CallSite(index, node.func.id, texts)
    return Expression(
        text,
        frozenset(checker.names),
        tuple(sites[id(node)] for node in calls),
        tree=tree,
        literals=scanned.literals,
        sites=sites,
        offset=checker.offset,
        source=checker.source_of,
    )


_BINOPS: dict[type[ast.operator], str] = {
    ast.Mod: PERCENT_ONLY,
    ast.FloorDiv: "// is not allowed",
    ast.MatMult: "@ is not allowed",
    ast.LShift: "<< is not allowed",
    ast.RShift: ">> is not allowed",
    ast.BitAnd: "& is not allowed (write and)",
    ast.BitOr: "| is not allowed (write or)",
    ast.BitXor: "^ is not allowed (write ** for a power)",
}
_OP_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Pow: "**",
    ast.Is: "is", ast.IsNot: "is",
}  # fmt: skip
_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Attribute: "attributes (x.y) are not allowed",
    ast.Subscript: "subscripts (x[...]) are not allowed",
    ast.ListComp: "list comprehensions are not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.DictComp: "dict comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "walrus := is not allowed",
    ast.Dict: "dicts ({...}) are not allowed",
    ast.Set: "sets ({...}) are not allowed",
    ast.List: "lists are only allowed after in, as in grade in ('A', 'B')",
    ast.Tuple: "tuples are only allowed after in, as in grade in ('A', 'B')",
    ast.Starred: "* unpacking is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}
_SIMPLE_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_TEXT_CHOICES: dict[tuple[str, int], Collection[str]] = {
    ("round_to", 2): ROUNDING_MODES,
    ("prorate", 2): PRORATE_BASES,
    ("prorate", 3): PARTIAL_MONTH_RULES,
    ("fx", 1): CURRENCY_MINOR_UNITS,
    ("fx", 2): CURRENCY_MINOR_UNITS,
}


_EXCEL_FUNCTIONS = {
    "ROUND": "write round_to(x, 0.01): it rounds to a step, not to a number of digits",
    "ROUNDUP": "write round_to(x, 0.01, 'up')",
    "ROUNDDOWN": "write truncate_to(x, 0.01)",
    "IF": "write a if condition else b",
    "IFS": "write a if c1 else b if c2 else d",
    "AND": "write a and b",
    "OR": "write a or b",
    "NOT": "write not a",
    "SUM": "write a + b + c",
    "ISBLANK": "write is_missing(x)",
    "MIN": "write min(a, b) in lower case",
    "MAX": "write max(a, b) in lower case",
    "ABS": "write abs(x) in lower case",
    "DATE": "write date('2026-07-01')",
}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EXCEL_OPERATORS = (
    (re.compile(r"^\s*=(?!=)"), "a formula does not start with =", "leave out the ="),
    (re.compile(r"&&"), "'&&' is not an operator", "write and"),
    (re.compile(r"\|\|"), "'||' is not an operator", "write or"),
    (re.compile(r"<>"), "'<>' is not an operator", "write != for 'not equal'"),
    (re.compile(r"(?<![<>=!])=(?!=)"), "a single '=' does not compare", "write == to compare"),
    (
        re.compile(r"\b(AND|OR|NOT)\b"),
        "'{0}' is not an operator",
        "write and, or, not in lower case",
    ),
    (
        re.compile(r"(?:^|[(,=])\s*(if)\s*\(", re.IGNORECASE),
        "'if' is not a function",
        "write a if condition else b",
    ),
)


def _excel_habit(text: str) -> tuple[str, str, int] | None:
    """A spreadsheet habit in a formula that does not parse: message, hint and column."""
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    for pattern, message, hint in _EXCEL_OPERATORS:
        found = pattern.search(masked)
        if found:
            at = found.start(1) if pattern.groups else found.start()
            return message.format(*found.groups()), hint, at
    return None


def _suggest(word: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _arity_text(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' if low != 1 else ''}"
    count = f"{low}" if low == high else f"{low} to {high}"
    return f"{count} argument{'s' if high != 1 else ''}"


class _Checker:
    """Walks the parsed tree, rejecting anything outside the language; collects names and calls."""

    def __init__(
        self,
        scanned: _Scanned,
        source: str,
        values: frozenset[str],
        callables: Mapping[str, tuple[int, int]],
    ) -> None:
        self.scanned = scanned
        self.source = source
        self.values = values
        self.callables = callables
        self.names: set[str] = set()
        self.call_nodes: list[ast.Call] = []

    # --- positions -------------------------------------------------------------------------
    def _char(self, byte_col: int) -> int:
        if self.source.isascii():
            return byte_col  # one byte per character
        return len(self.source.encode()[:byte_col].decode(errors="ignore"))

    def offset(self, node: ast.expr) -> int:
        return self.scanned.start(self._char(node.col_offset))

    def source_of(self, node: ast.expr) -> str:
        start = self.offset(node)
        end = self.scanned.end(self._char(node.end_col_offset or node.col_offset))
        return self.scanned.original[start:end].strip()

    def fail(self, message: str, node: ast.expr, hint: str = "") -> ExpressionError:
        return ExpressionError(message, self.offset(node), hint)

    def fail_op(
        self, message: str, op: ast.AST, left: ast.expr, right: ast.expr
    ) -> ExpressionError:
        lo, hi = self._char(left.end_col_offset or 0), self._char(right.col_offset)
        symbol = _OP_SYMBOLS.get(type(op), "")
        found = self.source.find(symbol, lo, hi) if symbol else -1
        return ExpressionError(message, self.scanned.start(found if found >= 0 else lo))

    # --- the walk --------------------------------------------------------------------------
    def visit(self, node: ast.expr, *, text_ok: bool) -> None:
        if isinstance(node, ast.Constant):
            self._constant(node, text_ok)
        elif isinstance(node, ast.Name):
            self._name(node)
        elif isinstance(node, ast.BinOp):
            self._binop(node)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                raise self.fail("~ is not allowed", node)
            self.visit(node.operand, text_ok=False)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.visit(value, text_ok=False)
        elif isinstance(node, ast.Compare):
            self._compare(node)
        elif isinstance(node, ast.IfExp):
            self.visit(node.test, text_ok=False)
            for branch, part in (("if", node.body), ("else", node.orelse)):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    raise self.fail(
                        f"the {branch} branch is text ('{part.value}'); a formula's value is a "
                        "number, a date or true/false",
                        part,
                        "give both branches the same kind of value; " + TEXT_ONLY_IN_COMPARISONS,
                    )
                self.visit(part, text_ok=False)
        elif isinstance(node, ast.Call):
            self._call(node)
        else:
            message = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed")
            raise self.fail(message, node)

    def _constant(self, node: ast.Constant, text_ok: bool) -> None:
        if isinstance(node.value, bool):
            return
        if isinstance(node.value, str):
            if not text_ok:
                raise self.fail(TEXT_ONLY_IN_COMPARISONS, node)
            return
        if node.value is None:
            raise self.fail("None is not allowed", node, "test a missing input with is_missing(x)")
        raise self.fail(f"the constant {node.value!r} is not allowed", node)

    def _name(self, node: ast.Name) -> None:
        if node.id in self.scanned.literals:
            return
        if node.id in self.values:
            self.names.add(node.id)
            return
        if node.id in BUILTINS or node.id in self.callables:
            name = shorten(node.id)
            raise self.fail(f"'{name}' is a function; call it as {name}(...)", node)
        known = self.values | set(self.callables) | set(BUILTINS)
        hint = _suggest(node.id, known)
        if node.id.casefold() in ("true", "false"):  # the language spells them True, False
            hint = f"write {node.id.capitalize()}"
        raise self.fail(f"unknown name '{shorten(node.id)}'", node, hint)

    def _binop(self, node: ast.BinOp) -> None:
        if type(node.op) in _BINOPS:
            raise self.fail_op(_BINOPS[type(node.op)], node.op, node.left, node.right)
        self.visit(node.left, text_ok=False)
        if isinstance(node.op, ast.Pow):
            right = node.right
            exponent = self.scanned.literals.get(right.id) if isinstance(right, ast.Name) else None
            if (
                exponent is None
                or exponent != exponent.to_integral_value()
                or not (0 <= exponent <= 4)
            ):
                raise self.fail_op(POWER_RULE, node.op, node.left, node.right)
            return
        self.visit(node.right, text_ok=False)

    def _compare(self, node: ast.Compare) -> None:
        self.visit(node.left, text_ok=True)
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                self._literal_sequence(right)
            elif isinstance(op, _SIMPLE_COMPARE):
                self.visit(right, text_ok=True)
            else:
                raise self.fail_op(
                    "'is' is not allowed; compare with == or test is_missing(x)", op, left, right
                )
            left = right

    def _literal_sequence(self, node: ast.expr) -> None:
        if not isinstance(node, (ast.Tuple, ast.List)):
            raise self.fail("in needs a list of constants, as in grade in ('A', 'B')", node)
        for element in node.elts:
            literal = isinstance(element, ast.Name) and element.id in self.scanned.literals
            if not literal and not (
                isinstance(element, ast.Constant) and isinstance(element.value, (str, bool))
            ):
                raise self.fail("after in, list only constants (numbers or quoted text)", element)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(
                _FORBIDDEN.get(type(func), "only named functions can be called, as in min(a, b)"),
                func,
            )
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node, f"write {func.id}(a, b)")
        fn = func.id
        spec = BUILTINS.get(fn)
        if spec is not None:
            low, high, text_positions = spec.min_arity, spec.max_arity, spec.text_positions
        elif fn in self.callables:
            low, high = self.callables[fn]
            # a table key may be a label: salary_range_min(grade, 'US')
            text_positions = frozenset(range(high if high is not None else low))
        elif fn in self.values:
            raise self.fail(f"'{shorten(fn)}' is a value, not a function", func)
        elif fn.upper() in _EXCEL_FUNCTIONS:
            raise self.fail(f"unknown function '{fn}'", func, _EXCEL_FUNCTIONS[fn.upper()])
        else:
            known = set(self.callables) | set(BUILTINS)
            raise self.fail(f"unknown function '{shorten(fn)}'", func, _suggest(fn, known))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(_FORBIDDEN[ast.Starred], arg)
        count = len(node.args)
        if count < low or (high is not None and count > high):
            raise self.fail(f"{fn} takes {_arity_text(low, high)}, got {count}", func)
        for position, arg in enumerate(node.args):
            is_text = position in text_positions
            value = arg.value if isinstance(arg, ast.Constant) else None
            quoted = value.strip() if isinstance(value, str) else ""
            if not is_text and _NUMBER.fullmatch(quoted):
                raise self.fail(
                    f"{fn}: argument {position + 1} must be a number, not text",
                    arg,
                    f"write {quoted} without quotes",
                )
            self.visit(arg, text_ok=is_text)
            if is_text and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._check_text(fn, position, arg)
        if fn == "prorate":
            self.names.update(("period_start", "period_end"))
        if spec is None or spec.impl is None:  # user callables and engine-supplied ones
            self.call_nodes.append(node)

    def _check_text(self, fn: str, position: int, arg: ast.Constant) -> None:
        text = str(arg.value)
        if fn == "date":
            try:
                parse_date(text)
            except ValueError as exc:
                raise self.fail(str(exc), arg) from None
            return
        choices = _TEXT_CHOICES.get((fn, position))
        if choices is not None and text not in choices:
            upper = f"did you mean '{text.upper()}'?" if text.upper() in choices else ""
            hint = upper or _suggest(text, choices) or "choose one of " + ", ".join(sorted(choices))
            raise self.fail(f"{fn}: '{shorten(text)}' is not one of the accepted values", arg, hint)
