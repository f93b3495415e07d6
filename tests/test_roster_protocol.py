"""A roster that is not a CSV file plugs into the engine through `RosterSource` alone."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES
from incentives.engine.calculate import EmployeeOutcome, calculate
from incentives.io import open_roster, read_rates
from incentives.io.roster import Roster
from incentives.jobs import required_columns
from incentives.model import (
    EmployeeInput,
    GoalInput,
    HistoryRow,
    KeyedCounts,
    RatingRecord,
    Rejection,
    RowSource,
    Unmatched,
)
from incentives.model.roster import RosterSource, RowsRoster, as_roster
from incentives.rulebook.rulebook import load_rules

Row = EmployeeInput | Rejection


def _dicts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


class TableRoster:
    """An in-memory table (column → value per row, as a spreadsheet library would hand it
    over) with its rating history and dated changes, read by nothing in `incentives.io`."""

    def __init__(self, name: str, table: list[dict[str, str]], text_cells: bool) -> None:
        self.text_cells = text_cells
        ratings: dict[str, list[RatingRecord]] = defaultdict(list)
        for line, r in enumerate(_dicts(RATINGS), 2):
            if r["rating"]:
                source = RowSource(str(RATINGS), line - 1, line)
                ratings[r["employee_id"]].append(RatingRecord(r["cycle"], r["rating"], source))
        history: dict[str, list[HistoryRow]] = defaultdict(list)
        for line, h in enumerate(_dicts(HISTORY), 2):
            values = {
                k: v for k, v in h.items() if k not in ("employee_id", "effective_date") and v
            }
            source = RowSource(str(HISTORY), line - 1, line)
            history[h["employee_id"]].append(HistoryRow(h["effective_date"], values, source))
        self.rows: list[Row] = []
        for record, cells in enumerate(table, 1):
            source = RowSource(name, record, record + 1)
            eid = cells["employee_id"]
            self.rows.append(
                EmployeeInput(
                    eid,
                    {k: v.strip() for k, v in cells.items()},
                    source,
                    _goals(cells, source),
                    tuple(ratings[eid]),
                    tuple(history[eid]),
                )
            )

    @property
    def record_count(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def part(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        goals: bool = True,
        columns: Collection[str] | None = None,
        ratings: bool = True,
    ) -> list[Row]:
        return self.rows[start:stop]  # more than a pass asks for is harmless

    def keyed_counts(self) -> Mapping[str, KeyedCounts]:
        return {}

    def orphans(self) -> list[Rejection]:
        return []

    def unmatched(self) -> list[Unmatched]:
        return []


def _goals(cells: dict[str, str], source: RowSource) -> tuple[GoalInput, ...]:
    goals = []
    for n in (1, 2, 3):
        p = f"goal{n}_"
        if cells[p + "target"] or cells[p + "actual"] or cells[p + "weight"]:
            goals.append(
                GoalInput(
                    cells[p + "name"] or p[:-1],
                    cells[p + "target"],
                    cells[p + "actual"],
                    cells[p + "weight"],
                    cells[p + "direction"] or "higher",
                    source,
                    p,
                )
            )
    return tuple(goals)


def _reads(roster: RosterSource) -> RosterSource:
    """Typed to take the protocol: the CSV roster and the table above are passed to it."""
    return roster


def _outcomes(items: Any) -> list[tuple[Any, ...]]:
    found = []
    for item in items:
        assert isinstance(item, EmployeeOutcome), item
        found.append(
            (
                item.employee_id,
                item.record,
                tuple(
                    (o.policy.id, o.trace, o.eligible, o.zero_reason, o.notes, o.ready, o.gaps)
                    for o in item.outcomes
                ),
                item.exclusions,
            )
        )
    return found


@pytest.mark.parametrize("text_cells", [True, False], ids=["text-fast-path", "typed-path"])
def test_an_in_memory_roster_gives_the_csv_rosters_outcomes(
    tmp_path: Path, text_cells: bool
) -> None:
    # a few sample rows (group totals and pools then cover just these), both ways
    lines = EMPLOYEES.read_text(encoding="utf-8").splitlines(keepends=True)[:9]
    path = tmp_path / "employees.csv"
    path.write_text("".join(lines), encoding="utf-8")
    rulebook = load_rules(RULES)
    csv_roster: Roster = open_roster(
        path,
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )
    table = TableRoster(str(path), _dicts(path), text_cells)
    rates = read_rates(RATES)

    from_csv = _outcomes(calculate(rulebook, _reads(csv_roster), rates=rates))
    from_table = _outcomes(calculate(rulebook, _reads(table), rates=rates))

    assert len(from_csv) == 8
    assert from_table == from_csv
    # the roster's share for a worker is what the engine's passes read: the same rows
    calc = calculate(rulebook, table, rates=rates)
    assert all(list(step.rows(table, 2, 5)) == table.rows[2:5] for step in calc.plan.passes)


def test_both_rosters_are_roster_sources_and_a_plain_list_becomes_one() -> None:
    roster = open_roster(EMPLOYEES)
    assert isinstance(roster, RosterSource)
    assert as_roster(roster) is roster
    rows = list(roster)
    plain = as_roster(rows)
    assert isinstance(plain, RowsRoster)
    assert plain.text_cells is False  # cells of a plain list may be typed already
    assert plain.record_count == len(rows) == roster.record_count
    assert list(plain.part(1, 3)) == rows[1:3]
    assert plain.keyed_counts() == {} and plain.orphans() == [] and plain.unmatched() == []
    # a re-iterable that is not a sequence is cut into shares too, anew on each pass
    share = RowsRoster(dict(enumerate(rows)).values()).part(1, 3)
    assert list(share) == list(share) == rows[1:3]
