"""A scenario that changes inputs reads the baseline's rows, one by one, through its wrapper.

A scenario's ``wrap_roster(roster)`` returns a roster whose rows are the given roster's, some
changed (a rating one step up for a group, an actual × 1.05). Reading that roster on its own
would read the file once more per such scenario; instead the wrapper is given a `Feed`: a
roster whose rows are those the simulation has just read, handed one at a time (`Lockstep`).
The wrapper must map rows one for one, in order, reading no row ahead (a generator over
``roster.part(...)`` does); a row it returns unchanged (the very object) keeps the baseline's
conversion, a changed one is converted by the scenario.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

from incentives.errors import OptionsError
from incentives.model import EmployeeInput
from incentives.model.roster import RosterSource, RosterView, Row

__all__ = ["Feed", "Lockstep", "Wrap"]

Wrap = Callable[[RosterSource], RosterSource]

_CONTRACT = (
    "a scenario's wrap_roster must give one row for each row of the roster it wraps, in order, "
    "reading none ahead (e.g. a generator over roster.part(...))"
)


class Feed(RosterView):
    """The roster a wrapper reads: whatever row was last pushed, delegating the rest."""

    def __init__(self, roster: RosterSource) -> None:
        super().__init__(roster)
        self._rows: deque[Row] = deque()

    def push(self, row: Row) -> None:
        self._rows.append(row)

    @property
    def pending(self) -> int:
        return len(self._rows)

    def part(self, *_: object, **__: object) -> Iterable[Row]:
        """The rows pushed, whatever share is asked for: the wrapper reads the row just read."""
        return self._drain()

    def _drain(self) -> Iterator[Row]:
        while True:
            if not self._rows:
                raise OptionsError(_CONTRACT)
            yield self._rows.popleft()


def _record(row: Row) -> int:
    return row.source.record if isinstance(row, EmployeeInput) else row.record


class Lockstep:
    """Per calculation, its wrapper's row for each row read (None: no wrapper)."""

    def __init__(self, roster: RosterSource, wraps: Sequence[Wrap | None]) -> None:
        self.feeds: list[tuple[Feed, Iterator[Row]] | None] = []
        for wrap in wraps:
            if wrap is None:
                self.feeds.append(None)
                continue
            feed = Feed(roster)
            self.feeds.append((feed, iter(wrap(feed).part())))

    @property
    def any(self) -> bool:
        return any(f is not None for f in self.feeds)

    def rows(self, row: Row) -> list[Row | None]:
        found: list[Row | None] = []
        for entry in self.feeds:
            if entry is None:
                found.append(None)
                continue
            feed, rows = entry
            feed.push(row)
            got = next(rows, None)
            if got is None or feed.pending or _record(got) != _record(row):
                raise OptionsError(_CONTRACT)
            found.append(got)
        return found
