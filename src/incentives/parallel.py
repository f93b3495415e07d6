"""Both cores for large runs: the roster is cut into contiguous shares, one per worker process.

Each worker computes its share and writes its rows to temporary files; the parent appends the
shares in roster order, so the outputs are byte-identical to a run on one core. Group totals
are summed per share in a first parallel pass and merged exactly before the last pass; pools
collect their members per share in a pass of their own and are solved in the parent.
Workers are forked after the rulebook is compiled and bound, so nothing is compiled twice.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from incentives.engine.allocation_passes import PoolPartials
from incentives.engine.calculate import Calculation, GroupPartials, Summary
from incentives.io.csv_lines import csv_line
from incentives.io.run_outputs import OutputLayout
from incentives.io.writers import CsvSink
from incentives.model.roster import RosterSource

__all__ = ["can_fork", "run_parallel"]

# What a forked worker inherits: (calculation, roster, layout, folder, shares, excluded records).
_JOB: (
    tuple[Calculation, RosterSource, OutputLayout, Path, list[tuple[int, int]], frozenset[int]]
    | None
) = None
_NAMES = ("results", "breakdown", "rejected", "not_covered")
_DONE: Any = None  # a shared counter of rows done, for the parent's progress bar


def _count_done(_rows: int) -> None:
    # Calculation.outcomes reports progress every calc.progress_every rows
    assert _JOB is not None
    with _DONE.get_lock():
        _DONE.value += _JOB[0].progress_every


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _shares(count: int, workers: int) -> list[tuple[int, int]]:
    return [(count * k // workers, count * (k + 1) // workers) for k in range(workers)]


def _first_pass(share: int) -> GroupPartials:
    assert _JOB is not None
    calc, roster, _layout, _folder, shares, exclude = _JOB
    rows = roster.part(
        *shares[share],
        goals=calc.first_pass_reads_goals,
        columns=calc.first_pass_columns,
        ratings=calc.first_pass_reads_ratings,
    )
    return calc.group_partials(rows, exclude)


def _pool_pass(share: int) -> PoolPartials:
    assert _JOB is not None
    calc, roster, _layout, _folder, shares, exclude = _JOB
    return calc.pool_partials(calc.pool_pass_rows(roster, *shares[share]), exclude)


def _second_pass(share: int) -> tuple[Summary, set[int]]:
    assert _JOB is not None
    calc, roster, layout, folder, shares, _exclude = _JOB
    calc.summary = Summary()
    calc.miscounted = set()
    if _DONE is not None:
        calc.progress = _count_done
    files = [
        (folder / f"{name}-{share}.csv").open("w", encoding="utf-8", newline="") for name in _NAMES
    ]
    try:
        results, breakdown, rejected, not_covered = (f.write for f in files)
        write_rows(
            calc,
            calc.outcomes(roster.part(*shares[share])),
            layout,
            results,
            breakdown,
            rejected,
            not_covered,
        )
    finally:
        for f in files:
            f.close()
    return calc.summary, calc.miscounted


def write_rows(
    calc: Calculation,
    items: Any,
    layout: OutputLayout,
    results: Callable[[str], object],
    breakdown: Callable[[str], object],
    rejected: Callable[[str], object],
    not_covered: Callable[[str], object],
) -> None:
    """Format each outcome into its CSV lines, each written whole (shared by the one-core and
    the parallel paths)."""
    from incentives.engine.calculate import EmployeeOutcome, NotCovered
    from incentives.io.coverage_outputs import not_covered_rows
    from incentives.io.run_outputs import rejected_row

    for item in items:
        if isinstance(item, NotCovered):
            for row in not_covered_rows(
                item.file, item.record, item.line, item.employee_id, item.exclusions
            ):
                not_covered(csv_line(row))
            continue
        if not isinstance(item, EmployeeOutcome):
            rejected(csv_line(rejected_row(item)))
            continue
        for po in item.outcomes:
            results(layout.results_line(item, po))
            breakdown(layout.breakdown_line(item, po))
        if item.exclusions:
            for row in not_covered_rows(
                item.source_file, item.record, item.line, item.employee_id, item.exclusions
            ):
                not_covered(csv_line(row))


def run_parallel(
    calc: Calculation,
    roster: RosterSource,
    layout: OutputLayout,
    sinks: tuple[CsvSink, CsvSink, CsvSink, CsvSink],
    *,
    workers: int,
    scratch: Path,
    exclude: frozenset[int] = frozenset(),
) -> Summary:
    """Compute ``roster`` in ``workers`` processes and append their rows to ``sinks`` in order."""
    global _JOB, _DONE
    shares = _shares(roster.record_count, workers)
    context = multiprocessing.get_context("fork")
    progress = calc.progress
    _DONE = context.Value("q", 0) if progress is not None else None
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".shares-") as tmp:
        folder = Path(tmp)
        try:
            _JOB = (calc, roster, layout, folder, shares, exclude)
            if calc.needs_group_totals:
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    partials = list(pool.map(_first_pass, range(workers)))
                calc.apply_group_partials(partials)
                _JOB = (calc, roster, layout, folder, shares, exclude)  # forked again: with totals
            if calc.needs_pools:
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    pool_parts = list(pool.map(_pool_pass, range(workers)))
                calc.apply_pool_partials(pool_parts)
                _JOB = (calc, roster, layout, folder, shares, exclude)  # forked again: with pools
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = [pool.submit(_second_pass, share) for share in range(workers)]
                while progress is not None and wait(futures, timeout=0.25).not_done:
                    progress(_DONE.value)
                done = [future.result() for future in futures]
        finally:
            _JOB = _DONE = None
        total = Summary()
        for share, (summary, miscounted) in enumerate(done):
            total.merge(summary)
            calc.miscounted |= miscounted
            for name, sink in zip(_NAMES, sinks, strict=True):
                sink.append_file(folder / f"{name}-{share}.csv")
    total.complete = all(summary.complete for summary, _ in done)
    calc.summary = total
    return total
