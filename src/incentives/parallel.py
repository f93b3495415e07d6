"""Both cores for large runs: the roster is cut into contiguous shares, one per worker process.

`forked_shares` maps each pass of the run plan (`incentives.engine.passes`) over the shares in
forked workers: each pass forks anew, after the one before was merged, so that the workers see
its group totals and solved pools. In the final pass the first worker writes its rows straight
into the output files (it inherits their descriptors, whose offset it shares), the others to
temporary files (`share_files`) that the parent appends after it in roster order, so the
outputs are byte-identical to a run on one core. Workers are forked after the rulebook is
compiled and bound, so nothing is compiled twice.

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
import multiprocessing
import os
import pickle
import select
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from incentives.engine.calculate import Calculation
from incentives.engine.passes import Item, OpenShare, Ran, ShareMap, Tick, Work
from incentives.io.employee_files import EmployeeFile, write_items
from incentives.io.writers import LINES_BUFFER, CsvSink
from incentives.model.roster import RosterSource

__all__ = ["can_fork", "forked_shares", "run_parallel", "share_files"]

T = TypeVar("T")
# What a forked worker inherits: the work of the pass at hand and the shares' bounds.
_WORK: tuple[Work[Any], list[tuple[int, int]]] | None = None
_DONE: Any = None  # a shared counter of rows done, for the parent's progress bar


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _shares(count: int, workers: int) -> list[tuple[int, int]]:
    return [(count * k // workers, count * (k + 1) // workers) for k in range(workers)]


def _run_share(index: int, result: Path) -> None:
    """In a worker: the pass's work over share ``index``, its result pickled into ``result``."""
    assert _WORK is not None
    work, shares = _WORK
    done = work(index, *shares[index], _tick() if _DONE is not None else None)
    with result.open("wb") as stream:
        pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
        # no memo: it would keep every object pickled alive till the end, and the temporary
        # text of every Decimal with it (a pool member's award: +170 MiB per worker at 1M)
        pickler.fast = True
        pickler.dump(done)


def _tick() -> Tick:
    """In a worker: adds the rows done since the last report to the shared counter."""
    last = 0

    def tick(done: int) -> None:
        nonlocal last
        with _DONE.get_lock():
            _DONE.value += done - last
        last = done

    return tick


def forked_shares(records: int, workers: int, scratch: Path | None = None) -> ShareMap:
    """A `ShareMap` running each share of ``records`` in a forked worker process (their
    results pass through files in a temporary folder in ``scratch``)."""
    shares = _shares(records, workers)
    context = multiprocessing.get_context("fork")

    def run(work: Work[T], progress: Tick | None = None) -> list[T]:
        global _WORK, _DONE
        _WORK = (work, shares)
        _DONE = context.Value("q", 0) if progress is not None else None
        try:
            with tempfile.TemporaryDirectory(dir=scratch, prefix=".results-") as tmp:
                results = [Path(tmp) / f"{share}.pickle" for share in range(workers)]
                statuses = _fork_and_wait(results, progress)
                for result, status in zip(results, statuses, strict=True):
                    _raise_failure(result, status)  # a worker's error, raised here
                # the workers have exited (and freed their memory): now their results
                return [_load(result) for result in results]
        finally:
            _WORK = _DONE = None

    return run


def _fork_and_wait(results: Sequence[Path], progress: Tick | None) -> list[int]:
    """Fork a worker per share (`_worker`), report progress while they run, and return their
    exit statuses once all have exited (a plain fork and wait: a process pool's manager
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
        while progress is not None and not select.select([ended], [], [], 0.25)[0]:
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


def share_files(
    files: Sequence[EmployeeFile], folder: Path, first: Sequence[CsvSink] = ()
) -> OpenShare:
    """Per share, the writer of its rows into its own share of each per-employee file in
    ``folder`` (``K-SHARE.csv``, K the file's place in ``files``); with ``first`` (the sinks of
    ``files``), the first share's rows go straight into them (see `CsvSink.share_stream`)."""
    direct = [sink.share_stream for sink in first]

    @contextlib.contextmanager
    def open_share(share: int) -> Iterator[Callable[[Iterable[Item]], object]]:
        with contextlib.ExitStack() as stack:
            streams = [
                stack.enter_context(
                    direct[k]()
                    if share == 0 and direct
                    else (folder / f"{k}-{share}.csv").open(
                        "w", buffering=LINES_BUFFER, encoding="utf-8", newline=""
                    )
                )
                for k in range(len(files))
            ]
            writes = [stream.write for stream in streams]  # whole lines, as made
            yield lambda items: write_items(items, files, writes)

    return open_share


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
    (``sinks[k]`` is the file ``files[k]``, see io/employee_files.py): the first worker writes
    straight into ``sinks``, the others into temporary files appended after it in order."""
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".shares-") as tmp:
        folder = Path(tmp)
        shares = forked_shares(roster.record_count, workers, folder)
        for sink in sinks:  # the header (and anything before) on disk before the first share
            sink.share_stream().close()
        ran = calc.run(shares, share_files(files, folder, sinks), exclude)
        for share in range(1, workers):
            for k, sink in enumerate(sinks):
                sink.append_file(folder / f"{k}-{share}.csv")
    return ran
