"""The evaluation fast paths give exactly what the general paths give, digit for digit.

Each fast path (a 2-D table grid lookup, goal figures converted once per text, month counts
remembered per span) is checked against the general code over random inputs: the same value
with the same exponent (compared by `repr`, so 1.0 and 1.00 differ), the same detail, the same
error message.
"""

from __future__ import annotations

import ast
import datetime
import decimal
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine_helpers import compute, load, policy_yaml
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import MissingValue, RowError
from incentives.expr import compile_expression, functions, reference_eval
from incentives.model import GoalInput
from incentives.money import (
    CURRENCY_MINOR_UNITS,
    ENGINE_CONTEXT,
    ROUNDING_MODES,
    minor_unit,
    round_to,
)
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.compiler.gen_round import (
    context_sized,
    power_of_ten,
    round_code,
    round_lines,
)
from incentives.rulebook.runtime import scorecard
from incentives.rulebook.runtime.curves import CurveSpec, compile_curve
from incentives.rulebook.runtime.ratings import RatingHistory
from incentives.rulebook.runtime.scorecard import EmployeeScorecard
from incentives.rulebook.runtime.tables import Table, TableSpec, compile_table
from strategies import any_decimals, decimals

GRID: dict[str, Any] = {
    "axes": [
        {"name": "rating", "match": "exact", "at": ["1", "2", "3", "4", "5"]},
        {
            "name": "compa",
            "match": "range",
            "at": [{"from": "0.8", "to": "0.9"}, {"from": "0.9", "to": "1.1"}, {"from": "1.1"}],
        },
    ],
    "values": [[f"{r}.{c}5%" for c in range(3)] for r in range(5)],
    "type": "percent",
}


def _outcome(call: Any, *args: object) -> str:
    """What a call gives, as text exact to the exponent, or the message of what it raised."""
    try:
        return repr(call(*args))
    except (RowError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _grid(**extra: Any) -> tuple[Table, Table]:
    """A 2-D exact × range table, and the same table forced through the general lookup."""
    fast = compile_table("merit_grid", TableSpec.model_validate({**GRID, **extra}))
    general = attrs.evolve(fast)
    object.__setattr__(general, "_grid2", False)
    return fast, general


grid_keys = st.tuples(
    st.one_of(st.none(), st.sampled_from(["1", "3", "5", "6", "x"]), decimals("0", "6", 1)),
    st.one_of(st.none(), decimals("0.7", "1.3", 3), st.just("high")),
)


@given(keys=grid_keys, capped=st.booleans(), default=st.booleans())
def test_a_2d_grid_lookup_gives_what_the_general_lookup_gives(
    keys: tuple[object, object], capped: bool, default: bool
) -> None:
    """Found, missed, defaulted, a key missing or not a number: the same value and detail, or
    the same message, as the general N-axis lookup."""
    extra: dict[str, Any] = {}
    if capped:
        extra.update(cap="3.1%", round={"step": "0.1%", "mode": "half_up"})
    if default:
        extra["default"] = "0%"
    fast, general = _grid(**extra)
    assert fast._grid2 and not general._grid2
    assert _outcome(fast, *keys) == _outcome(general, *keys)


LEVELS: dict[str, Any] = {
    "axes": [{"name": "level", "match": "exact", "at": ["1", "2", "3", "4.5", "G7"]}],
    "values": ["5%", "8%", "10.0%", "15%", "20%"],
    "type": "percent",
}

level_keys = st.one_of(
    st.none(),
    st.sampled_from(["1", "2", "4.5", "4.50", "G7", "g7", "9", "x", True]),
    st.integers(0, 5),
    decimals("0", "5", 2),
    st.just([1]),
)


@given(key=level_keys, default=st.booleans())
def test_a_1d_exact_lookup_found_before_is_the_general_lookup(key: object, default: bool) -> None:
    """A key of a 1-D exact table (a level, a grade, a rating) looked up among the keys worked
    out once gives the value and detail the general lookup gives, and a key it does not know
    (text for a number, a miss, a default, no key, an unhashable one) the same or the same message."""
    extra: dict[str, Any] = {"default": "1%"} if default else {}
    fast = compile_table("target_pct", TableSpec.model_validate({**LEVELS, **extra}))
    general = attrs.evolve(fast)
    object.__setattr__(general, "_found", None)
    assert fast._found is not None
    assert _outcome(fast, key) == _outcome(general, key)


RANGES: dict[str, Any] = {
    "axes": [
        {"name": "grade", "match": "exact", "at": ["G1", "G2", "3"]},
        {"name": "country", "match": "exact", "at": ["US", "DE"]},
        {"name": "band", "match": "exact", "at": ["1", "2.5"]},
    ],
    "values": [[["1", "2"], ["3", "4.0"]], [["5", "6"], ["7", "8"]], [["9", "10"], ["11", "12"]]],
}


def _axis_keys(*known: object) -> st.SearchStrategy[object]:
    """Mostly keys the axis knows (as written, or as a number), sometimes a miss or nothing."""
    return st.one_of(
        st.sampled_from(known), st.sampled_from([None, "x", "g1", Decimal("2.50"), 7, [1]])
    )


exact_keys = st.one_of(
    st.tuples(
        _axis_keys("G1", "G2", Decimal(3), "3", 3),
        _axis_keys("US", "DE"),
        _axis_keys(Decimal(1), Decimal("2.5"), "1", 1),
    ),
    st.lists(_axis_keys("G1", "US", Decimal(1)), min_size=2, max_size=4).map(tuple),
)


@given(keys=exact_keys, default=st.booleans())
def test_an_exact_table_found_before_is_the_general_lookup(
    keys: tuple[object, ...], default: bool
) -> None:
    """A table of exact axes (grade × country × band) answers known keys from the lookups
    worked out when it compiled, exactly as the general lookup; unknown keys, a missing key,
    text for a number or the wrong number of keys get the general path's answer or message."""
    extra: dict[str, Any] = {"default": "0"} if default else {}
    fast = compile_table("salary_range", TableSpec.model_validate({**RANGES, **extra}))
    general = attrs.evolve(fast)
    object.__setattr__(general, "_found", None)
    assert fast._found is not None
    assert _outcome(fast, *keys) == _outcome(general, *keys)


CURVE = compile_curve(
    "goal_payout",
    CurveSpec.model_validate({"points": [["80%", "50%"], ["100%", "100%"], ["150%", "200%"]]}),
)
CARD = EmployeeScorecard("individual", CURVE, max_goals=3, normalise=True)

figure_texts = st.one_of(
    decimals("0", "5000", 2).map(str),
    decimals("0", "200", 1).map(lambda d: f"{d}%"),
    st.sampled_from(["1e3", "0.500", "7", "", "abc", "12,5", "1" * 30, "0.0000000000000000000001"]),
    st.text("0123456789", min_size=1, max_size=30),  # plain digits, leading zeros, long ones
    st.sampled_from(["١٢٣", "²", "0" * 24, "9" * 25]),  # digits that are not ASCII
)


@given(text=figure_texts)
def test_a_goal_figure_is_what_the_percent_converter_reads(text: str) -> None:
    """Each goal figure (plain digits by their own fast path) is the percent converter's value,
    digit for digit, or rejected as the converter rejects it."""
    goal = GoalInput("sales", text, text, text, "higher", None, "goal1_")
    try:
        expected = repr(scorecard._AS_NUMBER(text))
    except ValueError:
        expected = "rejected"
    try:
        found = repr(scorecard._figure(goal, "target", text))
    except RowError:
        found = "rejected"
    if text == "":
        expected = "rejected"  # an empty figure is a missing one
    assert found == expected


@given(
    figures=st.lists(
        st.tuples(figure_texts, figure_texts, figure_texts, st.sampled_from(["higher", "lower"])),
        min_size=1,
        max_size=3,
    ),
    warm=st.booleans(),
)
def test_goal_figures_read_once_score_exactly_as_read_afresh(
    figures: list[tuple[str, str, str, str]], warm: bool
) -> None:
    """A scorecard over figures already converted (from the cache) scores, records and rejects
    exactly as over figures converted for the first time."""
    goals = tuple(
        GoalInput(f"goal {i}", t, a, w, d, None, f"goal{i}_")
        for i, (t, a, w, d) in enumerate(figures)
    )
    with decimal.localcontext(ENGINE_CONTEXT):
        scorecard._FIGURES.clear()
        if warm:
            _outcome(CARD, goals)  # another employee with the same figures, earlier
        cached = _outcome(CARD, goals)
        scorecard._FIGURES.clear()
        fresh = _outcome(CARD, goals)
    assert cached == fresh
    for text, number in scorecard._FIGURES.items():
        assert repr(number) == repr(scorecard._AS_NUMBER(text))


dates = st.dates(datetime.date(2024, 1, 1), datetime.date(2028, 12, 31))


@given(
    start=dates,
    end=dates,
    period_start=dates,
    days=st.integers(0, 800),
    partial=st.sampled_from(functions.PARTIAL_MONTH_RULES),
)
def test_month_counts_remembered_are_the_counts_computed(
    start: datetime.date, end: datetime.date, period_start: datetime.date, days: int, partial: str
) -> None:
    """A span's month count, remembered, is the count worked out afresh, and the fraction
    `prorate` gives from it is the same decimal."""
    period_end = period_start + datetime.timedelta(days=days)
    args = (start, end, period_start, period_end, partial)
    fresh = functions._month_counts.__wrapped__(*args)
    assert functions._month_counts(*args) == fresh
    assert functions._month_counts(*args) == fresh  # the second time from the cache
    if start <= end:
        assert repr(functions._months(*args)) == repr(Decimal(fresh[0]) / Decimal(fresh[1]))


steps = st.one_of(
    st.sampled_from(["0.01", "1", "0.000001", "0.05", "100", "1E+2", "0.010", "0.5", "3"]).map(
        Decimal
    ),
    decimals("0.001", "10", 3).filter(bool),
)


@given(
    x=st.one_of(decimals("-100000", "100000", 8), st.just(Decimal("1" * 40 + "E-20"))),
    step=steps,
    mode=st.sampled_from(sorted(ROUNDING_MODES)),
)
def test_round_to_inline_is_the_declared_rounding(x: Decimal, step: Decimal, mode: str) -> None:
    """The formula function round_to rounds exactly as the money module's declared rounding,
    to the same digits and exponent, in the engine's context."""
    with decimal.localcontext(ENGINE_CONTEXT):
        assert repr(functions.f_round_to(x, step, mode)) == repr(round_to(x, step, mode))


@given(
    x=st.one_of(
        decimals("-100000", "100000", 8),
        st.decimals(allow_nan=False, allow_infinity=False, places=30),  # beyond 28 digits too
        st.integers(-(10**30), 10**30),
        st.none(),
    ),
    step=steps,
    mode=st.sampled_from(sorted(ROUNDING_MODES)),
)
def test_inline_rounding_is_round_to(x: object, step: Decimal, mode: str) -> None:
    """The rounding a step or pay component generates inline gives what ``round_to`` gives,
    digit for digit, and fails where it fails, with its message."""
    code = round_code("x", "S", mode, positive_step=True)
    assert "quantize" in code  # the inline path is the one under test
    namespace = {"x": x, "S": step, "ONE": Decimal(1), "DECIMAL": Decimal}
    namespace["F_round_to"] = functions.f_round_to

    def outcome(run: Any) -> str:
        try:
            return repr(run())
        except (RowError, ArithmeticError) as exc:
            return f"{type(exc).__name__}: {exc}"

    with decimal.localcontext(ENGINE_CONTEXT):
        inline = outcome(lambda: eval(code, namespace))  # the code as `bind` runs it
        called = outcome(lambda: functions.f_round_to(x, step, mode))
    assert inline == called


def _rounder(lines: list[str]) -> Any:
    """The generated rounding lines (target ``y``, value ``x``) as a function of ``x``."""
    body = "".join(f"    {line}\n" for line in lines)
    namespace: dict[str, Any] = {"ONE": Decimal(1), "DECIMAL": Decimal}
    namespace["F_round_to"] = functions.f_round_to
    exec(f"def rounded(x, S):\n{body}    return y\n", namespace)
    return namespace["rounded"]


def _rounding_outcome(run: Any, *args: object) -> str:
    try:
        return repr(run(*args))
    except (RowError, ArithmeticError) as exc:
        return f"{type(exc).__name__}: {exc}"


tens = st.integers(-8, 0).map(lambda e: Decimal(1).scaleb(e))  # 1, 0.1, ..., 1E-8
# operands of every size the context holds, from tiny to next to Emax, and signed zeros
operands = st.one_of(
    decimals("-100000", "100000", 8),
    st.builds(
        lambda digits, exponent, sign: Decimal(f"{sign}{digits}E{exponent}"),
        st.integers(0, 10**30),
        st.integers(-999_990, 999_990),
        st.sampled_from(["", "-"]),
    ),
    st.sampled_from([Decimal("-0"), Decimal("0E+7"), Decimal("-0E-9"), Decimal("0.5")]),
)


@given(
    a=operands,
    b=operands,
    op=st.sampled_from(["*", "/", "+", "-"]),
    step=tens,
    mode=st.sampled_from(sorted(ROUNDING_MODES)),
)
@example(a=Decimal("9E+999998"), b=Decimal(1), op="*", step=Decimal("1E-6"), mode="up")  # overflow
@example(a=Decimal("1E+27"), b=Decimal(9), op="*", step=Decimal("0.01"), mode="down")  # 30 digits
@example(a=Decimal("-0.004"), b=Decimal(1), op="*", step=Decimal("0.01"), mode="half_up")  # -0.00
def test_one_quantize_rounds_a_computed_value_as_the_general_form(
    a: Decimal, b: Decimal, op: str, step: Decimal, mode: str
) -> None:
    """A value computed in the engine's context, rounded to a power of ten by one `quantize`
    (the fast form of a rounding step or pay component), is the general form's value digit for
    digit and exponent for exponent, a zero's sign too; where the general form raises (the
    value too large for 28 digits, an overflow), the fast form raises the same error."""
    fast = _rounder(round_lines("y", "x", "S", mode, True, quantum=True))
    general = _rounder(round_lines("y", "x", "S", mode, True, quantum=False))
    with decimal.localcontext(ENGINE_CONTEXT):
        try:
            x = eval(f"a {op} b", {"a": a, "b": b})  # what a step's formula computes
        except ArithmeticError:
            return  # 0 ÷ 0, an overflow: no value to round
        assert len(x.as_tuple().digits) <= ENGINE_CONTEXT.prec
        assert _rounding_outcome(fast, x, step) == _rounding_outcome(general, x, step)


def test_the_fast_rounding_is_one_quantize_and_the_general_one_is_kept_otherwise() -> None:
    """The fast form quantizes to the step; without a power of ten or a computed value the
    generated rounding stays the general form."""
    fast = "\n".join(round_lines("x", "x", "NUM_0_01", "half_up", True, quantum=True))
    assert "x = x.quantize(NUM_0_01, 'ROUND_HALF_UP')" in fast
    general = round_lines("x", "x", "NUM_0_01", "half_up", True, quantum=False)
    assert general == [f"x = {round_code('x', 'NUM_0_01', 'half_up', True)}"]
    assert [power_of_ten(Decimal(s)) for s in ("0.01", "1", "1E-6", "0.000001")] == [True] * 4
    assert not any(power_of_ten(Decimal(s)) for s in ("0.010", "10", "1E+1", "0.05", "-0.01"))
    assert not power_of_ten("minor_unit")


def test_every_minor_unit_is_a_power_of_ten() -> None:
    """Pay rounds to the currency's minor unit with one `quantize`: every unit is 10**-n."""
    assert all(power_of_ten(minor_unit(code)) for code in CURRENCY_MINOR_UNITS)


@pytest.mark.parametrize(
    ("formula", "sized"),
    [
        ("a * b", True),
        ("a / b + 1", True),
        ("-a", True),
        ("round_to(a, 0.01)", True),
        ("truncate_to(a, 1)", True),
        ("min(a * b, a + b)", True),
        ("max(done, a * 2)", True),  # `done`: a step already context-sized
        ("a * 2 if a > 1 else a / 2", True),
        ("a", False),  # an input, as read: up to 40 digits
        ("1.23", False),
        ("min(a, b * 2)", False),
        ("coalesce(a, done)", False),
        ("a * 2 if a > 1 else b", False),
        ("rate(a)", False),  # a table's cell, as written
        ("abs(a * b)", False),
    ],
)
def test_a_value_is_context_sized_only_when_computed(formula: str, sized: bool) -> None:
    """Only values that arithmetic made in the context (or a step already known to be) take
    the fast rounding; inputs, numbers and table cells may have more digits than the context."""
    expr = compile_expression(
        formula, values=frozenset({"a", "b", "done"}), callables={"rate": (1, 1)}
    )
    assert context_sized(expr, {"done"}) is sized


DIGITS_40 = policy_yaml(
    """
    steps:
      computed: {formula: "amount * 1", type: money, round: {step: 0.01, mode: half_up}}
      as_read: {formula: "amount", type: money, round: {step: 0.01, mode: half_up}}
    pay:
      - {name: bonus, step: as_read, pay_code: B}
    """,
    inputs="amount: {type: decimal}",
)


def test_an_input_of_more_digits_than_the_context_rounds_as_before(tmp_path: Path) -> None:
    """An input of 31 digits rounded as read keeps the general rounding, which first rounds it
    to the context's 28 digits (0.00499…95 → 0.005 → 0.01); computed from it, likewise."""
    [out] = compute(tmp_path, DIGITS_40, [{"amount": "0.0049999999999999999999999999995"}])
    assert isinstance(out, PolicyOutcome)
    assert str(out.value("as_read")) == "0.01"
    assert str(out.value("computed")) == "0.01"


BANDS: dict[str, Any] = {
    "axes": [
        {
            "name": "tenure",
            "match": "range",
            "at": [{"from": "0", "to": "2"}, {"from": "2", "to": "5"}, {"from": "5", "to": "10"}],
        }
    ],
    "values": ["1%", "2%", "3.0%"],
}


@given(
    keys=grid_keys,
    capped=st.booleans(),
    default=st.booleans(),
    clamp=st.sampled_from(["reject", "clamp"]),
)
def test_a_band_grid_looked_up_quickly_is_the_general_lookup(
    keys: tuple[object, object], capped: bool, default: bool, clamp: str
) -> None:
    """What the generated code calls for an exact × range grid (`Table.quick`) gives the value
    and detail the general lookup gives, or raises its message: found, below or above the
    bands (clamped or not), a missing key, a label for a number, a default, a rounding cap."""
    extra: dict[str, Any] = {}
    if capped:
        extra.update(cap="3.1%", round={"step": "0.1%", "mode": "half_up"})
    if default:
        extra["default"] = "0%"
    spec = {**GRID, **extra}
    spec["axes"] = [spec["axes"][0], {**spec["axes"][1], "below": clamp, "above": clamp}]
    table = compile_table("merit_grid", TableSpec.model_validate(spec))
    general = attrs.evolve(table)
    object.__setattr__(general, "_grid2", False)
    quick = table.quick()
    assert quick is not table
    assert _outcome(quick, *keys) == _outcome(general, *keys)


cell_keys = st.tuples(
    st.one_of(st.integers(1, 5), decimals("1", "5", 0)), decimals("0.8", "1.3", 3)
)


@given(keys=cell_keys, again=cell_keys)
def test_a_band_grid_gives_one_answer_object_per_cell(
    keys: tuple[object, object], again: tuple[object, object]
) -> None:
    """Keys in the same cell of an unadjusted band grid get the very same ``(value, detail)``
    (so the breakdown's call cells find its text by identity), equal to the general lookup's;
    keys in another cell, another answer."""
    table = compile_table("merit_grid", TableSpec.model_validate(GRID))
    quick = table.quick()
    first, second = quick(*keys), quick(*again)
    assert repr(first) == repr(table(*keys))
    assert repr(second) == repr(table(*again))
    assert (first is second) == (first[1] == second[1])


@given(
    key=st.one_of(st.none(), decimals("-1", "12", 2), st.integers(-1, 12), st.just("3")),
    default=st.booleans(),
    clamp=st.sampled_from(["reject", "clamp"]),
)
def test_a_band_table_looked_up_quickly_is_the_general_lookup(
    key: object, default: bool, clamp: str
) -> None:
    """A 1-D table of range bands answers through `Table.quick` exactly as through the table."""
    spec = {**BANDS, **({"default": "0%"} if default else {})}
    spec["axes"] = [{**spec["axes"][0], "below": clamp, "above": clamp}]
    table = compile_table("by_tenure", TableSpec.model_validate(spec))
    assert table.quick() is not table
    assert _outcome(table.quick(), key) == _outcome(table, key)
    assert _outcome(table.quick(), key, key) == _outcome(table, key, key)


def test_an_exact_table_is_read_from_its_lookups_worked_out_once(tmp_path: Path) -> None:
    """The generated code reads an exact table's known keys from `Table.found` and calls the
    table for anything else (here a key it does not know: the table's own message)."""
    policy = policy_yaml(
        """
        tables:
          pct:
            axes: [{name: level, match: exact, at: [1, 2]}]
            values: ["5%", "8%"]
        steps:
          target: {formula: "pct(level)", type: percent}
        """,
        inputs="level: {type: integer}",
    )
    found, missed = compute(tmp_path, policy, [{"level": "2"}, {"level": "3"}])
    assert isinstance(found, PolicyOutcome) and str(found.value("target")) == "0.08"
    assert not isinstance(missed, PolicyOutcome)
    assert "no row of table 'pct' for level=3" in missed.reason


@given(
    start=st.one_of(st.none(), dates, st.just("2026-03-01")),
    end=st.one_of(st.none(), dates, st.just(datetime.datetime(2026, 5, 1))),
    period_start=dates,
    days=st.integers(-3, 800),
    basis=st.sampled_from([*functions.PRORATE_BASES, "weeks"]),
    partial=st.sampled_from(functions.PARTIAL_MONTH_RULES),
    precision=st.sampled_from([28, 5]),
)
def test_a_prorate_remembered_is_the_fraction_worked_out_afresh_in_the_callers_context(
    start: object,
    end: object,
    period_start: datetime.date,
    days: int,
    basis: str,
    partial: str,
    precision: int,
) -> None:
    """`prorate` over arguments seen before (in another context, even) gives the decimal it
    gives over them the first time in the caller's context, digit for digit, or the same
    rejection: only exact counts are remembered, never a quotient."""
    args = (start, end, basis, partial, period_start, period_start + datetime.timedelta(days))
    context = ENGINE_CONTEXT.copy()
    context.prec = precision
    _forget_prorates()
    with decimal.localcontext(context):
        fresh = _outcome(functions.f_prorate, *args)
    with decimal.localcontext(ENGINE_CONTEXT):
        _outcome(functions.f_prorate, *args)  # remembered under the engine's context
    with decimal.localcontext(context):
        assert _outcome(functions.f_prorate, *args) == fresh


@given(
    first=st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)),
    then=st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)),
    period_start=dates,
    days=st.integers(-3, 800),
    basis=st.sampled_from([*functions.PRORATE_BASES, "weeks"]),
    partial=st.sampled_from(functions.PARTIAL_MONTH_RULES),
)
def test_a_prorate_over_a_span_remembered_from_other_dates_is_worked_out_afresh(
    first: tuple[object, object],
    then: tuple[object, object],
    period_start: datetime.date,
    days: int,
    basis: str,
    partial: str,
) -> None:
    """Dates never seen that cover a span seen before (another hire date before the period:
    the same span) give the decimal, or the rejection, they give when nothing is remembered."""
    period = (basis, partial, period_start, period_start + datetime.timedelta(days))
    _forget_prorates()
    with decimal.localcontext(ENGINE_CONTEXT):
        fresh = _outcome(functions.f_prorate, *then, *period)
        _forget_prorates()
        _outcome(functions.f_prorate, *first, *period)
        assert _outcome(functions.f_prorate, *then, *period) == fresh


class _Day(datetime.date):
    """A date `f_prorate` takes on its general path (checked and clamped as given)."""


@given(
    a=st.dates(datetime.date(2020, 1, 1), datetime.date(2028, 12, 31)),
    b=st.dates(datetime.date(2020, 1, 1), datetime.date(2028, 12, 31)),
    seen=st.booleans(),
)
def test_months_between_plain_dates_remembered_is_the_general_paths(
    a: datetime.date, b: datetime.date, seen: bool
) -> None:
    """Whole months between plain dates (remembered per pair: a roster's hire dates repeat)
    are those the general path counts (a date subclass takes it), seen before or not."""
    if not seen:
        functions._MONTHS.clear()
    general = functions.f_months_between(_Day(a.year, a.month, a.day), _Day(b.year, b.month, b.day))
    assert functions.f_months_between(a, b) == general
    assert functions.f_months_between(a, b) == general


def _forget_prorates() -> None:
    functions._SHARES.clear()
    functions._SPANS.clear()


@given(
    covered=st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)),
    period_start=dates,
    days=st.integers(-3, 800),
    rules=st.tuples(
        st.sampled_from([*functions.PRORATE_BASES, "weeks"]),
        st.sampled_from([*functions.PARTIAL_MONTH_RULES, "half"]),
    ),
    precision=st.sampled_from([28, 5]),
)
def test_a_prorate_of_plain_dates_is_the_general_paths(
    covered: tuple[datetime.date | None, datetime.date | None],
    period_start: datetime.date,
    days: int,
    rules: tuple[str, str],
    precision: int,
) -> None:
    """Plain dates (clamped inline, the span looked up) give the decimal or the rejection the
    general path gives for the same dates (start and end covered; basis and partial-month
    rule), seen before or not."""

    def general(day: datetime.date | None) -> _Day | None:
        return None if day is None else _Day(day.year, day.month, day.day)

    period = (period_start, period_start + datetime.timedelta(days))
    context = ENGINE_CONTEXT.copy()
    context.prec = precision
    args = (*covered, *rules, *period)
    given = (*map(general, covered), *rules, *map(general, period))
    with decimal.localcontext(context):
        _forget_prorates()
        fresh = _outcome(functions.f_prorate, *args)
        _forget_prorates()
        expected = _outcome(functions.f_prorate, *given)
        assert fresh == expected
        assert _outcome(functions.f_prorate, *args) == expected  # its span remembered


@given(
    start=st.one_of(st.none(), dates),
    end=st.one_of(st.none(), dates),
    period_start=dates,
    days=st.integers(0, 800),
    precision=st.sampled_from([28, 5, 1]),
    again=st.booleans(),
)
def test_a_prorate_over_actual_days_is_the_days_covered_over_the_periods_days(
    start: datetime.date | None,
    end: datetime.date | None,
    period_start: datetime.date,
    days: int,
    precision: int,
    again: bool,
) -> None:
    """``prorate`` on the basis ``actual_days`` is the days of the period covered (both ends
    inclusive) divided by the period's days in the caller's context, digit for digit, and 0
    when nothing is covered: whether its arguments were seen before or not, and for the whole
    period too (which it gives without dividing)."""
    period_end = period_start + datetime.timedelta(days)
    s = period_start if start is None else max(start, period_start)
    e = period_end if end is None else min(end, period_end)
    context = ENGINE_CONTEXT.copy()
    context.prec = precision
    args = (start, end, "actual_days", "count", period_start, period_end)
    if not again:
        _forget_prorates()
    with decimal.localcontext(context):
        expected = repr(
            Decimal(0) if s > e else Decimal((e - s).days + 1) / Decimal(days + 1)
        )
        assert _outcome(functions.f_prorate, *args) == expected
        assert _outcome(functions.f_prorate, *args) == expected




def _inline_call(fn: str) -> str:
    """The inline Python the code generator writes for ``fn(A, B)`` (arguments A and B)."""
    emitter = Emitter.__new__(Emitter)  # `_inline` reads only its counter of temporaries
    emitter.temps = 0
    code = emitter._inline(fn, [ast.Name("A"), ast.Name("B")], ["A", "B"])
    assert code is not None
    return code


arguments = st.one_of(
    st.none(), decimals("-3", "3", 2), st.integers(-3, 3), st.booleans(), st.just("text")
)


@given(a=arguments, b=arguments, fn=st.sampled_from(["min", "max", "coalesce"]))
def test_min_max_and_coalesce_inline_are_the_builtins(a: object, b: object, fn: str) -> None:
    """``min``/``max`` of two values and ``coalesce`` written inline in the generated code give
    the very object the builtin gives (the first of equal values; an int stays an int), or
    its rejection, for decimals, integers, booleans, text and missing values."""
    namespace = {"A": a, "B": b, "DECIMAL": Decimal, **functions.NAMESPACE}
    builtin = functions.NAMESPACE[f"F_{fn}"]
    with decimal.localcontext(ENGINE_CONTEXT):
        inline = _outcome(lambda: eval(_inline_call(fn), namespace))
        called = _outcome(builtin, a, b)
    assert inline == called
    if inline == called and not inline.startswith(("RowError", "TypeError")):
        assert eval(_inline_call(fn), namespace) is builtin(a, b)


@given(x=arguments, low=arguments, high=arguments)
def test_clamp_inline_is_the_builtin(x: object, low: object, high: object) -> None:
    """``clamp`` written inline gives what the builtin gives (of decimals, the very object: a
    bound when the value is outside, the first of equal values), or its rejection (low above
    high, a missing or non-number argument)."""
    emitter = Emitter.__new__(Emitter)  # `_inline` reads only its counter of temporaries
    emitter.temps = 0
    nodes: list[ast.expr] = [ast.Name("X"), ast.Name("L"), ast.Name("H")]
    code = emitter._inline("clamp", nodes, ["X", "L", "H"])
    assert code is not None
    namespace = {"X": x, "L": low, "H": high, "DECIMAL": Decimal, **functions.NAMESPACE}
    with decimal.localcontext(ENGINE_CONTEXT):
        inline = _outcome(lambda: eval(code, namespace))
        called = _outcome(functions.f_clamp, x, low, high)
        assert inline == called
        if all(type(v) is Decimal for v in (x, low, high)) and not inline.startswith("RowError"):
            assert eval(code, namespace) is functions.f_clamp(x, low, high)


@given(
    x=st.one_of(arguments, any_decimals(nan_and_infinity=True)),
    step=st.one_of(arguments, st.sampled_from([Decimal("100"), Decimal("0.01"), Decimal("-5")])),
    mode=st.sampled_from([*ROUNDING_MODES, "sideways"]),
)
def test_round_to_of_a_written_mode_inline_is_the_builtin(
    x: object, step: object, mode: str
) -> None:
    """``round_to(x, step, 'half_up')`` written inline gives what the builtin gives, digit for
    digit (any decimal, a step that is not a positive decimal), or its rejection."""
    emitter = Emitter.__new__(Emitter)  # `_inline` reads only its counter of temporaries
    emitter.temps = 0
    nodes: list[ast.expr] = [ast.Name("X"), ast.Name("S"), ast.Constant(mode)]
    code = emitter._inline("round_to", nodes, ["X", "S", repr(mode)])
    assert (code is None) == (mode not in ROUNDING_MODES)
    namespace = {"X": x, "S": step, "DECIMAL": Decimal, "ONE": Decimal(1), **functions.NAMESPACE}

    def outcome(call: Any) -> str:  # what it gives, or what it raised (InvalidOperation of ∞)
        try:
            return _outcome(call)
        except ArithmeticError as exc:
            return repr(exc)

    with decimal.localcontext(ENGINE_CONTEXT):
        called = outcome(lambda: functions.f_round_to(x, step, mode))
        if code is not None:
            assert outcome(lambda: eval(code, namespace)) == called


def test_coalesce_of_a_computed_fallback_stays_a_call() -> None:
    """``coalesce(x, f(y))`` keeps the call: its second argument is evaluated even when the
    first is there (a table miss in it rejects the row), which an inline form would skip."""
    emitter = Emitter.__new__(Emitter)
    emitter.temps = 0
    assert emitter._inline("coalesce", [ast.Name("A"), ast.Constant(1)], ["A", "B"]) is None


@given(
    n=st.one_of(
        st.integers(-1, 4), st.sampled_from([Decimal(2), Decimal("2.00"), Decimal("1.5"), True])
    ),
    again=st.one_of(st.integers(0, 4), st.just(Decimal("3"))),
)
def test_lowest_rating_over_cycles_found_before_is_worked_out_afresh(n: object, again: object) -> None:
    """The cycles ``lowest_rating(n)`` reads, remembered per n, give the rating (and cycle) or
    the rejection a fresh history gives."""
    ratings = {"2026": (Decimal(4), "4"), "2025": (Decimal(2), "2"), "2024": (Decimal(3), "3")}

    def fresh(count: object) -> str:
        history = RatingHistory("r", lambda v: v, ("2026", "2025", "2024"))
        return _outcome(history.lowest_rating, ratings, count)

    history = RatingHistory("r", lambda v: v, ("2026", "2025", "2024"))
    for count in (n, again, n):
        assert _outcome(history.lowest_rating, ratings, count) == fresh(count)


@pytest.mark.parametrize(
    ("formula", "kept"),
    [
        ("a > 1", False),
        ("a > 1 and t == 'x' or not a", False),
        ("is_missing(a)", False),
        ("a in (1, 2)", False),
        ("a", True),  # a flag input may be missing: bool(None) is False
        ("a > 1 or a", True),  # `or` gives an operand: a number here
        ("a * 2", True),
    ],
)
def test_a_condition_is_converted_to_a_flag_only_when_it_may_not_be_one(
    formula: str, kept: bool
) -> None:
    """Eligibility rules, gates and criteria record flags: a comparison, ``not``,
    ``is_missing`` or an and/or of them is one already and is written as it is; anything else
    goes through ``bool()``."""
    expr = compile_expression(formula, values=frozenset({"a", "t"}), callables={})
    assert (Emitter.truth(expr, "X") == "bool(X)") is kept
    with decimal.localcontext(ENGINE_CONTEXT):
        for a in (Decimal(0), Decimal(2), 1):
            value = reference_eval(expr, {"a": a, "t": "x"}, {}, (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)))
            assert kept or type(value) is bool


@settings(max_examples=30, deadline=None)
@given(
    levels=st.lists(st.integers(-3, 9), min_size=1, max_size=6),
    low=st.sampled_from(["1", "1.0", "-2", "0.5", "1e0"]),
    high=st.sampled_from(["6", "6.00", "5.5", "7e0"]),
)
def test_an_integer_inputs_bounds_reject_the_rows_their_decimals_reject(
    tmp_path_factory: pytest.TempPathFactory, levels: list[int], low: str, high: str
) -> None:
    """An integer input's whole bounds are checked against the integer (``v_level < 1``, no
    decimal comparison per row), a bound with a fraction against its decimal: either way a
    row is rejected exactly when its value is below the declared minimum or above the maximum."""
    policy = policy_yaml(
        """
        steps:
          doubled: {formula: "level * 2", type: decimal}
        """,
        inputs=f"level: {{type: integer, min: {low}, max: {high}}}",
    )
    tmp_path = tmp_path_factory.mktemp("bounds")
    outs = compute(tmp_path, policy, [{"level": str(level)} for level in levels])
    for level, out in zip(levels, outs, strict=True):
        if Decimal(low) <= level <= Decimal(high):
            assert isinstance(out, PolicyOutcome) and out.value("doubled") == 2 * level
        else:
            assert not isinstance(out, PolicyOutcome) and out.column == "level"


def test_the_currencys_zero_is_computed_only_where_the_generated_code_reads_it(
    tmp_path: Path,
) -> None:
    """A policy whose rows are all eligible computes no zero of the currency (nothing would
    read it); with an eligibility rule, an ineligible row's pay is that zero, in the
    currency's minor unit."""
    body = """
        steps:
          amount: {formula: "level * 2", type: money}
        pay:
          - {name: bonus, step: amount, pay_code: B, round: {step: minor_unit, mode: half_up}}
        """
    rule = """
        eligibility:
          - {name: senior, rule: "level > 2", reason: "Junior"}
        """
    plain = policy_yaml(body, inputs="level: {type: integer}")
    gated = policy_yaml(body + rule, inputs="level: {type: integer}")
    assert "_zero_pay" not in load(tmp_path, plain).policies[0].source
    assert "_zero_pay = _mu * 0" in load(tmp_path, gated).policies[0].source
    paid, unpaid = compute(tmp_path, gated, [{"level": "3"}, {"level": "1"}])
    assert isinstance(paid, PolicyOutcome) and paid.eligible
    assert isinstance(unpaid, PolicyOutcome) and not unpaid.eligible
    assert [repr(paid.trace[-1]), repr(unpaid.trace[-1])] == ["Decimal('6.00')", "Decimal('0.00')"]


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(*(st.sampled_from(["1", "1.0", "1.00", "-2", "2.5", "0", "3", ""]),) * 3),
        min_size=1,
        max_size=6,
    )
)
def test_a_steps_floor_and_cap_are_the_builtins_max_and_min(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str]]
) -> None:
    """A step's floor and cap (inline for two decimals) leave what ``max(x, floor)`` and then
    ``min(x, cap)`` leave, digit for digit: the value itself when equal ("1.0" floored at
    "1.00" stays "1.0"); or the same rejection when a bound is missing."""
    policy = policy_yaml(
        """
        steps:
          kept: {formula: "a", type: decimal, floor: "lo", cap: "hi"}
        """,
        inputs="""
        a: {type: decimal}
        lo: {type: decimal, required: false}
        hi: {type: decimal, required: false}
        """,
    )
    tmp_path = tmp_path_factory.mktemp("floorcap")
    outs = compute(tmp_path, policy, [{"a": a or "0", "lo": lo, "hi": hi} for a, lo, hi in rows])
    for (a, lo, hi), out in zip(rows, outs, strict=True):
        if not lo or not hi:  # a missing bound: the builtin's comparison with None fails
            assert not isinstance(out, PolicyOutcome)
            continue
        floored = max(Decimal(a or "0"), Decimal(lo))
        assert isinstance(out, PolicyOutcome)
        assert repr(out.value("kept.after_floor")) == repr(floored)
        assert repr(out.value("kept.after_cap")) == repr(min(floored, Decimal(hi)))


_RATED = st.tuples(
    st.sampled_from(["2026", "2025", "2024", " 2026"]),
    st.sampled_from(
        ["Meets", "Exceeds", "meets ", "Unknown", "", "3", "3.0", Decimal(3), Decimal("3.0"), 3, [3]]
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    employees=st.lists(st.lists(_RATED, max_size=4), max_size=8),
    labels=st.booleans(),
)
@example(employees=[[("2026", Decimal(3))], [("2026", Decimal("3.0"))], [("2026", 3)]], labels=True)
@example(employees=[[("2025", "Meets")], [("2025", "Meets"), ("2025", "Exceeds")]], labels=True)
def test_a_rating_history_read_like_one_before_is_a_fresh_read(
    employees: list[list[tuple[str, object]]], labels: bool
) -> None:
    """Employees whose rating rows read alike (cycles and ratings, whatever their lines) get
    what a fresh read of their rows gives: the same ratings, labels as written and types, or
    the same rejection naming their own lines (an unknown label, a second rating for a
    cycle); numbers equal to texts or to each other (3, '3', '3.0') are never taken for them,
    and a value that cannot be a key (a list) is read afresh. The lowest rating of the last n
    cycles, remembered per n with a mapping read alike, is also the fresh one (or the same
    missing cycle, or the same fault of n)."""
    from types import SimpleNamespace

    from incentives.model import RatingRecord, RowSource
    from incentives.rulebook.language.fields import rating_converter

    def history() -> RatingHistory:
        scale = {"Meets": Decimal(3), "Exceeds": Decimal(4)} if labels else None
        convert = rating_converter("five", scale, Decimal(1), Decimal(5), Decimal(1))
        return RatingHistory("five", convert, ("2026", "2025", "2024"))

    def outcome(ratings: RatingHistory, employee: object, fresh: bool = False) -> object:
        try:
            found = ratings.read(employee)
        except RowError as exc:
            return ("rejected", exc.reason, exc.column, exc.value)
        lowest = []
        for n in (2, Decimal("2.00"), 1, 3, Decimal("1.5"), 2):  # twice: as remembered
            try:  # fresh: over a copy, which nothing remembers
                lowest.append(repr(ratings.lowest_rating(dict(found) if fresh else found, n)))
            except (RowError, MissingValue) as exc:
                lowest.append(f"{type(exc).__name__}: {exc}")
        return [(cycle, repr(value), label) for cycle, (value, label) in found.items()], lowest

    shared = history()
    line = 2
    for rows in [*employees, *employees]:
        records = []
        for cycle, rating in rows:
            records.append(RatingRecord(cycle, rating, RowSource("ratings.csv", line - 1, line)))
            line += 1
        employee = SimpleNamespace(ratings=tuple(records))
        assert outcome(shared, employee) == outcome(history(), employee, fresh=True)
