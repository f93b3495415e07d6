"""Both cores for large runs: the roster is cut into contiguous shares run by forked workers.

`forked_shares` maps each pass of the run plan (`incentives.engine.passes`) over the shares in
forked workers: each pass forks anew, after the one before was merged, so that the workers see
its group totals and solved pools. A run's shares balance themselves (`balanced_shares`): each
worker starts with a large share, then claims the next share nobody has (from a pipe they share)
until none is left, so a worker slowed down (by its rows or by the machine) takes fewer of the
small last ones and the workers end together. In the final pass the first share is written
straight into the output files (its worker inherits their descriptors, whose offset it
shares), the others into temporary files (`io.share_files`) that the parent appends in roster
order while the workers run, each as soon as every share before it is in (`Spool`), so the
outputs are byte-identical to a run on one core and little is left to append once the workers
are done. Workers are forked after the rulebook is compiled and bound, so nothing is compiled
twice. docs/parallel-run.md has the figures.

Workers are plain forks of the parent, waited for by it (`_fork_and_wait`); a worker's error is
pickled beside its result and raised again in the parent, the worker's traceback as its cause.

A worker's result (the partials of a pass before the final one: a pool member per member of
every pool) is written to a file and read by the parent only once every worker has exited, so
the workers' objects, their pickled copies and the parent's merged ones are never all in
memory at once (at a million employees that moment was the run's peak, over a gigabyte summed
over the processes).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import pickle
import select
import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from incentives.engine.calculate import Calculation
from incentives.engine.passes import Ran, ShareMap, Tick, Work
from incentives.io.employee_files import EmployeeFile
from incentives.io.share_files import Spool, share_files
from incentives.io.writers import CsvSink
from incentives.model.roster import RosterSource

__all__ = ["Spool", "balanced_shares", "can_fork", "forked_shares", "run_parallel", "share_files"]

T = TypeVar("T")
# What a forked worker inherits: the work of the pass at hand and the shares' bounds.
_WORK: tuple[Work[Any], list[tuple[int, int]]] | None = None
# the shares left to claim: a pipe holding their numbers, 4 bytes each, in order, its writing
# end closed (None: one share a worker); a read of 4 bytes takes one whole, EOF once none is left
_CLAIMS: int | None = None
_DONE: Any = None  # a shared counter of rows done, for the parent's progress bar
# `balanced_shares`: the part of the roster in the first share of each worker, and the fewest
# records of a later share (as many as a worker does in ~12 ms on the reference policy; or
# 1 % of the roster if that is fewer, so that small rosters are balanced the same way)
_FIRST = 0.8
_LEAST = 250
_MOST_CLAIMS = 1024  # what a pipe holds at once on any platform (4 KiB), 4 bytes each


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _shares(count: int, workers: int) -> list[tuple[int, int]]:
    return [(count * k // workers, count * (k + 1) // workers) for k in range(workers)]


def balanced_shares(
    count: int, workers: int, first: float = _FIRST, least: int = _LEAST
) -> list[tuple[int, int]]:
    """Shares of ``count`` records that balance ``workers`` of any speed: one large share per
    worker (together ``first`` of the records), then shares that get smaller (a quarter of
    what is left for two workers, down to ``least`` records or 1 % of ``count``), each taken
    by whichever worker is free first (see `forked_shares`): the workers end at most one
    small share apart. A share costs its worker ~2-3 ms more (the roster's block it starts
    in read again and the records before it skipped, its temporary files): halving what is
    left (guided self-scheduling) makes half as many, but a worker free a little earlier then
    takes a share too large for the other to catch up with."""
    least = max(1, min(least, count // 100))
    head = int(count * first)
    bounds = [head * k // workers for k in range(workers + 1)]
    while bounds[-1] < count:
        left = count - bounds[-1]
        bounds.append(bounds[-1] + min(left, max(least, left // (2 * workers))))
    return list(itertools.pairwise(bounds))


def _run_share(index: int, result: Path) -> None:
    """In a worker: the pass's work over share ``index`` and over each share it claims after
    it, each share's result pickled into ``result`` as a (share, result) pair once done."""
    assert _WORK is not None
    work, shares = _WORK
    ticks = _Ticks() if _DONE is not None else None
    share = index
    with result.open("wb") as stream:
        while share < len(shares):
            start, stop = shares[share]
            done = work(share, start, stop, ticks.share() if ticks else None)
            if ticks:
                ticks.tell(ticks.before + stop - start)
            # a pickler of its own per share, with no memo: a memo would keep every object
            # pickled alive till the end, and the temporary text of every Decimal with it (a
            # pool member's award: +170 MiB per worker at 1M); and a fast pickler miscounts
            # its nesting over many objects (49 frozensets in one dump raise a KeyError)
            pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
            pickler.fast = True
            pickler.dump((share, done))
            del done
            share = _claim(len(shares))


def _claim(count: int) -> int:
    """In a worker: the next share nobody has claimed (``count`` when none is left)."""
    token = os.read(_CLAIMS, 4) if _CLAIMS is not None else b""
    return int.from_bytes(token, "little") if token else count


def _shares_to_claim(first: int, count: int) -> int | None:
    """A pipe holding the numbers of shares ``first`` to ``count - 1`` for the workers to
    claim (see `_CLAIMS`): no lock, no shared memory (a `multiprocessing.Value` costs ~5 ms
    of the parent's CPU before the fork, importing ctypes and mapping its arena)."""
    if count <= first:
        return None
    if count - first > _MOST_CLAIMS:
        raise ValueError(f"{count} shares are too many to claim (at most {_MOST_CLAIMS})")
    claims, tokens = os.pipe()
    try:
        os.write(tokens, b"".join(k.to_bytes(4, "little") for k in range(first, count)))
    finally:
        os.close(tokens)
    return claims


class _Ticks:
    """In a worker: adds the rows it did since its last report to the shared counter."""

    def __init__(self) -> None:
        self.before = 0  # the rows of its shares before the one at hand
        self.told = 0

    def share(self) -> Tick:
        before = self.before
        return lambda done: self.tell(before + done)

    def tell(self, done: int) -> None:
        with _DONE.get_lock():
            _DONE.value += done - self.told
        self.told = self.before = done


def forked_shares(
    records: int,
    workers: int,
    scratch: Path | None = None,
    *,
    shares: Sequence[tuple[int, int]] | None = None,
    spool: Spool | None = None,
) -> ShareMap:
    """A `ShareMap` running the shares of ``records`` (by default one per worker; else
    ``shares``, e.g. `balanced_shares`: worker K starts with share K, then claims the next
    share nobody has, until none is left) in ``workers`` forked worker processes (their
    results pass through files in a temporary folder in ``scratch``). While they run, the
    parent appends the shares ``spool`` is told are done."""
    bounds = list(shares) if shares is not None else _shares(records, workers)
    context = multiprocessing.get_context("fork")

    def run(work: Work[T], progress: Tick | None = None) -> list[T]:
        global _WORK, _CLAIMS, _DONE
        _WORK = (work, bounds)
        _CLAIMS = _shares_to_claim(workers, len(bounds))
        _DONE = context.Value("q", 0) if progress is not None else None
        try:
            with tempfile.TemporaryDirectory(dir=scratch, prefix=".results-") as tmp:
                results = [Path(tmp) / f"{worker}.pickle" for worker in range(workers)]
                statuses = _fork_and_wait(results, progress, spool)
                for result, status in zip(results, statuses, strict=True):
                    _raise_failure(result, status)  # a worker's error, raised here
                # the workers have exited (and freed their memory): now their results
                done = dict(pair for result in results for pair in _load_all(result))
                return [done[share] for share in range(len(bounds))]
        finally:
            if _CLAIMS is not None:
                os.close(_CLAIMS)
            _WORK = _CLAIMS = _DONE = None

    return run


def _fork_and_wait(
    results: Sequence[Path], progress: Tick | None, spool: Spool | None = None
) -> list[int]:
    """Fork a worker per result file (`_worker`), report progress and append the shares
    ``spool`` is told are done while they run, and return their exit statuses once all have
    exited (a plain fork and wait: a process pool's manager
    thread, queues and shutdown cost 25-45 ms per pass more, measured on the 2-core machine)."""
    running: list[int] = []
    ended, alive = os.pipe()  # each worker holds ``alive`` open: ``ended`` reads EOF when all exit
    try:
        # what the workers inherit is frozen out of their collections, which would copy
        # every page they touch of it (half the page faults of the reference 100k run's workers)
        gc.freeze()
        try:
            for index, result in enumerate(results):
                pid = os.fork()
                if pid == 0:
                    _worker(index, result, ended)
                running.append(pid)
        finally:
            gc.unfreeze()  # the parent's own collections as before
            os.close(alive)
        watched = [ended] if spool is None else [ended, spool.told]
        while progress is not None or spool is not None:
            ready = select.select(watched, [], [], 0.25 if progress is not None else None)[0]
            if spool is not None and spool.told in ready:
                spool.append_ready()
            if ended in ready:
                break
            if progress is not None:
                progress(_DONE.value)
        statuses = []
        for pid in list(running):
            statuses.append(os.waitpid(pid, 0)[1])
            running.remove(pid)
        return statuses
    finally:
        os.close(ended)
        for pid in running:  # interrupted (Ctrl-C): no worker is left behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)


def _worker(index: int, result: Path, parents: int) -> NoReturn:
    """In a forked worker: `_run_share`, then exit (0 when done); an error is pickled beside
    ``result`` with its traceback, for the parent to raise. ``parents``: the parent's end of
    the pipe, closed here."""
    code = 1
    try:
        os.close(parents)
        _run_share(index, result)
        code = 0
    except BaseException as error:
        with contextlib.suppress(BaseException):
            while _CLAIMS is not None and os.read(_CLAIMS, 1 << 12):
                pass  # the shares left are taken: the other workers claim nothing more
            _keep_error(error, _error_path(result))
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)  # nothing of the parent's (atexit, buffers, temporary folders) runs here


def _error_path(result: Path) -> Path:
    return result.with_suffix(".error")


def _keep_error(error: BaseException, path: Path) -> None:
    """``error`` pickled into ``path`` with its traceback as text, for the parent to raise with
    that traceback as its cause (see `_raise_failure`); an error that cannot be pickled is told
    as a `RuntimeError` holding the traceback."""
    text = "".join(traceback.format_exception(error))
    try:
        data = pickle.dumps((error, text))
        pickle.loads(data)  # it must come back in the parent too
    except Exception:
        data = pickle.dumps((RuntimeError(f"a worker process of the run failed:\n{text}"), text))
    path.write_bytes(data)


def _raise_failure(result: Path, status: int) -> None:
    """Raise the error of the worker that wrote (or should have written) ``result`` and
    exited with ``status``, if it failed."""
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return
    error_file = _error_path(result)
    if error_file.exists():
        error, text = _load(error_file)
        # the worker's frames (generated code's lines quoted) as the cause of its error
        raise error from RuntimeError(f"in a worker process of the run:\n{text}")
    from concurrent.futures.process import BrokenProcessPool  # what a process pool raised

    how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    raise BrokenProcessPool(f"a worker process of the run was terminated abruptly ({how})")


def _load(path: Path) -> Any:
    with path.open("rb") as stream:
        return pickle.load(stream)  # our own workers' results, in our own folder


def _load_all(path: Path) -> Iterator[Any]:
    """Each object pickled one after the other into ``path`` (see `_run_share`)."""
    with path.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        while stream.tell() < size:
            yield pickle.load(stream)  # our own workers' results, in our own folder


def run_parallel(
    calc: Calculation,
    roster: RosterSource,
    files: Sequence[EmployeeFile],
    sinks: Sequence[CsvSink],
    *,
    workers: int,
    scratch: Path,
    exclude: frozenset[int] = frozenset(),
) -> Ran:
    """Compute ``roster`` in ``workers`` processes and append their rows to ``sinks`` in order
    (``sinks[k]`` is the file ``files[k]``, see io/employee_files.py): the first share is
    written straight into ``sinks``, the others into temporary files appended after it in
    order, each as soon as it and those before it are done (`Spool`). The shares balance
    themselves (`balanced_shares`): a worker that is done early takes more of the last ones."""
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".shares-") as tmp:
        folder = Path(tmp)
        bounds = balanced_shares(roster.record_count, workers)
        spool = Spool(folder, sinks, len(bounds))
        try:
            shares = forked_shares(roster.record_count, workers, folder, shares=bounds, spool=spool)
            for sink in sinks:  # the header (and anything before) on disk before the first share
                sink.share_stream().close()
            ran = calc.run(shares, share_files(files, folder, sinks, spool), exclude)
            spool.finish()
        finally:
            spool.close()
    return ran
