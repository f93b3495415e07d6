"""CSV lines built whole: quoting, and a line formatter generated per layout.

A run writes a few cells for each of a million employees: going through `csv.writer` (a list
per row, every cell scanned for quotes) and a type-dispatched formatter per cell costs about as
much as computing the pay. Here each file's layout is compiled once into one f-string: fixed
cells are folded into the literal text, numbers, dates and booleans are written as formatted
(their text never holds a comma, a quote or a line break), and only cells that can hold text
are checked for quoting. The bytes are those of `csv.writer` (minimal quoting, ``\\n`` line
ends), except that a cell holding any line-break character is quoted too (see `quote`).
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from incentives.rulebook.runtime.policy import show_in_tracebacks

__all__ = ["LineCell", "Memo", "csv_line", "line_function", "pair_function", "quote"]

# Characters that end a line for some reader (str.splitlines, spreadsheets), a comma and a quote:
# a cell holding one is quoted so its row stays one row of the same cells.
_NEEDS_QUOTES = re.compile('[,"\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')
_SPECIAL = re.compile('["\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')  # all but the comma


def quote(cell: str) -> str:
    """``cell`` as CSV text: in double quotes (inner quotes doubled) when it holds a comma, a
    quote or a line-break character, else as it is."""
    if cell.isalnum() or not _NEEDS_QUOTES.search(cell):  # isalnum: the usual id, code, label
        return cell
    return '"' + cell.replace('"', '""') + '"'


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line (with its ``\\n``) of cell texts; the bytes `csv.writer` writes for them
    when no cell holds a line break other than ``\\n``."""
    line = ",".join(cells)
    if line.count(",") != len(cells) - 1 or _SPECIAL.search(line):
        return ",".join([quote(cell) for cell in cells]) + "\n"
    if not line and cells:  # one empty cell: quoted, or the line would read as no cell
        return '""\n'
    return line + "\n"


class Memo(dict[Hashable, str]):
    """The text of values that repeat (a level, a currency, a label, a date), computed once.

    ``memo[value]`` is ``format(value)``; at most ``size`` values are kept, so a column whose
    values never repeat (an id) costs one computation per value and bounded memory. Use one memo
    per column and per kind of value: ``1``, ``True`` and ``Decimal(1)`` are one dict key. For
    keys whose hash is cheap or kept (text, dates), not computed decimals: hashing a new
    ``Decimal`` costs more than writing it, and ``1.0`` and ``1.00`` are one key.
    """

    __slots__ = ("_format", "_size")

    def __init__(self, format: Callable[[Any], str], size: int = 4096) -> None:
        super().__init__()
        self._format = format
        self._size = size

    def __missing__(self, value: Hashable) -> str:
        text = self._format(value)
        if len(self) < self._size:
            self[value] = text
        return text


@dataclass(frozen=True, slots=True)
class LineCell:
    """One column of a generated line: ``expression`` is the Python expression of its text.

    ``quote``: the text may hold a comma, a quote or a line break (text from inputs, labels,
    match descriptions) and is quoted when it does; False for text known to be safe (numbers,
    dates, booleans, and expressions that quote themselves). A constant (a Python string
    literal) is folded into the line. ``width``: how many columns the expression fills (joined
    with commas, already quoted), for a group of columns made together (a scorecard's goals).
    """

    column: str
    expression: str
    quote: bool = False
    width: int = 1


def line_function(
    name: str,
    parameters: str,
    cells: Sequence[LineCell],
    namespace: dict[str, Any],
    prologue: str = "",
) -> Callable[..., str]:
    """Compile ``def line(<parameters>)`` returning one CSV line (with its ``\\n``) of
    ``cells``; the expressions' names come from ``namespace`` (plus ``Q``, `quote`), or from
    ``prologue``, one statement run first (``a, b = t``: a name is faster than ``t[0]``)."""
    lines = [f"def line({parameters}):"]
    lines += [f"    # {i}: {_comment(cell.column)}" for i, cell in enumerate(cells)]
    if prologue:
        lines.append(f"    {prologue}")
    lines.append("    return " + _line_expression(cells) + "\n")
    return _compiled(name, "\n".join(lines), namespace)


def pair_function(
    name: str,
    parameters: str,
    first: Sequence[LineCell],
    second: Sequence[LineCell],
    namespace: dict[str, Any],
    prologue: str = "",
) -> Callable[..., tuple[str, str]]:
    """Compile ``def line(<parameters>)`` returning two CSV lines, of ``first`` and of
    ``second`` (as `line_function` makes each), after one ``prologue``: the cells of both
    lines share its names (and a name one of ``first``'s cells assigns)."""
    lines = [f"def line({parameters}):"]
    lines += [f"    # {i}: {_comment(cell.column)}" for i, cell in enumerate(first)]
    lines += [f"    # {i}: {_comment(cell.column)}" for i, cell in enumerate(second)]
    if prologue:
        lines.append(f"    {prologue}")
    lines.append("    first = " + _line_expression(first))
    lines.append("    return first, " + _line_expression(second) + "\n")
    return _compiled(name, "\n".join(lines), namespace)  # type: ignore[return-value]


def _line_expression(cells: Sequence[LineCell]) -> str:
    """The expression of one line of ``cells``: literals and f-string fields, concatenated by
    the parser."""
    pieces: list[str] = []
    literal = ""  # fixed text waiting for the next field
    for position, cell in enumerate(cells):
        if position:
            literal += ","
        constant = _constant(cell.expression)
        if constant is not None:
            literal += quote(constant) if cell.quote else constant
            continue
        if literal:
            pieces.append(repr(literal))
            literal = ""
        field = f"Q({cell.expression})" if cell.quote else cell.expression
        pieces.append(f'f"""{{({field})}}"""')
    pieces.append(repr(literal + "\n"))
    return "(\n        " + "\n        ".join(pieces) + "\n    )"


def _compiled(name: str, source: str, namespace: dict[str, Any]) -> Callable[..., str]:
    scope: dict[str, Any] = {"Q": quote, **namespace}
    # generated from a layout's own column expressions, never from user text; named by its
    # source's hash and given to linecache, so a traceback into it quotes its lines
    filename = f"<line {name} {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), scope)
    function: Callable[..., str] = scope["line"]
    function.source = source  # type: ignore[attr-defined]  # for a reader debugging a layout
    return function


def _constant(expression: str) -> str | None:
    """The value of an expression that is a string literal (``''``, ``'true'``, a repr)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node.value if isinstance(node, ast.Constant) and type(node.value) is str else None


def _comment(column: str) -> str:
    return column.encode("unicode_escape").decode("ascii")
