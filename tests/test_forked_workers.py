"""The workers of a run on both cores are plain forks: what they return, and what the parent
raises when one fails (its own error with the worker's traceback as cause, or a clear word when
a worker is killed), never a hang or a silent partial result."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incentives.io.share_files import Spool
from incentives.io.writers import CsvSink
from incentives.parallel import balanced_shares, can_fork, forked_shares

pytestmark = pytest.mark.skipif(not can_fork(), reason="no fork on this platform")


def test_each_worker_returns_its_share_in_order(tmp_path: Path) -> None:
    run = forked_shares(10, 2, tmp_path)
    assert run(lambda index, start, stop, tick: (index, start, stop)) == [(0, 0, 5), (1, 5, 10)]


def _fails_in_the_second_share(index: int, start: int, stop: int | None, tick: object) -> int:
    if index == 1:
        raise ValueError(f"share {index} cannot be computed")
    return start


def test_a_workers_error_is_raised_in_the_parent_with_the_workers_traceback(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="share 1 cannot be computed") as raised:
        forked_shares(10, 2, tmp_path)(_fails_in_the_second_share)
    cause = str(raised.value.__cause__)
    assert "_fails_in_the_second_share" in cause  # the worker's own frames
    assert "Traceback" in cause


def test_an_error_that_cannot_be_pickled_is_told_with_its_traceback(tmp_path: Path) -> None:
    class Unpicklable(Exception):
        def __reduce__(self) -> object:
            raise TypeError("no")

    def fails_unpicklably(index: int, start: int, stop: int | None, tick: object) -> int:
        raise Unpicklable("local class")

    with pytest.raises(RuntimeError, match="a worker process of the run failed") as raised:
        forked_shares(4, 2, tmp_path)(fails_unpicklably)
    assert "Unpicklable: local class" in str(raised.value)


def test_a_killed_worker_is_named_not_waited_for_forever(tmp_path: Path) -> None:
    def killed(index: int, start: int, stop: int | None, tick: object) -> int:
        if index == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return start

    with pytest.raises(BrokenProcessPool, match="killed by signal 9"):
        forked_shares(4, 2, tmp_path)(killed)
    assert not list(tmp_path.glob(".results-*"))  # its temporary folder is gone


@given(
    count=st.integers(min_value=0, max_value=2_000_000),
    workers=st.integers(min_value=1, max_value=4),
    least=st.integers(min_value=1, max_value=1_000),
)
def test_balanced_shares_cut_the_roster_in_order_the_later_ones_smaller(
    count: int, workers: int, least: int
) -> None:
    """Balanced shares are contiguous and cover the roster once, in order: one large share per
    worker first, then shares never larger than the one before (a worker free early takes
    them, so the workers end at most a small share apart)."""
    shares = balanced_shares(count, workers, least=least)
    starts = [start for start, _ in shares]
    stops = [stop for _, stop in shares]
    assert starts == [0, *stops[:-1]]
    assert stops[-1] == count and len(shares) >= workers
    sizes = [stop - start for start, stop in shares]
    later = sizes[workers:]
    assert later == sorted(later, reverse=True)
    if count >= 100:  # a roster of a handful of records may have empty first shares
        assert all(size <= min(sizes[:workers]) for size in later)


def test_each_balanced_share_runs_once_and_comes_back_in_order(tmp_path: Path) -> None:
    """Shares claimed by whichever worker is free come back in share order, each run once, in
    a worker (never the parent)."""
    shares = balanced_shares(1_000, 2)
    run = forked_shares(1_000, 2, tmp_path, shares=shares)
    done = run(lambda index, start, stop, tick: (index, start, stop, os.getpid()))
    assert [(index, start, stop) for index, start, stop, _ in done] == [
        (index, start, stop) for index, (start, stop) in enumerate(shares)
    ]
    assert os.getpid() not in {pid for *_, pid in done}


def test_a_worker_held_up_in_its_first_share_leaves_the_rest_to_the_other(tmp_path: Path) -> None:
    """The first worker's share waits until every later share is done: the other worker,
    free first, has taken them all (the shares balance the workers, whatever their speed)."""
    shares = balanced_shares(1_000, 2)
    later = range(2, len(shares))

    def work(index: int, start: int, stop: int | None, tick: object) -> int:
        if index == 0:
            deadline = time.monotonic() + 60
            while not all((tmp_path / f"{k}.done").exists() for k in later):
                assert time.monotonic() < deadline, "the later shares were never done"
                time.sleep(0.01)
        (tmp_path / f"{index}.done").touch()
        return os.getpid()

    pids = forked_shares(1_000, 2, tmp_path, shares=shares)(work)
    assert len(later) > 3
    assert {pids[k] for k in later} == {pids[1]} != {pids[0]}


def test_an_error_in_a_claimed_share_is_raised_in_the_parent(tmp_path: Path) -> None:
    """A share claimed late fails: the parent raises its error with the worker's frames."""
    shares = balanced_shares(1_000, 2)

    def fails_last(index: int, start: int, stop: int | None, tick: object) -> int:
        if index == len(shares) - 1:
            raise ValueError(f"share {index} cannot be computed")
        return start

    with pytest.raises(ValueError, match=f"share {len(shares) - 1} cannot") as raised:
        forked_shares(1_000, 2, tmp_path, shares=shares)(fails_last)
    assert "fails_last" in str(raised.value.__cause__)


def test_the_spool_appends_shares_in_roster_order_as_soon_as_those_before_are_in(
    tmp_path: Path,
) -> None:
    """Shares told done out of order are appended in roster order, each once every share
    before it is in the output file (the first is written straight into it), and their
    files removed; `finish` appends the rest."""
    folder = tmp_path / "shares"
    folder.mkdir()
    with (tmp_path / "out.csv").open("w", encoding="utf-8", newline="") as stream:
        sink = CsvSink(stream, ["id"])
        sink.share_stream().close()  # the header on disk, as `run_parallel` does
        for share in range(1, 4):
            (folder / f"0-{share}.csv").write_text(f"s{share}\n", encoding="utf-8")
        spool = Spool(folder, [sink], 4)
        try:

            def tell(share: int) -> str:
                spool.tell(share)
                spool.append_ready()
                return (tmp_path / "out.csv").read_text(encoding="utf-8")

            assert tell(2) == "id\n"  # the shares before it are not done
            with sink.share_stream() as first:
                first.write("s0\n")
            assert tell(0) == "id\ns0\n"
            assert tell(1) == "id\ns0\ns1\ns2\n"
            assert sorted(p.name for p in folder.iterdir()) == ["0-3.csv"]
            spool.finish()
        finally:
            spool.close()
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "id\ns0\ns1\ns2\ns3\n"
    assert not list(folder.iterdir())


def test_more_shares_than_can_be_claimed_are_refused_before_any_fork(tmp_path: Path) -> None:
    """The shares left to claim wait in a pipe, which holds a bounded number of them: more is
    refused with a clear word, not a parent blocked on a full pipe."""
    shares = [(k, k + 1) for k in range(3_000)]
    with pytest.raises(ValueError, match="too many to claim"):
        forked_shares(3_000, 2, tmp_path, shares=shares)(lambda *_: os.getpid())


def test_an_interrupt_while_the_parent_appends_leaves_no_worker(tmp_path: Path) -> None:
    """Ctrl-C in the parent while it appends a share (the workers still running) stops and
    reaps every worker before the interrupt goes on."""

    class Interrupted(Spool):
        def append_ready(self) -> None:
            raise KeyboardInterrupt

    spool = Interrupted(tmp_path, [], 4)

    def work(index: int, start: int, stop: int | None, tick: object) -> int:
        (tmp_path / f"{os.getpid()}.pid").touch()
        if index == 0:
            spool.tell(0)
        time.sleep(60)  # never reached the end: the parent stops it
        return start

    try:
        with pytest.raises(KeyboardInterrupt):
            forked_shares(4, 2, tmp_path, spool=spool)(work)
    finally:
        spool.close()
    pids = [int(path.stem) for path in tmp_path.glob("*.pid")]
    assert pids  # the first share's worker, at least, had started
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: not a child any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_brings_back_the_results_of_many_shares(tmp_path: Path) -> None:
    """One worker through 300 shares, each returning what a final share does (a summary and
    the records it found miscounted, here none): every result comes back, in order (a fast
    pickler over all of them at once miscounts its nesting and fails)."""
    shares = [(k, k + 1) for k in range(300)]
    done = forked_shares(300, 1, tmp_path, shares=shares)(
        lambda index, start, stop, tick: (index, frozenset())
    )
    assert done == [(index, frozenset()) for index in range(300)]
