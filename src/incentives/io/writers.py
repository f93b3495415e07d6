"""Output files, written atomically and deterministically.

`OutputDir` writes a run's files into a hidden sibling folder and puts the whole set in place by
renames on a clean exit from the ``with`` block (see run_dir.py); after an exception no file of ours
is left. Bytes are deterministic: UTF-8 without BOM, ``\\n`` line endings, minimal quoting. Text
cells a spreadsheet would run as a formula are escaped with a leading ``'``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO

from incentives.errors import IncentivesError
from incentives.io import run_dir
from incentives.io.atomic import atomic_write
from incentives.io.csv_lines import csv_line

__all__ = ["LINES_BUFFER", "CsvSink", "OutputDir", "dumps_json", "format_cell", "write_json"]

# The buffer of a stream a run writes CSV lines to, one call per line: at the default (8 KiB)
# each write of a ~70-byte line costs about twice what it costs with 1 MiB, the difference being
# the kernel's write calls (one per 8 KiB).
LINES_BUFFER = 1 << 20

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)%?$")  # a number as text is not a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_cell(value: object) -> str:
    """A value as CSV cell text; text that a spreadsheet would run as a formula gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("binary floats are not written; convert the value to Decimal")
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def dumps_json(data: object) -> str:
    """JSON text: sorted keys, indent 2, non-ASCII kept, Decimal as a string, trailing newline."""
    text = json.dumps(
        data, sort_keys=True, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False
    )
    return text + "\n"


def write_json(path: Path, data: object) -> None:
    """Write `dumps_json` text to ``path`` atomically (`atomic_write`)."""
    with atomic_write(path, "w") as stream:
        stream.write(dumps_json(data))


def _copy_bytes(source: BinaryIO, target: IO[str]) -> None:
    """Every byte of ``source`` appended to the flushed text stream ``target``: by the kernel
    (``sendfile``) where it can, else through a large buffer."""
    offset = 0
    try:
        into, size = target.fileno(), os.fstat(source.fileno()).st_size
        while offset < size:
            sent = os.sendfile(into, source.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except (AttributeError, OSError, ValueError):  # no sendfile to files here, or no file
        pass
    source.seek(offset)  # what is left, if anything
    binary: IO[bytes] = target.buffer  # type: ignore[attr-defined]
    shutil.copyfileobj(source, binary, 1 << 20)
    binary.flush()


class CsvSink:
    """One CSV file being written: the header goes first, then `write` one row at a time."""

    def __init__(self, stream: IO[str], header: Sequence[str]) -> None:
        self._stream = stream
        self.width = len(header)
        self.rows = 0
        self._stream.write(csv_line([format_cell(name) for name in header]))

    def write(self, row: Sequence[object]) -> None:
        if len(row) != self.width:
            raise ValueError(f"row has {len(row)} cells, the header has {self.width}")
        self.write_cells([format_cell(value) for value in row])

    def append_file(self, path: Path) -> None:
        """Append the rows of a headerless CSV written with the same dialect (a worker's share).

        The bytes are copied as they are, file to file in the kernel where it can (UTF-8 both,
        lines already ended with ``\n``): nothing is decoded or encoded again."""
        self._stream.flush()  # our lines before the share's, all of them on disk
        with path.open("rb") as source:
            _copy_bytes(source, self._stream)

    def share_stream(self) -> IO[str]:
        """A stream writing straight on after what was written so far (all of it flushed
        now), for a forked worker whose rows come first: the file's offset is shared with the
        process that forked it, so what the worker writes is there before what is appended
        next. Write nothing through this sink until the worker is done."""
        self._stream.flush()
        return open(  # the worker's to close; the descriptor stays ours
            self._stream.fileno(),
            "w",
            buffering=LINES_BUFFER,
            encoding="utf-8",
            newline="",
            closefd=False,
        )

    def write_cells(self, cells: Sequence[str]) -> None:
        """Write cells already made by `format_cell`."""
        self.write_line(csv_line(cells))

    def write_line(self, line: str) -> None:
        """Write one line already made for this file (a `csv_lines` line function's; the fast
        path for large outputs)."""
        self._stream.write(line)
        self.rows += 1


class OutputDir:
    """A run folder written whole: use it as a context manager.

    On enter, what an interrupted earlier run left beside the folder is restored or removed
    (`notices` says what), and the folder is checked: it must be missing, empty, or (with
    ``force``) an earlier run's folder holding nothing else. Files are written into a hidden
    sibling folder (`scratch`) and the whole set replaces the folder by renames on a clean exit
    (see `incentives.io.run_dir`). After an exception nothing of this run is left, an earlier
    run is as it was, and a folder this run created is removed again. An `OSError` while
    writing becomes an `OutputError` with a clear message.
    """

    def __init__(self, path: Path, *, force: bool) -> None:
        self.path = path
        self.force = force
        self.notices: list[str] = []
        self._target = run_dir.real_path(path)
        self.scratch = run_dir.staging_path(self._target)
        self._streams: dict[str, IO[str]] = {}
        self._created: list[Path] = []
        self._open = False

    def __enter__(self) -> OutputDir:
        target = self._target
        with run_dir.writing(self.path):
            self.notices = run_dir.recover(target)
            run_dir.check_replaceable(target, force=self.force)
            missing = [p for p in reversed(target.parents) if not p.exists()]
            self.scratch.parent.mkdir(parents=True, exist_ok=True)
            self._created = missing[::-1]
            try:
                self.scratch.mkdir()
            except BaseException:
                self._remove_created()
                raise
        self._open = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open = False
        try:
            with run_dir.writing(self.path):
                for stream in self._streams.values():
                    stream.close()
                if kind is None:
                    self._commit()
        except BaseException:
            self._discard()
            raise
        if kind is not None:
            self._discard()
            if isinstance(error, OSError) and not isinstance(error, IncentivesError):
                raise run_dir.output_error(self.path, error) from None

    def csv_writer(self, name: str, header: Sequence[str]) -> CsvSink:
        """Start the CSV file ``name`` with its header row."""
        return CsvSink(self._start(name), header)

    def json(self, name: str, data: object) -> None:
        """Write the JSON file ``name`` (see `dumps_json`)."""
        self._start(name).write(dumps_json(data))

    def text(self, name: str, text: str) -> None:
        """Write the text file ``name`` as given (UTF-8, "\\n" line endings)."""
        self._start(name).write(text)

    @property
    def names(self) -> tuple[str, ...]:
        """The files this run writes, sorted."""
        return tuple(sorted(self._streams))

    def _start(self, name: str) -> IO[str]:
        if not self._open:
            raise RuntimeError("write output files inside 'with OutputDir(...)'")
        parts = name.split("/")  # a plain file name, or one in a folder: breakdown/<policy>.csv
        if len(parts) > 2 or any(not p or p != Path(p).name or p.startswith(".") for p in parts):
            raise ValueError(f"output file name {name!r} must be a plain file name")
        if name in self._streams:
            raise ValueError(f"output file {name} is written twice")
        with run_dir.writing(self.path):
            if len(parts) > 1:
                (self.scratch / parts[0]).mkdir(exist_ok=True)
            stream = (self.scratch / name).open(
                "w", buffering=LINES_BUFFER, encoding="utf-8", newline="\n"
            )
        self._streams[name] = stream
        return stream

    def _commit(self) -> None:
        ours = {name.split("/")[0] for name in self._streams}
        for entry in self.scratch.iterdir():  # a worker's scratch files, if any are left
            if entry.name not in ours:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        listing = "".join(f"{name}\n" for name in self.names)
        (self.scratch / run_dir.MARKER).write_text(listing, encoding="utf-8", newline="\n")
        run_dir.swap_in(self.scratch, self._target)

    def _discard(self) -> None:
        for stream in self._streams.values():
            with contextlib.suppress(OSError):
                stream.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        self._remove_created()

    def _remove_created(self) -> None:
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break
