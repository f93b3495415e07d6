"""A breakdown cell whose value is the very object of another step's value written earlier in
the line (``new_range_min`` is ``range_min`` for everyone not promoted, ``salary_ceiling`` is
``new_range_max``, a clamp gives its bound) reuses that cell's text: the line is the one written
when every value is a fresh object, whichever values are the same objects."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from incentives.io.run_outputs import OutputLayout
from incentives.io.same_values import same_value_candidates
from incentives.rulebook.rulebook import load_rules
from strategies import any_decimals

_LAYOUTS = {
    folder: OutputLayout(load_rules(ROOT / folder))
    for folder in ("bench/rules", "bench/reference", "rules")
}
_VALUES = st.one_of(
    any_decimals(nan_and_infinity=True).filter(lambda d: not d.is_finite() or d.adjusted() < 40),
    st.sampled_from([Decimal(t) for t in ("0", "-0.00", "88000", "0.025", "2474.00", "1E+3")]),
)


def _fresh(value: Any) -> Any:
    """An equal value, no object shared with ``value`` (a call's answer: a new tuple)."""
    if type(value) is Decimal:
        return Decimal(str(value))
    if type(value) is tuple:
        return tuple(_fresh(v) for v in value)
    return value


def _written(line: Any, *args: Any) -> object:
    """The line, or the kind of error the general path raises (int(NaN), a huge quantize)."""
    try:
        return line(*args)
    except (ArithmeticError, ValueError) as error:
        return type(error)


@pytest.mark.parametrize(
    ("folder", "policy_id"),
    [(folder, pid) for folder, layout in _LAYOUTS.items() for pid in layout.breakdown_files],
)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_value_the_very_object_of_any_earlier_one_is_written_as_a_fresh_one(
    folder: str, policy_id: str, data: st.DataObject
) -> None:
    """Any policy of the bench cycle, the bench reference or the sample, any values, each
    step's value fresh or the very object of any value recorded before it, any row currency:
    the breakdown line and the paired results and breakdown lines are those of fresh values
    (the paired ones, of the separate functions: a text both make, made once)."""
    layout = _LAYOUTS[folder]
    policy = layout._policies[policy_id]
    # a few values, and equal ones written otherwise (1E+3 and 1000, 0, 0.00 and -0): each value
    # recorded is one of them, the very object, or a fresh copy of one
    pool = data.draw(st.lists(_VALUES, min_size=1, max_size=3), label="values")
    pool += [v.normalize() for v in pool if v.is_finite()]
    pool += [v.quantize(Decimal("0.01")) for v in pool if v.is_finite() and v.adjusted() < 20]
    pool += [v.copy_negate() for v in pool if v.is_zero()]  # -0 == 0
    # and the generated code's constants, the very objects (a step's ``... else 0``)
    pool += [v for k, v in policy.globals_.items() if k.startswith("NUM_") and type(v) is Decimal]
    # what calls gave (value, what matched): a few results, each call's the very tuple of one
    # of them or a fresh equal one, or no call at all
    answers = [(v, (i, "x")) for i, v in enumerate(pool[:3])]
    trace: list[Any] = []
    for slot in policy.slots:
        if slot.kind == "call":
            answer = data.draw(st.sampled_from([None, *answers]))
            if answer is not None and data.draw(st.booleans()):
                answer = (Decimal(str(answer[0])), tuple(answer[1]))
            value = None if answer is None else (("key",), answer)
        elif slot.kind not in ("raw", "stage", "step", "pay"):
            value = None
        else:
            value = data.draw(st.sampled_from(pool))
            how = data.draw(st.integers(0, 7))
            if how == 0:
                value = Decimal(str(value))  # equal, written alike, another object
            elif how == 1 and slot.kind != "pay":  # a pay amount is a Decimal, always
                value = data.draw(st.sampled_from([None, 0, 7]))  # not a Decimal
        trace.append(value)
    fresh = [_fresh(v) for v in trace]
    currency = data.draw(st.sampled_from(["USD", "EUR", "JPY", "BHD"]))

    def outcome(values: list[Any]) -> SimpleNamespace:
        return SimpleNamespace(
            eligible=True, trace=tuple(values), currency=currency, zero_reason="",
            notes="", ready=None, gaps="",
        )  # fmt: skip

    breakdown = layout.breakdown_line_of(policy_id)
    breakdown_text = _written(breakdown, "E1", outcome(fresh))
    assert _written(breakdown, "E1", outcome(trace)) == breakdown_text
    pair = layout.pair_line_of(policy_id)
    assert pair is not None
    both = _written(pair, "E1", outcome(trace))
    results = _written(layout.results_line_of(policy_id), "E1", outcome(fresh))
    if type(both) is tuple:  # the separate lines, which `_shared_texts` does not touch
        assert both == (results, breakdown_text)
    else:  # the first line that fails fails alike
        assert both == (results if type(results) is not str else breakdown_text)


def test_the_bench_merit_cells_look_where_the_same_objects_are() -> None:
    """The steps of the bench merit policy that hand on another's value, share a literal or
    call the same exact table are tested against it, the steps it hands on first."""
    found = same_value_candidates(
        {
            "range_max": ["salary_range_max(grade, country)"],
            "new_range_max": ["salary_range_max(coalesce(new_grade, grade), country)"],
            "promotion_amount": ["min(a, b) if promoted else 0"],
            "top_up": ["max(0, minimum - merit) if target > 0 else 0"],
            "ceiling": ["max(new_range_max, current_salary)"],
            "fund": ["fx(pay, currency, 'EUR')", "0"],
            "spend": ["fx(spent, currency, 'EUR')"],
        },
        tables={"salary_range_max"},
    )
    assert found["new_range_max"] == ("ceiling", "range_max")
    assert found["ceiling"] == ("new_range_max", "range_max")
    assert found["top_up"] == ("fund", "promotion_amount")
    assert found["spend"] == ()  # fx gives a fresh amount: nothing to look for
