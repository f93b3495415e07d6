"""The workers of a run on both cores are plain forks: what they return, and what the parent
raises when one fails (its own error with the worker's traceback as cause, or a clear word when
a worker is killed), never a hang or a silent partial result."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from incentives.parallel import can_fork, forked_shares

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
