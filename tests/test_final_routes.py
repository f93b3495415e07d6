"""The final pass evaluates and counts the usual row (covered by one policy of each kind, no
history) with one function generated per combination of covering policies
(`engine.final_routes`); every outcome, rejection and count is what the general path gives
(`Calculation.evaluated`, then `_count`): totals, budgets and pool fundings included."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, repeated_sample
from engine_helpers import employees
from incentives.engine.calculate import Calculation, EmployeeOutcome, calculate
from incentives.io import open_roster, read_rates
from incentives.jobs import required_columns
from incentives.rulebook.rulebook import Rulebook, load_rules
from strategies import coverage_rows, sample_roster_edits
from test_final_pass_fast_paths import TextRows
from test_final_pass_fast_paths import rulebook as coverage_rulebook


@functools.cache
def sample_rulebook() -> Rulebook:
    return load_rules(RULES)


def general_run_of(self: Calculation, covering: Any) -> Any:
    """`Calculation._run_of` that leaves every row to the general path."""
    self._runs[id(covering)] = (covering, None)
    return covering, None


def both(make: Any) -> tuple[Any, Any]:
    """(items, summary) of ``make()``'s calculation, iterated as it is and with every row on
    the general path."""
    fast = make()
    fast_items = list(fast)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Calculation, "_run_of", general_run_of)
        slow = make()
        slow_items = list(slow)
    return (fast_items, fast.summary), (slow_items, slow.summary)


def assert_same(fast: tuple[Any, Any], slow: tuple[Any, Any]) -> None:
    (fast_items, fast_summary), (slow_items, slow_summary) = fast, slow
    assert fast_items == slow_items
    assert fast_summary == slow_summary
    # the same keys in the same order (the manifest and the CLI list them so)
    assert list(fast_summary.totals) == list(slow_summary.totals)
    assert list(fast_summary.budgets) == list(slow_summary.budgets)
    assert list(fast_summary.pool_conflicts) == list(slow_summary.pool_conflicts)


def edited_sample(edits: list[tuple[int, str, str]]) -> Path:
    """The sample roster (ids 00001 to 00052, as they are) with ``edits`` (row, column, new
    cell; a ``drop`` empties the row's id, which rejects it) in a new file."""

    def edit(i: int, header: list[str], row: list[str]) -> None:
        for number, column, cell in edits:
            if number == i:
                row[header.index("employee_id" if column == "drop" else column)] = cell

    folder = Path(tempfile.mkdtemp(prefix="final-routes-"))
    return repeated_sample(folder / "employees.csv", 52, first_id=1, id_width=5, edit=edit)


def sample_calculation(path: Path) -> Calculation:
    """The sample cycle's calculation over the roster at ``path`` (ratings, history, rates)."""
    rulebook = sample_rulebook()
    keyed = {"ratings_path": RATINGS, "history_path": HISTORY}
    roster = open_roster(path, required_columns=required_columns(rulebook), **keyed)
    return calculate(rulebook, roster, rates=read_rates(RATES))


# edits that reject a row while it is evaluated (a currency without rates) or move it between
# policies (another plan, level or unit), besides the sample's usual edits
faults = st.lists(
    st.tuples(
        st.integers(0, 51),
        st.sampled_from(["currency", "plan", "level"]),
        st.sampled_from(["XYZ", "JPY", "EUR", "AIP", "SIP", "LTI", "1", "4", "7"]),
    ),
    max_size=4,
)


@settings(max_examples=25, deadline=None)
@given(edits=sample_roster_edits(), more=faults)
def test_the_sample_edited_is_computed_and_counted_as_the_general_path_does(
    edits: list[tuple[int, str, str]], more: list[tuple[int, str, str]]
) -> None:
    """For the sample with any edits (rows rejected while converted or evaluated, moved
    between plans): the same items, counts, totals, budgets and pool fundings."""
    path = edited_sample(edits + more)
    assert_same(*both(lambda: sample_calculation(path)))


def test_the_sample_as_it_is_takes_the_generated_path() -> None:
    """The sample's usual rows are evaluated and counted by the generated functions, and give
    what the general path gives."""
    fast, slow = both(lambda: sample_calculation(EMPLOYEES))
    assert_same(fast, slow)
    calc = sample_calculation(EMPLOYEES)
    items = list(calc)
    routed = [run for _, run in calc._runs.values() if run is not None]
    assert routed and sum(isinstance(i, EmployeeOutcome) for i in items) > 40


@settings(max_examples=60, deadline=None)
@given(rows=coverage_rows(), strict=st.booleans())
def test_rows_in_and_out_of_plans_are_computed_and_counted_as_the_general_path_does(
    rows: list[dict[str, str]], strict: bool
) -> None:
    """Rows covered by one, two or no policies, left out by some kind, with faults: the same
    items and counts on the generated path as on the general one."""

    def make() -> Calculation:
        return calculate(coverage_rulebook(), TextRows(employees(rows)), require_coverage=strict)

    assert_same(*both(make))


def test_a_generated_route_is_kept_per_combination_of_policies() -> None:
    """One function per tuple of covering policies, made on its first row."""
    calc = sample_calculation(EMPLOYEES)
    list(calc)
    made = dict(calc._runs)
    list(calc.outcomes(iter_rows(calc), type(calc.summary)()))
    assert calc._runs == made


def iter_rows(calc: Calculation) -> Iterator[Any]:
    return iter(calc.plan.final.rows(calc.employees))
