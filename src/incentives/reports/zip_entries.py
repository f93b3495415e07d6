"""Zip entries written by a thread of their own.

Deflating and the CRC release the GIL, so while this thread builds a sheet's XML the other
core compresses the blocks already built (the 100,000-employee workbook holds ~900 MB of
sheet XML). Blocks are handed over through a bounded queue: memory stays a few blocks.
"""

from __future__ import annotations

import queue
import threading
import zipfile
from types import TracebackType
from typing import IO

__all__ = ["EntryWriter"]

_QUEUED = 8


class EntryWriter:
    """``with EntryWriter(archive) as w: w.open(info); w.write(b"..."); w.close()``; an error of
    the writing thread is raised in the caller at the next call or on leaving the block."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)

    def __enter__(self) -> EntryWriter:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._queue.put(("stop", None))
        self._thread.join()
        if kind is None:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _put(self, command: str, value: object) -> None:
        self._raise()
        self._queue.put((command, value))

    def open(self, info: zipfile.ZipInfo) -> None:
        self._put("open", info)

    def write(self, data: bytes) -> None:
        self._put("data", data)

    def close(self) -> None:
        self._put("close", None)

    def _run(self) -> None:
        entry: IO[bytes] | None = None
        while True:
            command, value = self._queue.get()
            if command == "stop":
                break
            if self._error is not None:
                continue  # drain: the caller raises at its next call
            try:
                if command == "open":
                    assert isinstance(value, zipfile.ZipInfo)
                    entry = self._archive.open(value, "w", force_zip64=True)
                elif command == "data" and entry is not None:
                    assert isinstance(value, bytes)
                    entry.write(value)
                elif command == "close" and entry is not None:
                    entry.close()
                    entry = None
            except BaseException as error:  # handed to the caller
                self._error = error
        if entry is not None and self._error is None:
            entry.close()
