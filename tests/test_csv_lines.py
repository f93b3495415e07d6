"""The generated CSV lines write the bytes of the general path: `csv.writer`'s quoting (plus
quotes around any line break) and, per value, `format_cell` or `exact_cell`."""

from __future__ import annotations

import contextlib
import csv
import decimal
import functools
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPLOYEES, RATES, ROOT, RULES
from incentives.io.cells import (
    LINE_OUTPUT_FORMATS,
    cell_expression,
    cell_namespace,
    computed_expression,
    exact_cell,
    exact_output_expression,
    exact_text,
    match_text,
    minor_unit_of,
    money_point,
    quantum_point,
    rounded_decimal_cell,
    rounded_expression,
)
from incentives.io.csv_lines import LineCell, Memo, csv_line, line_function, quote
from incentives.io.run_outputs import OutputLayout
from incentives.io.trace_cells import (
    call_cells,
    call_expression,
    goal_cells,
    goal_cells_of,
    goals_line_cells,
)
from incentives.io.writers import format_cell
from incentives.jobs import RunRequest, run_job
from incentives.rulebook.rulebook import load_rules
from strategies import any_decimals

_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# any text, with the characters that matter to CSV and spreadsheets over-represented
_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(list(',"\n' + _BREAKS + "=+-@\t' 0123456789.%")),
    ),
    max_size=12,
)
_ANY_DECIMAL = any_decimals(nan_and_infinity=False)
# what the engine computes: at most 28 digits, so rounding to the breakdown's decimals fits
_DECIMALS = st.one_of(
    _ANY_DECIMAL.filter(lambda d: -25 < d.adjusted() < 20 and len(d.as_tuple().digits) <= 28),
    st.sampled_from(
        [
            Decimal(t)
            for t in (
                "0",
                "-0",
                "0.00",
                "-0.00",
                "-0.000",
                "0E-7",
                "1E+3",
                "7.00E+4",
                "2100.00",
                "-12.50",
                "0.10",
                "-5",
            )
        ]
    ),
)
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), _DECIMALS, st.dates(), _TEXT)
# the units a run passes (JPY, USD, BHD)
_UNITS = st.sampled_from([minor_unit_of("JPY"), minor_unit_of("USD"), minor_unit_of("BHD")])


@given(_ANY_DECIMAL)
def test_the_fast_exact_text_is_format_f(value: Decimal) -> None:
    """`str` is used for a decimal's text where it equals ``format(d, "f")``: any sign, size
    or exponent (1E+30, 1E-30, -0E-7) gives format's text."""
    assert exact_text(value) == format(value, "f")


@settings(max_examples=300)
@given(st.lists(st.lists(_TEXT, min_size=1, max_size=5), min_size=1, max_size=5))
def test_a_line_is_what_the_csv_writer_writes_and_reads_back(rows: list[list[str]]) -> None:
    """Rows without a line break other than ``\\n`` are byte-identical to `csv.writer`'s;
    every row reads back as written with a standard reader, whatever its cells hold."""
    text = "".join(csv_line(row) for row in rows)
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    plain = [row for row in rows if not any(b in "".join(row) for b in _BREAKS)]
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\n").writerows(plain)
    assert "".join(csv_line(row) for row in plain) == expected.getvalue()


@given(_TEXT)
def test_a_text_cell_is_quoted_exactly_when_it_must_be(cell: str) -> None:
    """A cell is quoted when it holds a comma, a quote or any line break, never otherwise."""
    needs = any(c in cell for c in ',"\n' + _BREAKS)
    assert quote(cell) == ('"' + cell.replace('"', '""') + '"' if needs else cell)


def test_a_memo_keeps_at_most_its_size_and_still_answers() -> None:
    """A column whose values never repeat (an id) keeps the memo bounded, every answer right."""
    memo = Memo(str.upper, size=3)
    assert [memo[t] for t in "abcdeab"] == list("ABCDEAB")
    assert len(memo) == 3


def _exact_or_cell(unit: Decimal | None) -> Callable[[Any, Decimal], str]:
    def general(value: Any, row_unit: Decimal) -> str:
        if type(value) is Decimal:
            return exact_cell(value, row_unit if unit is not None else None, 6)
        return format_cell(value)

    return general


def _integer(value: Any, unit: Decimal) -> str:
    if type(value) is Decimal and value == value.to_integral_value():
        return str(int(value))
    return exact_cell(value, None, 6) if type(value) is Decimal else format_cell(value)


def _rounded(value: Any, unit: Decimal) -> str:
    return format_cell(value.quantize(Decimal("0.01")) if type(value) is Decimal else value)


def _input(value: Any, unit: Decimal) -> str:
    return format_cell(value)


# (kind, type, the values it holds, the general path's text of one value)
CASES: list[tuple[str, str, st.SearchStrategy[Any], Callable[[Any, Decimal], str]]] = [
    ("pay", "money", _DECIMALS, _input),
    ("eligibility", "boolean", st.one_of(st.none(), st.booleans()), _input),
    ("gate", "boolean", st.one_of(st.none(), st.booleans()), _input),
    ("input", "boolean", st.one_of(st.none(), st.booleans()), _input),
    ("input", "text", st.one_of(st.none(), _TEXT), _input),
    ("input", "date", st.one_of(st.none(), st.dates()), _input),
    ("input", "integer", st.one_of(st.none(), st.integers()), _input),
    ("input", "decimal", st.one_of(st.none(), _ANY_DECIMAL), _input),
    ("input", "percent", st.one_of(st.none(), _ANY_DECIMAL), _input),
    ("input", "money", st.one_of(st.none(), _ANY_DECIMAL), _input),
    ("variant", "text", st.one_of(st.none(), _TEXT), lambda v, _u: "" if v is None else str(v)),
    ("step", "money", _VALUES, _exact_or_cell(Decimal("0.01"))),
    ("raw", "money", _VALUES, _exact_or_cell(Decimal("0.01"))),
    ("stage", "money", _VALUES, _exact_or_cell(Decimal("0.01"))),
    ("step", "integer", _VALUES, _integer),
    ("step", "number", _VALUES, _exact_or_cell(None)),
    ("step", "percent", _VALUES, _exact_or_cell(None)),
    ("rounded", "number", _VALUES, _rounded),
    # computed values by their declared type: the usual Python type inline, any other through
    # the formatter of its type
    ("criterion", "boolean", _VALUES, _exact_or_cell(None)),
    ("ready", "boolean", _VALUES, _exact_or_cell(None)),
    ("gap", "text", _VALUES, _exact_or_cell(None)),
    ("step", "text", _VALUES, _exact_or_cell(None)),
    ("output", "integer", _VALUES, _exact_or_cell(None)),
    ("step", "decimal", _VALUES, _exact_or_cell(None)),
]


@functools.cache
def _line(expression: str, places: int = 6) -> Callable[..., str]:
    """The line of one column (``expression``) and a constant one, compiled once and reused by
    every example, as a run compiles its layout's lines once and writes every row with them
    (memos in the namespace keep what earlier examples wrote, as of earlier rows)."""
    namespace = cell_namespace(places)
    namespace["Q0"] = Decimal("0.01")
    namespace["money_point"] = money_point
    namespace["EXACT"] = exact_cell  # results.csv's outputs
    cells = [LineCell("value", expression), LineCell("next", "'x'")]
    return line_function("test", "t, MU", cells, namespace, "DOT, NEXT, PAD = money_point(MU)")


@pytest.mark.parametrize(
    ("kind", "type_", "values", "general"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
@settings(max_examples=150)
@given(data=st.data())
def test_a_generated_cell_writes_what_the_general_path_writes(
    kind: str,
    type_: str,
    values: st.SearchStrategy[Any],
    general: Callable[[Any, Decimal], str],
    data: st.DataObject,
) -> None:
    """Each kind of column's inline expression writes, for any value it can hold (negative,
    zero, huge, tiny exponents, text with quotes, commas, line breaks, a leading = + - @), the
    CSV text of `format_cell` / `exact_cell` for that value."""
    expression = (
        rounded_expression("t[0]", "Q0")
        if kind == "rounded"
        else cell_expression("t[0]", kind, type_)
    )
    line = _line(expression)
    value = data.draw(values, label="value")
    unit = data.draw(_UNITS, label="unit")
    assert line((value,), unit) == csv_line([general(value, unit), "x"])


def test_fixed_cells_are_folded_and_quoted_once() -> None:
    """A constant column (a policy id, an empty cell) is part of the line's literal text,
    quoted and escaped when the layout is built."""
    cells = [
        LineCell("policy", repr('plan "A", 2026'), quote=True),
        LineCell("empty", "''"),
        LineCell("value", "v"),
        LineCell("label", "v", quote=True),
    ]
    line = line_function("test", "v", cells, {})
    assert line("a,b") == '"plan ""A"", 2026",,a,b,"a,b"\n'
    assert "plan" in line.source and "'\\n'" in line.source  # type: ignore[attr-defined]


def test_a_date_cell_is_iso() -> None:
    line = _line(cell_expression("t[0]", "input", "date"))
    assert line((date(2026, 1, 31),), Decimal("0.01")) == "2026-01-31,x\n"


def test_an_employee_id_is_escaped_and_quoted_in_every_per_employee_file(tmp_path: Path) -> None:
    """The employee id is every file's key: an id a spreadsheet would run as a formula, or one
    holding a comma or a quote, is written as `format_cell` writes it (escaped, then quoted) in
    results.csv, inputs.csv and each breakdown file alike; a plain id is written as it is."""
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header = list(reader.fieldnames or [])
        rows = list(reader)[:4]
    ids = ["=1+1", 'a,"b"', "-7", "E0001"]
    for row, employee_id in zip(rows, ids, strict=True):
        row["employee_id"] = employee_id
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out"
    run_job(RunRequest(rules=RULES, employees=roster, rates=RATES, out=out))
    # the PSU plan (levels 7 and 8) covers none of the four; the sales incentive '=1+1' (row
    # 1, Sales) and E0001 (row 4, Sales) only: its breakdown is checked on those two
    everyone = ("annual-bonus-2026", "merit-2027", "promotion-2027")
    files = [out / "results.csv", out / "inputs.csv", *(out / f"breakdown/{p}.csv" for p in everyone)]
    assert len(list((out / "breakdown").glob("*.csv"))) == 5
    for path in files:
        with path.open(encoding="utf-8", newline="") as stream:
            written = {row["employee_id"] for row in csv.DictReader(stream)}
        assert written == {"'=1+1", 'a,"b"', "-7", "E0001"}, path.name
        text = path.read_text(encoding="utf-8")
        assert '\n"a,""b"""' in text and "\n'=1+1," in text and "\nE0001," in text, path.name
    sales = out / "breakdown/sales-incentive-2026-q4.csv"
    with sales.open(encoding="utf-8", newline="") as stream:
        assert {row["employee_id"] for row in csv.DictReader(stream)} == {"'=1+1", "E0001"}
    text = sales.read_text(encoding="utf-8")
    assert "\n'=1+1," in text and "\nE0001," in text


# decimals of any sign and size a breakdown may hold: tiny and huge exponents, -0, trailing zeros
_WIDE_DECIMALS = st.one_of(
    _ANY_DECIMAL.filter(lambda d: -40 < d.adjusted() < 40),
    st.sampled_from(
        [
            Decimal(t)
            for t in (
                "0",
                "-0",
                "-0.0000001",
                "0E-30",
                "1E+30",
                "9.9999999",
                "-9.9999995",
                "0.0000005",
                "0.0000015",
                "2161.162500000001",
                "1470.000",
                "56700.000000",
                "1.5",
                "2.5",
                "-2.5",
            )
        ]
    ),
)


@pytest.mark.parametrize("places", [0, 1, 2, 6, 12])
@settings(max_examples=200)
@given(value=_WIDE_DECIMALS, unit=_UNITS)
def test_a_computed_decimal_at_any_places_is_the_general_text(
    places: int, value: Decimal, unit: Decimal
) -> None:
    """A computed decimal's cell (inline short case, else rounded in one `format`) and a money
    cell are `exact_cell`'s text at the breakdown's decimals, whatever the value: more decimals
    than the breakdown keeps (rounded half even, a carry moving the dot), fewer, an exponent,
    a negative zero. (A breakdown keeping fewer decimals than the currency's unit writes a
    money value with fewer decimals than the unit as it is, padded: 1.5 at 0 places is 1.50
    in a breakdown file, as before this fast path.)"""
    assert rounded_decimal_cell(places)(value) == exact_cell(value, None, places)
    computed = _line(computed_expression("t[0]", "percent"), places)
    money = _line(cell_expression("t[0]", "step", "money"), places)
    assert computed((value,), unit) == exact_cell(value, None, places) + ",x\n"
    if places >= -unit.as_tuple().exponent:  # (fewer places than the unit: see below)
        assert money((value,), unit) == exact_cell(value, unit, places) + ",x\n"


# what one call slot matches, by its callee: a table's row or (row, column), a curve's segment,
# a rating's label (or the default), an fx rate and its source; one shape per slot
_DETAIL_SHAPES = [
    st.integers(0, 9),
    st.tuples(st.integers(0, 9), st.integers(0, 9)),
    st.one_of(st.none(), _TEXT),
    st.tuples(_DECIMALS, st.dates(), _TEXT, _TEXT, _TEXT),
]


@pytest.mark.parametrize("kept", [2, 4096])
@settings(max_examples=100)
@given(data=st.data())
def test_a_call_cell_is_the_general_text_for_recurring_and_fresh_values(
    kept: int, data: st.DataObject
) -> None:
    """A call's value and match cells, remembered by the identity of the objects a table keeps,
    are the general path's text whether the same objects recur, equal objects are fresh, or a
    slot's cache fills up (``kept`` 2) and is dropped."""
    details = data.draw(st.sampled_from(_DETAIL_SHAPES), label="shape")
    results = data.draw(st.lists(st.tuples(_VALUES, details), min_size=1, max_size=6))
    picks = data.draw(st.lists(st.integers(0, len(results) - 1), max_size=30))
    namespace = cell_namespace(6)
    both = call_cells(namespace, kept=kept)
    value_only = call_cells(namespace, "value", kept)
    match_only = call_cells(namespace, "match", kept)
    for pick in picks:
        value, detail = results[pick]
        fresh = data.draw(st.booleans())
        result = (value, detail) if fresh else results[pick]  # a new pair of the same objects
        call = ((), result)
        expected_value = "" if value is None else LINE_OUTPUT_FORMATS[type(value)](value)
        if type(value) is Decimal:
            expected_value = exact_cell(value, None, 6)
        expected_match = quote(match_text(detail, None))
        assert both(call) == f"{expected_value},{expected_match}"
        assert value_only(call) == expected_value
        assert match_only(call) == expected_match
    assert both(None) == both(((), None)) == ","
    assert value_only(None) == match_only(((), None)) == ""


def _goal_outcomes(
    computed: st.SearchStrategy[Decimal], segments: st.SearchStrategy[int], most: int
) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Lists of a scorecard's goal values: name, direction, target, actual, weight as read,
    attainment and payout ``computed``, a segment (a number or a text)."""
    return st.lists(
        st.tuples(
            _TEXT,
            st.sampled_from(["higher", "lower"]),
            _DECIMALS,
            _DECIMALS,
            _DECIMALS,
            computed,
            computed,
            st.one_of(segments, _TEXT),
        ),
        max_size=most,
    )


_GOALS = _goal_outcomes(_WIDE_DECIMALS, st.integers(0, 9), 3)


@settings(max_examples=200)
@given(_GOALS)
def test_goal_cells_are_the_general_text(goals: list[tuple[Any, ...]]) -> None:
    """A scorecard's goal cells, written as one text, are the cells of the general path: the
    name escaped and quoted, the figures as read, attainment and payout at the breakdown's
    decimals, empty cells for the goals an employee does not have."""
    namespace = cell_namespace(6)
    expected: list[str] = []
    for name, direction, target, actual, weight, att, payout, segment in goals:
        expected += [
            quote(format_cell(name)),
            direction,
            format(target, "f"),
            format(actual, "f"),
            format(weight, "f"),
            exact_cell(att, None, 6),
            exact_cell(payout, None, 6),
            str(segment) if type(segment) is int else quote(str(segment)),
        ]
    expected += [""] * (24 - len(expected))
    assert goal_cells(namespace)(tuple(goals), 24) == ",".join(expected)
    assert goals_line_cells(namespace)(tuple(goals), 24) == expected


def test_a_value_rounded_to_no_decimals_keeps_its_whole_digits() -> None:
    """With ``breakdown_decimals: 0`` a value is rounded to a whole number and written whole:
    10.4 is 10 (not 1: only zeros after a decimal point are stripped), -0.0000001 is 0."""
    assert exact_cell(Decimal("10.4"), None, 0) == "10"
    assert exact_cell(Decimal("10.4"), Decimal("0.01"), 0) == "10.00"
    assert exact_cell(Decimal("-1E-7"), None, 0) == "0"
    assert exact_cell(Decimal("100"), None, 0) == "100"
    assert rounded_decimal_cell(0)(Decimal("10.4")) == "10"


@pytest.mark.parametrize("money", [False, True])
@settings(max_examples=300)
@given(value=_WIDE_DECIMALS, unit=_UNITS)
def test_a_results_output_is_its_exact_text(money: bool, value: Decimal, unit: Decimal) -> None:
    """An output's cell in results.csv, inline for the usual text, is `exact_cell`'s: exact
    (never rounded), no trailing zeros, money padded to the row's unit."""
    line = _line(exact_output_expression("t[0]", money=money))
    assert line((value,), unit) == exact_cell(value, unit if money else None) + ",x\n"


def test_a_whole_number_keeps_its_zeros_at_breakdown_decimals_0() -> None:
    """A policy with `breakdown_decimals: 0` writes 10.4 as 10 and 100.2 as 100 (rounding
    to 0 places leaves no dot; the zeros of the whole number are not trailing decimals)."""
    assert exact_cell(Decimal("10.4"), places=0) == "10"
    assert exact_cell(Decimal("100.2"), places=0) == "100"
    assert exact_cell(Decimal("-20.5"), places=0) == "-20"
    assert exact_cell(Decimal("10.40"), places=2) == "10.4"


# any Decimal at all: beyond the 200 digits a display rounding keeps, infinities, NaN, -0
_EXTREME_DECIMALS = st.one_of(
    _WIDE_DECIMALS,
    any_decimals(nan_and_infinity=True),
    st.sampled_from(
        [
            Decimal(t)
            for t in (
                "Infinity",
                "-Infinity",
                "NaN",
                "1E+250",
                "-1E+199",
                "1" * 196 + ".55",
                "1" * 230 + ".5",
                "1E-250",
                "-0E-30",
                "0.0000005",
                "-0.00000049",
                "99999999999999999999999999999999.9999995",
            )
        ]
    ),
)


@pytest.mark.parametrize("places", [0, 1, 2, 3, 6, 7, 12, 28])
@settings(max_examples=200)
@given(value=_EXTREME_DECIMALS)
def test_a_goals_attainment_rounded_inline_is_the_rounded_cell(
    places: int, value: Decimal
) -> None:
    """A goal's attainment and payout (long quotients) are rounded inline, not through
    `rounded_decimal_cell`: for any Decimal whatever (beyond 200 digits, infinite, NaN, a
    negative zero, a tiny one with an exponent) the text is that function's, at any breakdown
    decimals."""
    goal = ("sales", "higher", Decimal(1), Decimal(2), Decimal("0.5"), value, value, 0)
    rounded = rounded_decimal_cell(places)(value)
    assert goal_cells(cell_namespace(places))((goal,), 8) == f"sales,higher,1,2,0.5,{rounded},{rounded},0"


_FINITE_LONG = st.one_of(
    _WIDE_DECIMALS,
    st.decimals(allow_nan=False, allow_infinity=False, places=30).filter(
        lambda d: d.adjusted() < 150
    ),
    st.sampled_from([Decimal("1" * 150 + ".5555555555555"), Decimal("9" * 40 + ".99999999")]),
)


@pytest.mark.parametrize("places", [0, 1, 2, 3, 6, 7, 12])
@settings(max_examples=200)
@given(value=_FINITE_LONG, unit=_UNITS)
def test_a_long_money_value_rounded_inline_is_the_exact_cell(
    places: int, value: Decimal, unit: Decimal
) -> None:
    """A money step with more decimals than the breakdown keeps (2443.542041495725516…) is
    rounded inline, then stripped and padded to the row's unit: `exact_cell`'s text, at any
    breakdown decimals (also fewer than the unit's), for a value of any length."""
    money = _line(cell_expression("t[0]", "step", "money"), places)
    digits = -unit.as_tuple().exponent
    text = str(value)
    decimals = len(text) - text.find(".") - 1 if "." in text and "E" not in text else 0
    if places >= digits or decimals > digits:  # (else written as it is, see above)
        assert money((value,), unit) == exact_cell(value, unit, places) + ",x\n"


_QUANTA = [Decimal("0.01"), Decimal("0.000001"), Decimal("1"), Decimal("0.001"), Decimal("1E-10")]


@pytest.mark.parametrize("row_unit", [False, True])
@settings(max_examples=300)
@given(value=_EXTREME_DECIMALS, quantum=st.sampled_from(_QUANTA), rounded=st.booleans())
def test_a_value_already_at_its_quantum_is_not_quantized_again(
    row_unit: bool, value: Decimal, quantum: Decimal, rounded: bool
) -> None:
    """A slot the policy rounds is written at its quantum's decimals; a value that already has
    exactly them (the policy rounded it) is written as `str` writes it, without quantizing
    again: the text of ``format(value.quantize(quantum), "f")`` for any Decimal (an exponent,
    -0, NaN), whether at the row's unit (``DOT:NEXT``) or a declared step's."""
    if rounded:  # most of them: what the policy rounded
        with contextlib.suppress(decimal.InvalidOperation):
            value = value.quantize(quantum)
    try:
        expected = format(value.quantize(quantum), "f")
    except decimal.InvalidOperation:  # beyond the context's digits: the general path raises
        return
    namespace = cell_namespace(6)
    if row_unit:
        namespace["money_point"], namespace["Q0"] = money_point, quantum
        cells = [LineCell("value", rounded_expression("t[0]", "MU", "DOT:NEXT"))]
        line = line_function("test", "t, MU", cells, namespace, "DOT, NEXT, PAD = money_point(MU)")
        assert line((value,), quantum) == expected + "\n"
    else:
        namespace["Q0"] = quantum
        cells = [LineCell("value", rounded_expression("t[0]", "Q0", quantum_point(quantum)))]
        assert line_function("test", "t", cells, namespace)((value,)) == expected + "\n"


@pytest.mark.parametrize("kept", [2, 4096])
@settings(max_examples=100)
@given(data=st.data())
def test_a_call_cell_looked_up_inline_is_the_general_text(kept: int, data: st.DataObject) -> None:
    """A call slot's value and match, found inline by the identity of the call's result (no
    Python call on a hit), are the general path's text whether results recur, equal ones are
    fresh, a call was not made, or the slot's cache fills up (``kept`` 2) and is dropped."""
    details = data.draw(st.sampled_from(_DETAIL_SHAPES), label="shape")
    results = data.draw(st.lists(st.tuples(_VALUES, details), min_size=1, max_size=6))
    picks = data.draw(st.lists(st.integers(-1, len(results) - 1), max_size=30))
    namespace = cell_namespace(6)
    pairs: dict[int, tuple[object, str]] = {}
    namespace["CALL"] = call_cells(namespace, kept=kept, pairs=pairs)
    namespace["SEEN"] = pairs.get
    line = line_function("test", "v", [LineCell("call", call_expression("v", "CALL", "SEEN"))], namespace)
    for pick in picks:
        if pick < 0:  # not made, or nothing found
            assert line(data.draw(st.sampled_from([None, ((), None)]))) == ",\n"
            continue
        value, detail = results[pick]
        result = (value, detail) if data.draw(st.booleans()) else results[pick]
        expected_value = "" if value is None else LINE_OUTPUT_FORMATS[type(value)](value)
        if type(value) is Decimal:
            expected_value = exact_cell(value, None, 6)
        assert line(((), result)) == f"{expected_value},{quote(match_text(detail, None))}\n"


_CHAINED = ("raw", "stage", "step", "pay")  # a step's values recorded one after the other
_LAYOUTS = {folder: OutputLayout(load_rules(ROOT / folder)) for folder in ("bench/reference", "rules")}


@settings(max_examples=60)
@given(data=st.data())
def test_a_value_recorded_again_is_written_as_a_fresh_equal_one(data: st.DataObject) -> None:
    """A step's values recorded one after the other (raw, after a floor or cap, rounded; a pay
    component and its total) are often the very same object, whose text is reused: the line
    is the one written when every value is a fresh object, whatever the values (money at any
    decimals, -0, exponents, NaN) and the row's currency."""
    folder = data.draw(st.sampled_from(sorted(_LAYOUTS)), label="rules")
    layout = _LAYOUTS[folder]
    policy_id = data.draw(st.sampled_from(sorted(layout.breakdown_files)), label="policy")
    policy = layout._policies[policy_id]
    values = st.one_of(_EXTREME_DECIMALS, st.none())
    trace: list[Any] = []
    for slot in policy.slots:
        if slot.kind not in _CHAINED or not trace or data.draw(st.booleans()):
            value = data.draw(values) if slot.kind in _CHAINED else None
        else:
            value = trace[-1]  # the previous slot's object again
        trace.append(value)
    fresh = [Decimal(str(v)) if type(v) is Decimal else v for v in trace]
    currency = data.draw(st.sampled_from(["USD", "JPY", "BHD"]))
    line = layout.breakdown_line_of(policy.id)

    def written(values: list[Any]) -> object:  # the line, or what the general path raises
        outcome = SimpleNamespace(eligible=True, trace=tuple(values), currency=currency)
        try:
            return line("E1", outcome)  # type: ignore[arg-type]
        except (ArithmeticError, ValueError) as error:  # as the general path fails (int(NaN))
            return type(error)

    assert written(trace) == written(fresh)


@pytest.mark.parametrize("money", [False, True])
@settings(max_examples=200)
@given(value=st.one_of(_FINITE_LONG, st.sampled_from([Decimal("-0.000"), Decimal("4170")])), unit=_UNITS)
def test_an_output_with_trailing_zeros_is_its_exact_text(
    money: bool, value: Decimal, unit: Decimal
) -> None:
    """An output of results.csv with trailing zeros or other decimals than the unit's (4170,
    0.0300, 85213.6500, up to and beyond 28 decimals) is stripped (and money padded) inline:
    `exact_cell`'s text."""
    line = _line(exact_output_expression("t[0]", money=money))
    assert line((value,), unit) == exact_cell(value, unit if money else None) + ",x\n"


@pytest.mark.parametrize("places", [0, 1, 2, 6, 7, 12, 28])
@settings(max_examples=200)
@given(value=_EXTREME_DECIMALS)
def test_a_decimal_by_its_type_is_the_rounded_cell(places: int, value: Decimal) -> None:
    """A decimal written through the formatter of its type (a call's value, a computed value
    of another declared type) is `rounded_decimal_cell`'s text, for any Decimal at any
    breakdown decimals."""
    assert cell_namespace(places)["F"][Decimal](value) == rounded_decimal_cell(places)(value)


@pytest.mark.parametrize("places", [0, 1, 2, 3, 6, 7, 12, 28])
@settings(max_examples=200)
@given(value=_EXTREME_DECIMALS)
def test_a_computed_decimal_rounded_inline_is_the_rounded_cell(places: int, value: Decimal) -> None:
    """A computed decimal's cell, rounded inline when it is long or has trailing zeros (not
    through `rounded_decimal_cell`), is that function's text for any Decimal whatever (beyond
    200 digits, infinite, NaN, a negative zero, a tiny one with an exponent)."""
    computed = _line(computed_expression("t[0]", "decimal"), places)
    assert computed((value,), Decimal("0.01")) == rounded_decimal_cell(places)(value) + ",x\n"


@settings(max_examples=300)
@given(
    value=st.one_of(
        _EXTREME_DECIMALS,
        st.integers(0, 10**30).map(Decimal),
        st.sampled_from([Decimal("0"), Decimal("45800"), Decimal("-0"), Decimal("-45800")]),
    ),
    unit=st.one_of(_UNITS, st.just(Decimal(1))),
)
def test_a_whole_money_output_padded_inline_is_its_exact_text(value: Decimal, unit: Decimal) -> None:
    """A money output of results.csv that is a whole number (45800, 0) gains the unit's zeros
    inline: `exact_cell`'s text, for any Decimal (signed, infinite, NaN, an exponent) and any
    unit, a unit of 1 too."""
    line = _line(exact_output_expression("t[0]", money=True))
    assert line((value,), unit) == exact_cell(value, unit) + ",x\n"


_WORDS = st.lists(
    st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cs",)), st.just(" ")), max_size=6),
    max_size=4,
).map(" ".join)


@settings(max_examples=300)
@given(value=st.one_of(_WORDS, st.sampled_from(["Reese Moreau", " =1+2", "- a", "a ,b", " ", ""])))
def test_a_text_input_of_words_and_spaces_is_the_text_cell(value: str) -> None:
    """A text input of letters, digits and spaces (a name) is written as it is inline; any
    other (a leading = + - @, a comma, a quote, a line break, only spaces) as `text_cell`
    writes it."""
    line = _line(cell_expression("t[0]", "input", "text"))
    assert line((value,), Decimal("0.01")) == csv_line([format_cell(value), "x"])


@pytest.mark.parametrize("places", [0, 2, 6, 12])
@settings(max_examples=200)
@given(
    goals=st.one_of(
        st.none(), _goal_outcomes(_EXTREME_DECIMALS, st.integers(-1, 9), 6).map(tuple)
    ),
    most=st.integers(1, 5),
)
def test_a_scorecards_goal_cells_written_out_are_the_general_text(
    places: int, goals: tuple[tuple[Any, ...], ...] | None, most: int
) -> None:
    """The goal cells written out for one scorecard (`goal_cells_of`, what a breakdown line
    calls) are `goal_cells`'s text for any goals: none, fewer than the scorecard takes or more,
    names to quote, figures with exponents, attainments and payouts of any size (NaN, infinite,
    beyond 200 digits), segments as numbers or text, at any breakdown decimals."""
    namespace = cell_namespace(places)
    width = 8 * most
    assert goal_cells_of(namespace, width)(goals) == goal_cells(namespace)(goals, width)
