"""Roster cells to typed values, quickly: one generated function per set of fields.

Converting a dozen cells per employee through a converter function each is a visible part of a
run. The generated function converts plain text of each declared type inline (`Decimal(text)`,
`int(text)`, an ISO date…) and raises at the first cell it is not sure of; the caller then
converts that row again with the fields' own converters, which accept or reject each value with
its message. So the fast path never decides anything the converters would decide differently:
it only handles what is unambiguous. It is used for cells that are all text (a roster read by
`incentives.io`); typed cells from a notebook go through the converters.

Each field but text and booleans (already a look-up) remembers its converted cells in a bounded
dictionary, as the converters do (`memoised`): a roster repeats its levels, dates and ratings,
and a repeated cell then costs one look-up. Only what the fast path accepted is remembered.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

from incentives.errors import IncentivesError
from incentives.rulebook.language.fields import MEMO_CHARS, MEMO_SIZE, FieldDef
from incentives.rulebook.runtime.policy import show_in_tracebacks

__all__ = ["FALL_BACK", "NotPlain", "fast_converter"]

# a finite number written plainly ends with a digit or a point ("NaN", "Infinity" do not)
_NUMBER_ENDS = frozenset("0123456789.")
_BOOLEANS = {"true": True, "yes": True, "y": True, "1": True}
_BOOLEANS.update({"false": False, "no": False, "n": False, "0": False})


class NotPlain(IncentivesError, ValueError):
    """A cell the fast path leaves to the field's own converter."""


def _not_plain() -> Any:
    raise NotPlain


FALL_BACK = (ValueError, ArithmeticError, KeyError, TypeError, AttributeError, IndexError)


def _expression(field: FieldDef, slot: int) -> str:
    """Python for one cell ``r`` → value, or a call raising NotPlain / a parsing error."""
    kind = field.type
    if kind == "text":
        return "r or None"
    # an exponent or a very long number goes to the field's converter, which checks its size
    plain = "len(r) < 41 and 'e' not in r and 'E' not in r and r.isascii()"
    if kind == "decimal":
        return f"(DEC(r) if r[-1] in ENDS and {plain} else BAD()) if r else None"
    if kind == "percent":
        return (
            "((DEC(r[:-1]).scaleb(-2) if r[:-1] and r[-2] in ENDS else BAD()) if r[-1] == '%' "
            f"else DEC(r) if r[-1] in ENDS else BAD()) if r and {plain} else BAD() if r else None"
        )
    if kind == "integer":
        return "(int(r) if r.isdigit() and r.isascii() else BAD()) if r else None"
    if kind == "date":
        return (
            "(ISO(r) if len(r) == 10 and r[4] == '-' and r[7] == '-' and r.isascii() else BAD())"
            " if r else None"
        )
    if kind == "boolean":
        return "BOOL[r.lower()] if r else None"
    return f"C{slot}(r) if r else None"  # a rating scale: its converter


def fast_converter(
    fields: Sequence[FieldDef], wanted: Collection[str] | None = None, *, into: bool = False
) -> Callable[..., list[Any]]:
    """``convert(cells)`` → values in ``fields`` order (None where a cell is empty or the field
    is not ``wanted``); raises one of `FALL_BACK` when a cell needs its field's own converter.
    With ``into``, ``convert(cells, out)`` sets the ``wanted`` values in ``out`` (the values of
    a row some of whose fields are converted already) and returns it."""
    if into:
        lines = ["def convert(cells, out):", "    g = cells.get"]
    else:
        lines = ["def convert(cells):", "    g = cells.get", f"    out = [None] * {len(fields)}"]
    namespace: dict[str, Any] = {
        "DEC": Decimal,
        "ENDS": _NUMBER_ENDS,
        "BAD": _not_plain,
        "ISO": datetime.date.fromisoformat,
        "BOOL": _BOOLEANS,
    }
    for slot, field in enumerate(fields):
        if wanted is not None and field.name not in wanted:
            continue
        namespace[f"C{slot}"] = field.convert
        lines.append(f"    r = g({field.name!r})")
        if field.type in ("text", "boolean"):
            lines.append(f"    out[{slot}] = {_expression(field, slot)}")
            continue
        namespace[f"M{slot}"] = {}  # this field's remembered cells: text → value
        lines += [
            f"    v = M{slot}.get(r)",
            "    if v is None:",
            f"        v = {_expression(field, slot)}",
            f"        if v is not None and len(r) <= {MEMO_CHARS} and len(M{slot}) < {MEMO_SIZE}:",
            f"            M{slot}[r] = v",
            f"    out[{slot}] = v",
        ]
    lines.append("    return out")
    # generated from the rulebook's field declarations (names are identifiers), not user text;
    # named by its source's hash and given to linecache, so a traceback quotes its lines
    source = "\n".join(lines) + "\n"
    filename = f"<convert {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    convert: Callable[..., list[Any]] = namespace["convert"]
    return convert
