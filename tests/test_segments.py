"""Steps weighted by the segments of the performance period (``segments: weighted``)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_helpers import employees, load, outcome, policy_yaml
from incentives.engine.calculate import PolicyOutcome, calculate
from incentives.engine.segments import period_segments, read_history
from incentives.errors import PolicyError
from incentives.model import EmployeeInput, HistoryRow, Rejection, RowSource
from incentives.rulebook.language.fields import make_converter
from incentives.rulebook.runtime.weighted import Segment

INPUTS = """
base_salary: {type: decimal, min: 0}
fte: {type: decimal, required: false, default: 1, min: 0.1, max: 1}
level: {type: integer, min: 1, max: 5}
"""

BODY = """
tables:
  target_pct:
    axes:
      - {name: level, match: exact, at: [1, 2, 3, 4, 5]}
    values: [5%, 10%, 15%, 20%, 25%]
steps:
  target:
    formula: base_salary * fte * target_pct(level)
    type: money
    segments: weighted
  bonus: {formula: target, type: money, round: {step: 0.01, mode: half_up}}
pay:
  - {name: annual_bonus, step: bonus, pay_code: AIP}
"""

ROSTER = {"employee_id": "E1", "base_salary": "100000", "level": "2"}


def with_history(
    emps: list[EmployeeInput], rows: Mapping[str, Sequence[tuple[str, dict[str, str]]]]
) -> list[EmployeeInput]:
    """Attach history rows (date text, cells) to employees, as lines 2, 3, … of history.csv."""
    line = 1
    found = []
    for emp in emps:
        history = []
        for effective, values in rows.get(emp.employee_id, ()):
            line += 1
            history.append(HistoryRow(effective, values, RowSource("history.csv", line - 1, line)))
        found.append(attrs.evolve(emp, history=tuple(history)))
    return found


def as_current(
    roster: Mapping[str, str], history: Sequence[tuple[str, dict[str, str]]]
) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """The roster holds current values: a column the history changes takes its last history
    value in the roster, and its earlier roster value moves into an opening history row dated
    before everything else (the tests below write the roster as it was at the period start)."""
    current = dict(roster)
    opening: dict[str, str] = {}
    for _, values in history:
        for column, value in values.items():
            if column not in opening and current.get(column):
                opening[column] = current[column]
            if column in opening:
                current[column] = value
    if not opening:
        return current, list(history)
    first = min(datetime.date.fromisoformat(d) for d, _ in history)
    before = (min(first, datetime.date(2000, 1, 1)) - datetime.timedelta(days=1)).isoformat()
    return current, [(before, opening), *history]


def compute_with_history(
    tmp_path: Path,
    history: Sequence[tuple[str, dict[str, str]]],
    *,
    body: str = BODY,
    roster: Mapping[str, str] = ROSTER,
    **header: str,
) -> PolicyOutcome | Rejection:
    rulebook = load(tmp_path, policy_yaml(body, inputs=INPUTS, **header))
    roster, history = as_current(roster, history)
    emps = with_history(employees([roster]), {"E1": history})
    return outcome(next(iter(calculate(rulebook, emps))))


def bonus(item: PolicyOutcome | Rejection) -> Decimal:
    assert isinstance(item, PolicyOutcome), item
    value = item.value("bonus")
    assert isinstance(value, Decimal)
    return value


def test_salary_raise_in_april(tmp_path: Path) -> None:
    """Salary 100,000 raised to 120,000 on 1 April, target 10 %: 90 days at 10,000 and 275 at
    12,000, (10,000 × 90 + 12,000 × 275) ÷ 365 = 4,200,000 ÷ 365 = 11,506.849… → 11,506.85."""
    item = compute_with_history(tmp_path, [("2026-04-01", {"base_salary": "120000"})])
    assert bonus(item) == Decimal("11506.85")
    assert isinstance(item, PolicyOutcome)
    assert item.value("target") == Decimal(4200000) / 365
    first, second = item.value("target.segments")
    d = datetime.date
    assert first[:5] == (d(2026, 1, 1), d(2026, 3, 31), 90, Fraction(90, 365), Decimal("10000.00"))
    assert first[5] == (("base_salary", Decimal(100000)),)  # from the opening row
    assert second[:5] == (
        d(2026, 4, 1),
        d(2026, 12, 31),
        275,
        Fraction(275, 365),
        Decimal("12000.00"),
    )
    assert second[5] == (("base_salary", Decimal(120000)),)


def test_fte_change_from_august(tmp_path: Path) -> None:
    """FTE 1 (the default) until 31 July, 0.5 from 1 August: 212 days at 10,000 and 153 at
    5,000: (2,120,000 + 765,000) ÷ 365 = 7,904.109… → 7,904.11."""
    item = compute_with_history(tmp_path, [("2026-08-01", {"fte": "0.5"})])
    assert bonus(item) == Decimal("7904.11")


def test_level_change_in_september_reads_the_new_target_pct(tmp_path: Path) -> None:
    """Promoted from level 2 (10 %) to level 3 (15 %) on 1 September, the table is looked up per
    segment: 243 days at 10,000, 122 at 15,000: 4,260,000 ÷ 365 = 11,671.232… → 11,671.23."""
    item = compute_with_history(tmp_path, [("2026-09-01", {"level": "3"})])
    assert bonus(item) == Decimal("11671.23")


def test_row_on_the_first_day_applies_to_the_whole_period(tmp_path: Path) -> None:
    """A row dated on the period start (or before it) is the value in force at the start: one
    segment of 365 days at 12,000, weight exactly 1."""
    for date in ("2026-01-01", "2025-06-01"):
        item = compute_with_history(tmp_path, [(date, {"base_salary": "120000"})])
        assert bonus(item) == Decimal("12000.00")
        assert isinstance(item, PolicyOutcome)
        (only,) = item.value("target.segments")
        assert only[:4] == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), 365, 1)


def test_split_on_the_second_day_and_on_the_last_day(tmp_path: Path) -> None:
    """A change on 2 January leaves a 1-day first segment: (10,000 × 1 + 12,000 × 364) ÷ 365 =
    11,994.520… → 11,994.52; a change on 31 December a 1-day last segment: (10,000 × 364 +
    12,000 × 1) ÷ 365 = 10,005.479… → 10,005.48."""
    early = compute_with_history(tmp_path, [("2026-01-02", {"base_salary": "120000"})])
    assert bonus(early) == Decimal("11994.52")
    late = compute_with_history(tmp_path, [("2026-12-31", {"base_salary": "120000"})])
    assert bonus(late) == Decimal("10005.48")
    assert isinstance(late, PolicyOutcome)
    last = late.value("target.segments")[-1]
    assert last[:3] == (datetime.date(2026, 12, 31), datetime.date(2026, 12, 31), 1)


def test_leap_year_has_366_days(tmp_path: Path) -> None:
    """2024 has 366 days: a raise on 1 July leaves 182 days (Jan–Jun) at 10,000 and 184 at
    12,000: (1,820,000 + 2,208,000) ÷ 366 = 11,005.464… → 11,005.46."""
    item = compute_with_history(
        tmp_path,
        [("2024-07-01", {"base_salary": "120000"})],
        start="2024-01-01",
        end="2024-12-31",
        payout="2025-03-15",
    )
    assert bonus(item) == Decimal("11005.46")
    assert isinstance(item, PolicyOutcome)
    days = [seg[2] for seg in item.value("target.segments")]
    assert days == [182, 184]


def test_no_history_is_the_plain_formula(tmp_path: Path) -> None:
    """Without history a weighted step is its formula once with the roster values (10 % of
    100,000 = 10,000), exactly as the same policy without ``segments``; no segments recorded."""
    plain = BODY.replace("    segments: weighted\n", "")
    weighted = compute_with_history(tmp_path, [])
    unweighted = compute_with_history(tmp_path, [], body=plain)
    assert isinstance(weighted, PolicyOutcome) and isinstance(unweighted, PolicyOutcome)
    assert weighted.value("target") == unweighted.value("target") == Decimal("10000.00")
    assert weighted.value("target.segments") is None
    assert bonus(weighted) == bonus(unweighted)


def test_cap_applies_to_the_weighted_total(tmp_path: Path) -> None:
    """Gates, floor and cap of a weighted step apply to its weighted value: the April raise
    weighs to 11,506.849…, capped at 11,000."""
    body = BODY.replace("    segments: weighted\n", "    segments: weighted\n    cap: '11000'\n")
    item = compute_with_history(tmp_path, [("2026-04-01", {"base_salary": "120000"})], body=body)
    assert bonus(item) == Decimal("11000.00")


def test_history_value_out_of_bounds_rejects(tmp_path: Path) -> None:
    """A history value is bounded like the roster's: FTE 1.5 above its maximum 1 rejects."""
    item = compute_with_history(tmp_path, [("2026-08-01", {"fte": "1.5"})])
    assert isinstance(item, Rejection)
    assert "fte 1.5 is above its maximum 1" in item.reason


def test_weighted_step_reading_a_step_is_a_load_problem(tmp_path: Path) -> None:
    """A weighted step may not read another step (its value is not known per segment): the
    problem names the step and what it reads."""
    body = BODY.replace(
        "  bonus: {formula: target,", "  base: base_salary\n  bonus: {formula: target,"
    ).replace("formula: base_salary * fte", "formula: base * fte")
    with pytest.raises(PolicyError) as info:
        load(tmp_path, policy_yaml(body, inputs=INPUTS))
    assert "step 'target' is weighted by segments and reads step 'base'" in str(info.value)


def test_segments_only_for_formula_steps(tmp_path: Path) -> None:
    """An aggregate cannot be weighted (``segments`` on it is a schema problem)."""
    body = BODY + "  total: {aggregate: sum, of: target, segments: weighted}\n"
    body = body.replace("pay:\n  - {name: annual_bonus, step: bonus, pay_code: AIP}\n", "")
    body += "pay:\n  - {name: annual_bonus, step: bonus, pay_code: AIP}\n"
    with pytest.raises(PolicyError, match="aggregate step cannot be weighted"):
        load(tmp_path, policy_yaml(body, inputs=INPUTS))


# -- properties ---------------------------------------------------------------------------


@st.composite
def periods_with_history(
    draw: st.DrawFn,
) -> tuple[datetime.date, datetime.date, list[datetime.date]]:
    start = draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2040, 12, 31)))
    end = start + datetime.timedelta(days=draw(st.integers(0, 800)))
    span = (end - start).days
    offsets = draw(st.lists(st.integers(-30, span), unique=True, max_size=12))
    return start, end, [start + datetime.timedelta(days=o) for o in sorted(offsets)]


def _segments(
    start: datetime.date, end: datetime.date, dates: list[datetime.date]
) -> Sequence[Segment]:
    emp = attrs.evolve(
        employees([{"employee_id": "E1"}])[0],
        history=tuple(
            HistoryRow(d.isoformat(), {"base_salary": str(i)}, RowSource("history.csv", i, i + 1))
            for i, d in enumerate(dates, 1)
        ),
    )
    history = read_history(emp, {"base_salary": make_converter("decimal")})
    assert not isinstance(history, Rejection)
    segments = period_segments(emp, history, start, end)
    assert not isinstance(segments, Rejection)
    return segments


@settings(max_examples=200, deadline=None)
@given(periods_with_history())
def test_weights_sum_to_one_and_days_to_the_period(
    case: tuple[datetime.date, datetime.date, list[datetime.date]],
) -> None:
    """For any period and sorted history dates (some before the start), the segments tile the
    period: consecutive, first starts at the start, last ends at the end, days sum to the
    period's days and the exact weights sum to exactly 1."""
    start, end, dates = case
    segments = _segments(start, end, dates)
    assert segments[0].start == start and segments[-1].end == end
    for before, after in itertools.pairwise(segments):
        assert after.start == before.end + datetime.timedelta(days=1)
    assert sum(s.days for s in segments) == (end - start).days + 1
    assert sum(s.weight for s in segments) == 1
    assert len(segments) == 1 + sum(1 for d in dates if d > start)


@pytest.fixture(scope="module")
def constant_rulebook(tmp_path_factory: pytest.TempPathFactory) -> object:
    body = """
    steps:
      constant: {formula: "1234.57 + 0 * base_salary", type: money, segments: weighted}
    """
    return load(tmp_path_factory.mktemp("constant"), policy_yaml(body, inputs=INPUTS))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 364), unique=True, max_size=10))
def test_a_constant_formula_weighs_to_itself(constant_rulebook: object, offsets: list[int]) -> None:
    """Σ c × days ÷ period days = c exactly (one division at the end), whatever the segments:
    1,234.57 stays 1,234.57 for any history in 2026."""
    start = datetime.date(2026, 1, 1)
    rows = [
        ((start + datetime.timedelta(days=o)).isoformat(), {"base_salary": str(o)})
        for o in sorted(offsets)
    ]
    roster, rows = as_current(ROSTER, rows)
    emps = with_history(employees([roster]), {"E1": rows})
    item = outcome(next(iter(calculate(constant_rulebook, emps))))  # type: ignore[arg-type]
    assert isinstance(item, PolicyOutcome)
    assert item.value("constant") == Decimal("1234.57")
    segments = item.value("constant.segments")
    assert (segments is None) == (not offsets)


_SALARY_TEXTS = st.sampled_from(["57850", "57850.00", "57850.0", "60000", "", "abc", Decimal("57850")])


@settings(max_examples=200, deadline=None)
@given(
    salaries=st.lists(_SALARY_TEXTS, min_size=1, max_size=4),
    roster=_SALARY_TEXTS,
    levels=st.lists(st.sampled_from(["", "2", "3", "x"]), min_size=4, max_size=4),
    roster_level=st.sampled_from(["", "2", "3"]),
)
def test_the_history_agrees_with_the_roster_as_their_values_compare(
    salaries: list[object], roster: object, levels: list[str], roster_level: str
) -> None:
    """The last value the history gives a column must be the roster's current one: a roster
    cell whose text is the history's is that value (taken without converting it again), any
    other text is converted and compared (57850 is 57850.00), an empty or unreadable roster
    cell is not compared; a disagreement rejects, naming the history's line."""
    converters = {"base_salary": make_converter("decimal"), "level": make_converter("integer")}
    rows = []
    for at, salary in enumerate(salaries):
        values = {c: v for c, v in (("base_salary", salary), ("level", levels[at])) if v != ""}
        rows.append((f"2026-0{at + 1}-01", values))
    cells = {"employee_id": "E1", "base_salary": roster, "level": roster_level}
    (emp,) = with_history(employees([cells]), {"E1": rows})
    found = read_history(emp, converters)

    def convert(column: str, raw: object) -> object:
        try:
            return converters[column](raw)
        except ValueError:
            return ValueError

    readable = all(
        convert(column, value) is not ValueError
        for _, values in rows
        for column, value in values.items()
    )
    if not readable:  # a history value the converter refuses: rejected for it
        assert isinstance(found, Rejection) and "line" in found.reason
        return
    disagree = []
    for column in dict.fromkeys(c for _, values in rows for c in values):  # as first set
        given = [values[column] for _, values in rows if column in values]
        current = convert(column, cells[column]) if cells[column] not in (None, "") else None
        if given and current not in (None, ValueError) and current != convert(column, given[-1]):
            disagree.append(column)
    if disagree:
        assert isinstance(found, Rejection)
        assert found.column == disagree[0] and "the roster holds the current values" in found.reason
    else:
        assert isinstance(found, tuple) and len(found) == len(rows)
