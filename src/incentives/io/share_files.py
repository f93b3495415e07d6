"""The final pass's shares on their way into the output files, for a run on both cores.

`share_files` gives each share the writer of its rows: the first share's straight into the
output files (a forked worker writes through the descriptors it inherits, whose offset it
shares), every other share's into its own temporary files (``K-SHARE.csv``). `Spool` appends
those to the output files in roster order while the workers run (`incentives.parallel`), each
share as soon as every share before it is in, so the outputs are byte-identical to a run on
one core.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from incentives.engine.passes import Item, OpenShare
from incentives.io.employee_files import EmployeeFile, write_items
from incentives.io.writers import CsvSink

__all__ = ["Spool", "share_files"]


class Spool:
    """The shares of the final pass after the first, appended to the output files in roster
    order while the workers run: a worker tells (`tell`, through a pipe) that a share's files
    are complete, and the parent (`append_ready`, as `parallel.forked_shares` waits) appends every
    share that is done and follows the ones appended, then removes its files. The first share
    is written straight into the output files (see `share_files`): nothing is appended before
    it is done. ``sinks[k]`` takes the files ``K-SHARE.csv`` in ``folder``."""

    def __init__(self, folder: Path, sinks: Sequence[CsvSink], shares: int) -> None:
        self.folder = folder
        self.sinks = sinks
        self.shares = shares
        self.told, self._tell = os.pipe()  # ``told``: the parent's end, read as `select` says
        os.set_blocking(self.told, False)
        self.appended = 0  # the shares before this one are in the output files
        self._done: set[int] = set()
        self._unread = b""

    def tell(self, share: int) -> None:
        """In a worker: the files of ``share`` are complete (a write of 4 bytes: whole)."""
        os.write(self._tell, share.to_bytes(4, "little"))

    def append_ready(self) -> None:
        """In the parent: read what the workers told, and append what can be appended."""
        with contextlib.suppress(BlockingIOError):
            while data := os.read(self.told, 1 << 12):
                self._unread += data
        whole = len(self._unread) - len(self._unread) % 4
        told, self._unread = self._unread[:whole], self._unread[whole:]
        self._done.update(int.from_bytes(told[k : k + 4], "little") for k in range(0, whole, 4))
        while self.appended in self._done:
            self._append(self.appended)

    def finish(self) -> None:
        """In the parent, once every worker of the final pass has exited without an error:
        the shares not appended yet, in order."""
        while self.appended < self.shares:
            self._append(self.appended)

    def close(self) -> None:
        os.close(self.told)
        os.close(self._tell)

    def _append(self, share: int) -> None:
        if share > 0:  # the first share's rows are in the output files already
            for k, sink in enumerate(self.sinks):
                part = self.folder / f"{k}-{share}.csv"
                sink.append_file(part)
                part.unlink()
        self.appended = share + 1


def share_files(
    files: Sequence[EmployeeFile],
    folder: Path,
    first: Sequence[CsvSink] = (),
    spool: Spool | None = None,
) -> OpenShare:
    """Per share, the writer of its rows into its own share of each per-employee file in
    ``folder`` (``K-SHARE.csv``, K the file's place in ``files``); with ``first`` (the sinks of
    ``files``), the first share's rows go straight into them (see `CsvSink.share_stream`).
    With ``spool``, each share tells it when its files are complete."""
    direct = [sink.share_stream for sink in first]

    @contextlib.contextmanager
    def open_share(share: int) -> Iterator[Callable[[Iterable[Item]], object]]:
        with contextlib.ExitStack() as stack:
            streams = [
                stack.enter_context(
                    direct[k]()
                    if share == 0 and direct
                    else (folder / f"{k}-{share}.csv").open("w", encoding="utf-8", newline="")
                )
                for k in range(len(files))
            ]
            writes = [stream.write for stream in streams]  # whole lines, as made
            yield lambda items: write_items(items, files, writes)
        if spool is not None:
            spool.tell(share)

    return open_share
