"""What became of a row that was not computed: rejected, covered by no policy, or (a row of a
keyed file) for an employee who is not in the roster; and the counts of a keyed file."""

from __future__ import annotations

import attrs


@attrs.frozen
class Rejection:
    """A rejected row: file, record and physical line, the column and value at fault, the reason."""

    file: str
    record: int
    line: int
    employee_id: str
    column: str
    value: str
    reason: str


@attrs.frozen
class Exclusion:
    """A kind of policy (bonus, merit, …) none of whose policies covers an employee, and why:
    each policy's population as written with the values it read, e.g.
    ``annual-bonus-2026: plan == 'AIP' (plan = 'LTI')``."""

    kind: str
    conditions: tuple[str, ...]

    def describe(self) -> str:
        return "; ".join(self.conditions)


@attrs.frozen
class NotCovered:
    """A roster row that no policy covers: nothing to compute for it, and no fault in it."""

    file: str
    record: int
    line: int
    employee_id: str
    exclusions: tuple[Exclusion, ...]


@attrs.frozen
class Unmatched:
    """A row of a goals, rating history or history file whose employee is not in the roster."""

    file: str
    record: int
    line: int
    employee_id: str
    why: str


@attrs.frozen
class KeyedCounts:
    """The rows of a goals, rating history or history file: ``read`` (non-blank data rows) =
    ``matched`` (an employee of the roster) + ``unmatched`` (no such employee) + ``rejected``
    (no employee_id at all: in rejected.csv)."""

    read: int
    matched: int
    unmatched: int
    rejected: int

    @property
    def reconciles(self) -> bool:
        return self.read == self.matched + self.unmatched + self.rejected
