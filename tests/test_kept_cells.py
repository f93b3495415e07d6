"""A breakdown cell whose value is the very object written in an earlier cell of the line (a
step whose formula is another step's or a scorecard's name) writes the text of a fresh equal
value: the earlier text reused, or a money cell derived from a rounded one."""

from __future__ import annotations

import contextlib
import decimal
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from incentives.io.cells import (
    cell_expression,
    cell_namespace,
    exact_cell,
    kept_money_expression,
    minor_unit_of,
    money_point,
    quantum_point,
    rounded_expression,
)
from incentives.io.csv_lines import LineCell, line_function
from incentives.io.run_outputs import OutputLayout
from incentives.rulebook.rulebook import load_rules
from strategies import any_decimals

# any sign and size, the texts that matter (-0 at the step's decimals, whole, tiny, huge), NaN
_VALUES = st.one_of(
    any_decimals(nan_and_infinity=True).filter(lambda d: not d.is_finite() or d.adjusted() < 40),
    st.sampled_from(
        [
            Decimal(t)
            for t in (
                "0",
                "-0.000000",
                "0.000000",
                "56700.000000",
                "87770.059500",
                "2443.542041",
                "1.500000",
                "-12.500000",
                "1E+3",
                "1E-9",
                "9.9999999",
            )
        ]
    ),
)
# the row's unit: JPY (none), USD, BHD (three decimals), a unit of four decimals
_UNITS = st.sampled_from([minor_unit_of("JPY"), minor_unit_of("USD"), minor_unit_of("BHD"), Decimal("0.0001")])


def _written(line: Any, *args: Any) -> object:
    """The line, or the kind of error the general path raises (quantizing a huge value)."""
    try:
        return line(*args)
    except (ArithmeticError, ValueError) as error:
        return type(error)


@pytest.mark.parametrize(("decimals", "places"), [(1, 6), (2, 2), (2, 6), (3, 6), (6, 6), (6, 12)])
@settings(max_examples=200)
@given(value=_VALUES, unit=_UNITS, rounded=st.booleans(), same=st.booleans())
def test_a_money_cell_from_a_rounded_text_is_the_general_text(
    decimals: int, places: int, value: Decimal, unit: Decimal, rounded: bool, same: bool
) -> None:
    """The money cell of a value that is the very object rounded at ``decimals`` in an earlier
    cell (``bonus_cents.raw`` is ``bonus_m6``), derived from that text, is what the general path
    writes for a fresh equal value: `exact_cell`'s text at the row's unit, for any value
    (rounded or not, -0, NaN, an exponent, huge) and any unit (none, more decimals than the
    step's); the rounded cell is unchanged by keeping its text."""
    quantum = Decimal(1).scaleb(-decimals)
    if rounded:  # most of them: what the policy rounded
        with contextlib.suppress(decimal.InvalidOperation):
            value = value.quantize(quantum)
    namespace = cell_namespace(places)
    namespace["Q0"], namespace["money_point"] = quantum, money_point
    point = quantum_point(quantum)
    general = cell_expression("w", "raw", "money")
    kept = [
        LineCell("rounded", rounded_expression("v", "Q0", point, keep="_mv")),
        LineCell("money", kept_money_expression("w", "v", "_mv", decimals, general)),
    ]
    plain = [LineCell("rounded", rounded_expression("v", "Q0", point)), LineCell("money", general)]
    prologue = "DOT, NEXT, PAD = money_point(MU)"
    kept_line = line_function("test", "v, w, MU", kept, namespace, prologue)
    plain_line = line_function("test", "v, w, MU", plain, namespace, prologue)
    other = value if same else Decimal(str(value))  # the same object, or a fresh equal one
    expected = _written(plain_line, value, Decimal(str(value)), unit)
    assert _written(kept_line, value, other, unit) == expected
    if type(expected) is str and value.is_finite() and places >= -unit.as_tuple().exponent:
        assert expected.split(",")[1] == exact_cell(value, unit, places) + "\n"


_LAYOUTS = {folder: OutputLayout(load_rules(ROOT / folder)) for folder in ("bench/reference", "rules")}


@settings(max_examples=100)
@given(data=st.data())
def test_a_bare_name_steps_first_value_is_written_as_a_fresh_equal_one(data: st.DataObject) -> None:
    """In the bench reference policy (``goal_factor: individual``, ``bonus_cents: bonus_m6``,
    ``salary_cap: salary_cap_m6``) and the sample, a step whose formula is a name starts from
    the very object that name holds (mostly rounded at 6 decimals): each line is the one
    written when every value is a fresh object, whatever the values and the row's currency."""
    folder = data.draw(st.sampled_from(sorted(_LAYOUTS)), label="rules")
    layout = _LAYOUTS[folder]
    policy_id = data.draw(st.sampled_from(sorted(layout.breakdown_files)), label="policy")
    policy = layout._policies[policy_id]
    named = {
        name: spec.formula.strip()
        for name, spec in policy.spec.steps.items()
        if spec.formula and spec.formula.strip().isidentifier()
    }
    values = st.one_of(_VALUES, _VALUES.map(lambda d: _quantized(d, "0.000001")), st.none())
    trace: list[Any] = []
    latest: dict[str, Any] = {}  # each name's latest value
    for slot in policy.slots:
        first = slot.owner not in latest
        if first and slot.owner in named and named[slot.owner] in latest and data.draw(st.booleans()):
            value = latest[named[slot.owner]]  # the named step's value object
        elif not first and slot.kind in ("stage", "step", "pay") and data.draw(st.booleans()):
            value = latest[slot.owner]
        else:
            value = data.draw(values) if slot.kind in ("raw", "stage", "step", "pay") else None
        trace.append(value)
        latest[slot.owner] = latest[slot.name] = value
    fresh = [Decimal(str(v)) if type(v) is Decimal else v for v in trace]
    currency = data.draw(st.sampled_from(["USD", "JPY", "BHD"]))
    line = layout.breakdown_line_of(policy.id)

    def written(values: list[Any]) -> object:
        outcome = SimpleNamespace(eligible=True, trace=tuple(values), currency=currency)
        return _written(line, "E1", outcome)

    assert written(trace) == written(fresh)


def _quantized(value: Decimal, step: str) -> Decimal:
    try:
        return value.quantize(Decimal(step))
    except decimal.InvalidOperation:
        return value
