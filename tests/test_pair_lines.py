"""A policy's results.csv line and its breakdown line are made by one generated function
(`OutputLayout.pair_line_of`: the outcome unpacked once, a pay amount's text made once): it
gives exactly the two lines the separate line functions give, which the general path
(`write_items` for the rows the generated writer does not take) still uses."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RATES, ROOT, RULES, sample_roster
from engine_helpers import run
from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome, calculate
from incentives.io import read_rates
from incentives.io.run_outputs import OutputLayout
from incentives.model import GoalInput
from incentives.rulebook.rulebook import load_rules
from strategies import any_decimals

_CHAINED = ("raw", "stage", "step", "pay")  # a step's values, recorded one after the other
_VALUES = st.one_of(
    any_decimals(nan_and_infinity=True).filter(lambda d: not d.is_finite() or d.adjusted() < 40),
    st.sampled_from([Decimal(t) for t in ("0", "-0.00", "45800", "2245.00", "1E+3", "7968.965")]),
)


@functools.cache
def _outcomes() -> tuple[tuple[OutputLayout, str, PolicyOutcome], ...]:
    """Every outcome of the sample cycle and of an employee of the bench reference policy,
    with the layout of its rulebook and the employee's id."""
    found: list[tuple[OutputLayout, str, PolicyOutcome]] = []
    sample = load_rules(RULES)
    layout = OutputLayout(sample)
    for item in calculate(sample, sample_roster(sample), rates=read_rates(RATES)):
        if isinstance(item, EmployeeOutcome):
            found += [(layout, item.employee_id, po) for po in item.outcomes]
    reference = load_rules(ROOT / "bench" / "reference")
    row = {
        "employee_id": "A", "level": "3", "currency": "USD", "base_salary": "100000.00",
        "hire_date": "2026-03-15", "rating": "4", "range_mid": "100000.00",
    }  # fmt: skip
    goals = tuple(
        GoalInput(f"goal{i}", target, actual, weight, column_prefix=f"goal{i}_")
        for i, (target, actual, weight) in enumerate(
            (("100", "80", "0.50"), ("200", "200", "0.30"), ("100", "150", "0.20")), 1
        )
    )
    _, items = run(reference, [row], goals={"A": goals})
    layout = OutputLayout(reference)
    for item in items:
        assert isinstance(item, EmployeeOutcome), item
        found += [(layout, item.employee_id, po) for po in item.outcomes]
    return tuple(found)


def _written(line: Any, eid: str, po: Any) -> object:
    """What a line function gives, or the kind of error it raises (as the general path does
    for a value it cannot write, int(NaN))."""
    try:
        return line(eid, po)
    except (ArithmeticError, ValueError) as error:
        return type(error)


def test_every_policy_of_the_sample_and_the_reference_has_its_lines_paired() -> None:
    """The fast path is taken for every policy of both rulebooks (the writer uses it)."""
    layouts = {id(layout): layout for layout, _, _ in _outcomes()}
    policies = [(layout, pid) for layout in layouts.values() for pid in layout.breakdown_files]
    assert len(policies) >= 8
    assert all(layout.pair_line_of(pid) is not None for layout, pid in policies)


def test_the_computed_outcomes_pair_lines_are_the_separate_lines() -> None:
    for layout, eid, po in _outcomes():
        pid = po.policy.id
        pair = layout.pair_line_of(pid)
        assert pair is not None
        assert pair(eid, po) == (
            layout.results_line_of(pid)(eid, po),
            layout.breakdown_line_of(pid)(eid, po),
        )


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_paired_lines_are_the_separate_lines_whatever_the_values(data: st.DataObject) -> None:
    """For an outcome of any policy of the sample or the reference, with any of its steps' and
    pay amounts' values (money at any decimals, -0, exponents, NaN; a value the very object
    of the one recorded before it, as a pay component and its total are) and any row
    currency, the paired function gives the results line and the breakdown line the separate
    functions give (or fails as the first of them fails)."""
    layout, eid, po = data.draw(st.sampled_from(_outcomes()), label="outcome")
    trace = list(po.trace)
    for slot_index, slot in enumerate(po.policy.slots):
        if slot.kind not in _CHAINED or type(trace[slot_index]) is not Decimal:
            continue
        how = data.draw(st.sampled_from(["kept", "new", "previous"]))
        if how == "new":
            trace[slot_index] = data.draw(_VALUES)
        elif how == "previous" and slot_index and type(trace[slot_index - 1]) is Decimal:
            trace[slot_index] = trace[slot_index - 1]  # the very object recorded before
    currency = data.draw(st.sampled_from(["USD", "JPY", "BHD"]))
    changed = po._replace(trace=tuple(trace), currency=currency)
    pid = po.policy.id
    pair = layout.pair_line_of(pid)
    assert pair is not None
    results = _written(layout.results_line_of(pid), eid, changed)
    breakdown = _written(layout.breakdown_line_of(pid), eid, changed)
    both = _written(pair, eid, changed)
    if type(both) is tuple:
        assert both == (results, breakdown)
    else:  # the first line that fails fails alike
        assert both == (results if type(results) is not str else breakdown)
