"""The one executor of a run plan: each pass of `RunPlan.passes` mapped over the roster's shares.

    ran = execute(calc, roster, in_process, open_share)

How the shares are mapped is the caller's: `in_process` runs the one share there is, in this
process; `incentives.parallel` forks a worker per share. Either way each pass before the final
returns its partials, which merge into the group totals and solved pools the next pass reads;
each share of the final pass returns its summary and the records an earlier pass counted but
the final pass rejected, and the run's summary is merged from these. What the final pass's
outcomes become is the caller's too: ``open_share(index)`` gives the function that takes a
share's outcomes (in roster order) and writes them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from incentives.engine.outcome import EmployeeOutcome, Summary
from incentives.engine.run_plan import Pass
from incentives.model import EmployeeInput, NotCovered, Rejection
from incentives.model.roster import RosterSource

if TYPE_CHECKING:
    from incentives.engine.calculate import Calculation

__all__ = [
    "Item",
    "OpenShare",
    "Ran",
    "ShareMap",
    "Tick",
    "Work",
    "collections_paused",
    "execute",
    "in_process",
    "prepare",
]

T = TypeVar("T")
Item = EmployeeOutcome | NotCovered | Rejection
# called with the number of employees a share of the final pass has done, every progress_every
Tick = Callable[[int], None]
# a share's work: (share index, first record, stop record or None for the end, its tick)
Work = Callable[[int, int, "int | None", "Tick | None"], T]
# what takes a share's outcomes (the final pass's), in roster order
OpenShare = Callable[[int], AbstractContextManager[Callable[[Iterable[Item]], object]]]


class ShareMap(Protocol):
    """Runs ``work`` once per share of the roster; the results in share order. ``progress``
    (the final pass only) is the run's: called with the employees done so far."""

    def __call__(self, work: Work[T], progress: Tick | None = None) -> list[T]: ...


def in_process(work: Work[T], progress: Tick | None = None) -> list[T]:
    """The whole roster as one share, in this process."""
    return [work(0, 0, None, progress)]


@attrs.frozen
class Ran:
    """What a run's passes returned: the merged summary, and the records that an earlier pass
    counted (in a group total or a pool) and the final pass rejected."""

    summary: Summary
    miscounted: frozenset[int]


def prepare(
    calc: Calculation,
    roster: RosterSource,
    shares: ShareMap,
    exclude: Collection[int] = (),
) -> None:
    """Every pass of the plan before the final one: partials per share, merged, applied."""
    for step in calc.plan.before_final():
        calc.apply_partials(step, shares(_collect(calc, step, roster, exclude)))


def _collect(
    calc: Calculation, step: Pass, roster: RosterSource, exclude: Collection[int]
) -> Work[Any]:
    """A share's work in pass ``step`` (before the final one): the partials of its rows."""

    def work(_index: int, start: int, stop: int | None, _tick: Tick | None) -> Any:
        with collections_paused():
            return calc.partials(step, step.rows(roster, start, stop), exclude)

    return work


def execute(
    calc: Calculation,
    roster: RosterSource,
    shares: ShareMap,
    open_share: OpenShare,
    exclude: Collection[int] = (),
) -> Ran:
    """Every pass of the plan; the final pass's outcomes go to ``open_share(index)``'s writer."""
    prepare(calc, roster, shares, exclude)
    final = calc.plan.final

    def work(index: int, start: int, stop: int | None, tick: Tick | None) -> Any:
        share = FinalShare(calc, tick)
        with open_share(index) as write, collections_paused():
            write(share.items(final.rows(roster, start, stop)))
        return share.summary, frozenset(share.miscounted)

    done: list[tuple[Summary, frozenset[int]]] = shares(work, calc.progress)
    summary = Summary()
    miscounted: frozenset[int] = frozenset()
    for part, counted in done:
        summary.merge(part)
        miscounted |= counted
    summary.complete = all(part.complete for part, _ in done)
    summary.keyed_files = dict(roster.keyed_counts())
    return Ran(summary, miscounted)


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """No automatic cycle collection inside the block (as it was after it).

    A pass allocates and frees a few dozen containers per employee (blocks of records, rows,
    traces, outcomes): reference counting frees them all, yet the collector's generation-0
    threshold (700 allocations) keeps walking the live ones and promoting them, the older
    generations with them (~0.3 s of each worker's 11 s in the bench cycle at 100,000). A pass
    makes next to no cyclic garbage (a few dozen objects a run), so none is left waiting
    long: the collector runs again as usual once the pass is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FinalShare:
    """The final pass over one share: its outcomes, counted in its own summary."""

    def __init__(self, calc: Calculation, tick: Tick | None) -> None:
        self.calc = calc
        self.tick = tick
        self.summary = Summary()
        self.miscounted: set[int] = set()

    def items(self, rows: Iterable[EmployeeInput | Rejection]) -> Iterator[Item]:
        """Each row's outcome, in order; ``summary.complete`` once all were."""
        calc, tick, every = self.calc, self.tick, self.calc.progress_every
        miscounted = self.miscounted if calc.may_miscount else None
        outcomes = calc.outcomes(rows, self.summary, miscounted)
        if tick is None:  # no progress to tell: the outcomes as they come
            yield from outcomes
        else:
            for count, out in enumerate(outcomes, 1):
                if count % every == 0:
                    tick(count)
                yield out
        self.summary.complete = True
