"""Both cores for large runs: the roster is cut into contiguous shares, one per worker process.

`forked_shares` maps each pass of the run plan (`incentives.engine.passes`) over the shares in
forked workers: each pass forks anew, after the one before was merged, so that the workers see
its group totals and solved pools. In the final pass each worker writes its rows to temporary
files (`share_files`); the parent appends the shares in roster order, so the outputs are
byte-identical to a run on one core. Workers are forked after the rulebook is compiled and
bound, so nothing is compiled twice.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from incentives.engine.calculate import Calculation
from incentives.engine.passes import Item, OpenShare, Ran, ShareMap, Tick, Work
from incentives.io.run_outputs import OutputLayout
from incentives.io.writers import CsvSink, RowWriter
from incentives.model.roster import RosterSource

__all__ = ["can_fork", "forked_shares", "run_parallel", "write_rows"]

T = TypeVar("T")
# What a forked worker inherits: the work of the pass at hand and the shares' bounds.
_WORK: tuple[Work[Any], list[tuple[int, int]]] | None = None
_NAMES = ("results", "breakdown", "rejected", "not_covered")
_DONE: Any = None  # a shared counter of rows done, for the parent's progress bar


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _shares(count: int, workers: int) -> list[tuple[int, int]]:
    return [(count * k // workers, count * (k + 1) // workers) for k in range(workers)]


def _run_share(index: int) -> Any:
    """In a worker: the pass's work over share ``index``."""
    assert _WORK is not None
    work, shares = _WORK
    return work(index, *shares[index], _tick() if _DONE is not None else None)


def _tick() -> Tick:
    """In a worker: adds the rows done since the last report to the shared counter."""
    last = 0

    def tick(done: int) -> None:
        nonlocal last
        with _DONE.get_lock():
            _DONE.value += done - last
        last = done

    return tick


def forked_shares(records: int, workers: int) -> ShareMap:
    """A `ShareMap` running each share of ``records`` in a forked worker process."""
    shares = _shares(records, workers)
    context = multiprocessing.get_context("fork")

    def run(work: Work[T], progress: Tick | None = None) -> list[T]:
        global _WORK, _DONE
        _WORK = (work, shares)
        _DONE = context.Value("q", 0) if progress is not None else None
        try:
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = [pool.submit(_run_share, share) for share in range(workers)]
                while progress is not None and wait(futures, timeout=0.25).not_done:
                    progress(_DONE.value)
                return [future.result() for future in futures]
        finally:
            _WORK = _DONE = None

    return run


def write_rows(
    calc: Calculation,
    items: Any,
    layout: OutputLayout,
    results: Callable[[list[str]], object],
    breakdown: Callable[[list[str]], object],
    rejected: Callable[[list[str]], object],
    not_covered: Callable[[list[str]], object],
) -> None:
    """Format each outcome into its rows (shared by the one-core and the parallel paths)."""
    from incentives.engine.calculate import EmployeeOutcome, NotCovered
    from incentives.io.coverage_outputs import not_covered_rows
    from incentives.io.run_outputs import rejected_row

    for item in items:
        if isinstance(item, NotCovered):
            for row in not_covered_rows(
                item.file, item.record, item.line, item.employee_id, item.exclusions
            ):
                not_covered(row)
            continue
        if not isinstance(item, EmployeeOutcome):
            rejected(rejected_row(item))
            continue
        for po in item.outcomes:
            results(layout.results_row(item, po))
            breakdown(layout.breakdown_row(item, po))
        if item.exclusions:
            for row in not_covered_rows(
                item.source_file, item.record, item.line, item.employee_id, item.exclusions
            ):
                not_covered(row)


def share_files(calc: Calculation, layout: OutputLayout, folder: Path) -> OpenShare:
    """Per share, the writer of its rows into its own files in ``folder``."""

    @contextlib.contextmanager
    def open_share(share: int) -> Iterator[Callable[[Iterable[Item]], object]]:
        with contextlib.ExitStack() as stack:
            files = [
                stack.enter_context(
                    (folder / f"{name}-{share}.csv").open("w", encoding="utf-8", newline="")
                )
                for name in _NAMES
            ]
            results, breakdown, rejected, not_covered = (RowWriter(f).writerow for f in files)
            yield lambda items: write_rows(
                calc, items, layout, results, breakdown, rejected, not_covered
            )

    return open_share


def run_parallel(
    calc: Calculation,
    roster: RosterSource,
    layout: OutputLayout,
    sinks: tuple[CsvSink, CsvSink, CsvSink, CsvSink],
    *,
    workers: int,
    scratch: Path,
    exclude: frozenset[int] = frozenset(),
) -> Ran:
    """Compute ``roster`` in ``workers`` processes and append their rows to ``sinks`` in order."""
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".shares-") as tmp:
        folder = Path(tmp)
        shares = forked_shares(roster.record_count, workers)
        ran = calc.run(shares, share_files(calc, layout, folder), exclude)
        for share in range(workers):
            for name, sink in zip(_NAMES, sinks, strict=True):
                sink.append_file(folder / f"{name}-{share}.csv")
    return ran
