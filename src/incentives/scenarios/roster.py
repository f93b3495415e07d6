"""A roster seen through a scenario's input changes: the same records, some cells changed.

Every pass reads the changed cells (each row is changed the same way whenever it is read, in
any worker); `ChangedRoster.counts()` scans the roster once more, reading only what the rules
read, for how many employees each rule changed and clamped (a forked worker's counting would
not come back to the parent).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

import attrs

from incentives.model.employee import EmployeeInput
from incentives.model.outcome import Rejection
from incentives.model.roster import RosterSource, RosterView
from incentives.scenarios.changes import InputRule

__all__ = ["ChangeCounts", "ChangedRoster"]

Row = EmployeeInput | Rejection


@attrs.frozen
class ChangeCounts:
    """Employees whose inputs a scenario changed, and those a relative change was clamped for
    (in total and per ``inputs:`` rule, in order)."""

    changed: int
    clamped: int
    by_rule: tuple[tuple[int, int], ...]


def apply_rules(rules: Sequence[InputRule], row: Row) -> tuple[Row, list[tuple[bool, bool]]]:
    """``row`` after every rule in order (a rejection is left as it is)."""
    marks: list[tuple[bool, bool]] = []
    if not isinstance(row, EmployeeInput):
        return row, marks
    for rule in rules:
        row, changed, clamped = rule.apply(row)
        marks.append((changed, clamped))
    return row, marks


class _Changed:
    def __init__(self, rows: Iterable[Row], rules: Sequence[InputRule]) -> None:
        self.rows, self.rules = rows, rules

    def __iter__(self) -> Iterator[Row]:
        rules = self.rules
        for row in self.rows:
            yield apply_rules(rules, row)[0]


class ChangedRoster(RosterView):
    """``base`` with the rules' changes applied to each matching row (a `RosterSource`)."""

    def __init__(self, base: RosterSource, rules: Sequence[InputRule]) -> None:
        super().__init__(base)
        self.rules = tuple(rules)
        self._reads = frozenset(
            name
            for rule in self.rules
            for name in (*rule.reads, *(bounds.name for bounds, _ in rule.fields))
        )
        self._goals = any(rule.goals for rule in self.rules)
        self._counts: ChangeCounts | None = None

    def part(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        goals: bool = True,
        columns: Collection[str] | None = None,
        ratings: bool = True,
    ) -> Iterable[Row]:
        wanted = None if columns is None else {*columns, *self._reads}
        rows = self.base.part(start, stop, goals=goals, columns=wanted, ratings=ratings)
        return _Changed(rows, self.rules)

    def counts(self) -> ChangeCounts:
        """How many employees the rules changed and clamped (one scan, remembered)."""
        if self._counts is None:
            changed = clamped = 0
            per = [[0, 0] for _ in self.rules]
            rows = self.base.part(goals=self._goals, columns=self._reads, ratings=False)
            for row in rows:
                _, marks = apply_rules(self.rules, row)
                changed += any(c for c, _ in marks)
                clamped += any(k for _, k in marks)
                for i, (c, k) in enumerate(marks):
                    per[i][0] += c
                    per[i][1] += k
            self._counts = ChangeCounts(changed, clamped, tuple((c, k) for c, k in per))
        return self._counts
