"""The breakdown cells of calls and scorecards (a call's value and match recur by identity).

A table, curve, tier or rate call records ``(args, (value, detail))``: the value is the table's
own cell object and the detail often the very tuple the table keeps, so the same objects come
back employee after employee. Their text is remembered by the object's identity: an entry holds
the object itself, so its ``id`` cannot be reused by another object while the entry lives, and a
hit is checked with ``is``. A cache that fills up is dropped for good: that slot's values do
not recur (at most `_KEPT` of them are stored, and kept alive, before that).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from typing import Any

from incentives.io.cells import exact_text, match_text, text_cell
from incentives.io.csv_lines import LineCell, Memo, quote
from incentives.rulebook.runtime.policy import CompiledPolicy, Slot, show_in_tracebacks
from incentives.rulebook.runtime.ratings import RATING_FUNCTIONS
from incentives.rulebook.runtime.table_lookup import Table

__all__ = [
    "CALL_KINDS",
    "call_cells",
    "call_expression",
    "call_kind",
    "call_line_cells",
    "call_line_names",
    "converted_value_expression",
    "goal_cells",
    "goal_cells_of",
    "goals_line_cells",
]

_KEPT = 4096


def call_cells(
    namespace: dict[str, Any],
    part: str = "both",
    kept: int = _KEPT,
    pairs: dict[int, tuple[object, str]] | None = None,
) -> Callable[[Any], str]:
    """One call slot's cells (``part``: "both" gives ``value,match``, two columns; "value" or
    "match" one of them), from `cell_namespace`'s formatters; empty where the call was not
    made or gave nothing. Make one per slot: a slot whose values or pairs do not recur (a
    curve's interpolated output, a matrix's fresh ``(row, column)`` detail) fills its cache
    and stops looking there. ``pairs``: the cache of "both" (``id(result): (result, text)``,
    emptied for good when it fills), given to look a result up in it inline
    (`call_expression`)."""
    formats = namespace["F"]
    texts: dict[int, tuple[object, str]] = {}  # by id of the value
    if pairs is None:
        pairs = {}  # by id of the (value, detail) pair
    # what a call matched repeats (a table row, a rate): once per equal detail, as one slot's
    # details have one shape (a table's row indices, a curve's segment, a rating's label)
    matched: dict[Any, str] = {}
    seen = texts.get
    paired = pairs.get
    values_recur = pairs_recur = True

    def value_text(value: object) -> str:
        nonlocal values_recur
        if values_recur:
            entry = seen(id(value))
            if entry is not None and entry[0] is value:
                return entry[1]
        text: str = formats[type(value)](value)
        if values_recur:
            if len(texts) < kept:
                texts[id(value)] = (value, text)
            else:
                values_recur = False
                texts.clear()
        return text

    def match(detail: object) -> str:
        try:
            return matched[detail]
        except (KeyError, TypeError):
            text = quote(match_text(detail, None))
        if len(matched) < kept:
            with contextlib.suppress(TypeError):  # an unhashable detail is not cached
                matched[detail] = text
        return text

    def both(call: Any) -> str:
        nonlocal pairs_recur
        if call is None or call[1] is None:
            return ","
        result = call[1]
        if pairs_recur:
            entry = paired(id(result))
            if entry is not None and entry[0] is result:
                return entry[1]
        text = value_text(result[0]) + "," + match(result[1])
        if pairs_recur:
            if len(pairs) < kept:
                pairs[id(result)] = (result, text)
            else:
                pairs_recur = False
                pairs.clear()
        return text

    def value_only(call: Any) -> str:
        return "" if call is None or call[1] is None else value_text(call[1][0])

    def match_only(call: Any) -> str:
        return "" if call is None or call[1] is None else match(call[1][1])

    return {"both": both, "value": value_only, "match": match_only}[part]


def call_expression(ref: str, cells: str, pairs: str) -> str:
    """The "both" cells of a call slot's value ``ref``: ``,`` when the call was not made or
    gave nothing, else its text looked up inline in ``pairs`` (the name of that cache's
    ``get``, see `call_cells`) when the call's result is one seen before, no Python call on a
    hit; else through ``cells`` (the slot's `call_cells`)."""
    return (
        f"(',' if (_c := {ref}) is None or (_p := _c[1]) is None"
        f" else _e[1] if (_e := {pairs}(id(_p))) is not None and _e[0] is _p else {cells}(_c))"
    )


CALL_KINDS = ("pairs", "parts", "others", "converted", "fixed")


def call_line_cells(columns: list[str], ref: str, index: int, kind: str) -> list[LineCell]:
    """The value and match cells (``columns``, side by side) of call slot ``index``, whose
    trace value is ``ref`` (``(args, (value, detail))``; both cells empty when it is None or
    gives None), written inline with `call_line_names`' names, by the slot's ``kind`` (any
    kind writes ``call_cells``' text for every value: tests/test_call_cells.py; the kind only
    says which objects recur, so which lookups pay):

    - ``pairs``: the call's result recurs (an exact table's own tuple: ``FOUND_<table>``):
      both cells found by its identity at once (`call_expression`);
    - ``parts``: the value recurs, not the pair, and the detail is equal to an earlier one,
      a new object (a band table's cell and a fresh ``(row, column)``; a rating and its label
      read per employee): the value found by its identity, the match by the detail's value
      (``MATCHED<i>``: details whose type is always hashable), else through ``MATCH<i>``;
    - ``others`` (any other call: a curve, a tier): the value and the match found by the
      identity of the value and of the detail, else through ``VALUE<i>``, ``MATCH<i>``;
    - ``converted``: an fx conversion of an amount computed per employee: the value is new,
      written inline as `decimal_cell` writes it (`converted_value_expression`); the match
      found by the detail's identity (`fx_function` builds one per rate);
    - ``fixed``: an fx conversion of a constant (a literal, a parameter): one amount at one
      rate is one value (the amount times the rate, `fx_function`), so both cells are found
      by the detail's identity once its amount is seen to be the same object.
    """
    made = f"(_c := {ref}) is None or (_p := _c[1]) is None"
    if kind == "pairs":
        cell = call_expression(ref, f"CALL{index}", f"SEEN{index}")
        return [LineCell(columns[0], cell, width=2)]
    if kind == "parts":
        match = f"_m if (_m := MATCHED{index}(_d := _p[1])) is not None else MATCH{index}(_d)"
    else:
        match = (
            f"_m[1] if (_m := MATCHES{index}(id(_d := _p[1]))) is not None and _m[0] is _d"
            f" else MATCH{index}(_d)"
        )
    if kind == "fixed":
        both = (
            f"_m[2] if (_m := CONVERTED{index}(id(_d := _p[1]))) is not None and _m[0] is _d"
            f" and _m[1] is _c[0][0] else CONVERT{index}(_c)"
        )
        return [LineCell(columns[0], f"(',' if {made} else {both})", width=2)]
    if kind == "converted":
        value = (
            f"{converted_value_expression('_x')} if type(_x := _p[0]) is D else F[type(_x)](_x)"
        )
    else:
        value = (
            f"_v[1] if (_v := VALUES{index}(id(_x := _p[0]))) is not None and _v[0] is _x"
            f" else VALUE{index}(_x)"
        )
    # the value's cell leaves ``_p`` holding the call's result (None: not made, or nothing
    # found) for the match's, the next field of the line
    found = f"(_p := None if (_c := {ref}) is None else _c[1]) is None"
    return [
        LineCell(columns[0], f"('' if {found} else {value})"),
        LineCell(columns[1], f"('' if _p is None else {match})"),
    ]


def call_kind(policy: CompiledPolicy, slot: Slot) -> str:
    """Which objects of a call slot's results recur (`call_line_cells`' kinds), from what it
    calls: an fx conversion of a literal or a parameter is ``fixed``, of anything else
    ``converted``; an exact table answering from its lookups worked out once (``found``)
    gives its own pairs, any other table and a rating function fresh pairs of recurring
    values and equal details; anything else is ``others``. It chooses the fastest lookups
    only: every kind writes the same text."""
    if slot.callee == "fx":
        amount = slot.arg_texts[0] if slot.arg_texts else ""
        constant = amount in policy.spec.parameters or _NUMBER.fullmatch(amount) is not None
        return "fixed" if constant else "converted"
    lookup = policy.lookups.get(slot.callee)
    if isinstance(lookup, Table):  # details: tuples of row numbers (or None, or a segment)
        return "pairs" if lookup.found else "parts"
    return "parts" if slot.callee in RATING_FUNCTIONS else "others"  # a rating's label


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def converted_value_expression(ref: str) -> str:
    """`decimal_cell` of the Decimal ``ref`` (names from `cell_namespace`), for a converted
    amount (``2453.560500``, ``44900``: nearly always at most the breakdown's decimals), from
    its `str` when that has no exponent, with as few calls as can be (each costs about what
    the `str` does): a whole number as it is when short (``SHORT``; not ``-0``); a point
    among the last ``PD`` characters (at most the breakdown's decimals: the value rounded at
    them is itself) stripped of trailing zeros, then of the point (``-0`` is ``0``); anything
    else (a long quotient) rounded inline as ``DEC`` rounds it (as `goal_cells` rounds an
    attainment), else through ``DEC``."""
    return (
        f"(_s if '.' not in (_s := str({ref})) and len(_s) <= SHORT and 'E' not in _s"
        " and _s != '-0'"
        " else (_t if (_t := _s.rstrip('0'))[-1] != '.' else _t[:-1] if _t != '-0.' else '0')"
        " if '.' in _s[PD:] and 'E' not in _s"
        f" else _t if (_r := str(QR({ref}, QP)))[PD:PN] == '.'"
        " and (_t := _r.rstrip('0').rstrip('.')) != '-0'"
        f" else DEC({ref}))"
    )


def call_line_names(
    namespace: dict[str, Any], index: int, kind: str, kept: int = _KEPT
) -> dict[str, Callable[[Any], Any]]:
    """The names of `call_line_cells`' expressions for call slot ``index`` of ``kind`` (its
    own caches), from `cell_namespace`'s formatters: texts by the id of the object they are
    of (``SEEN<i>``, ``VALUES<i>``, ``MATCHES<i>``, ``CONVERTED<i>``: the ``get`` of dicts
    holding the object itself, so an ``is`` check proves a hit) or by an equal detail
    (``MATCHED<i>``, as `call_cells` finds a match), made on a miss by ``CALL<i>``
    (`call_cells`), ``VALUE<i>``, ``MATCH<i>``, ``CONVERT<i>``, which keep at most ``kept``
    objects each (a slot whose objects are new each time stops adding them; those kept stay
    valid as long as the slot)."""
    if kind == "pairs":
        pairs: dict[int, tuple[object, str]] = {}
        return {
            f"CALL{index}": call_cells(namespace, pairs=pairs, kept=kept),
            f"SEEN{index}": pairs.get,
        }
    formats = namespace["F"]
    values: dict[int, tuple[object, str]] = {}
    details: dict[int, tuple[object, str]] = {}
    converted: dict[int, tuple[object, object, str]] = {}
    matched: dict[Any, str] = {}  # equal details (a band's fresh (row, column)): one text

    def value(value: object) -> str:
        text: str = formats[type(value)](value)
        if len(values) < kept:
            values[id(value)] = (value, text)
        return text

    def match(detail: object) -> str:
        try:
            text = matched[detail]
        except (KeyError, TypeError):
            text = quote(match_text(detail, None))
            if len(matched) < kept:
                with contextlib.suppress(TypeError):  # an unhashable detail is not cached
                    matched[detail] = text
        if len(details) < kept:
            details[id(detail)] = (detail, text)
        return text

    def convert(call: Any) -> str:
        (amount, *_), (result, detail) = call
        text: str = formats[type(result)](result) + "," + match(detail)
        if len(converted) < kept:
            converted[id(detail)] = (detail, amount, text)
        return text

    return {
        f"VALUES{index}": values.get,
        f"VALUE{index}": value,
        f"MATCHED{index}": matched.get,
        f"MATCHES{index}": details.get,
        f"MATCH{index}": match,
        f"CONVERTED{index}": converted.get,
        f"CONVERT{index}": convert,
    }


def goal_cells(namespace: dict[str, Any]) -> Callable[[Any, int], str]:
    """The cells of a scorecard's goals as one text of ``width`` comma-separated cells (eight
    per goal, the goals an employee does not have empty). The figures are written as read
    (`exact_text`, inline: a short decimal's `str` costs less than finding it by identity);
    attainment and payout, computed, at the breakdown's decimals: long quotients, nearly always,
    rounded inline as ``DEC`` (`rounded_decimal_cell`) rounds them: quantized without traps,
    stripped of trailing zeros when the point stands before exactly the breakdown's decimals
    (no exponent, no NaN, not 0 places) and the text is not ``-0``; else through ``DEC``."""
    rounded = namespace["DEC"]
    quantized, quantum, dot, end = (namespace[n] for n in ("QR", "QP", "PD", "PN"))
    names = Memo(text_cell)

    def goals(value: Any, width: int) -> str:
        if not value:
            return "," * (width - 1)
        texts = []
        for name, direction, target, actual, weight, att, payout, segment in value:
            attained = (
                _t
                if (_r := str(quantized(att, quantum)))[dot:end] == "."
                and (_t := _r.rstrip("0").rstrip(".")) != "-0"
                else rounded(att)
            )
            paid = (
                _t
                if (_r := str(quantized(payout, quantum)))[dot:end] == "."
                and (_t := _r.rstrip("0").rstrip(".")) != "-0"
                else rounded(payout)
            )
            texts.append(
                f"{names[name]},{direction},"
                f"{_s if 'E' not in (_s := str(target)) else exact_text(target)},"
                f"{_s if 'E' not in (_s := str(actual)) else exact_text(actual)},"
                f"{_s if 'E' not in (_s := str(weight)) else exact_text(weight)},"
                f"{attained},{paid},"
                f"{segment if type(segment) is int else quote(str(segment))}"
            )
        return ",".join(texts) + "," * (width - 8 * len(value))

    return goals


def goal_cells_of(namespace: dict[str, Any], width: int) -> Callable[[Any], str]:
    """`goal_cells` for one scorecard's ``width`` columns, as code written out for them: one
    block per goal position (no loop, no list, no join), the figures, attainment and payout
    written by `goal_cells`'s own expressions (their names from ``namespace``, the point's
    place a literal), the empty goals' commas a constant. Equal to ``goal_cells(namespace)``
    at ``width`` for every value (tests/test_csv_lines.py); more goals than the columns hold
    go to it."""
    goals = width // 8
    general = goal_cells(namespace)
    dot, end = namespace["PD"], namespace["PN"]
    lines = [
        "def goals(value):",
        f"    # a scorecard's {goals} goals in {width} cells: trace_cells.goal_cells written out",
        f"    if not value: return {',' * (width - 1)!r}",
        "    n = len(value)",
        f"    if n > {goals}: return GENERAL(value, {width})",
    ]
    for k in range(1, goals + 1):
        figures = ",".join(
            f"{{_s if 'E' not in (_s := str({f})) else EXACT({f})}}"
            for f in ("target", "actual", "weight")
        )
        joined = ",".join(f"{{c{j}}}" for j in range(1, k + 1))
        lines += [
            f"    name, direction, target, actual, weight, att, payout, segment = value[{k - 1}]",
            f"    attained = _t if (_r := str(QR(att, QP)))[{dot}:{end}] == '.'"
            " and (_t := _r.rstrip('0').rstrip('.')) != '-0' else DEC(att)",
            f"    paid = _t if (_r := str(QR(payout, QP)))[{dot}:{end}] == '.'"
            " and (_t := _r.rstrip('0').rstrip('.')) != '-0' else DEC(payout)",
            f"    c{k} = f\"{{NAMES[name]}},{{direction}},{figures},{{attained}},{{paid}},"
            "{segment if type(segment) is int else Q(str(segment))}\"",
            f"    if n == {k}: return f\"{joined}{',' * (width - 8 * k)}\"",
        ]
    source = "\n".join(lines) + "\n"
    filename = f"<goal cells {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    scope: dict[str, Any] = {
        "GENERAL": general,
        "NAMES": Memo(text_cell),
        "EXACT": exact_text,
        "Q": quote,
        **{name: namespace[name] for name in ("QR", "QP", "DEC")},
    }
    exec(compile(source, filename, "exec"), scope)  # from the layout's width, never user text
    function: Callable[[Any], str] = scope["goals"]
    return function


def goals_line_cells(namespace: dict[str, Any]) -> Callable[[Any, int], list[str]]:
    """`goal_cells` as a list of ``width`` cell texts (for goal columns that are not
    side by side in a file)."""
    rounded = namespace["DEC"]
    names = Memo(text_cell)

    def goals(value: Any, width: int) -> list[str]:
        cells: list[str] = []
        for name, direction, target, actual, weight, att, payout, segment in value or ():
            cells += (
                names[name],
                direction,
                exact_text(target),
                exact_text(actual),
                exact_text(weight),
                rounded(att),
                rounded(payout),
                str(segment) if type(segment) is int else quote(str(segment)),
            )
        return cells + [""] * (width - len(cells))

    return goals
