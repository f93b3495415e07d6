"""An employee as read from an input file: raw text cells, where they came from, their goals.

The engine converts the text by the types the policies declare; a notebook user may also pass
already-typed values (a `Decimal`, a `date`), which the converters accept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import attrs


class RowSource(NamedTuple):
    """Where a row came from: file, record number (1 = first data row) and physical line.

    A named tuple (as `GoalInput`, `RatingRecord`, `HistoryRow`): one is built for every row
    of the roster and of its keyed files in every pass, and a tuple is built several times
    faster than an attrs class; it is just as immutable.
    """

    file: str
    record: int
    line: int


class GoalInput(NamedTuple):
    """One per-employee goal, as text (or typed values), with where it was read.

    A named tuple rather than an attrs class: three of them are built for every employee of a
    roster, and a tuple is built several times faster; it is just as immutable.
    """

    name: str
    target: object
    actual: object
    weight: object
    direction: object = "higher"
    source: RowSource | None = None
    column_prefix: str = ""  # "goal2_" for roster column groups, "" for a goals file


class RatingRecord(NamedTuple):
    """One past rating of an employee (a rating history file row): cycle label and rating."""

    cycle: str
    rating: object
    source: RowSource | None = None


class HistoryRow(NamedTuple):
    """One dated change of an employee's fields (a history file row): from ``effective`` on,
    ``values`` (column name to text, only the columns the row fills) are in force."""

    effective: object
    values: Mapping[str, object]
    source: RowSource | None = None


@attrs.frozen
class EmployeeInput:
    """One roster row: ``cells`` maps column name to text (or a typed value); goals, rating
    history and dated changes come from the roster or from files keyed by employee_id."""

    employee_id: str
    cells: Mapping[str, object]
    source: RowSource
    goals: tuple[GoalInput, ...] = ()
    ratings: tuple[RatingRecord, ...] = ()
    history: tuple[HistoryRow, ...] = ()
