"""Lookup tables: specs, compile-time checks, lookups, adjustments and explanations."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from incentives.errors import RowError
from incentives.rulebook.language.values import SpecIssues
from incentives.rulebook.runtime.tables import LookupMiss, Table, TableSpec, compile_table
from strategies import interpolated_tables

D = Decimal

LEVELS = ["1", "2", "3", "4", "5", "6", "7", "8"]
TARGET_PCT: dict[str, Any] = {
    "axes": [{"name": "level", "match": "exact", "at": LEVELS}],
    "values": ["5%", "6%", "8%", "10%", "15%", "20%", "25%", "30%"],
    "type": "percent",
}
TENURE: dict[str, Any] = {
    "axes": [
        {
            "name": "years",
            "match": "range",
            "at": [{"from": "0", "to": "1"}, {"from": "1", "to": "3"}, {"from": "3"}],
        }
    ],
    "values": ["50%", "75%", "100%"],
    "type": "percent",
}
FUNDING: dict[str, Any] = {
    "axes": [
        {"name": "profit_attainment", "match": "interpolate", "at": ["80%", "100%", "120%"]},
        {"name": "rating", "match": "exact", "at": ["1", "2", "3", "4", "5"]},
    ],
    "values": [
        ["0%", "0%", "50%", "60%", "70%"],
        ["0%", "50%", "100%", "110%", "120%"],
        ["0%", "80%", "150%", "170%", "200%"],
    ],
    "round": {"step": "0.01%", "mode": "half_up"},
    "cap": "180%",
    "type": "percent",
}


def table(source: dict[str, Any], name: str = "t", **extra: Any) -> Table:
    """Compile a table from source text, as the loader hands it over."""
    return compile_table(name, TableSpec.model_validate({**source, **extra}))


def issues_of(source: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(SpecIssues) as caught:
        table(source)
    return [(i.path, i.message) for i in caught.value.issues]


def ranges(*bands: dict[str, str], **options: str) -> dict[str, Any]:
    """A 1-D range table over ``bands`` with values 1, 2, 3…"""
    return {
        "axes": [{"name": "years", "match": "range", "at": list(bands), **options}],
        "values": [str(i + 1) for i in range(len(bands))],
    }


def line(**options: str) -> dict[str, Any]:
    """A 1-D interpolate table: 0 → 10, 10 → 20 (slope 1)."""
    return {
        "axes": [{"name": "x", "match": "interpolate", "at": ["0", "10"], **options}],
        "values": ["10", "20"],
    }


# ------------------------------------------------------------------------------------- exact


def test_exact_lookup() -> None:
    """target_pct(level=4) is the fourth value, 10%, matched at index 3."""
    assert table(TARGET_PCT, "target_pct")(D(4)) == (D("0.10"), (3,))


def test_exact_numeric_keys_match_however_the_number_is_written() -> None:
    """The int 4, Decimal('4.0') and the text '4' all find key 4."""
    target = table(TARGET_PCT)
    assert target(4)[0] == target(D("4.0"))[0] == target("4")[0] == D("0.10")


def test_exact_label_keys() -> None:
    """Label keys (A, B) match as text."""
    grades = table(
        {"axes": [{"name": "grade", "match": "exact", "at": ["A", "B"]}], "values": ["1", "2"]}
    )
    assert grades("B") == (D(2), (1,))


def test_exact_miss_without_default_rejects_the_row() -> None:
    """level 9 is not a key: LookupMiss (a RowError) names the table, the key and the keys
    that exist."""
    with pytest.raises(LookupMiss) as caught:
        table(TARGET_PCT, "target_pct")(D(9))
    error = caught.value
    assert isinstance(error, RowError)
    assert str(error) == "no row of table 'target_pct' for level=9 (known: 1, 2, 3, 4, 5, 6, 7, 8)"
    assert (error.table, error.column, error.value) == ("target_pct", "level", "9")


def test_exact_miss_with_default() -> None:
    """With ``default: 0%`` level 9 returns 0 and the detail marks the axis that missed."""
    assert table(TARGET_PCT, default="0%")(D(9)) == (D(0), (None,))


def test_a_missing_key_rejects_even_with_a_default() -> None:
    """A missing key (None) is not 'no match': it rejects the row although a default exists."""
    with pytest.raises(LookupMiss, match="level is missing"):
        table(TARGET_PCT, default="0%")(None)


def test_long_key_lists_are_shortened() -> None:
    """Twelve known keys list as the first three, …, the last two."""
    keys = [str(i) for i in range(1, 13)]
    twelve = table({"axes": [{"name": "k", "match": "exact", "at": keys}], "values": keys})
    with pytest.raises(LookupMiss, match=r"\(known: 1, 2, 3, \.\.\., 11, 12\)"):
        twelve(D(99))


def test_duplicate_exact_keys() -> None:
    """4 and 4.0 are the same key: the second is reported where it stands."""
    found = issues_of(
        {"axes": [{"name": "level", "match": "exact", "at": ["4", "4.0"]}], "values": ["1", "2"]}
    )
    assert found == [(("axes", 0, "at", 1), "duplicate key 4 on axis 'level' (also entry 1)")]


def test_exact_axes_take_no_below_or_above() -> None:
    """``below`` on an exact axis is reported (a missing key uses `default` instead)."""
    source = {
        "axes": [{"name": "k", "match": "exact", "at": ["1"], "below": "clamp"}],
        "values": ["1"],
    }
    assert [path for path, _ in issues_of(source)] == [("axes", 0, "below")]


# ------------------------------------------------------------------------------------- range


def test_range_bands_are_half_open() -> None:
    """1 belongs to [1, 3) (75%), 0.999 to [0, 1) (50%), 3 to the open band [3, …) (100%)."""
    tenure = table(TENURE)
    assert tenure(D(1)) == (D("0.75"), (1,))
    assert tenure(D("0.999")) == (D("0.50"), (0,))
    assert tenure(D(3)) == (D("1.00"), (2,))
    assert tenure(D(40)) == (D("1.00"), (2,))


def test_range_below_rejects_by_default_and_can_clamp() -> None:
    """-1 year is below [0, 1): rejected by default, the first band's 50% with ``below: clamp``."""
    with pytest.raises(LookupMiss, match=r"years=-1 \(known: bands cover \[0, …\)\)"):
        table(TENURE)(D(-1))
    clamped = dict(TENURE, axes=[{**TENURE["axes"][0], "below": "clamp"}])
    assert table(clamped)(D(-1)) == (D("0.50"), (0,))


def test_range_above_a_closed_top() -> None:
    """Bands [0, 1), [1, 3): 3 is outside, rejected by default, the last band with clamp."""
    bands = ({"from": "0", "to": "1"}, {"from": "1", "to": "3"})
    with pytest.raises(LookupMiss):
        table(ranges(*bands))(D(3))
    assert table(ranges(*bands, above="clamp"))(D(3)) == (D(2), (1,))


def test_overlapping_bands() -> None:
    """[0, 5) and [4, 10) both hold 4.x: reported at the second band's `from`."""
    found = issues_of(ranges({"from": "0", "to": "5"}, {"from": "4", "to": "10"}))
    assert found == [
        (("axes", 0, "at", 1, "from"), "bands [0, 5) and [4, 10) overlap between 4 and 5")
    ]


def test_a_gap_between_bands() -> None:
    """[1, 5) then [6, 10) leaves [5, 6) uncovered, between bands 2 and 3."""
    found = issues_of(
        ranges({"from": "0", "to": "1"}, {"from": "1", "to": "5"}, {"from": "6", "to": "10"})
    )
    assert found == [(("axes", 0, "at", 2, "from"), "nothing covers [5, 6) between bands 2 and 3")]


def test_a_band_must_end_after_it_starts() -> None:
    """{from: 5, to: 5} is empty: 'to' must be greater than 'from'."""
    found = issues_of(ranges({"from": "0", "to": "5"}, {"from": "5", "to": "5"}))
    assert found[0][0] == ("axes", 0, "at", 1, "to")
    assert "'to' must be greater than 'from'" in found[0][1]


def test_only_the_last_band_may_be_open() -> None:
    """A band without `to` that is not the last is reported (and it overlaps the next)."""
    found = issues_of(ranges({"from": "0"}, {"from": "1", "to": "2"}))
    assert found[0] == (
        ("axes", 0, "at", 0),
        "band 1 [0, …) has no 'to', but only the last band may leave it out",
    )


def test_range_axes_cannot_extrapolate() -> None:
    """``above: extrapolate`` is for interpolate axes only."""
    found = issues_of(ranges({"from": "0"}, above="extrapolate"))
    assert [path for path, _ in found] == [("axes", 0, "above")]


# ------------------------------------------------------------------------------- interpolate


def test_interpolate_outside_clamps_by_default() -> None:
    """0 → 10, 10 → 20: -5 clamps to 10 and 15 to 20, marked 'clamp'."""
    flat = table(line())
    assert flat(D(-5)) == (D(10), ((0, 0, "clamp"),))
    assert flat(D(15)) == (D(20), ((1, 1, "clamp"),))


def test_interpolate_can_extrapolate_or_reject() -> None:
    """Extrapolating 0 → 10, 10 → 20 at 15 gives 10 + 15 × 1 = 25; reject raises LookupMiss."""
    assert table(line(above="extrapolate"))(D(15)) == (D(25), ((0, 1, "extrapolate"),))
    assert table(line(below="extrapolate"))(D(-5)) == (D(5), ((0, 1, "extrapolate"),))
    assert explain(table(line(above="extrapolate")), D(15)) == (
        "t(x=15) = 10 + (15 − 0) ÷ (10 − 0) × (20 − 10) = 25 (x extrapolated beyond 10)"
    )
    with pytest.raises(LookupMiss, match="points from 0 to 10"):
        table(line(below="reject"))(D(-1))


def test_interpolate_between_and_on_points() -> None:
    """0 → 10, 10 → 20: 2.5 gives 12.5 between points 0 and 1; 10 is point 1 exactly."""
    flat = table(line())
    assert flat(D("2.5")) == (D("12.5"), ((0, 1, "between"),))
    assert flat(D(10)) == (D(20), ((1, 1, "point"),))


def test_interpolate_points_must_increase() -> None:
    """Points 80%, 120%, 100% are not strictly increasing: the third is reported."""
    source = {
        "axes": [{"name": "p", "match": "interpolate", "at": ["80%", "120%", "100%"]}],
        "values": ["1", "2", "3"],
    }
    found = issues_of(source)
    assert found[0][0] == ("axes", 0, "at", 2)
    assert "strictly increasing" in found[0][1]


def test_a_text_key_on_a_numeric_axis_rejects_the_row() -> None:
    """'abc' cannot be placed among numeric points: LookupMiss saying it must be a number."""
    with pytest.raises(LookupMiss, match="x must be a number"):
        table(line())("abc")


# ---------------------------------------------------------------------------------------- 2-D


def test_two_dimensional_cell_between_points() -> None:
    """funding(90%, rating 4): rating 4 is column 3, between the 80% and 100% rows:
    60% + (90 − 80) ÷ (100 − 80) × (110% − 60%) = 85%."""
    funding = table(FUNDING)
    assert funding(D("0.90"), D(4)) == (D("0.85"), ((0, 1, "between"), 3))


def test_two_interpolate_axes_are_bilinear() -> None:
    """Grid x 0..10 by y 0..10 with corners 0, 10, 20, 30: at (5, 5) the bilinear value is the
    mean 15; at (2, 0) it is 0 + 2/10 × 20 = 4."""
    grid = table(
        {
            "axes": [
                {"name": "x", "match": "interpolate", "at": ["0", "10"]},
                {"name": "y", "match": "interpolate", "at": ["0", "10"]},
            ],
            "values": [["0", "10"], ["20", "30"]],
        }
    )
    assert grid(D(5), D(5))[0] == D(15)
    assert grid(D(2), D(0))[0] == D(4)


def test_three_axes() -> None:
    """Three exact axes of 2: (b, 2, y) is the value at [1][1][0] = 7."""
    cube = table(
        {
            "axes": [
                {"name": "a", "match": "exact", "at": ["a", "b"]},
                {"name": "n", "match": "exact", "at": ["1", "2"]},
                {"name": "c", "match": "exact", "at": ["x", "y"]},
            ],
            "values": [[["1", "2"], ["3", "4"]], [["5", "6"], ["8", "7"]]],
        }
    )
    assert cube("b", D(2), "y") == (D(7), (1, 1, 1))
    assert cube.arity == (3, 3)


def test_a_two_dimensional_miss_names_the_axis() -> None:
    """Rating 9 on the funding grid: the message lists the known ratings."""
    with pytest.raises(LookupMiss) as caught:
        table(FUNDING, "funding")(D("0.9"), D(9))
    assert str(caught.value) == (
        "no row of table 'funding' for profit_attainment=90%, rating=9 "
        "(known rating: 1, 2, 3, 4, 5)"
    )


def test_wrong_grid_shapes_are_all_reported() -> None:
    """A funding grid with 2 rows, the second of 4 values: both reported with the counts."""
    source = dict(FUNDING, values=[["0", "0", "0", "0", "0"], ["0", "0", "0", "0"]])
    assert issues_of(source) == [
        (("values",), "values has 2 rows, expected 3 (one per profit_attainment)"),
        (("values", 1), "row 2 has 4 values, expected 5 (one per rating)"),
    ]


def test_one_dimensional_grid_length() -> None:
    """Seven values for eight levels is reported."""
    source = dict(TARGET_PCT, values=TARGET_PCT["values"][:7])
    assert issues_of(source) == [(("values",), "values has 7 values, expected 8 (one per level)")]


# --------------------------------------------------------------------------- round, floor, cap


def test_round_then_cap() -> None:
    """0 → 10%, 1 → 20% at 0.26 gives 12.6%; rounded to 0.01 half up: 13%; then capped at
    12.5%. (Capping first would give 12.5% rounded up to 13%.)"""
    source = {
        "axes": [{"name": "x", "match": "interpolate", "at": ["0", "1"]}],
        "values": ["0.10", "0.20"],
    }
    capped = table(source, round={"step": "0.01"}, cap="0.125")
    assert capped(D("0.26"))[0] == D("0.125")


def test_floor_raises_after_rounding() -> None:
    """target 5% with ``floor: 6%`` returns 6%."""
    assert table(TARGET_PCT, floor="6%")(D(1))[0] == D("0.06")


def test_funding_is_capped() -> None:
    """funding at 130% for rating 5 clamps to 200%, then is capped at 180%."""
    assert table(FUNDING)(D("1.3"), D(5))[0] == D("1.80")


def test_a_default_is_returned_as_declared() -> None:
    """A default is not rounded, floored or capped: default 300% with cap 180% returns 300%."""
    assert table(FUNDING, default="300%")(D("0.9"), D(9))[0] == D(3)


def test_rounding_problems_are_reported_together() -> None:
    """A step of 0 and the mode 'half-up' are both reported; the hint suggests 'half_up'."""
    with pytest.raises(SpecIssues) as caught:
        table(TARGET_PCT, round={"step": "0", "mode": "half-up"})
    issues = caught.value.issues
    assert [i.path for i in issues] == [("round", "step"), ("round", "mode")]
    assert issues[1].message == "unknown rounding mode 'half-up'"
    assert issues[1].hint.startswith("did you mean 'half_up'?")


def test_floor_above_cap() -> None:
    """A floor above the cap can never be met: reported."""
    assert [path for path, _ in issues_of(dict(TARGET_PCT, floor="50%", cap="20%"))] == [("floor",)]


# ------------------------------------------------------------------------------- explanations


def explain(t: Table, *keys: object) -> str:
    value, detail = t(*keys)
    return t.explain(list(keys), value, detail)


def test_explain_exact() -> None:
    """An exact lookup reads as the call and its value."""
    assert explain(table(TARGET_PCT, "target_pct"), D(4)) == "target_pct(level=4) = 10%"


def test_explain_two_dimensional_interpolation() -> None:
    """The 2-D cell shows the straight line along profit within the rating column."""
    assert explain(table(FUNDING, "funding"), D("0.9"), D(4)) == (
        "funding(profit_attainment=90%, rating=4) = "
        "60% + (90% − 80%) ÷ (100% − 80%) × (110% − 60%) = 85%"
    )


def test_explain_clamp_and_cap() -> None:
    """Clamping and capping are both shown."""
    assert explain(table(FUNDING, "funding"), D("1.3"), D(5)) == (
        "funding(profit_attainment=130%, rating=5) = 200% → capped at 180% "
        "(profit_attainment clamped to 120%)"
    )


def test_explain_range_and_default() -> None:
    """A range lookup names its band; a default says which key found no row."""
    assert explain(table(TENURE, "tenure_factor"), D(2)) == (
        "tenure_factor(years=2) = 75% (years in band [1, 3))"
    )
    assert explain(table(TARGET_PCT, "target_pct", default="0%"), D(9)) == (
        "target_pct(level=9) = 0% (the default: no row for level=9)"
    )


def test_describe_is_json_with_exact_decimals() -> None:
    """The static description is JSON-able, keeps the grid's shape and exact decimals."""
    described = table(FUNDING, "funding").describe()
    assert json.loads(json.dumps(described)) == described
    assert described["values"] == [
        ["0.00", "0.00", "0.50", "0.60", "0.70"],
        ["0.00", "0.50", "1.00", "1.10", "1.20"],
        ["0.00", "0.80", "1.50", "1.70", "2.00"],
    ]
    assert described["round"] == {"step": "0.0001", "mode": "half_up"}
    axes = described["axes"]
    assert isinstance(axes, list)
    assert axes[0]["below"] == "clamp"


# --------------------------------------------------------------------------------- properties


@given(interpolated_tables(), st.decimals(min_value=-2, max_value=5, places=3))
def test_clamped_interpolation_stays_within_the_values(spec: TableSpec, x: Decimal) -> None:
    """A clamped 1-D interpolate table never returns less than its smallest value or more than
    its largest, whatever the key."""
    values = [v for v in spec.values if isinstance(v, Decimal)]
    value, _ = compile_table("t", spec)(x)
    assert min(values) <= value <= max(values)


def test_schema_errors_point_at_the_entry() -> None:
    """A bad band or a bad cell is reported at its own position, with no union member names in
    the location, so the loader can map it to a line: axes.0.at.1 and values.1 (value 2)."""
    source = {
        "axes": [
            {"name": "y", "match": "range", "at": [{"from": "0", "to": "1"}, {"from": "x"}]},
            {"name": "z", "match": "exact", "at": ["1", "2"]},
        ],
        "values": [["1", "2"], ["3", "q"]],
    }
    with pytest.raises(ValidationError) as caught:
        TableSpec.model_validate(source)
    found = [(e["loc"], e["msg"].removeprefix("Value error, ")) for e in caught.value.errors()]
    assert [loc for loc, _ in found] == [("axes", 0, "at", 1), ("values", 1)]
    assert found[0][1].startswith("from: 'x' is not a number")
    assert found[1][1].startswith("value 2: 'q' is not a number")
