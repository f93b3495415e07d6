"""not_covered.csv and unmatched.csv: roster rows no policy of a kind covers, and rows of the
goals, rating history and history files whose employee is not in the roster.

Neither is a fault: a bonus plan run on a full HR extract leaves out everyone outside its
population, and a ratings file may cover more people than the roster. Both are listed, so a
reader can check that nobody was left out by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable

from incentives.io.writers import format_cell
from incentives.model import Exclusion, Unmatched

__all__ = ["NOT_COVERED_HEADER", "UNMATCHED_HEADER", "not_covered_rows", "unmatched_row"]

NOT_COVERED_HEADER = ("file", "record", "line", "employee_id", "kind", "excluded_by")
UNMATCHED_HEADER = ("file", "record", "line", "employee_id", "why")


def not_covered_rows(
    file: str, record: int, line: int, employee_id: str, exclusions: Iterable[Exclusion]
) -> list[list[str]]:
    """One row per kind of policy that leaves the employee out, naming each policy's
    population and the values it read (``excluded_by``, policies separated by ``; ``)."""
    return [
        [format_cell(v) for v in (file, record, line, employee_id, e.kind, e.describe())]
        for e in exclusions
    ]


def unmatched_row(row: Unmatched) -> list[str]:
    return [format_cell(v) for v in (row.file, row.record, row.line, row.employee_id, row.why)]
