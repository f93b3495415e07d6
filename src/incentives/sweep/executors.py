"""Where a sweep's points run: a pure map behind a `concurrent.futures.Executor`.

- in this process (one worker, or one point);
- local processes (the default: both cores), forked after the parent has prepared the sweep
  (`evaluate.prepared`), so each worker inherits the roster read and the policies compiled;
- a Dask cluster (``pip install 'incentives[dask]'``, ``--scheduler ADDRESS``) through
  `distributed.Client.get_executor()`: each Dask worker prepares itself once, from the paths
  in the sweep's `RunRequest` (they must be readable where the workers run).

Each point's result depends on the point alone, so every executor gives the same results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

from incentives.errors import OptionsError

__all__ = ["dask_executor", "local_executor", "map_points", "workers_for"]

T = TypeVar("T")
R = TypeVar("R")


def workers_for(points: int, workers: int | None) -> int:
    """Local processes for ``points`` points: ``workers`` if given, else both cores (one for
    a single point, or where processes cannot be forked)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = min(2, os.cpu_count() or 1) if workers is None else max(1, workers)
    return max(1, min(wanted, points))


@contextlib.contextmanager
def local_executor(workers: int) -> Iterator[Executor | None]:
    """``workers`` forked processes (None for one: the points run in this process)."""
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """The executor of the Dask scheduler at ``address`` (the optional ``dask`` extra)."""
    try:
        from distributed import Client

        # untyped where the extra is installed, unknown (Any) where it is not: Any either way
        connect: Any = Client
    except ImportError:
        raise OptionsError(
            f"--scheduler {address}: running a sweep on a Dask cluster needs the optional "
            "extra: pip install 'incentives[dask]' (or leave out --scheduler to use local processes)"
        ) from None
    try:
        client = connect(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise OptionsError(f"--scheduler {address}: cannot reach the Dask scheduler ({error})") from None
    with client:
        yield client.get_executor()


def map_points(fn: Callable[[T], R], tasks: Sequence[T], executor: Executor | None) -> list[R]:
    """``fn`` over ``tasks`` in order, on ``executor`` (None: here)."""
    if executor is None:
        return [fn(task) for task in tasks]
    extra: dict[str, Any] = {}
    if isinstance(executor, ProcessPoolExecutor):  # a few chunks per worker: fewer round trips
        extra["chunksize"] = max(1, len(tasks) // (4 * (os.cpu_count() or 1)))
    return list(executor.map(fn, tasks, **extra))
