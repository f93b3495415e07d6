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
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from incentives.engine.allocation_passes import PoolPartials
from incentives.engine.calculate import Calculation, GroupPartials, Summary
from incentives.io.employee_files import EmployeeFile, write_items
from incentives.io.writers import CsvSink, RowWriter
from incentives.model.roster import RosterSource

__all__ = ["can_fork", "run_parallel"]

# What a forked worker inherits: (calculation, roster, per-employee files, folder, shares,
# excluded records).
_JOB: (
    tuple[
        Calculation,
        RosterSource,
        Sequence[EmployeeFile],
        Path,
        list[tuple[int, int]],
        frozenset[int],
    ]
    | None
) = None
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
    calc, roster, _files, _folder, shares, exclude = _JOB
    rows = roster.part(
        *shares[share],
        goals=calc.first_pass_reads_goals,
        columns=calc.first_pass_columns,
        ratings=calc.first_pass_reads_ratings,
    )
    return calc.group_partials(rows, exclude)


def _pool_pass(share: int) -> PoolPartials:
    assert _JOB is not None
    calc, roster, _files, _folder, shares, exclude = _JOB
    return calc.pool_partials(calc.pool_pass_rows(roster, *shares[share]), exclude)


def _second_pass(share: int) -> tuple[Summary, set[int]]:
    assert _JOB is not None
    calc, roster, files, folder, shares, _exclude = _JOB
    calc.summary = Summary()
    calc.miscounted = set()
    if _DONE is not None:
        calc.progress = _count_done
    streams = [  # one share of each per-employee file, by its place in the list
        (folder / f"{k}-{share}.csv").open("w", encoding="utf-8", newline="")
        for k in range(len(files))
    ]
    try:
        writes = [RowWriter(stream).writerow for stream in streams]
        write_items(calc.outcomes(roster.part(*shares[share])), files, writes)
    finally:
        for stream in streams:
            stream.close()
    return calc.summary, calc.miscounted


def run_parallel(
    calc: Calculation,
    roster: RosterSource,
    files: Sequence[EmployeeFile],
    sinks: Sequence[CsvSink],
    *,
    workers: int,
    scratch: Path,
    exclude: frozenset[int] = frozenset(),
) -> Summary:
    """Compute ``roster`` in ``workers`` processes and append their rows to ``sinks`` in order
    (``sinks[k]`` is the file ``files[k]``, see io/employee_files.py)."""
    global _JOB, _DONE
    shares = _shares(roster.record_count, workers)
    context = multiprocessing.get_context("fork")
    progress = calc.progress
    _DONE = context.Value("q", 0) if progress is not None else None
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".shares-") as tmp:
        folder = Path(tmp)
        try:
            _JOB = (calc, roster, files, folder, shares, exclude)
            if calc.needs_group_totals:
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    partials = list(pool.map(_first_pass, range(workers)))
                calc.apply_group_partials(partials)
                _JOB = (calc, roster, files, folder, shares, exclude)  # forked again: with totals
            if calc.needs_pools:
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    pool_parts = list(pool.map(_pool_pass, range(workers)))
                calc.apply_pool_partials(pool_parts)
                _JOB = (calc, roster, files, folder, shares, exclude)  # forked again: with pools
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
            for k, sink in enumerate(sinks):
                sink.append_file(folder / f"{k}-{share}.csv")
    total.complete = all(summary.complete for summary, _ in done)
    calc.summary = total
    return total
