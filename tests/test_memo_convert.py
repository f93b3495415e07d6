"""Remembered conversions never differ from converting afresh: a roster cell converted for the
thousandth time gives the value (type, digits, exponent) and the error message the first
conversion gave, whatever came in between."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.convert import FALL_BACK, fast_converter
from incentives.rulebook.language.fields import (
    MEMO_CHARS,
    Converter,
    FieldDef,
    make_converter,
    memoised,
    rating_converter,
)

TYPES = ("decimal", "percent", "integer", "date", "boolean")
LABELS = {"Meets": Decimal(3), "Exceeds": Decimal(4)}
CELLS = [
    "", "0", "00", "-0", "-5", "+5", "1e3", "12.50", "12.500", "12.5%", "12.50%", "0.125", "%",
    "NaN", "Infinity", "2026-02-30", "2024-02-29", "2026-07-01", "yes", "No", "TRUE", "maybe",
    "Meets", " meets ", "Exceeds", "4", "4.0", "3", "abc", "٣", "1" * 30, "1" * 30 + "%",
]  # fmt: skip
cells = st.one_of(st.sampled_from(CELLS), st.text(max_size=12))


def _fresh(kind: str) -> Converter:
    """A converter that has remembered nothing: its answer is the plain converter's."""
    if kind == "rating":
        return rating_converter("perf", LABELS)
    if kind == "scale":
        return rating_converter("band", None, Decimal(1), Decimal(5), Decimal("0.5"))
    return make_converter(kind)


KINDS = (*TYPES, "rating", "scale")
WARM = {kind: _fresh(kind) for kind in KINDS}  # remembers across every example of a session


def _outcome(convert: Converter, text: object) -> tuple[str, object]:
    try:
        return "value", convert(text)
    except ValueError as exc:
        return "error", str(exc)


def _same(found: tuple[str, object], expected: tuple[str, object]) -> None:
    assert found[0] == expected[0], (found, expected)
    assert type(found[1]) is type(expected[1]), (found, expected)
    assert found[1] == expected[1], (found, expected)
    if isinstance(expected[1], Decimal):
        assert str(found[1]) == str(expected[1])  # 12.50 stays 12.50, 1E+3 stays 1E+3


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KINDS), st.lists(cells, min_size=1, max_size=20))
def test_a_remembered_conversion_is_the_plain_conversion(kind: str, texts: list[str]) -> None:
    """Each cell, converted by a converter that has seen many cells (this one included,
    maybe), equals what a fresh converter gives: the same value or the same error."""
    for text in texts * 2:
        _same(_outcome(WARM[kind], text), _outcome(_fresh(kind), text))


def test_typed_values_pass_through_unremembered() -> None:
    """Values that are not text (a notebook's typed cells) go to the converter as they are."""
    convert = make_converter("decimal")
    assert str(convert("12.5")) == "12.5"
    assert str(convert(Decimal("12.50"))) == "12.50"
    assert make_converter("date")(datetime.date(2026, 1, 2)) == datetime.date(2026, 1, 2)
    assert make_converter("integer")(7) == 7


def test_memory_stays_bounded() -> None:
    """Only `size` distinct cells are remembered, and none longer than `MEMO_CHARS`; the rest
    are converted each time, correctly."""
    seen: list[object] = []

    def convert(value: object) -> object:
        seen.append(value)
        return Decimal(str(value))

    remembered = memoised(convert, size=3)
    for text in ["1", "2", "3", "4", "1", "4", "9" * (MEMO_CHARS + 1), "9" * (MEMO_CHARS + 1)]:
        assert remembered(text) == Decimal(text)
    assert seen == ["1", "2", "3", "4", "4", "9" * (MEMO_CHARS + 1), "9" * (MEMO_CHARS + 1)]


def test_a_rejected_cell_is_rejected_every_time() -> None:
    """A bad cell is never remembered as a value: each row holding it gets its own error."""
    convert = make_converter("integer")
    for _ in range(3):
        assert _outcome(convert, "4.5") == ("error", "'4.5' is not a whole number")
    assert _outcome(convert, "4") == ("value", 4)


FIELDS = [
    FieldDef("d", "decimal", None, make_converter("decimal")),
    FieldDef("p", "percent", None, make_converter("percent")),
    FieldDef("i", "integer", None, make_converter("integer")),
    FieldDef("day", "date", None, make_converter("date")),
    FieldDef("b", "boolean", None, make_converter("boolean")),
    FieldDef("r", "rating", "perf", rating_converter("perf", LABELS)),
]
FAST = fast_converter(FIELDS)  # its memory lasts the whole session too


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cells, min_size=6, max_size=6), min_size=1, max_size=8))
def test_the_fast_path_remembers_exactly(rows: list[list[str]]) -> None:
    """Rows converted one after another by the generated converter (which remembers cells
    across rows) give each cell exactly the fresh converter's value, or fall back."""
    for texts in rows * 2:
        try:
            values = FAST({f.name: text for f, text in zip(FIELDS, texts, strict=True)})
        except FALL_BACK:
            continue
        for field, text, value in zip(FIELDS, texts, values, strict=True):
            kind = "rating" if field.type == "rating" else field.type
            _same(("value", value), _outcome(_fresh(kind), text))
