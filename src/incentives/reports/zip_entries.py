"""Zip entries written by a thread of their own.

Deflating and the CRC release the GIL, so while this thread builds a sheet's XML the other
core compresses the blocks already built (the 100,000-employee workbook holds ~900 MB of
sheet XML). Blocks are handed over through a bounded queue: memory stays a few blocks.

Entries deflated elsewhere (a worker process: `DeflateFile`) are copied in as they are
(`copy_deflated`).
"""

from __future__ import annotations

import queue
import shutil
import threading
import zipfile
import zlib
from pathlib import Path
from types import TracebackType
from typing import IO

import attrs

__all__ = ["WRITER_FIELDS", "DeflateFile", "Deflated", "EntryWriter", "copy_deflated"]

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


@attrs.frozen
class Deflated:
    """A zip entry's data deflated into a file of its own (by `DeflateFile`, in a worker
    process), to be copied as it is into the package (`copy_deflated`)."""

    name: str
    path: Path
    crc: int
    size: int  # uncompressed bytes
    compressed: int


class DeflateFile:
    """``EntryWriter``'s ``open``/``write``/``close``, each entry deflated (as `zipfile` would,
    at the entry's level) into a file of its own in ``folder``; ``done`` lists them."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self._folder, self._prefix = folder, prefix
        self.done: list[Deflated] = []
        self._info: zipfile.ZipInfo | None = None

    def open(self, info: zipfile.ZipInfo) -> None:
        self._info = info
        self._path = self._folder / f"{self._prefix}-{len(self.done)}.deflated"
        self._stream = self._path.open("wb")
        level = getattr(info, "_compresslevel", None)
        self._deflate = zlib.compressobj(-1 if level is None else level, zlib.DEFLATED, -15)
        self._crc = self._size = self._compressed = 0

    def write(self, data: bytes) -> None:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        out = self._deflate.compress(data)
        self._compressed += len(out)
        self._stream.write(out)

    def close(self) -> None:
        assert self._info is not None
        out = self._deflate.flush()
        self._stream.write(out)
        self._stream.close()
        self.done.append(
            Deflated(
                self._info.filename, self._path, self._crc, self._size,
                self._compressed + len(out),
            )
        )  # fmt: skip
        self._info = None


class _Deflated:
    """Stands for the compressor of an entry whose data is already deflated."""

    def compress(self, data: bytes) -> bytes:  # pragma: no cover - never called
        raise AssertionError("the entry's data is already deflated")

    def flush(self) -> bytes:
        return b""


# The fields of `zipfile`'s entry writer (CPython 3.11-3.13) that `copy_deflated` sets: not
# public API, so each is checked for before the fast way is taken.
WRITER_FIELDS = ("_compressor", "_file_size", "_crc", "_compress_size")


def copy_deflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo, part: Deflated) -> None:
    """Add ``part`` to ``archive`` as entry ``info`` (deflated, zip64 header as `EntryWriter`
    writes it): the bytes are those `zipfile` would write from the uncompressed data. `zipfile`
    cannot add data already compressed, so its entry writer is opened (it writes the local
    header and, on closing, the sizes, the CRC and the central directory's record) and the
    deflated bytes are copied behind the header. A `zipfile` whose writer lacks the fields
    this sets has the part inflated and written through it instead (deflate gives the same
    bytes for the same data and level, however it is cut into writes)."""
    with archive.open(info, "w", force_zip64=True) as handle, part.path.open("rb") as stream:
        if not all(hasattr(handle, field) for field in WRITER_FIELDS):
            _inflated_into(handle, stream)
            return
        assert archive.fp is not None
        shutil.copyfileobj(stream, archive.fp, 1 << 20)
        handle._compressor = _Deflated()  # type: ignore[attr-defined]
        handle._file_size = part.size  # type: ignore[attr-defined]
        handle._crc = part.crc  # type: ignore[attr-defined]
        handle._compress_size = part.compressed  # type: ignore[attr-defined]


def _inflated_into(handle: IO[bytes], stream: IO[bytes]) -> None:
    """The raw deflate data of ``stream`` inflated into ``handle``, 16 MiB at most at a time
    (sheet XML inflates tenfold and more)."""
    inflate = zlib.decompressobj(-15)
    while block := stream.read(1 << 20):
        while block:
            handle.write(inflate.decompress(block, 1 << 24))
            block = inflate.unconsumed_tail
    handle.write(inflate.flush())
