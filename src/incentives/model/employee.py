"""An employee as read from an input file: raw text cells, where they came from, their goals.

The engine converts the text by the types the policies declare; a notebook user may also pass
already-typed values (a `Decimal`, a `date`), which the converters accept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class RowSource:
    """Where a row came from: file, record number (1 = first data row) and physical line."""

    file: str
    record: int
    line: int


@attrs.frozen
class GoalInput:
    """One per-employee goal, as text (or typed values), with where it was read."""

    name: str
    target: object
    actual: object
    weight: object
    direction: object = "higher"
    source: RowSource | None = None
    column_prefix: str = ""  # "goal2_" for roster column groups, "" for a goals file


@attrs.frozen
class EmployeeInput:
    """One roster row: ``cells`` maps column name to text (or a typed value)."""

    employee_id: str
    cells: Mapping[str, object]
    source: RowSource
    goals: tuple[GoalInput, ...] = ()
