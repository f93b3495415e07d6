"""The text of each kind of cell in a run's CSV outputs, and the expressions that make it.

`OutputLayout` (io/run_outputs.py) decides which columns each file has; this module decides how
a value is written in one: decimals exact or at their declared rounding, money at least at its
currency's minor unit, dates, flags, texts escaped and quoted for CSV, segments and what a call
matched. `cell_expression` gives a slot's cell as an inline Python expression for a generated
line function (see `incentives.io.csv_lines`); `cell_namespace` supplies the names it uses.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from incentives.io.csv_lines import Memo, quote
from incentives.io.writers import format_cell
from incentives.money import minor_unit
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = [
    "FILLS",
    "LINE_OUTPUT_FORMATS",
    "MINOR_UNITS",
    "ROW_UNITS",
    "cell_expression",
    "cell_namespace",
    "computed_expression",
    "decimal_expression",
    "declared_quanta",
    "exact_cell",
    "exact_expression",
    "exact_output_expression",
    "exact_text",
    "kept_money_expression",
    "match_text",
    "minor_unit_of",
    "money_fill",
    "money_point",
    "quantized_expression",
    "quantum_point",
    "rounded_decimal_cell",
    "rounded_expression",
    "segments_cell",
    "step_quantum",
    "text_cell",
]


def cell_namespace(places: int) -> dict[str, Any]:
    """The names `cell_expression`'s expressions use, for a breakdown of ``places`` decimals:
    every expression gives its cell's CSV text, quoted where it is text."""
    formats = _formatters(places)
    formats[str] = text_cell  # a computed text: escaped and quoted like any text cell

    def other(value: Any) -> str:
        return formats[type(value)](value)  # type: ignore[no-any-return]

    return {
        "F": formats,
        "TEXT": text_cell,
        "TEXTS": Memo(text_cell),  # a computed text (a gap, a label): they repeat
        "DATE": _DATES,
        "VARIANT": Memo(lambda variant: quote(str(variant))),
        "D": Decimal,
        "DEC": rounded_decimal_cell(places),  # where the inline short case does not apply
        "SHORT": places + 2,  # a decimal's text this short has at most ``places`` decimals
        "LONGEST": places + 1,  # a point and ``places`` decimals
        # a long decimal rounded inline (a money step, a goal's attainment): quantized at
        # ``places`` (a failure is NaN, never an exception), its point checked at PD:PN
        "QR": _ROUND.quantize,
        "QP": _QUANTA[places],
        "PD": -(places + 1),
        "PN": -places,
        "PLACES": places,
        "FILLS": FILLS,
        "MONEY": _money_cell(places, other),
        "INT": _integer_cell(formats[Decimal], other),
    }


class _MinorUnits(dict[str, Decimal]):
    """``units[currency]``: `minor_unit_of` in one dict lookup (a generated line's prologue)."""

    def __missing__(self, currency: str) -> Decimal:
        try:
            unit = minor_unit(currency)
        except ValueError:
            unit = Decimal("0.01")
        self[currency] = unit
        return unit


MINOR_UNITS = _MinorUnits()


class _RowUnits(dict[str, tuple[Decimal, int, int, str]]):
    """``ROW_UNITS[currency]``: its minor unit and `money_point` of it (a line's prologue)."""

    def __missing__(self, currency: str) -> tuple[Decimal, int, int, str]:
        unit = MINOR_UNITS[currency]
        found = self[currency] = (unit, *money_point(unit))
        return found


class _MoneyFills(dict[Decimal, tuple[str, ...]]):
    """``FILLS[unit]``: `money_fill` of the unit, worked out once."""

    def __missing__(self, unit: Decimal) -> tuple[str, ...]:
        found = self[unit] = money_fill(unit)
        return found


FILLS = _MoneyFills()


ROW_UNITS = _RowUnits()


def money_point(unit: Decimal) -> tuple[int, int, str]:
    """Where the point of a money text with exactly ``unit``'s decimals stands, as a slice
    (``-3, -2`` for 0.01: ``text[-3:-2] == "."``; an empty slice for a unit of 1), and what
    a whole number gains to have them (``.00``; nothing for a unit of 1)."""
    digits: int = -unit.as_tuple().exponent  # type: ignore[operator]
    return -(digits + 1), -digits, "." + "0" * digits if digits else ""


def money_fill(unit: Decimal) -> tuple[str, ...]:
    """What a money text with 0, 1, … 28 decimals, none of them a trailing zero, gains to have
    at least ``unit``'s decimals (``("00", "0", "", …)`` for 0.01); empty for a unit of 1,
    whose texts may have to lose their point instead."""
    digits: int = -unit.as_tuple().exponent  # type: ignore[operator]
    return tuple("0" * max(digits - have, 0) for have in range(29)) if digits > 0 else ()


def minor_unit_of(currency: str) -> Decimal:
    """The quantum of ``currency`` (0.01 for USD), cached; 0.01 for a code we do not know."""
    return MINOR_UNITS[currency]


def step_quantum(step: Decimal) -> Decimal:
    """The decimals a declared rounding step prints with: 0.01 → 0.01, 0.005 → 0.001, 100 → 1."""
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(min(exponent, 0))


def declared_quanta(policy: CompiledPolicy) -> dict[int, Decimal | None]:
    """Slots whose value the policy rounds, with the quantum they print at (`None`: the pay
    currency's minor unit): pay components and their parts, steps with ``round`` or
    ``truncate``, and a pool's amount and awards (its ``round``)."""
    quanta: dict[int, Decimal | None] = {}
    steps = policy.spec.steps
    names = {slot.name: index for index, slot in enumerate(policy.slots)}
    for index, slot in enumerate(policy.slots):
        if slot.kind == "step" and slot.name in steps:
            spec = steps[slot.name]
            step = spec.round.step if spec.round is not None else spec.truncate
            if step is not None:
                quanta[index] = None if step == "minor_unit" else step_quantum(Decimal(step))
    pooled = {
        f"{pool.name}_{role}": pool.unit for pool in policy.pools for role in ("pool", "award")
    }
    for index, slot in enumerate(policy.slots):  # a pool and its awards: the pool's `round`
        if slot.kind == "step" and slot.name in pooled:
            quanta[index] = step_quantum(pooled[slot.name])
    defs = {pay.name: pay for pay in policy.pay}  # a conversion's units are a PayDef too
    for comp in policy.spec.pay:
        pay = defs[comp.name]
        step = comp.round.step
        quantum = None if step == "minor_unit" else step_quantum(Decimal(step))
        if comp.convert is not None:  # units counted by the conversion's step; cash remainder
            quanta[defs[comp.convert.name].slot] = step_quantum(comp.convert.step)
            quanta[names[f"pay.{comp.convert.name}.remainder"]] = None
        for index in (pay.slot, pay.total_slot, *pay.part_slots):
            quanta[index] = quantum
        for part in comp.split:  # an `above` part's threshold, rounded as the component
            index = names.get(f"pay.{part.name}.above", -1)
            if index >= 0:
                quanta[index] = quantum
    return quanta


def exact_cell(value: Decimal, unit: Decimal | None = None, places: int | None = None) -> str:
    """A computed decimal as written in a CSV: its exact value without trailing zeros (at most
    ``places`` decimals, rounded half even, in breakdown.csv); money (``unit``, the currency's
    minor unit) keeps at least that unit's decimals: ``1470.000`` → ``1470.00``."""
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    dot = text.find(".")
    if dot >= 0:
        if places is not None and len(text) - dot - 1 > places:
            text = format(value.quantize(_QUANTA[places], context=_WIDE), "f")
        if text[-1] == "0" and "." in text:  # rounded to 0 places: no dot left (10.4 → 10)
            text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if unit is not None:
        want = _DIGITS.get(unit)
        if want is None:
            want = _DIGITS.setdefault(unit, -unit.as_tuple().exponent)  # type: ignore[operator]
        if want > 0:
            dot = text.find(".")
            have = 0 if dot < 0 else len(text) - dot - 1
            if have < want:
                text += ("" if dot >= 0 else ".") + "0" * (want - have)
    return text


_QUANTA: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(0, 29)}
_DIGITS: dict[Decimal, int] = {}
_WIDE = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN)  # display only: never traps
# `_WIDE` without traps, for the inline paths: what `_WIDE` would raise on (a value beyond 200
# digits, an infinity) gives NaN, whose text fails the inline path's check of the point
_ROUND = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN, traps=[])


def _money_cell(places: int, other: Any) -> Any:
    """`exact_cell` for money with the row currency's minor unit, fast for the usual texts
    (``2100.00``, ``1470.000``, ``2161.1625``): a run writes one per money step and row."""
    digits_of: dict[Decimal, int] = {}

    def cell(value: Any, unit: Decimal) -> str:
        if type(value) is not Decimal:
            return other(value)  # type: ignore[no-any-return]
        try:
            digits = digits_of[unit]
        except KeyError:
            digits = digits_of.setdefault(unit, -unit.as_tuple().exponent)  # type: ignore[operator]
        text = str(value)
        if "E" in text or text[0] == "-":  # an exponent, a sign: the general path
            return exact_cell(value, unit, places)
        dot = text.find(".")
        if dot >= 0:
            have = len(text) - dot - 1
            if have == digits:
                return text
            if have < digits:
                return text + "0" * (digits - have)
            if have > places:  # 2161.162500000001 → 2161.162500 → 2161.1625
                if places < digits or not places:
                    return exact_cell(value, unit, places)
                text = str(_WIDE.quantize(value, _QUANTA[places]))  # as exact_cell rounds
                dot = text.find(".")  # a carry may move it: 9.9999999 → 10.000000
                if dot < 0 or "E" in text:
                    return exact_cell(value, unit, places)
                have = places
            if text[-1] != "0":
                return text
            text = text.rstrip("0")  # 1470.000 → 1470. → 1470.00
            have = len(text) - dot - 1
            if have >= digits:
                return text if have else text[:-1]
            return text + "0" * (digits - have)
        return text + "." + "0" * digits if digits else text

    return cell


def _integer_cell(computed: Any, other: Any) -> Any:
    """An integer step: a whole number without decimals (4178, never 4178.00)."""

    def cell(value: Any) -> str:
        if type(value) is Decimal and value == value.to_integral_value():
            return str(int(value))
        if type(value) is int:
            return str(value)
        return computed(value) if type(value) is Decimal else other(value)  # type: ignore[no-any-return]

    return cell


def cell_expression(ref: str, kind: str, type_: str) -> str:
    """The cell of one slot as a Python expression of its CSV text (quoted where it is text),
    inline where the value's type is known."""
    if kind == "pay":
        return exact_expression(ref)  # always a rounded Decimal, also when not eligible
    if kind in ("eligibility", "gate") or (kind == "input" and type_ == "boolean"):
        return f"('' if {ref} is None else 'true' if {ref} else 'false')"
    if kind == "input":
        if type_ == "text":  # escaped where a spreadsheet would read a formula, quoted if need be
            # as it is when only letters, digits and spaces (a name: "Reese Moreau"): no
            # formula start, nothing to quote, as `text_cell` writes it
            return (
                f"('' if {ref} is None else {ref} if {ref}.isalnum()"
                f" or {ref}.replace(' ', '').isalnum() else TEXT({ref}))"
            )
        if type_ == "date":
            return f"('' if {ref} is None else DATE[{ref}])"
        if type_ == "integer":
            return f"('' if {ref} is None else str({ref}))"
        return f"('' if {ref} is None else {exact_expression(ref)})"  # as read: decimal, percent
    if kind == "variant":
        return f"('' if {ref} is None else VARIANT[{ref}])"
    if type_ == "money" and kind in ("step", "raw", "stage"):
        # at least the pay currency's decimals: inline when it has exactly those (2245.00);
        # DOT:NEXT is `money_point` of the row's unit MU. A negative (-0.00), other decimals
        # or an exponent go through MONEY.
        # A whole number (44900, no point, no exponent, no sign) gains the unit's zeros (PAD);
        # one with other decimals, at most the breakdown's (2700.0000, 2443.542041), loses its
        # trailing zeros and gains what it lacks of the unit's (`money_fill`; none for a unit
        # of 1: MONEY then decides whether the point goes).
        return (
            f"((_s if (_s := str({ref}))[DOT:NEXT] == '.' and _s[0] != '-'"
            f" else MONEY({ref}, MU) if 'E' in _s or _s[0] == '-'"
            f" else _s + PAD if (_p := _s.find('.')) < 0"
            f" else MONEY({ref}, MU) if not (_f := FILLS[MU])"
            f" else (_t := _s.rstrip('0')) + _f[len(_t) - _p - 1] if len(_s) - _p <= LONGEST"
            # more decimals than the breakdown's (2443.542041495725516261373792): rounded at
            # them (QR, QP), then as above; the point where it must be (PD:PN) or MONEY
            f" else (_t := _r.rstrip('0')) + _f[len(_t) - len(_r) + PLACES]"
            f" if (_r := str(QR({ref}, QP)))[PD:PN] == '.'"
            f" else MONEY({ref}, MU)) if type({ref}) is D else MONEY({ref}, MU))"
        )
    if type_ == "integer" and kind in ("step", "raw", "stage"):
        return f"(str({ref}) if type({ref}) is int else INT({ref}))"
    return computed_expression(ref, type_)


def computed_expression(ref: str, type_: str) -> str:
    """The cell of a computed value whose declared type is ``type_``: the value's usual Python
    type written inline (a boolean, a text by `Memo`, a decimal short enough to need no
    rounding as `str` writes it; an empty text inline), any other value through the formatter
    of its type."""
    other = f"F[type({ref})]({ref})"
    if type_ == "boolean":
        return f"('true' if {ref} is True else 'false' if {ref} is False else {other})"
    if type_ == "text":
        return f"((TEXTS[{ref}] if {ref} else '') if type({ref}) is str else {other})"
    if type_ == "integer":
        return f"(str({ref}) if type({ref}) is int else {other})"
    return f"({decimal_expression(ref)} if type({ref}) is D else {other})"


def decimal_expression(ref: str) -> str:
    """`decimal_cell` of the Decimal ``ref``, inline for the usual short text (no exponent, no
    trailing zero, at most the breakdown's decimals: ``0.05``, ``1.25``, ``4``), and for the
    usual long one (a quotient: ``1.163212435233160621761658031``) or one with trailing zeros
    (``0.8750``) rounded inline as ``DEC`` (`rounded_decimal_cell`) rounds it, as
    `goal_cells` does: quantized without traps (QR, QP), stripped of trailing zeros when the
    point stands before exactly the breakdown's decimals (PD:PN: no exponent, no NaN, not 0
    places) and the text is not ``-0``; else through ``DEC``. The names come from
    `cell_namespace`."""
    return (
        f"(_s if len(_s := str({ref})) <= SHORT and _s[-1] != '0' and 'E' not in _s"
        f" else _t if (_r := str(QR({ref}, QP)))[PD:PN] == '.'"
        f" and (_t := _r.rstrip('0').rstrip('.')) != '-0'"
        f" else DEC({ref}))"
    )


def rounded_expression(
    ref: str, quantum: str, point: str | None = None, keep: str | None = None
) -> str:
    """The cell of a slot the policy rounds, at its quantum's decimals (the name ``quantum``;
    ``point``: see `quantized_expression`). With ``keep`` (and ``point``), the name ``keep``
    is left holding the value's `str` where that is the cell (the value already has exactly
    the quantum's decimals, no exponent), else None: see `kept_money_expression`."""
    if keep is None or point is None:
        quantized, other = quantized_expression(ref, quantum, point), f"F[type({ref})]({ref})"
    else:
        rounded = exact_expression(f"{ref}.quantize({quantum})")
        quantized = (
            f"({keep} if ({keep} := str({ref}))[{point}] == '.' and 'E' not in {keep}"
            f" else ({keep} := None) or {rounded})"
        )
        other = f"(({keep} := None) or F[type({ref})]({ref}))"
    return f"({quantized} if type({ref}) is D else {other})"


def kept_money_expression(ref: str, earlier: str, keep: str, decimals: int, general: str) -> str:
    """The money cell of ``ref`` (``general``: `cell_expression`'s) when it is the very object
    ``earlier``, a value the policy rounded at ``decimals`` decimals (at most the breakdown's)
    whose text ``keep`` holds (`rounded_expression`; None unless that text is the value's `str`
    with exactly those decimals, no exponent): a bare-name step's raw value (``bonus_cents``:
    ``bonus_m6``). `exact_cell` of a text with exactly ``decimals`` decimals, no sign, at least
    the row's unit's (1 to ``decimals``) strips its trailing zeros down to the unit's: the text
    cut after the unit's decimals (``_c``: NEXT is minus their count, see `money_point`) or
    where the zeros start, whichever is later. A sign (-0.000000), a unit of 1 or one with more
    decimals, another object or another text go to ``general``."""
    return (
        f"((_t if len(_t := {keep}.rstrip('0')) >= (_c := len({keep}) - {decimals} - NEXT)"
        f" else {keep}[:_c]) if {ref} is {earlier} and {keep} and {keep} >= '0'"
        f" and {-decimals} <= NEXT < 0 else {general})"
    )


def quantized_expression(ref: str, quantum: str, point: str | None = None) -> str:
    """The text of the Decimal ``ref`` quantized at ``quantum`` (a name), as `exact_text`.

    ``point`` (`quantum_point`, or ``DOT:NEXT`` for the row's unit): where the point of a text
    with exactly the quantum's decimals stands. A value the policy already rounded at that
    quantum has them, and then its `str` (without an exponent) is the text of its quantize:
    written without quantizing again."""
    rounded = exact_expression(f"{ref}.quantize({quantum})")
    if point is None:
        return rounded
    return f"(_s if (_s := str({ref}))[{point}] == '.' and 'E' not in _s else {rounded})"


def quantum_point(quantum: Decimal) -> str:
    """The slice (``-3:-2`` for 0.01) where the point of a text with exactly ``quantum``'s
    decimals stands (`money_point`); one that never holds a point for a whole quantum."""
    dot, after, _ = money_point(quantum)
    return f"{dot}:{after}"


def exact_output_expression(ref: str, money: bool) -> str:
    """``exact_cell(ref, MU if money else None)`` of the Decimal ``ref`` (a results.csv output:
    exact, no trailing zeros, money at least at the row's unit), inline for the usual text: as
    `str` writes it when it ends in another digit than 0 (no exponent), or for money when it
    has exactly the unit's decimals (``DOT:NEXT``, see `money_point`) and no sign, or other
    decimals (no sign, no exponent, at most 28: ``85213.6500``), stripped of trailing zeros and
    given what they lack of the unit's (`money_fill`; a unit of 1 goes through ``EXACT``),
    or a whole number (``45800``: digits only, no sign, no exponent, not NaN) given the
    unit's zeros (``PAD``, `money_point`)."""
    if money:
        return (
            f"(_s if (_s := str({ref}))[DOT:NEXT] == '.' and _s[0] != '-'"
            f" else _s + PAD if _s.isdigit()"
            f" else (_t := _s.rstrip('0')) + _f[len(_t) - _p - 1]"
            f" if _s[0] != '-' and 'E' not in _s and (_p := _s.find('.')) >= 0"
            f" and len(_s) - _p <= 29 and (_f := FILLS[MU]) else EXACT({ref}, MU))"
        )
    # else a whole number (4170), or decimals whose trailing zeros go (0.0300), not -0
    return (
        f"(_s if (_s := str({ref}))[-1] != '0' and 'E' not in _s"
        f" else _t if 'E' not in _s"
        f" and (_t := _s.rstrip('0').rstrip('.') if '.' in _s else _s) != '-0'"
        f" else EXACT({ref}, None))"
    )


def exact_expression(ref: str) -> str:
    """The expression of `exact_text` of the Decimal expression ``ref``, inline."""
    return f"(_s if 'E' not in (_s := str({ref})) else format({ref}, 'f'))"


def exact_text(value: Decimal) -> str:
    """``format(value, "f")``, faster: `str` gives the same text unless it has an exponent
    (``str`` writes one when the exponent is positive or the value below 1e-6)."""
    text = str(value)
    return text if "E" not in text else format(value, "f")


def text_cell(value: object) -> str:
    """`format_cell` of a text, quoted for CSV where it needs it."""
    return quote(format_cell(value))


_DATES = Memo(lambda day: day.isoformat(), 1 << 15)  # dates repeat: about 90 years of days


def rounded_decimal_cell(places: int) -> Callable[[Decimal], str]:
    """A decimal's breakdown cell (at most ``places`` decimals, no trailing zeros), made for
    long ones: the value quantized at ``places`` decimals (half even, at `_WIDE`: a value
    already shorter gains zeros, stripped again), its `str` where that has no exponent (a
    tiny value at more than 6 places has one), else ``format(value, ".Nf")``."""
    quantum = _QUANTA[places]
    fixed = f".{places}f"
    rounded = _WIDE.quantize

    def rounded_cell(value: Decimal) -> str:
        try:
            text = str(rounded(value, quantum))
        except decimal.InvalidOperation:  # beyond _WIDE's 200 digits
            text = format(value, fixed)
        if "E" in text:
            text = format(value, fixed)
        if places:  # a dot, then ``places`` digits: strip the zeros
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text

    return rounded_cell


def _formatters(places: int) -> dict[type, Any]:
    """Cell formatters by value type; decimals longer than ``places`` are rounded for display."""
    short = places + 2  # "0." and ``places`` digits: a text this short needs no rounding
    rounded_cell = rounded_decimal_cell(places)
    quantized, quantum, dot, end = _ROUND.quantize, _QUANTA[places], -(places + 1), -places

    def decimal_cell(value: Decimal) -> str:
        text = str(value)  # the same text as format(value, "f") unless it has an exponent
        if len(text) > short or "E" in text:
            # `rounded_cell`, here for the usual long value (a call's converted amount): the
            # value quantized without traps, its point before ``places`` decimals (no
            # exponent, no NaN, not 0 places), stripped, not -0
            text = str(quantized(value, quantum))
            if text[dot:end] == "." and (text := text.rstrip("0").rstrip(".")) != "-0":
                return text
            return rounded_cell(value)
        if text[-1] == "0" and "." in text:  # no trailing zeros: 0.8750 is 0.875
            text = text.rstrip("0").rstrip(".")
            return "0" if text in ("", "-0") else text
        return "0" if text == "-0" else text

    return {
        Decimal: decimal_cell,
        int: str,
        bool: lambda v: "true" if v else "false",
        str: format_cell,
        type(None): lambda v: "",
        datetime.date: datetime.date.isoformat,
    }


def segments_cell(places: int) -> Any:
    """The one-cell text of a weighted step's segments (empty for no segments), e.g.
    ``2026-01-01..2026-03-31 90d 24.6575% 1000.00 | 2026-04-01..2026-12-31 275d 75.3425%
    1200.00 (base_salary=12000)``: dates, days, the weight (days ÷ period days, at ``places``
    decimals, shown as a percentage), the value, and the inputs the history set.

    What recurs is found, not made again: a weight's percentage by its fraction (a few hundred
    of them: days of one period; worked out in the context the lines are written in), a date's
    text (`_DATES`); a decimal that is not money is written by ``decimal_cell`` (`exact_cell`
    at ``places``), a changed input as `match_text` writes one. tests/test_call_cells.py
    holds it to the text written plainly."""
    quantum = Decimal(1).scaleb(-places)
    formats = _formatters(places)
    computed = formats[Decimal]  # exact_cell(v, None, places)
    shares: dict[tuple[int, int], str] = {}
    dates = _DATES

    def cell(value: Any, unit: Decimal | None = None) -> str:
        if not value:
            return ""
        parts = []
        for start, end, days, weight, amount, changed in value:
            key = (weight.numerator, weight.denominator)
            share = shares.get(key)
            if share is None:
                pct = (Decimal(key[0]) / key[1]).quantize(quantum).scaleb(2)
                share = format(pct, "f")
                if len(shares) < _KEPT_SHARES:
                    shares[key] = share
            if type(amount) is Decimal and unit is None:
                figure = computed(amount)
            elif isinstance(amount, Decimal):
                figure = exact_cell(amount, unit, places)
            else:
                figure = format_cell(amount)
            text = f"{dates[start]}..{dates[end]} {days}d {share}% {figure}"
            if changed:
                shown = [f"{n}={_PLAIN.get(type(v), _plain)(v)}" for n, v in changed]
                text += " (" + ", ".join(shown) + ")"
            parts.append(text)
        return format_cell(" | ".join(parts))

    return cell


_KEPT_SHARES = 4096  # the weights a segments cell remembers (a period has ~365 day counts)


def match_text(detail: object, args: object) -> str:
    """What a table, curve, tier or rate call matched, compactly: ``2`` or ``1;3`` or a rate."""
    if type(detail) is int:
        return str(detail)
    if type(detail) is tuple:
        return ";".join([_PLAIN.get(type(d), _plain)(d) for d in detail])
    return _plain(detail)


def _plain(value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, tuple):
        return "-".join(_plain(v) for v in value)
    return format_cell(value)


_PLAIN: dict[type, Any] = {int: str, Decimal: lambda d: format(d, "f"), str: format_cell}


_OUTPUT_FORMATS = _formatters(6)  # the formatters of values other than decimals
LINE_OUTPUT_FORMATS = {**_OUTPUT_FORMATS, str: text_cell}  # and a text quoted for CSV
