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
import operator
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


def _expression(field: FieldDef, slot: int, r: str = "r") -> str:
    """Python for one cell (the variable ``r``) → value, or a call raising NotPlain / a
    parsing error."""
    kind = field.type
    if kind == "text":
        return f"{r} or None"
    # an exponent or a very long number goes to the field's converter, which checks its size
    plain = f"len({r}) < 41 and 'e' not in {r} and 'E' not in {r} and {r}.isascii()"
    if kind == "decimal":
        return f"(DEC({r}) if {r}[-1] in ENDS and {plain} else BAD()) if {r} else None"
    if kind == "percent":
        return (
            f"((DEC({r}[:-1]).scaleb(-2) if {r}[:-1] and {r}[-2] in ENDS else BAD()) "
            f"if {r}[-1] == '%' else DEC({r}) if {r}[-1] in ENDS else BAD()) "
            f"if {r} and {plain} else BAD() if {r} else None"
        )
    if kind == "integer":
        return f"(int({r}) if {r}.isdigit() and {r}.isascii() else BAD()) if {r} else None"
    if kind == "date":
        return (
            f"(ISO({r}) if len({r}) == 10 and {r}[4] == '-' and {r}[7] == '-' and {r}.isascii() "
            f"else BAD()) if {r} else None"
        )
    if kind == "boolean":
        return f"BOOL[{r}.lower()] if {r} else None"
    return f"C{slot}({r}) if {r} else None"  # a rating scale: its converter


def fast_converter(
    fields: Sequence[FieldDef],
    wanted: Collection[str] | None = None,
    *,
    into: bool = False,
    layout: Collection[str] | None = None,
) -> Callable[..., list[Any]]:
    """``convert(cells)`` → values in ``fields`` order (None where a cell is empty or the field
    is not ``wanted``); raises one of `FALL_BACK` when a cell needs its field's own converter.
    With ``into``, ``convert(cells, out)`` sets the ``wanted`` values in ``out`` (the values of
    a row some of whose fields are converted already) and returns it.

    ``layout``: the columns a roster's rows have (a row's cells): the cells of those columns
    are read at once (one ``itemgetter``), the others one by one (None where missing), and a
    row that lacks one of the layout's columns is read cell by cell. Without, one by one."""
    chosen = [
        (i, field) for i, field in enumerate(fields) if wanted is None or field.name in wanted
    ]
    namespace: dict[str, Any] = {
        "DEC": Decimal,
        "ENDS": _NUMBER_ENDS,
        "BAD": _not_plain,
        "ISO": datetime.date.fromisoformat,
        "BOOL": _BOOLEANS,
    }
    lines = ["def convert(cells, out):" if into else "def convert(cells):"]
    at_once = [(slot, f) for slot, f in chosen if layout is not None and f.name in layout]
    if len(at_once) > 1:
        namespace["PICK"] = operator.itemgetter(*(f.name for _, f in at_once))
        lines += [
            "    try:",
            f"        {', '.join(f'r{slot}' for slot, _ in at_once)} = PICK(cells)",
            "    except KeyError:  # a row without a column the others have",
            "        g = cells.get",
            *(f"        r{slot} = g({f.name!r})" for slot, f in at_once),
        ]
    else:
        at_once = []
    one_by_one = [(slot, f) for slot, f in chosen if (slot, f) not in at_once]
    if one_by_one:
        lines.append("    g = cells.get")
        lines += [f"    r{slot} = g({f.name!r})" for slot, f in one_by_one]
    for slot, field in chosen:
        namespace[f"C{slot}"] = field.convert
        expression = _expression(field, slot, f"r{slot}")
        if field.type in ("text", "boolean"):
            lines.append(f"    v{slot} = {expression}")
            continue
        namespace[f"M{slot}"] = {}  # this field's remembered cells: text → value
        lines += [
            f"    v{slot} = M{slot}.get(r{slot})",
            f"    if v{slot} is None:",
            f"        v{slot} = {expression}",
            f"        if v{slot} is not None and len(r{slot}) <= {MEMO_CHARS} and len(M{slot}) < {MEMO_SIZE}:",
            f"            M{slot}[r{slot}] = v{slot}",
        ]
    if into:
        lines += [f"    out[{slot}] = v{slot}" for slot, _ in chosen]
    else:
        taken = {slot for slot, _ in chosen}
        listed = ", ".join(f"v{i}" if i in taken else "None" for i in range(len(fields)))
        lines.append(f"    out = [{listed}]")
    lines.append("    return out")
    # generated from the rulebook's field declarations (names are identifiers), not user text;
    # named by its source's hash and given to linecache, so a traceback quotes its lines
    source = "\n".join(lines) + "\n"
    filename = f"<convert {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    convert: Callable[..., list[Any]] = namespace["convert"]
    return convert
