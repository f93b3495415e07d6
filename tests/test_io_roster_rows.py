"""The generated row builder of a roster layout gives what the general path gives, row by row."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.io.roster import open_roster
from strategies import roster_files

# the kinds of pass a run makes: (goals, columns, ratings); columns None reads what it keeps
_PASSES = ((True, None, True), (False, ("level",), False), (True, ("unit",), True))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


@settings(max_examples=200, deadline=None)
@given(roster_files())
def test_generated_rows_equal_the_general_path(
    files: tuple[list[list[str]], list[list[str]]],
) -> None:
    """Every pass over any roster yields, record by record, the employee (cells in the file's
    column order, goals, ratings, source) or the rejection (same reason, line and cell) that
    `Roster._employee`, the general path, builds from the same record."""
    roster_rows, rating_rows = files
    with tempfile.TemporaryDirectory() as folder:
        roster_path = _write(Path(folder) / "roster.csv", roster_rows)
        ratings_path = _write(Path(folder) / "ratings.csv", rating_rows)
        for read_columns in (None, {"unit"}):
            for ratings in (None, ratings_path):
                roster = open_roster(roster_path, ratings_path=ratings, read_columns=read_columns)
                for goals, columns, with_ratings in _PASSES:
                    picker = roster._pass_picker(goals, columns)
                    expected = [
                        roster._employee(record, goals, picker, with_ratings)
                        for record in roster._table.records()
                    ]
                    part = roster.part(goals=goals, columns=columns, ratings=with_ratings)
                    found = list(part)
                    assert found == expected
                    assert [list(row.cells) for row in found if hasattr(row, "cells")] == [
                        list(row.cells) for row in expected if hasattr(row, "cells")
                    ]


def test_a_share_of_the_roster_starts_and_stops_where_asked(tmp_path: Path) -> None:
    """A worker's share (records 2 to 4 of 5) holds those records, numbered as in the file."""
    rows = [["employee_id", "level"], *([str(n), str(n * 10)] for n in range(1, 6))]
    roster = open_roster(_write(tmp_path / "roster.csv", rows))
    share = list(roster.part(1, 4))
    assert [(row.employee_id, row.source.record, row.source.line) for row in share] == [
        ("2", 2, 3),
        ("3", 3, 4),
        ("4", 4, 5),
    ]
    assert list(roster.part(5, 9)) == []


@settings(max_examples=100, deadline=None)
@given(
    groups=st.integers(1, 3),
    rows=st.lists(st.lists(st.sampled_from(["", "", " ", "5", "0.5"]), min_size=9, max_size=9)),
)
def test_goal_groups_filled_or_blank_make_the_goals_of_the_general_path(
    groups: int, rows: list[list[str]]
) -> None:
    """A row whose goal groups all have a figure (the usual row) and one where some have none
    (blank or spaces: no goal) get the goals the general path builds, in the groups' order."""
    parts = ("target", "actual", "weight")
    header = ["employee_id", *(f"goal{g}_{p}" for g in range(1, groups + 1) for p in parts)]
    records = [[str(n), *row[: 3 * groups]] for n, row in enumerate(rows, 1)]
    with tempfile.TemporaryDirectory() as folder:
        roster = open_roster(_write(Path(folder) / "roster.csv", [header, *records]))
        expected = [
            roster._employee(record, True, roster._pass_picker(True, None))
            for record in roster._table.records()
        ]
        assert list(roster.part(goals=True)) == expected
