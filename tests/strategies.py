"""Shared Hypothesis strategies: generated policy parts (curves, tables, tiers) and inputs.

Every strategy builds specs the way the loader does, from source text (``"0.85"``), so the
generated specs go through the same pydantic parsing as a policy file. Add strategies here
rather than in a test module, so properties across the suite share them.
"""

from __future__ import annotations

import datetime
import math
from decimal import Context, Decimal
from fractions import Fraction

from hypothesis import strategies as st

from incentives.model import GoalInput, RowSource
from incentives.rulebook.runtime.curves import CurveSpec, TierSpec
from incentives.rulebook.runtime.tables import TableSpec

__all__ = [
    "any_curves",
    "any_decimals",
    "attainments",
    "coverage_rows",
    "cumulative_tiers",
    "decimals",
    "employee_goals",
    "interpolated_tables",
    "monotone_curves",
    "payroll_rosters",
    "plain_roster_bytes",
    "roster_files",
    "sample_roster_edits",
    "step_policies",
    "transfer_dates",
]


def decimals(low: str = "0", high: str = "3", places: int = 4) -> st.SearchStrategy[Decimal]:
    """Exact decimals between ``low`` and ``high`` with at most ``places`` decimals."""
    return st.decimals(
        min_value=Decimal(low),
        max_value=Decimal(high),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def _exact_decimal(denominator: int, numerator: int) -> Decimal:
    """``numerator / denominator`` (in lowest terms) as a Decimal, at the precision Hypothesis'
    `st.decimals` uses for it."""
    fraction = Fraction(numerator, denominator)
    precision = math.ceil(
        math.log10(abs(fraction.numerator) or 1) + math.log10(fraction.denominator)
    )
    return Context(prec=precision + 1 or 1).divide(
        Decimal(fraction.numerator), fraction.denominator
    )


_SPECIAL_DECIMALS = [Decimal(t) for t in ("Infinity", "-Infinity", "NaN", "-NaN", "sNaN", "-sNaN")]


def any_decimals(*, nan_and_infinity: bool) -> st.SearchStrategy[Decimal]:
    """Any Decimal, unbounded: ``st.decimals(allow_nan=x, allow_infinity=x)``, drawn the same
    way (a denominator ≥ 1, then any numerator, divided at the precision that keeps the
    quotient's digits; or one of the six infinities and NaNs), without the `flatmap` through
    which Hypothesis draws it: that builds and validates a new strategy for every value drawn,
    which was a third of the time of the tests drawing thousands of them."""
    finite = st.builds(_exact_decimal, st.integers(min_value=1), st.integers())
    return finite | st.sampled_from(_SPECIAL_DECIMALS) if nan_and_infinity else finite


def attainments() -> st.SearchStrategy[Decimal]:
    """Attainments from 0% to 300%, to a hundredth of a percent."""
    return decimals("0", "3", 4)


@st.composite
def _increasing(draw: st.DrawFn, low: str, high: str, places: int, size: int) -> list[Decimal]:
    values = draw(st.lists(decimals(low, high, places), min_size=size, max_size=size, unique=True))
    return sorted(values)


@st.composite
def monotone_curves(
    draw: st.DrawFn, *, decreasing: bool | None = None, above: str | None = None
) -> CurveSpec:
    """A curve whose payout never falls as performance improves, all payouts ≥ 0.

    Increasing curves list inputs rising; decreasing (lower-is-better) curves list them falling.
    Payouts rise or stay flat point after point, and ``below`` is at most the first payout.
    """
    size = draw(st.integers(min_value=2, max_value=6))
    xs = draw(_increasing("0", "3", 2, size))
    if decreasing is None:
        decreasing = draw(st.booleans())
    if decreasing:
        xs.reverse()
    ys = draw(_increasing("0", "2.5", 2, size))
    # Allow flat bands: repeat some payouts.
    flats = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    for i in range(1, size):
        if flats[i]:
            ys[i] = ys[i - 1]
    below = draw(decimals("0", str(ys[0]), 2))
    if above is None:
        above = draw(st.sampled_from(["cap", "extrapolate"]))
    return CurveSpec.model_validate(
        {
            "points": [[str(x), str(y)] for x, y in zip(xs, ys, strict=True)],
            "below": str(below),
            "above": above,
        }
    )


@st.composite
def any_curves(draw: st.DrawFn) -> CurveSpec:
    """Any valid curve: 2 to 10 points (more than a fast path writes out), rising or falling
    inputs, payouts in any order with flat and negative segments, either end, either input."""
    size = draw(st.integers(min_value=2, max_value=10))
    xs = draw(_increasing("-2", "3", 2, size))
    if draw(st.booleans()):
        xs.reverse()
    ys = draw(st.lists(decimals("-1", "2.5", 3), min_size=size, max_size=size))
    flats = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    ys = [ys[i - 1] if i and flats[i] else y for i, y in enumerate(ys)]
    return CurveSpec.model_validate(
        {
            "points": [[str(x), str(y)] for x, y in zip(xs, ys, strict=True)],
            "below": str(draw(decimals("-1", "1", 2))),
            "above": draw(st.sampled_from(["cap", "extrapolate"])),
            "on": draw(st.sampled_from(["attainment", "value"])),
        }
    )


# A goal's figures as a roster or a goals file gives them: text as read (plain, decimal,
# percent, exponent, zero, negative, empty, not a number) or a typed value from a workbook.
GOAL_FIGURES = st.one_of(
    decimals("0", "2000", 2).map(str),
    decimals("-50", "50", 3).map(str),
    st.sampled_from(["0", "0.00", "-0", "1", "0.5", "1.000", "33.33%", "1e3", "1E-2", "100%"]),
    st.sampled_from(["", " ", "abc", "12,5", "NaN", "Infinity", "١٢٣"]),
    decimals("-10", "100", 2),
    st.integers(-5, 500),
    st.none(),
)
# weights by goal count as a plan writes them: summing to 1 (with a negative one too), or to
# be normalised (whole numbers, exponents)
_PLAN_WEIGHTS = {
    1: [("1",), ("100%",), ("1.00",), ("5E+2",)],
    2: [("0.5", "0.5"), ("0.7", "0.30"), ("25%", "75%"), ("1.5", "-0.5"), ("1E+1", "3E+1")],
    3: [("0.34", "0.33", "0.33"), ("0.6", "0.25", "0.15"), ("50%", "0.25", "1E-1"), ("1", "0", "0"),
        ("3", "1", "1E+1")],
    4: [("0.25", "0.25", "0.25", "0.25"), ("0.4", "0.3", "0.2", "0.1")],
    5: [("0.2", "0.2", "0.2", "0.2", "0.2"), ("0.5", "0.125", "0.125", "0.125", "0.125")],
}
_ODD_WEIGHTS = st.sampled_from(["0.5", "2", "0", "-0.5", "1E+1", "33.33%", "0.000"])


@st.composite
def employee_goals(
    draw: st.DrawFn, max_goals: int = 5, aims: tuple[Decimal, ...] = ()
) -> tuple[GoalInput, ...]:
    """An employee's goals (0 to ``max_goals``, one more now and then) as `GoalInput`: mostly
    plausible (a non-zero target, weights of a plan, ``higher`` or ``lower``), else any
    figure of `GOAL_FIGURES`, odd weights, directions to normalise or wrong. ``aims``: inputs
    a curve treats apart (its points): an actual now and then equals one, or attains one."""
    count = draw(st.integers(0, max_goals + 1))
    plausible = count in _PLAN_WEIGHTS and draw(st.integers(0, 4)) > 0
    weights = draw(st.sampled_from(_PLAN_WEIGHTS[count])) if plausible else ()
    goals = []
    for i in range(count):
        target: object = str(draw(decimals("-500", "1000", 2).filter(bool)))
        actual: object = str(draw(decimals("0", "2000", 2)))
        direction: object = draw(st.sampled_from(["higher", "lower"]))
        if aims and draw(st.booleans()):  # at a point: as the actual, or as the attainment
            aim = draw(st.sampled_from(aims))
            number = Decimal(str(target))
            if draw(st.booleans()):
                actual = str(aim)
            elif direction == "higher":
                actual = str(number * aim)
            else:  # 1 - (actual - target) / |target| = aim
                actual = str(number + (1 - aim) * abs(number))
        weight: object = weights[i] if plausible else draw(_ODD_WEIGHTS)
        if not plausible:
            target, actual = draw(GOAL_FIGURES), draw(GOAL_FIGURES)
            weight = draw(st.one_of(_ODD_WEIGHTS, GOAL_FIGURES))
            direction = draw(
                st.sampled_from(["higher", "lower", "Lower", " higher ", "", None, "sideways"])
            )
        prefix = draw(st.sampled_from(["", f"goal{i + 1}_"]))
        goals.append(
            GoalInput(
                f"goal{i + 1}", target, actual, weight, direction,
                RowSource("goals.csv", i + 1, i + 2), prefix,
            )
        )
    return tuple(goals)


@st.composite
def interpolated_tables(draw: st.DrawFn) -> TableSpec:
    """A 1-D interpolate table, clamped on both sides, with any values (not only monotone)."""
    size = draw(st.integers(min_value=2, max_value=6))
    points = draw(_increasing("0", "3", 2, size))
    values = draw(st.lists(decimals("-1", "2", 3), min_size=size, max_size=size))
    return TableSpec.model_validate(
        {
            "axes": [
                {
                    "name": "x",
                    "match": "interpolate",
                    "at": [str(p) for p in points],
                    "below": "clamp",
                    "above": "clamp",
                },
            ],
            "values": [str(v) for v in values],
            "type": "percent",
        }
    )


@st.composite
def cumulative_tiers(draw: st.DrawFn, *, mode: str = "cumulative") -> TierSpec:
    """Tiers with strictly increasing starts (the first at or above 0) and rates ≥ 0."""
    size = draw(st.integers(min_value=1, max_value=5))
    starts = draw(_increasing("0", "500000", 0, size))
    rates = draw(st.lists(decimals("0", "0.5", 3), min_size=size, max_size=size))
    return TierSpec.model_validate(
        {
            "mode": mode,
            "bands": [{"from": str(s), "rate": str(r)} for s, r in zip(starts, rates, strict=True)],
        }
    )


# ----------------------------------------------------------- engine inputs (employee rows)

GOAL_DIRECTIONS = ("higher", "lower")


def shares() -> st.SearchStrategy[str]:
    """Split shares as a policy writes them, from 0% to 100% (with awkward thirds)."""
    return st.sampled_from(["0%", "1%", "25%", "33.33%", "50%", "66.67%", "75%", "99.99%", "100%"])


@st.composite
def goal_figures(draw: st.DrawFn) -> tuple[str, str, str]:
    """(target, actual, direction) of one goal as roster text; targets are never 0."""
    target = draw(decimals("0.01", "1000", 2))
    actual = draw(decimals("0", "3000", 2))
    return str(target), str(actual), draw(st.sampled_from(GOAL_DIRECTIONS))


@st.composite
def employee_rows(
    draw: st.DrawFn,
    *,
    units: tuple[str, ...] = ("Sales", "Finance"),
    currencies: tuple[str, ...] = ("USD", "EUR", "JPY", "KWD"),
) -> dict[str, str]:
    """Roster cells of one employee: salary, unit, currency, rating 1..5, adjustment −10%..0%."""
    return {
        "salary": str(draw(decimals("0", "500000", 2))),
        "unit": draw(st.sampled_from(units)),
        "currency": draw(st.sampled_from(currencies)),
        "rating": str(draw(st.integers(min_value=1, max_value=5))),
        "adjustment": str(draw(decimals("-0.1", "0", 3))),
        "attainment": str(draw(attainments())),
    }


def sample_roster_edits() -> st.SearchStrategy[list[tuple[int, str, str]]]:
    """Edits of the bundled sample roster (52 rows): (row 0..51, column, new cell), a column
    ``rating`` (a label), ``base_salary``, ``unit`` or ``individual_modifier``, or ``drop``
    (the row is left out)."""
    edit = st.one_of(
        st.tuples(
            st.integers(0, 51),
            st.just("rating"),
            st.sampled_from(["Meets", "Exceeds", "Exceptional", "Partially Meets"]),
        ),
        st.tuples(
            st.integers(0, 51), st.just("base_salary"), decimals("20000", "400000", 0).map(str)
        ),
        st.tuples(st.integers(0, 51), st.just("unit"), st.sampled_from(["Sales", "Finance"])),
        st.tuples(
            st.integers(0, 51), st.just("individual_modifier"), decimals("0.8", "1.2", 2).map(str)
        ),
        st.tuples(st.integers(0, 51), st.just("drop"), st.just("")),
    )
    return st.lists(edit, min_size=1, max_size=5)


def coverage_rows() -> st.SearchStrategy[list[dict[str, str]]]:
    """Roster rows (plan, level, salary) in and out of plans AIP and SIP and of level 3 and
    up, some with a salary that is not a number (a row fault when some policy covers the row)."""
    row = st.fixed_dictionaries(
        {
            "plan": st.sampled_from(["AIP", "SIP", "LTI", ""]),
            "level": st.sampled_from(["1", "2", "3", "4"]),
            "salary": st.sampled_from(["100", "2500.50", "0", "n/a"]),
        }
    )
    return st.lists(row, max_size=12)


_STEP_TYPES = ("money", "decimal", "percent", "integer")
_ROUND_STEPS = ("0.01", "1", "10", "0.005", "0.0001", "0.010")


@st.composite
def step_policies(draw: st.DrawFn) -> tuple[str, list[dict[str, str]]]:
    """(the ``steps:``, ``outputs:`` and ``pay:`` sections of a policy, employees' cells).

    Steps of every type read the inputs ``salary`` (decimal), ``rate`` (percent) and
    ``units`` (integer) and the steps before them, with awkward divisions (28 digits), and
    maybe a rounding, a floor, a cap and a gate (zero, cap, replace or flag); all non-negative.
    One pay component, rounded to the minor unit or a step, with a part above a threshold.
    """
    lines = ["steps:"]
    names: list[str] = []
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        name = f"s{i}"
        type_ = draw(st.sampled_from(_STEP_TYPES))
        if type_ == "integer":
            formula = draw(st.sampled_from(["units * 2", "units + 1", "units"]))
            post = {}
        else:
            reads = ["salary", "salary * rate", "salary / 7", "rate / 3", *names]
            formula = " + ".join(draw(st.lists(st.sampled_from(reads), min_size=1, max_size=3)))
            formula = f"({formula}) * {draw(st.sampled_from(['1', '1.5', '0.3333']))}"
            post = {}
            if draw(st.booleans()):
                step = draw(st.sampled_from(_ROUND_STEPS))
                mode = draw(st.sampled_from(["half_up", "half_even", "down", "up"]))
                post["round"] = f"{{step: {step}, mode: {mode}}}"
            if draw(st.booleans()):
                post["floor"] = f'"{draw(st.sampled_from(["0", "100", "0.25"]))}"'
            if draw(st.booleans()):
                post["cap"] = f'"{draw(st.sampled_from(["50000", "2", "salary / 3"]))}"'
            if draw(st.booleans()):
                outcome = draw(st.sampled_from(["zero", "cap", "replace", "flag"]))
                value = ', value: "1000"' if outcome in ("cap", "replace") else ""
                post["gates"] = (
                    f'[{{name: g{i}, when: "salary > {draw(st.sampled_from(["0", "50000"]))}",'
                    f' outcome: {outcome}{value}, reason: "gate {i}"}}]'
                )
        lines.append(f"  {name}:")
        lines.append(f'    formula: "{formula}"')
        lines.append(f"    type: {type_}")
        lines += [f"    {key}: {text}" for key, text in post.items()]
        names.append(name)
    lines.append('  paid: {formula: "salary * rate", type: money}')
    lines.append(f"outputs: [{', '.join(names)}]")
    step = draw(st.sampled_from(["minor_unit", "10", "0.05"]))
    lines += [
        "pay:",
        f"  - {{name: bonus, step: paid, pay_code: BON, round: {{step: {step}}},",
        f'     split: [{{name: bonus_excess, pay_code: BEX, above: "salary / {draw(st.sampled_from(["3", "7", "1000"]))}"}}]}}',
    ]
    people = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "salary": st.sampled_from(["0", "1", "999.95", "60000", "123456.789"]),
                    "rate": st.sampled_from(["0", "0.015", "0.33", "1"]),
                    "units": st.integers(min_value=0, max_value=400).map(str),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    return "\n".join(lines) + "\n", people


# ----------------------------------------------------------- payroll (runs to export)

PAYROLL_CURRENCIES = ("USD", "EUR", "JPY", "KWD", "BHD")


@st.composite
def payroll_rosters(draw: st.DrawFn) -> list[dict[str, str]]:
    """Roster rows for a one-step bonus paid in currencies of 0, 2 and 3 decimals: salary,
    a rate from 0 % to 30 % (some employees get nothing), some employees not eligible."""
    count = draw(st.integers(min_value=0, max_value=12))
    return [
        {
            "employee_id": f"{i:05d}",
            "plan": "AIP",
            "currency": draw(st.sampled_from(PAYROLL_CURRENCIES)),
            "salary": str(draw(decimals("0", "250000", 3))),
            "rate": f"{draw(decimals('0', '30', 2))}%",
            "active": draw(st.sampled_from(["true", "true", "true", "false"])),
        }
        for i in range(count)
    ]


def transfer_dates(
    start: datetime.date = datetime.date(2026, 1, 1),
    end: datetime.date = datetime.date(2026, 12, 31),
) -> st.SearchStrategy[datetime.date]:
    """The date of a move between plans inside ``start``..``end``, the first and last day
    (the edges of the segments) drawn more often than chance would."""
    return st.one_of(st.sampled_from([start, end]), st.dates(min_value=start, max_value=end))


# ----------------------------------------------------------- roster files (reading)

_ROSTER_CELLS = ("", " ", "7", " 12 ", "x", "40%", "lower", "a,b", 'say "hi"', "two\nlines")


@st.composite
def roster_files(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]]]:
    """Rows (header first) of a roster with goal column groups (name and direction optional,
    columns in any order) and of a rating history file: blank, spaced, quoted and multi-line
    cells, repeated and blank ids, records with too few or too many fields, rating rows of
    unknown employees and rows without a cycle (which reject their employee)."""
    columns = ["employee_id", "level", "unit"]
    for group in range(1, draw(st.integers(0, 3)) + 1):
        parts = ["target", "actual", "weight"]
        parts += [p for p in ("name", "direction") if draw(st.booleans())]
        columns += [f"goal{group}_{part}" for part in parts]
    columns = draw(st.permutations(columns))
    ids = st.sampled_from(["1", "2", "3", "4", "5", " 6 ", ""])
    rows = [list(columns)]
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(st.sampled_from(_ROSTER_CELLS)) for _ in columns]
        row[columns.index("employee_id")] = draw(ids)
        width = draw(st.sampled_from([len(row)] * 6 + [len(row) - 1, len(row) + 1]))
        rows.append([*row, "x"][:width])
    ratings = [["employee_id", "cycle", "rating"]]
    for _ in range(draw(st.integers(0, 8))):
        cycle = draw(st.sampled_from(["2025", "2026", ""]))
        ratings.append([draw(ids), cycle, draw(st.sampled_from(["Meets", "", " Exceeds "]))])
    return rows, ratings


# blank-looking cells: whitespace the CSV reader keeps and `str.strip` removes (no line break)
_PLAIN_CELLS = ("", " ", "7", " 12 ", "x", "E1", "E2", "E1 ", "\xa0", "\x1c", "\u2028", "é")


@st.composite
def plain_roster_bytes(draw: st.DrawFn) -> bytes:
    """A roster's bytes that are mostly plain (no quote, no CR): rows of repeated, blank and
    spaced ids in a column that may be anywhere, rows too short or too long, blank rows (empty,
    ' , ,', a lone no-break space), a BOM or not; sometimes CRLF line ends, or a quoted cell
    with a line break, a comma or a quote in one row, often in the second half."""
    width = draw(st.integers(1, 4))
    end = draw(st.sampled_from(["\n"] * 5 + ["\r\n"]))
    lines = [",".join(f"c{k}" for k in range(width))]
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["", " , ", "\xa0"])))  # blank rows before it
    rows = draw(st.integers(0, 40))
    quoted = draw(st.sampled_from([None, None, rows // 2 + draw(st.integers(0, rows)), 0]))
    for number in range(rows):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", " ", ",", " , ,", "\xa0,\x1c", ",,x"])))
            continue
        cells = [draw(st.sampled_from(_PLAIN_CELLS)) for _ in range(width)]
        cells = cells[: draw(st.sampled_from([width] * 6 + [max(width - 1, 1), width + 1]))]
        if number == quoted:
            cells[-1] = draw(st.sampled_from(['"a\nb"', '"a,b"', '"say ""hi"""', '"\n"']))
        lines.append(",".join(cells))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")
