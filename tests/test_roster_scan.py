"""The roster's scan before a run (count the records, find repeated ids) reads the id column
of plain blocks at C speed (`io.plain_cells`): it gives exactly what the CSV reader's records
give, and a run's rejections (rows, lines, reasons) are those of the records read one by one."""

from __future__ import annotations

import collections
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.errors import InputFileError
from incentives.io import csvread
from incentives.io.csvread import open_csv
from incentives.io.plain_cells import plain_column
from incentives.io.roster import open_roster
from incentives.model import Rejection
from strategies import plain_roster_bytes

_BLOCKS = st.sampled_from([8, 33, 1 << 18])  # bytes per block: many blocks, or one


def _column_or_fault(path: Path, index: int) -> object:
    try:
        return [cell for batch in open_csv(path).column(index) for cell in batch]
    except InputFileError as fault:
        return str(fault)


def _raw_column_or_fault(path: Path, index: int) -> object:
    try:
        return [f[index] if index < len(f) else "" for f in open_csv(path).raw_rows()]
    except InputFileError as fault:
        return str(fault)


@settings(max_examples=300, deadline=None)
@given(data=plain_roster_bytes(), index=st.integers(0, 4), block=_BLOCKS)
def test_a_column_read_in_blocks_is_the_csv_readers_column(
    data: bytes, index: int, block: int
) -> None:
    """Any roster (blank rows, BOM, CRLF, short rows, a quoted line break anywhere): the cells
    of one column are those of the records, and a read from any record afterwards (a worker's
    share, from the marks the scan left) gives the records a read from the top gives."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_bytes(data)
        with mock.patch.object(csvread, "_BLOCK", block):
            expected = _raw_column_or_fault(path, index)
            assert _column_or_fault(path, index) == expected
            if isinstance(expected, str):
                return  # a fault (an unreadable file): the same message either way
            records = list(open_csv(path).records())
            table = open_csv(path)
            for _ in table.column(index):
                pass
            for start in range(len(records) + 1):
                assert list(table.records(start)) == records[start:], start


@given(st.lists(st.text(alphabet=", x\xa0\x1c\u2028é", max_size=6), max_size=12), st.integers(0, 3))
def test_plain_column_is_the_split_lines_column(lines: list[str], index: int) -> None:
    """`plain_column` is what its docstring says it equals, on lines with blank first cells."""
    split = [line.split(",") for line in lines]
    expected = [f[index] if index < len(f) else "" for f in split if "".join(f).strip()]
    assert plain_column(list(lines), index) == expected


def _oracle(path: Path) -> tuple[int, list[tuple[int, int, str]]]:
    """The record count and the rejections of repeated, blank ids and wrong widths, from the
    records read one by one (the general path)."""
    table = open_csv(path)
    at, width = table.index("employee_id"), len(table.columns)
    records = list(table.records())
    ids = [r.fields[at].strip() if at < len(r.fields) else "" for r in records]
    lines = collections.defaultdict(list)
    for employee_id, record in zip(ids, records, strict=True):
        lines[employee_id].append(record.line)
    rejections = []
    for employee_id, record in zip(ids, records, strict=True):
        if len(record.fields) != width:
            reason = f"record has {len(record.fields)} fields, the header has {width}"
        elif not employee_id:
            reason = "employee_id is blank"
        elif len(lines[employee_id]) > 1:
            shown = ", ".join(map(str, lines[employee_id]))
            reason = f"employee_id {employee_id} appears {len(lines[employee_id])} times (lines {shown})"
        else:
            continue
        rejections.append((record.record, record.line, reason))
    return len(records), rejections


@settings(max_examples=300, deadline=None)
@given(data=plain_roster_bytes(), at=st.integers(0, 3), block=_BLOCKS)
def test_the_scan_rejects_what_the_records_read_one_by_one_reject(
    data: bytes, at: int, block: int
) -> None:
    """Repeated ids (also across blocks, spaced, beside blank and short rows) reject every
    occurrence with all their lines, blank ids are rejected, the count is the records'."""
    name = b"c%d" % at  # the header's column names; no cell holds one
    if name not in data:
        return
    data = data.replace(name, b"employee_id", 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_bytes(data)
        with mock.patch.object(csvread, "_BLOCK", block):
            try:
                expected = _oracle(path)
            except InputFileError:
                return  # an unreadable file: faults are the csv tests' business
            roster = open_roster(path)
            found = [(r.record, r.line, r.reason) for r in roster if isinstance(r, Rejection)]
        assert (roster.record_count, found) == expected


def test_a_plain_roster_is_scanned_without_the_csv_reader(tmp_path: Path) -> None:
    """A roster without quotes is scanned block by block (`plain_column`), no record read by
    the CSV reader; a quote in its last row hands it only the block holding that row."""
    path = tmp_path / "roster.csv"
    rows = b"".join(b"E%d,%d\n" % (n % 997, n) for n in range(3000))  # ids repeat
    read: list[object] = []
    real = csvread._rows

    def spy(*args: object) -> Iterator[object]:
        for row in real(*args):  # type: ignore[arg-type]
            read.append(row)
            yield row

    for tail, most in ((b"", 0), (b'"E1",x\n', 4096 // 8)):
        path.write_bytes(b"employee_id,n\n" + rows + tail)
        table = open_csv(path)
        read.clear()
        with mock.patch.object(csvread, "_BLOCK", 4096), mock.patch.object(csvread, "_rows", spy):
            ids = [cell for batch in table.column(0) for cell in batch]
        assert len(ids) == 3000 + len(tail.splitlines())
        assert len(read) <= most and (most == 0 or read[-1] == (3002, ["E1", "x"]))
        roster = open_roster(path)
        assert sorted(roster._duplicates)[:2] == ["E0", "E1"]


def test_lines_found_short_by_stretches_are_short() -> None:
    """The quick look for a line longer than the CSV reader's bound (one search per stretch
    of half the bound) says "short" only when every line is within the bound: every text of
    up to 13 characters "a" and line ends, at every bound up to 8."""
    for size in range(14):
        for text in map("".join, itertools.product("a\n", repeat=size)):
            longest = max(map(len, text.split("\n")))
            for limit in range(1, 9):
                assert not csvread._short_lines(text, limit) or longest <= limit, (text, limit)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="ab, ", max_size=50), min_size=1, max_size=30),
    block=_BLOCKS,
)
def test_a_line_past_the_readers_bound_is_found_in_any_block(lines: list[str], block: int) -> None:
    """Lines near and past the CSV reader's bound (40 characters here): a read in plain
    blocks gives the column, or the fault, that the CSV reader alone gives."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text("employee_id,x\n" + "\n".join(lines) + "\n", encoding="utf-8")
        with mock.patch.object(csvread, "_BLOCK", block), mock.patch.object(
            csvread, "MAX_LINE_CHARS", 40
        ):
            try:
                rows = list(csvread._rows(path))[1:]
                expected: object = [fields[0] if fields else "" for _line, fields in rows]
            except InputFileError as fault:
                expected = str(fault)
            assert _column_or_fault(path, 0) == expected
