"""What the engine reads employees from: the `RosterSource` protocol, and a plain list as one.

A run reads its employees through `RosterSource` only, so a roster that is not a CSV file (an
Excel sheet, an in-memory table) plugs in by providing these members; `incentives.io.roster`'s
CSV `Roster` is one. A plain iterable of rows is accepted too: `as_roster` sees it as a roster
with no keyed files whose cells are already typed (`RowsRoster`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any, Protocol, runtime_checkable

from incentives.model.employee import EmployeeInput
from incentives.model.outcome import KeyedCounts, Rejection, Unmatched

__all__ = ["RosterSource", "RosterView", "RowsRoster", "as_roster"]

Row = EmployeeInput | Rejection


@runtime_checkable
class RosterSource(Protocol):
    """The employees of a run, readable any number of times (group totals and pools read
    them more than once) and in contiguous shares (one per worker process)."""

    @property
    def text_cells(self) -> bool:
        """Whether every cell of an `EmployeeInput` is text as read (the engine converts it
        with its generated fast path); False when cells already hold typed values."""
        ...

    @property
    def record_count(self) -> int:
        """The number of records, rejected ones included: what `part` indexes."""
        ...

    def __iter__(self) -> Iterator[Row]:
        """Every record in roster order: an `EmployeeInput`, or a `Rejection` for a record
        that cannot be read. Each call starts a new pass."""
        ...

    def part(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        goals: bool = True,
        columns: Collection[str] | None = None,
        ratings: bool = True,
    ) -> Iterable[Row]:
        """Records ``start`` to ``stop - 1`` (0-based; ``stop`` None: to the end), re-iterable,
        in roster order: one worker's share. A pass that reads less may ask for less: without
        ``goals`` (``ratings``) rows need carry no goals (rating history), and with ``columns``
        their cells need hold only those columns (more is harmless)."""
        ...

    def keyed_counts(self) -> Mapping[str, KeyedCounts]:
        """Per keyed file read with the roster ('goals', 'ratings', 'history'): rows read,
        matched, unmatched and rejected; empty when there is none."""
        ...

    def orphans(self) -> list[Rejection]:
        """Rows of the keyed files that belong to no employee (no employee id): rejections."""
        ...

    def unmatched(self) -> list[Unmatched]:
        """Rows of the keyed files for employees not in the roster (listed, not faults)."""
        ...


class RowsRoster:
    """Rows already built (typed cells, goals and history attached) seen as a roster with no
    keyed files. A sequence can be cut into shares; any other iterable is read as given (so a
    one-shot iterator streams once, as the engine's callers expect)."""

    text_cells = False

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = rows

    @property
    def record_count(self) -> int:
        if isinstance(self.rows, Sized):
            return len(self.rows)
        return sum(1 for _ in self.rows)

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
    ) -> Iterable[Row]:
        if isinstance(self.rows, Sequence):
            return self.rows[start:stop]
        return _Slice(self.rows, start, stop)

    def keyed_counts(self) -> Mapping[str, KeyedCounts]:
        return {}

    def orphans(self) -> list[Rejection]:
        return []

    def unmatched(self) -> list[Unmatched]:
        return []


class RosterView:
    """Another roster (``base``) seen through a subclass's `part` (a scenario's changed
    roster, the feed a scenario's wrapper reads): the record count, kind of cells and keyed
    files are the base's, and so are the rows of a `part` not overridden."""

    def __init__(self, base: RosterSource) -> None:
        self.base = base

    @property
    def text_cells(self) -> bool:
        return self.base.text_cells

    @property
    def record_count(self) -> int:
        return self.base.record_count

    def __iter__(self) -> Iterator[Row]:
        return iter(self.part())

    def part(self, *args: Any, **kwargs: Any) -> Iterable[Row]:
        """The base's rows (`RosterSource.part`'s arguments)."""
        return self.base.part(*args, **kwargs)

    def keyed_counts(self) -> Mapping[str, KeyedCounts]:
        return self.base.keyed_counts()

    def orphans(self) -> list[Rejection]:
        return self.base.orphans()

    def unmatched(self) -> list[Unmatched]:
        return self.base.unmatched()


class _Slice:
    """Records ``start`` to ``stop - 1`` of a re-iterable, taken anew on each iteration."""

    def __init__(self, rows: Iterable[Row], start: int, stop: int | None) -> None:
        self.rows, self.start, self.stop = rows, start, stop

    def __iter__(self) -> Iterator[Row]:
        return itertools.islice(self.rows, self.start, self.stop)


def as_roster(employees: RosterSource | Iterable[Row]) -> RosterSource:
    """``employees`` as a `RosterSource`: itself if it is one, else a `RowsRoster` of it."""
    if isinstance(employees, RosterSource):
        return employees
    return RowsRoster(employees)
