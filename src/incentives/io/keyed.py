"""Files of rows keyed by employee_id (goals, rating history, dated changes), indexed on disk.

Each row becomes an object attached to its employee's roster row. The file is read once to check
every row and to index, per employee, where its rows are (byte offset, count, record and line of
each contiguous block); an employee's rows are read again from disk when its roster row is read.
So memory grows with the number of employees by a few dozen bytes each, not with the rows and
their objects (a million employees with three ratings each held as objects took gigabytes).

Nothing is lost: a row that cannot be read rejects its employee (never a silently short list), a
row without an id ends in rejected.csv, and a row for an employee who is not in the roster is
counted and listed as unmatched (a file covering more employees than the roster is not a fault).
"""

from __future__ import annotations

import csv
import os
import weakref
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, KeysView, Mapping
from pathlib import Path
from typing import IO, Generic, TypeVar

from incentives.errors import InputFileError, RowError
from incentives.io.csvread import PlainBlocks
from incentives.io.keyed_blocks import block_check, index_runs, plain_runs
from incentives.io.keyed_records import block_records, plain_records, read_records
from incentives.io.keyed_rows import TextReader, text_reader
from incentives.io.sheet_table import open_table
from incentives.model import KeyedCounts, Rejection, RowSource, Unmatched

# this process's id, set again in a forked child: `os.getpid` is a system call, and an
# employee's rows are looked up once per keyed file and pass
_PROCESS = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PROCESS.__setitem__(0, os.getpid()))

__all__ = ["ID", "WINDOW", "KeyedFile"]

ID = "employee_id"
T = TypeVar("T")
# given a file's columns, a function building a row from its fields as read and its source
FieldsBuilder = Callable[[tuple[str, ...]], Callable[[list[str], RowSource], T | None]]
_new = tuple.__new__
# bytes read at once when employees' rows are read in the file's order (a window of the
# blocks from the one asked for on)
WINDOW = 1 << 16
_GAP = 512  # bytes after a window (rows of employees not in the roster) still in order
_NO_WINDOW: tuple[int, str | None, bytes] = (0, None, b"")


class _Indexing:
    """Where `KeyedFile._index_records` stands: the id of the row before (empty after a blank
    line: a new block starts), the data records so far, whether the header was seen, and
    whether the last block's end is still to be found (at the next record's offset)."""

    __slots__ = ("header", "open", "previous", "record")

    def __init__(self) -> None:
        self.previous = ""
        self.record = 0
        self.header = False
        self.open = False


class KeyedFile(Generic[T]):
    """A CSV file with an ``employee_id`` column, its rows built on demand per employee."""

    # reading an employee's rows (`rows`): the window of the file read last (its offset, its
    # text if plain ASCII, its bytes), and the generated reader of a block
    _window = _NO_WINDOW
    _reader: tuple[TextReader | None] | None = None  # (None,): none for this layout

    def __init__(
        self,
        path: Path,
        *,
        required: Collection[str],
        what: str,
        build: Callable[[dict[str, str], RowSource], T | None],
        orphan_reason: str,
        build_fields: FieldsBuilder[T] | None = None,
        sheet: str | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.table = open_table(path, required=[ID, *required], what=what, sheet=sheet, kinds=kinds)
        self._name = self.table.name
        self._columns = self.table.columns
        self._build = build
        # `build` over a row's fields as read (stripped by it), no dictionary per row: when
        # given, what `_load` checks every row of the header's width with and `rows` calls
        self._build_fields = (
            self._build_cells if build_fields is None else build_fields(self._columns)
        )
        self._orphan_reason = orphan_reason
        # whether a plain block's rows all build, from its columns (None: build each row)
        self._check = block_check(build, self._columns)
        # blocks of consecutive rows of one employee: parallel arrays, found by `_index`
        self._offset = array("q")
        self._end = array("q")  # the byte offset just past the block's last record
        self._count = array("l")
        self._record = array("l")
        self._line = array("l")
        self._index: dict[str, int | list[int]] = {}
        self._faults: dict[str, str] = {}
        self._unattributed: list[Rejection] = []
        self.records = 0  # the non-blank data rows
        self._stream: IO[bytes] | None = None
        self._pid = 0
        # how many ids the index holds and the greatest of them, while only `_index_runs`
        # adds to it (then -1)
        self._top: tuple[int, str] = (0, "")
        # the roster's ids `_unknown` was last given (a weak reference: the set of every id is
        # not kept for the run), their count, and who is not among them
        self._known: tuple[weakref.ref[Collection[str]], int, list[str]] | None = None
        self._load()

    # -- reading the file once: checks and the index ---------------------------------------------
    def _load(self) -> None:
        state = _Indexing()
        try:
            self._index_records(self._index_plain(state, self.table.path), state)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputFileError(self.table.name, f"cannot be read as UTF-8 CSV: {exc}") from None

    def _index_records(
        self, records: Iterable[tuple[int, int, list[str]]], state: _Indexing
    ) -> None:
        """Check every row of ``records`` (as `keyed_records.records` gives them: byte offset, first line,
        fields) and index each employee's blocks of rows; ``state``: where this stands
        (`_index_plain` takes the usual rows of the file's plain blocks itself, and yields
        the others here)."""
        name = self.table.name
        width = len(self._columns)
        id_index = self._columns.index(ID)
        end = self._end
        # each row is built once to check it (and dropped): by the builder `rows` calls
        build, count = self._build_fields, self._count
        for offset, line, fields in records:
            if state.open:  # the record before ended the last block: it ends here
                end[-1] = offset
                state.open = False
            first = fields[0] if fields else ""
            if not first or first.isspace():  # the usual row's first cell is not blank
                text = "".join(fields)
                if not text or text.isspace():
                    state.previous = ""
                    continue
            if not state.header:  # the first non-blank record is the header
                state.header = True
                continue
            state.record += 1
            record = state.record
            employee_id = fields[id_index].strip() if id_index < len(fields) else ""
            if len(fields) != width:
                reason = f"record has {len(fields)} fields, the header has {width}"
                fault = f"{name} line {line}: {reason}"
                self._bad_row(record, line, employee_id, "", "", reason, fault)
            elif not employee_id:
                self._bad_row(record, line, "", ID, "", "employee_id is blank", "")
            else:
                try:
                    build(fields, _new(RowSource, (name, record, line)))
                except RowError as exc:
                    fault = f"{name} line {line}: {exc.reason}"
                    self._bad_row(
                        record, line, employee_id, exc.column, exc.value, exc.reason, fault
                    )
            if employee_id:
                if employee_id == state.previous:  # the next row of the last block (usual)
                    count[-1] += 1
                else:
                    self._add(employee_id, offset, record, line)
                state.open = True  # until the next record shows where this one ends
            state.previous = employee_id
        if state.open:
            end[-1] = self.table.path.stat().st_size
        self.records = state.record

    def _index_plain(self, state: _Indexing, path: Path) -> Iterator[tuple[int, int, list[str]]]:
        """Index the plain blocks of a file (`PlainBlocks`) as `_index_records` does: a file of
        a few million rows is read before a run starts, on one core. The usual row (the
        header's width, an id, after the header) is taken here, with its block's state in
        locals; every other record, and every record of a block that is not ASCII (where a
        character's bytes are not one), is yielded back to `_index_records`, and so is the
        rest of the file after the last plain block. (The index is the one `_index_records`
        builds from `keyed_records.records` alone: tests/test_io_keyed.py.)"""
        name = self.table.name
        width = len(self._columns)
        id_index = self._columns.index(ID)
        build, count, end = self._build_fields, self._count, self._end
        index = self._index
        # `_add` of an employee's first block, inline: the arrays' appends bound once
        offsets, ends, counts, records, lines = (
            a.append for a in (self._offset, end, count, self._record, self._line)
        )
        blocks = PlainBlocks(path)
        check = self._check
        for chunk, texts in blocks:
            offset, line = blocks.offset, blocks.line
            if not chunk.isascii():  # a line's length in characters is not its bytes'
                yield from plain_records(chunk, texts, offset, line)
                continue
            skip = 0
            while check is not None and not state.header and skip < len(texts):
                # the header (and any blank line before it), as `_index_records` takes it
                yield offset, line + 1, texts[skip].split(",")
                offset, line, skip = offset + len(texts[skip]) + 1, line + 1, skip + 1
            rest = texts[skip:] if skip else texts
            if check is not None and rest and state.header:  # the whole block at once (usual)
                data = chunk[offset - blocks.offset :] if skip else chunk
                runs = plain_runs(data, rest, width, id_index, check)
                if runs is not None:
                    index_runs(self, runs, offset, line, state)
                    continue
            previous, record, header, open_ = (
                state.previous,
                state.record,
                state.header,
                state.open,
            )
            for text in rest:
                line += 1
                fields = text.split(",")
                # (a blank id: so is a blank record; a blank first cell beside an id is
                # taken by `_index_records` as here)
                if len(fields) == width and header and (employee_id := fields[id_index].strip()):
                    try:
                        build(fields, _new(RowSource, (name, record + 1, line)))
                    except RowError:
                        pass  # a fault: `_index_records` records it, below
                    else:
                        if open_:  # the record before ended the last block: it ends here
                            end[-1] = offset
                        record += 1
                        if employee_id == previous:  # the next row of the last block (usual)
                            count[-1] += 1
                        elif employee_id not in index:  # the employee's first block (usual)
                            index[employee_id] = len(count)
                            offsets(offset)
                            ends(-1)
                            counts(1)
                            records(record)
                            lines(line)
                        else:
                            self._add(employee_id, offset, record, line)
                        open_ = True  # until the next record shows where this one ends
                        previous = employee_id
                        offset += len(text) + 1
                        continue
                # any other record: as `_index_records` takes it, with this block's state
                state.previous, state.record, state.header, state.open = (
                    previous,
                    record,
                    header,
                    open_,
                )
                yield offset, line, fields
                previous, record, header, open_ = (
                    state.previous,
                    state.record,
                    state.header,
                    state.open,
                )
                offset += len(text) + 1
            state.previous, state.record, state.header, state.open = (
                previous,
                record,
                header,
                open_,
            )
        if not blocks.complete:
            yield from read_records(path, blocks.offset, blocks.line)

    def _build_cells(self, fields: list[str], source: RowSource) -> T | None:
        return self._build(self._cells(fields), source)

    def _cells(self, fields: list[str]) -> dict[str, str]:
        return dict(zip(self._columns, map(str.strip, fields), strict=True))

    def _add(self, employee_id: str, offset: int, record: int, line: int) -> None:
        """A new block of the employee's rows, starting at this record (the rows right after
        it that are the same employee's are counted in by `_load`)."""
        entry = self._index.get(employee_id)
        block = len(self._offset)
        self._offset.append(offset)
        self._end.append(-1)
        self._count.append(1)
        self._record.append(record)
        self._line.append(line)
        if entry is None:
            self._index[employee_id] = block
        elif isinstance(entry, int):
            self._index[employee_id] = [entry, block]
        else:
            entry.append(block)

    def _bad_row(
        self,
        record: int,
        line: int,
        employee_id: str,
        column: str,
        value: str,
        reason: str,
        fault: str,
    ) -> None:
        """A row that cannot be read: its employee (if known) is rejected, never short of it."""
        if employee_id:
            self._faults.setdefault(employee_id, fault)
        else:
            self._unattributed.append(
                Rejection(self.table.name, record, line, "", column, value, reason)
            )

    # -- an employee's rows, read again from disk -------------------------------------------------
    def _file(self) -> IO[bytes]:
        """This process's own handle (a forked worker must not share the parent's position)."""
        if self._stream is None or self._pid != _PROCESS[0]:
            self._stream = self.table.path.open("rb")
            self._pid = _PROCESS[0]
        return self._stream

    def close(self) -> None:
        """Close this process's handle (the roster does it when a pass over it ends), and
        let go of the window of the file read last."""
        if self._stream is not None and self._pid == os.getpid():
            self._stream.close()
        self._stream = None
        self._window = _NO_WINDOW

    def _blocks(self, employee_id: str) -> list[int]:
        entry = self._index.get(employee_id)
        if entry is None:
            return []
        return [entry] if isinstance(entry, int) else entry

    def ids(self) -> KeysView[str]:
        """The employees with rows in this file (`rows` gives the others none)."""
        return self._index.keys()

    def rows(self, employee_id: str) -> tuple[T, ...]:
        entry = self._index.get(employee_id)
        if entry is None:
            return ()
        if entry.__class__ is not int:  # rows in several blocks of the file
            stream = self._file()
            return tuple(row for block in entry for row in self._block(block, stream))  # type: ignore[union-attr]
        start, stop = self._offset[entry], self._end[entry]
        at, text, data = self._window
        if not (at <= start and stop <= at + len(data)):
            at, text, data = self._fill(start, stop)
        if text is not None:  # the window is plain ASCII text: the block is its slice
            block = text[start - at : stop - at]
        else:
            raw = data[start - at : stop - at]
            if b'"' in raw or b"\r" in raw:
                return tuple(self._block(entry, self._file(), raw))
            block = raw.decode("utf-8")
        record, line = self._record[entry], self._line[entry]
        # the usual block: its rows built by a function generated for the file's layout
        # (`keyed_rows.text_reader`), the same as the loop below; None for any other block
        made = self._reader
        if made is None:
            made = self._reader = (text_reader(self._build, self._columns, self._name),)
        reader = made[0]
        if reader is not None:
            found = reader(block, record, line)
            if found is not None:
                return found
        # `_block`'s usual case, inline: a record is a line split at its commas
        lines = block.split("\n")
        if lines[-1] == "":  # the newline ending the last record
            lines.pop()
        name, build_fields = self._name, self._build_fields
        rows: list[T] = []
        for row in lines:
            # tuple.__new__: a RowSource built without its Python-level __new__ (per row)
            built = build_fields(row.split(","), _new(RowSource, (name, record, line)))
            if built is not None:
                rows.append(built)
            record += 1
            line += 1
        return tuple(rows)

    def _fill(self, start: int, stop: int) -> tuple[int, str | None, bytes]:
        """Read the bytes of a block (from ``start`` to ``stop``) into the window and, when the
        blocks are read in the file's order (the block starts in the window before or just
        after it, as a roster sorted like its keyed files reads them), the blocks after it up
        to `WINDOW` bytes: one read per window, not per employee; a block read out of order is
        read alone, as before. The window's text too when it is plain ASCII (no quote, no
        carriage return), where a block's characters are its bytes."""
        stream = self._file()
        size = stop - start
        at, _text, data = self._window
        if at <= start <= at + len(data) + _GAP:
            size = max(size, WINDOW)
        stream.seek(start)
        data = stream.read(size)
        plain = data.isascii() and b'"' not in data and b"\r" not in data
        self._window = window = (start, data.decode("ascii") if plain else None, data)
        return window

    def _block(self, block: int, stream: IO[bytes], data: bytes | None = None) -> list[T]:
        """The rows of one block of an employee's rows (``data``: its bytes, if read)."""
        if data is None:
            start = self._offset[block]
            stream.seek(start)
            data = stream.read(self._end[block] - start)
        record = self._record[block]
        found: list[T] = []
        for taken, (line, fields) in enumerate(block_records(data, self._line[block])):
            built = self._build_fields(fields, _new(RowSource, (self._name, record + taken, line)))
            if built is not None:
                found.append(built)
        return found

    def fault(self, employee_id: str) -> str | None:
        return self._faults.get(employee_id)

    def faults(self) -> dict[str, str]:
        """Employees with a row that cannot be read: the first fault of each."""
        return dict(self._faults)

    def rejected(self) -> list[Rejection]:
        """Rows that belong to no employee at all (no employee_id), in file order."""
        return list(self._unattributed)

    def unmatched(self, roster_ids: Collection[str]) -> list[Unmatched]:
        """Rows of employees who are not in the roster, in file order, each saying why (and
        which roster id it may have meant when only leading zeros or case differ)."""
        found: list[Unmatched] = []
        unknown = self._unknown(roster_ids)
        near = {_loose(employee_id): employee_id for employee_id in roster_ids} if unknown else {}
        file = self.table.name
        for employee_id in unknown:
            why = self._orphan_reason
            meant = near.get(_loose(employee_id))
            if meant is not None:
                why += f" (did you mean '{meant}'?)"
            for block in self._blocks(employee_id):
                for k in range(self._count[block]):
                    record, line = self._record[block] + k, self._line[block] + k
                    found.append(Unmatched(file, record, line, employee_id, why))
        return sorted(found, key=lambda row: row.record)

    def counts(self, roster_ids: Collection[str]) -> KeyedCounts:
        """Rows read, matched to a roster employee, unmatched, and rejected (no employee_id):
        the rows of the employees not in the roster (usually none) are counted, the others'
        are the rest of the index's rows (serial time before a run: C loops over a million
        employees, not a Python one)."""
        counts = self._count
        unmatched = sum(
            counts[block] for e in self._unknown(roster_ids) for block in self._blocks(e)
        )
        matched = sum(counts) - unmatched
        return KeyedCounts(self.records, matched, unmatched, len(self._unattributed))

    def _unknown(self, roster_ids: Collection[str]) -> list[str]:
        """The employees of this file who are not in the roster, in the file's order (first
        whether there is any, in C: usually none). Found once for the roster's set of ids
        that `unmatched` and `counts` are given in turn (a frozen set, or a set of as many
        ids as before: the roster's scan gives it, and keeps it unchanged)."""
        known = self._known
        if known is not None and known[0]() is roster_ids and known[1] == len(roster_ids):
            return known[2]
        if isinstance(roster_ids, set | frozenset) and roster_ids.issuperset(self._index):
            unknown: list[str] = []
        else:
            unknown = [employee_id for employee_id in self._index if employee_id not in roster_ids]
        if isinstance(roster_ids, set | frozenset):
            self._known = (weakref.ref(roster_ids), len(roster_ids), unknown)
        return unknown


def _loose(employee_id: str) -> str:
    """An id without leading zeros or case, to suggest the roster id a row may have meant."""
    return employee_id.lstrip("0").casefold() or "0"
