"""Reading a roster from a record in its middle (the second worker's share of a run on both
cores) gives exactly the records a read from the top gives there, numbers and lines included,
whatever the file holds: quoted cells with commas and line breaks, blank rows, CRLF, a BOM."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.errors import InputFileError
from incentives.io import csvread, keyed_records
from incentives.io.csvread import open_csv

_CELL = st.one_of(
    st.sampled_from(["", " ", "1", "AIP", "12.50", "x y"]),
    st.text(alphabet='ab,"\n\r é', max_size=6),
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A roster's bytes: a header, rows of a few cells (some quoted, some blank rows)."""
    width = draw(st.integers(1, 4))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow([f"c{k}" for k in range(width)])
    for _ in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 9)) == 0:
            out.write("\n")  # a blank row
        cells = [draw(_CELL) for _ in range(width)]
        writer.writerow(["id", *cells[1:]] if not cells[0].strip() else cells)
    data = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data


@settings(max_examples=150, deadline=None)
@given(data=csv_files(), block=st.sampled_from([8, 33, 1 << 18]))
def test_reading_from_a_record_after_a_full_read_gives_the_same_records(
    tmp_path_factory: object, data: bytes, block: int
) -> None:
    path = Path(tmp_path_factory.mktemp("csv")) / "roster.csv"  # type: ignore[attr-defined]
    path.write_bytes(data)
    with mock.patch.object(csvread, "_BLOCK", block):
        expected = list(open_csv(path).records())
        table = open_csv(path)
        assert list(table.raw_rows()) == [list(r.fields) for r in expected]
        for start in range(len(expected) + 1):
            assert list(table.records(start)) == expected[start:], start


def test_a_fault_far_into_the_file_names_its_own_line(tmp_path: Path) -> None:
    """A NUL on line 52, after 50 plain rows read quickly in blocks: the message names line 52,
    not a line counted from where the careful reading took over."""
    path = tmp_path / "roster.csv"
    path.write_bytes(b"id,x\n" + b"".join(b"%d,1\n" % i for i in range(50)) + b"50,\x00\n")
    with mock.patch.object(csvread, "_BLOCK", 64):
        table = open_csv(path)
        with pytest.raises(InputFileError, match="line 52 holds a NUL") as raised:
            list(table.raw_rows())
    assert raised.value.line == 52  # type: ignore[attr-defined]


def test_a_plain_roster_is_read_from_near_the_start_asked_for(tmp_path: Path) -> None:
    """After a full read of a plain roster, reading from record 900 parses only from the
    block before it, not the 900 records before (a worker's share starts at once)."""
    path = tmp_path / "roster.csv"
    path.write_bytes(b"id,x\n" + b"".join(b"%d,1\n" % i for i in range(1000)))
    with mock.patch.object(csvread, "_BLOCK", 256):
        table = open_csv(path)
        assert sum(1 for _ in table.raw_rows()) == 1000
        parsed = []
        real = csvread._rows

        def spy(*args: object) -> object:
            for row in real(*args):  # type: ignore[arg-type]
                parsed.append(row)
                yield row

        with mock.patch.object(csvread, "_rows", spy):
            first = next(table.records(900))
    assert (first.record, first.line, list(first.fields)) == (901, 902, ["900", "1"])
    assert len(parsed) < 100


@settings(max_examples=150, deadline=None)
@given(data=csv_files(), block=st.sampled_from([8, 33, 1 << 18]))
def test_a_keyed_file_read_in_plain_blocks_gives_what_the_csv_reader_gives(
    tmp_path_factory: object, data: bytes, block: int
) -> None:
    """The index of a goals, ratings or history file is built from each record's byte offset,
    first line and fields: read quickly in plain blocks, they are the CSV reader's."""
    path = Path(tmp_path_factory.mktemp("keyed")) / "ratings.csv"  # type: ignore[attr-defined]
    path.write_bytes(data)
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    with mock.patch.object(csvread, "_BLOCK", block):
        assert _outcome(lambda: keyed_records.records(path)) == _outcome(
            lambda: keyed_records.read_records(path, start, 0)
        )


def _outcome(read: Callable[[], Iterable[object]]) -> object:
    """What reading gives: the records, or the fault (its message, with its line)."""
    try:
        return list(read())
    except InputFileError as fault:
        return str(fault)


def test_a_fault_far_into_a_keyed_file_names_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_bytes(b"employee_id,x\n" + b"".join(b"%d,1\n" % i for i in range(50)) + b"5,\x00\n")
    with mock.patch.object(csvread, "_BLOCK", 64), pytest.raises(InputFileError) as raised:
        list(keyed_records.records(path))
    assert raised.value.line == 52  # type: ignore[attr-defined]
    assert "line 52 holds a NUL" in str(raised.value)
