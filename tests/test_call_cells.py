"""A call slot's breakdown cells written inline (`call_line_cells`, one way per kind of call)
are the general path's text (`call_cells`): whatever the values and details, whether the
same objects recur or equal ones are fresh, a call was not made, or a cache fills up. A
weighted step's segments cell is its segments written plainly."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.run_inputs import fx_function
from incentives.io.cells import cell_namespace, exact_cell, match_text, segments_cell
from incentives.io.csv_lines import line_function
from incentives.io.trace_cells import (
    CALL_KINDS,
    call_cells,
    call_line_cells,
    call_line_names,
    converted_value_expression,
)
from incentives.io.writers import format_cell
from strategies import any_decimals

_TEXT = st.text(alphabet=st.sampled_from(list(',"\n=+- aZ0.;')), max_size=6)
# what a call gives: decimals of any size, sign and exponent (NaN and infinities too), and the
# other types a formula can give
_DECIMALS = st.one_of(
    any_decimals(nan_and_infinity=True),
    st.sampled_from(
        [
            Decimal(t)
            for t in (
                "0", "-0", "0.00", "-0.00", "0E-7", "1E+3", "7.00E+4", "2453.560500", "44900",
                "2345.00", "-12.50", "1.0929", "4538.802825757575757575757573", "123456789",
                "-Infinity", "Infinity", "NaN", "12345678.1", "0.0000001", "-0.0000",
            )
        ]
    ),
)  # fmt: skip
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), _DECIMALS, st.dates(), _TEXT)
# what one call slot matches: a table's row or (row, column), a rating's label (or the
# default), an fx rate and its source
_DETAILS = [
    st.integers(0, 9),
    st.tuples(st.integers(0, 9), st.integers(0, 9)),
    st.one_of(st.none(), _TEXT),
    st.tuples(_DECIMALS, st.dates(), _TEXT, _TEXT, _TEXT),
]
_PLACES = st.sampled_from([0, 2, 6, 10])


def _line(kind: str, places: int, kept: int) -> tuple[Any, Any]:
    """The line of one call slot written inline as ``kind``, and the general path's cells."""
    namespace = cell_namespace(places)
    cells = call_line_cells(["value", "match"], "v", 7, kind)
    namespace.update(call_line_names(namespace, 7, kind, kept))
    return line_function("test", "v", cells, namespace), call_cells(cell_namespace(places))


@pytest.mark.parametrize("kind", ["pairs", "parts", "others", "converted"])
@pytest.mark.parametrize("kept", [2, 4096])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), places=_PLACES)
def test_a_call_written_inline_is_the_general_text(
    kind: str, kept: int, places: int, data: st.DataObject
) -> None:
    """Any kind of call cells, for any results: recurring (the same pair, or the same value
    and detail in a fresh pair), equal but fresh, not made, or more than a cache keeps."""
    # a table's rows and a rating's label are always hashable: ``parts`` finds them by value
    shapes = _DETAILS[:3] if kind == "parts" else _DETAILS
    details = data.draw(st.sampled_from(shapes), label="shape")
    results = data.draw(st.lists(st.tuples(_VALUES, details), min_size=1, max_size=6))
    picks = data.draw(st.lists(st.integers(-1, len(results) - 1), max_size=30))
    line, general = _line(kind, places, kept)
    for pick in picks:
        if pick < 0:  # not made, or nothing found
            assert line(data.draw(st.sampled_from([None, ((), None)]))) == ",\n"
            continue
        value, detail = results[pick]
        how = data.draw(st.sampled_from(["same", "parts", "fresh"]))
        result = {
            "same": results[pick],
            "parts": (value, detail),
            "fresh": (_copy(value), _copy(detail)),
        }[how]
        call = ((), result)
        assert line(call) == general(call) + "\n"


class _Rates:
    def rate(self, frm: str, to: str, rate_type: str, on: datetime.date) -> Decimal:
        return {"EUR": Decimal("1.0929"), "GBP": Decimal("1.27000"), "JPY": Decimal("0.0067")}[frm]


@pytest.mark.parametrize("kind", ["converted", "fixed"])
@pytest.mark.parametrize("kept", [2, 4096])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), places=_PLACES)
def test_a_conversion_written_inline_is_the_general_text(
    kind: str, kept: int, places: int, data: st.DataObject
) -> None:
    """fx conversions (`fx_function`: the amount times the rate, one detail per rate) of
    constant amounts (the same object each time: ``fixed`` finds their text by the amount's and
    the detail's identity) and of amounts computed afresh, into and from any currency."""
    fx = fx_function(_Rates())
    on = datetime.date(2026, 12, 31)
    amounts = data.draw(st.lists(_DECIMALS.filter(lambda d: d.is_finite()), min_size=1, max_size=4))
    line, general = _line(kind, places, kept)
    for _ in range(data.draw(st.integers(1, 25))):
        amount = amounts[data.draw(st.integers(0, len(amounts) - 1))]
        if data.draw(st.booleans()):
            amount = _copy(amount)  # an amount computed afresh: an equal, new object
        frm = data.draw(st.sampled_from(["EUR", "GBP", "JPY", "USD"]))
        args = (amount, frm, "USD", "average", on)
        call = (args, fx(*args))
        assert line(call) == general(call) + "\n"
    assert line(None) == line(((), None)) == ",\n"


@settings(max_examples=300, deadline=None)
@given(value=_DECIMALS, places=_PLACES)
def test_a_converted_amount_is_written_as_any_computed_decimal(value: Decimal, places: int) -> None:
    """`converted_value_expression` is `decimal_cell` (the formatter of a call's value) for any
    decimal at any breakdown decimals."""
    namespace = cell_namespace(places)
    text = eval(converted_value_expression("v"), {**namespace, "v": value})
    assert text == namespace["F"][Decimal](value)


def test_every_kind_is_tested() -> None:
    assert set(CALL_KINDS) == {"pairs", "parts", "others", "converted", "fixed"}


def test_a_rate_gives_one_detail_for_every_conversion() -> None:
    """Every conversion at one rate, a currency into itself too, gives the very same detail
    object (the breakdown finds its text by identity) and the amount times the rate."""
    fx = fx_function(_Rates())
    on = datetime.date(2026, 12, 31)
    first = fx(Decimal("100.00"), "EUR", "USD", "average", on)
    again = fx(Decimal("7"), "EUR", "USD", "average", on)
    assert first == (Decimal("109.290000"), (Decimal("1.0929"), on, "average", "EUR", "USD"))
    assert again[1] is first[1]
    same = fx(Decimal("2345.00"), "USD", "USD", "average", on)
    assert same == (Decimal("2345.00"), (Decimal(1), on, "average", "USD", "USD"))
    assert str(same[0]) == "2345.00"
    assert fx(Decimal("1"), "USD", "USD", "average", on)[1] is same[1]


def _copy(value: Any) -> Any:
    """An equal object that is not ``value`` (where its type makes new objects)."""
    if type(value) is Decimal:
        return Decimal(value.as_tuple())
    if type(value) is tuple:
        return tuple(_copy(v) for v in value)
    if type(value) is str:
        return "".join(list(value))
    return value


def _segments_plainly(places: int, value: Any, unit: Decimal | None) -> str:
    """A weighted step's segments cell written plainly, every figure made afresh."""
    if not value:
        return ""
    quantum = Decimal(1).scaleb(-places)
    parts = []
    for start, end, days, weight, amount, changed in value:
        pct = (Decimal(weight.numerator) / weight.denominator).quantize(quantum).scaleb(2)
        text = f"{start.isoformat()}..{end.isoformat()} {days}d {format(pct, 'f')}% "
        text += exact_cell(amount, unit, places) if isinstance(amount, Decimal) else format_cell(amount)
        if changed:
            text += " (" + ", ".join(f"{n}={match_text(v, None)}" for n, v in changed) + ")"
        parts.append(text)
    return format_cell(" | ".join(parts))


_SEGMENT = st.tuples(
    st.dates(),
    st.dates(),
    st.integers(1, 366),
    st.builds(Fraction, st.integers(1, 366), st.integers(1, 366)),
    st.one_of(_DECIMALS.filter(lambda d: d.is_finite() and d.adjusted() < 20), st.integers()),
    st.lists(
        st.tuples(
            st.sampled_from(["base_salary", "fte", "level"]),
            st.one_of(st.none(), st.booleans(), st.integers(), _DECIMALS, _TEXT),
        ),
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.lists(_SEGMENT, max_size=4).map(tuple)), max_size=5),
    places=_PLACES,
    unit=st.sampled_from([None, Decimal("0.01"), Decimal("1"), Decimal("0.001")]),
)
def test_a_segments_cell_is_the_segments_written_plainly(
    values: list[Any], places: int, unit: Decimal | None
) -> None:
    """A weighted step's segments cell, its weights and dates found again when they recur, is
    the text of every figure made afresh (any dates, weights, values and changed inputs)."""
    cell = segments_cell(places)
    for value in values + values:  # the second time, every weight and date is a known one
        assert cell(value, unit) == _segments_plainly(places, value, unit)
