"""The generated fast conversion of roster text never disagrees with the fields' converters:
for any cell it either gives exactly the converter's value, or leaves the cell to it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.convert import FALL_BACK, fast_converter
from incentives.rulebook.language.fields import FieldDef, make_converter, rating_converter

FIELDS = [
    FieldDef("t", "text", None, make_converter("text")),
    FieldDef("d", "decimal", None, make_converter("decimal")),
    FieldDef("p", "percent", None, make_converter("percent")),
    FieldDef("i", "integer", None, make_converter("integer")),
    FieldDef("day", "date", None, make_converter("date")),
    FieldDef("b", "boolean", None, make_converter("boolean")),
    FieldDef(
        "r",
        "rating",
        "perf",
        rating_converter("perf", {"Meets": Decimal(3), "Exceeds": Decimal(4)}),
    ),
]
FAST = fast_converter(FIELDS)

TRICKY = [
    "", "0", "-5", "+5", "5_0", "1e3", "1E+2", "12.50", "12.5%", "%", "-%", "NaN", "nan%",
    "Infinity", "inf", "sNaN", "2026-02-30", "2026-2-3", "20260101", "2024-02-29", "yes", "No",
    "TRUE", "maybe", "Meets", "meets ", "Stellar", " 7", "0.", ".5", "5.", "abc", "4.0",
]  # fmt: skip


def _slow(field: FieldDef, text: str) -> object:
    return field.convert(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)), min_size=7, max_size=7))
def test_fast_conversion_agrees_with_the_converters(texts: list[str]) -> None:
    """Each cell: the fast value equals the converter's (same type and digits), or the fast
    path falls back for the row; it never accepts a cell the converter refuses."""
    cells = {field.name: text for field, text in zip(FIELDS, texts, strict=True)}
    try:
        fast = FAST(cells)
    except FALL_BACK:
        return
    for field, text, value in zip(FIELDS, texts, fast, strict=True):
        expected = _slow(field, text)  # raises if the converter refuses: then fast was wrong
        assert type(value) is type(expected), (field.name, text, value, expected)
        assert value == expected, (field.name, text)
        if isinstance(value, Decimal):
            assert str(value) == str(expected)  # same exponent: 12.50 stays 12.50


def test_plain_cells_take_the_fast_path() -> None:
    """A typical roster row converts without falling back."""
    cells = {"t": "Sales", "d": "85000.00", "p": "12.5%", "i": "4", "day": "2026-07-01",
             "b": "no", "r": "Meets"}  # fmt: skip
    assert FAST(cells) == [
        "Sales", Decimal("85000.00"), Decimal("0.125"), 4,
        __import__("datetime").date(2026, 7, 1), False, Decimal(3),
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    layout=st.sets(st.sampled_from([f.name for f in FIELDS])),
    rows=st.lists(
        st.dictionaries(
            st.sampled_from([f.name for f in FIELDS]),
            st.sampled_from(["", "Meets", "12.50", "4", "2026-07-01", "no", "x"]),
        ),
        max_size=6,
    ),
)
def test_a_layout_reads_the_cells_each_row_has(
    layout: set[str], rows: list[dict[str, str]]
) -> None:
    """Converting with a roster's layout (its columns read at once) gives, for every row,
    what converting cell by cell gives: a column a row lacks reads None, whether or not the
    layout has it; a row falls back exactly when it does cell by cell."""
    wanted = {"d", "i", "r", "t"}
    for into in (False, True):
        by_layout = fast_converter(FIELDS, wanted, into=into, layout=layout)
        one_by_one = fast_converter(FIELDS, wanted, into=into)
        for cells in rows:
            results = []
            for convert in (by_layout, one_by_one):
                try:
                    results.append(convert(cells, [0] * 7) if into else convert(cells))
                except FALL_BACK as exc:
                    results.append(type(exc))
            assert results[0] == results[1], (layout, cells)
