"""Keyed files (goals, ratings, history) are indexed on disk and read back per employee: the
rows come back complete, in file order, with their own record and line numbers, however the
file interleaves employees, and with blank lines or a quoted newline in a cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.io.keyed import KeyedFile
from incentives.model import KeyedCounts, RowSource


def _keyed(path: Path) -> KeyedFile[tuple[str, str, RowSource]]:
    return KeyedFile(
        path,
        required=("cycle", "rating"),
        what="rating history file",
        build=lambda cells, source: (cells["cycle"], cells["rating"], source),
        orphan_reason="rating for an employee_id that is not in the roster",
    )


def test_rows_come_back_per_employee_with_their_lines(tmp_path: Path) -> None:
    """E1 has rows on lines 2, 3 and 7 (two blocks, E2 in between), a blank line 6 and a
    quoted cell over lines 4-5 (E2's note): each row has its record number and its line."""
    path = tmp_path / "ratings.csv"
    path.write_bytes(
        b"\xef\xbb\xbfemployee_id,cycle,rating\r\n"
        b"E1,2026,Exceeds\r\n"
        b"E1,2025,Meets\r\n"
        b'E2,2026,"Meets\r\n(calibrated)"\r\n'
        b"\r\n"
        b"E1,2024,Meets\r\n"
    )
    keyed = _keyed(path)
    try:
        e1 = keyed.rows("E1")
        e2 = keyed.rows("E2")
    finally:
        keyed.close()
    assert [(c, r) for c, r, _ in e1] == [("2026", "Exceeds"), ("2025", "Meets"), ("2024", "Meets")]
    assert [(s.record, s.line) for _, _, s in e1] == [(1, 2), (2, 3), (4, 7)]
    assert e2[0][1] == "Meets\r\n(calibrated)"
    assert (e2[0][2].record, e2[0][2].line) == (3, 4)
    assert keyed.rows("E3") == ()


def test_unmatched_rows_name_their_lines(tmp_path: Path) -> None:
    """Rows of an employee who is not in the roster are unmatched (not rejected), each with
    record, line and why; the counts reconcile: 3 read = 1 matched + 2 unmatched + 0 rejected."""
    path = tmp_path / "ratings.csv"
    path.write_text(
        "employee_id,cycle,rating\nE1,2026,Meets\nE9,2026,Meets\nE9,2025,Exceeds\n",
        encoding="utf-8",
    )
    keyed = _keyed(path)
    unmatched = keyed.unmatched({"E1"})
    assert [(u.employee_id, u.record, u.line) for u in unmatched] == [("E9", 2, 3), ("E9", 3, 4)]
    assert unmatched[0].why == "rating for an employee_id that is not in the roster"
    assert keyed.rejected() == []
    counts = keyed.counts({"E1"})
    assert (counts.read, counts.matched, counts.unmatched, counts.rejected) == (3, 1, 2, 0)
    assert counts.reconciles


def test_the_roster_ids_given_for_unmatched_rows_are_not_kept(tmp_path: Path) -> None:
    """The roster's ids (a string per employee: ~90 MiB at 1,000,000) are given to `unmatched`
    and `counts` once, when the roster opens, and must not live on with the keyed file for the
    whole run; asked again with the same set, the answer is the same."""
    import gc
    import weakref

    path = tmp_path / "ratings.csv"
    path.write_text("employee_id,cycle,rating\nE1,2026,Meets\nE9,2026,Meets\n", encoding="utf-8")
    keyed = _keyed(path)
    roster_ids = {"E1", "E2"}
    assert [u.employee_id for u in keyed.unmatched(roster_ids)] == ["E9"]
    assert keyed.counts(roster_ids).unmatched == 1
    assert [u.employee_id for u in keyed.unmatched(roster_ids)] == ["E9"]
    kept = weakref.ref(roster_ids)
    del roster_ids
    gc.collect()
    assert kept() is None
    assert keyed.counts({"E1", "E9"}).unmatched == 0


def test_an_unmatched_id_that_differs_by_leading_zeros_suggests_the_roster_id(
    tmp_path: Path,
) -> None:
    """A ratings row for '42' when the roster has '00042' (a spreadsheet dropped the zeros):
    unmatched, with "did you mean '00042'?"."""
    path = tmp_path / "ratings.csv"
    path.write_text("employee_id,cycle,rating\n42,2026,Meets\n", encoding="utf-8")
    (row,) = _keyed(path).unmatched({"00042", "00043"})
    assert row.why == (
        "rating for an employee_id that is not in the roster (did you mean '00042'?)"
    )


def test_a_forked_reader_opens_its_own_handle(tmp_path: Path) -> None:
    """After close(), reading again reopens the file: a pass that ends closes its handle and the
    next pass (or a forked worker) gets a handle of its own."""
    path = tmp_path / "ratings.csv"
    path.write_text("employee_id,cycle,rating\nE1,2026,Meets\n", encoding="utf-8")
    keyed = _keyed(path)
    assert keyed.rows("E1")[0][1] == "Meets"
    keyed.close()
    assert keyed.rows("E1")[0][1] == "Meets"
    keyed.close()


_CELL = st.text(alphabet='ab 7,"\né', max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["E1", "E2", "E3"]), _CELL, _CELL, st.booleans()),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["\r\n", "\n"]),
    st.booleans(),
)
def test_rows_read_back_are_the_csv_readers_rows(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str, bool]],
    newline: str,
    final_newline: bool,
) -> None:
    """Whatever the cells hold (commas, quotes, newlines), the line endings, blank lines between
    rows or a missing final newline, each employee's rows read back per employee are those the
    CSV reader finds in the file: same cells, record numbers and start lines."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(["employee_id", "cycle", "rating"])
    for employee_id, cycle, rating, blank_after in rows:
        writer.writerow([employee_id, cycle, rating])
        if blank_after:
            out.write(newline)
    text = out.getvalue()
    if not final_newline:
        text = text.removesuffix(newline)
    path = tmp_path_factory.mktemp("keyed") / "ratings.csv"
    path.write_bytes(text.encode("utf-8"))
    expected: dict[str, list[tuple[int, int, dict[str, str]]]] = {}
    reader = csv.reader(raw.decode("utf-8") for raw in io.BytesIO(text.encode("utf-8")))
    next(reader)
    line, record = reader.line_num, 0
    for fields in reader:
        start, line = line + 1, reader.line_num
        if fields:
            record += 1
            cells = dict(
                zip(("employee_id", "cycle", "rating"), map(str.strip, fields), strict=True)
            )
            expected.setdefault(fields[0], []).append((record, start, cells))
    keyed = KeyedFile(
        path,
        required=("cycle", "rating"),
        what="rating history file",
        build=lambda cells, source: (source.record, source.line, cells),
        orphan_reason="rating for an employee_id that is not in the roster",
    )
    try:
        for employee_id in ("E1", "E2", "E3"):
            assert list(keyed.rows(employee_id)) == expected.get(employee_id, [])
    finally:
        keyed.close()


cell_texts = st.sampled_from(["", " ", "2026", " 2025 ", "Meets", " Exceeds ", "4", "a,b"])


@given(
    columns=st.permutations(["employee_id", "cycle", "rating", "note"]),
    cells=st.lists(cell_texts, min_size=4, max_size=4),
)
def test_ratings_rows_built_from_fields_are_built_from_cells(
    columns: list[str], cells: list[str]
) -> None:
    """A rating history row is the same record (or the same fault) whether built from its
    fields as read, as an employee's rows are, or from its cells by name, as the file's check."""
    from incentives.io.roster import _rating_fields, _rating_row

    source = RowSource("ratings.csv", 3, 4)
    by_fields = _outcome(lambda: _rating_fields(tuple(columns))(cells, source))
    by_cells = _outcome(
        lambda: _rating_row(dict(zip(columns, map(str.strip, cells), strict=True)), source)
    )
    assert by_fields == by_cells


@given(
    columns=st.permutations(["employee_id", "effective_date", "base_salary", "level"]),
    cells=st.lists(cell_texts, min_size=4, max_size=4),
)
def test_history_rows_built_from_fields_are_built_from_cells(
    columns: list[str], cells: list[str]
) -> None:
    """A history row is the same dated change (values in the file's column order, blanks
    left out) or the same fault whether built from its fields as read or from its cells."""
    from incentives.io.keyed_rows import history_fields, history_row

    source = RowSource("history.csv", 3, 4)
    by_fields = _outcome(lambda: history_fields(tuple(columns))(cells, source))
    by_cells = _outcome(lambda: history_row(_by_name(columns, cells), source))
    assert by_fields == by_cells
    if not isinstance(by_fields, tuple) or by_fields[0] != "rejected":
        assert list(by_fields.values) == list(by_cells.values)  # type: ignore[attr-defined]


@given(
    columns=st.permutations(["employee_id", "goal", "target", "actual", "weight", "direction"]),
    cells=st.lists(cell_texts, min_size=6, max_size=6),
    direction=st.booleans(),
)
def test_goal_rows_built_from_fields_are_built_from_cells(
    columns: list[str], cells: list[str], direction: bool
) -> None:
    """A goals file row is the same goal (or none, when target, actual and weight are blank)
    whether built from its fields as read or from its cells, with or without a direction."""
    from incentives.io.keyed_rows import goal_fields, goal_row

    if not direction:
        at = columns.index("direction")
        columns, cells = columns[:at] + columns[at + 1 :], cells[:at] + cells[at + 1 :]
    source = RowSource("goals.csv", 3, 4)
    by_fields = _outcome(lambda: goal_fields(tuple(columns))(cells, source))
    assert by_fields == _outcome(lambda: goal_row(_by_name(columns, cells), source))


def _by_name(columns: list[str], cells: list[str]) -> dict[str, str]:
    return dict(zip(columns, map(str.strip, cells), strict=True))


def _outcome(build: Callable[[], object]) -> object:
    from incentives.errors import RowError

    try:
        return build()
    except RowError as exc:
        return ("rejected", exc.reason, exc.column, exc.value)


_RATING_LINE = st.one_of(
    st.just(""),  # a blank line
    st.just("  "),
    st.lists(  # a record: usually three cells, some of any other width
        st.text(alphabet="E12 é,", max_size=4), min_size=1, max_size=4
    ).map(",".join),
    st.fixed_dictionaries(  # a rating row, its cells in the header's order
        {
            "employee_id": st.sampled_from(["E1", "E2", " E3 ", "E2", ""]),
            "cycle": st.sampled_from(["2026", " 2025", "", " "]),
            "rating": st.sampled_from(["Meets", "", "Exceeds ", "Né"]),
        }
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_RATING_LINE, max_size=14),
    columns=st.permutations(["employee_id", "cycle", "rating"]),
    blank_before_header=st.booleans(),
    tail=st.sampled_from(["", 'E1,"20,26",Meets\n', "E2,2026,Meets\r\n"]),
    block=st.sampled_from([8, 32, 1 << 20]),
    roster=st.one_of(st.sets(st.sampled_from(["E1", "E2", "E3"])), st.just(["E1", "E3"])),
)
def test_the_fast_index_of_plain_blocks_is_the_general_index(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str | dict[str, str]],
    columns: list[str],
    blank_before_header: bool,
    tail: str,
    block: int,
    roster: set[str] | list[str],
) -> None:
    """The index a keyed file builds before a run (every row checked, each employee's blocks of
    rows found) is the same whether its plain blocks are taken by the fast loop or every
    record goes through the general one: blank lines, rows of another width, blank ids, rows
    whose cycle is missing (a fault), non-ASCII text, a quoted or CRLF tail read by the CSV
    reader, blocks of any size, the id in any column; and the rows it counts as matched to
    a roster or not, and lists as unmatched, are each employee's rows."""
    from unittest import mock

    import incentives.io.csvread as csvread
    from incentives.io.keyed import _Indexing
    from incentives.io.keyed_records import records
    from incentives.io.keyed_rows import rating_fields, rating_row

    text = ("\n" if blank_before_header else "") + ",".join(columns) + "\n"
    for line in lines:
        text += (line if isinstance(line, str) else ",".join(line[c] for c in columns)) + "\n"
    text += tail
    path = tmp_path_factory.mktemp("index") / "ratings.csv"
    path.write_bytes(text.encode("utf-8"))

    class General(KeyedFile[object]):
        def _load(self) -> None:
            self._index_records(records(self.table.path), _Indexing())

    def index(kind: type[KeyedFile[object]]) -> object:
        keyed = kind(
            path,
            required=("cycle", "rating"),
            what="rating history file",
            build=rating_row,
            build_fields=rating_fields,
            orphan_reason="rating for an employee_id that is not in the roster",
        )
        # read back as a run does: an employee with a fault is rejected, its rows not read
        rows = {eid: keyed.rows(eid) for eid in ("E1", "E2", "E3") if not keyed.fault(eid)}
        keyed.close()
        # each employee's rows: its blocks' counts
        per = {e: sum(keyed._count[b] for b in keyed._blocks(e)) for e in keyed._index}
        matched = sum(n for e, n in per.items() if e in roster)
        unmatched = sum(n for e, n in per.items() if e not in roster)
        rejected = len(keyed.rejected())
        assert keyed.counts(roster) == KeyedCounts(keyed.records, matched, unmatched, rejected)
        listed = keyed.unmatched(roster)
        assert sorted({u.employee_id for u in listed}) == sorted(e for e in per if e not in roster)
        assert len(listed) == unmatched
        return (
            keyed.records,
            list(keyed._offset),
            list(keyed._end),
            list(keyed._count),
            list(keyed._record),
            list(keyed._line),
            keyed._index,
            keyed._faults,
            keyed.rejected(),
            rows,
        )

    with mock.patch.object(csvread, "_BLOCK", block):
        assert index(KeyedFile) == index(General)


_READ_CELL = st.sampled_from(["", " ", "2026", " 2025 ", "Meets", "Exceeds ", "Né", "a,b", "x\ny"])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["E1", "E2", " E3", "E3"]), _READ_CELL, _READ_CELL, _READ_CELL),
        max_size=14,
    ),
    kind=st.sampled_from(["ratings", "history"]),
    columns=st.permutations(["employee_id", "first", "second", "third"]),
    newline=st.sampled_from(["\n", "\n", "\r\n"]),
    blank_after=st.sets(st.integers(0, 13)),
    wide=st.sets(st.integers(0, 13)),
    order=st.permutations(["E1", "E2", "E3", "E9"]),
    window=st.sampled_from([4, 40, 1 << 16]),
)
def test_rows_read_from_a_window_by_the_layouts_reader_are_the_general_paths(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str, str]],
    kind: str,
    columns: list[str],
    newline: str,
    blank_after: set[int],
    wide: set[int],
    order: list[str],
    window: int,
) -> None:
    """An employee's rating history or dated changes, read back (as a run does) through the
    window of the file read last and the reader generated for the file's layout, are the
    rows the general path builds from each block's records: the same rows, record numbers,
    lines and faults, whatever the cells (blank, spaced, non-ASCII, quoted commas and line
    ends), line ends, blank lines, rows of another width, the order the employees are read
    in, and the window's size."""
    from unittest import mock

    import incentives.io.keyed as keyed_module
    from incentives.io.keyed_rows import history_fields, history_row, rating_fields, rating_row

    names = {
        "ratings": {"first": "cycle", "second": "rating", "third": "note"},
        "history": {"first": "effective_date", "second": "base_salary", "third": "level"},
    }[kind]
    header = [names.get(c, c) for c in columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    for at, (employee_id, *cells) in enumerate(rows):
        by_name = dict(zip(("first", "second", "third"), cells, strict=True))
        row = [employee_id if c == "employee_id" else by_name[c] for c in columns]
        writer.writerow([*row, "extra"] if at in wide else row)
        if at in blank_after:
            out.write(newline)
    path = tmp_path_factory.mktemp("window") / f"{kind}.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))

    class General(KeyedFile[object]):
        """Every employee's rows by the general path: each block's records built one by one."""

        def rows(self, employee_id: str) -> tuple[object, ...]:
            stream = self._file()
            return tuple(
                row for block in self._blocks(employee_id) for row in self._block(block, stream)
            )

    def read(kind_of_file: type[KeyedFile[object]]) -> list[object]:
        keyed = kind_of_file(
            path,
            required=("cycle", "rating") if kind == "ratings" else ("effective_date",),
            what=f"{kind} file",
            build=rating_row if kind == "ratings" else history_row,
            build_fields=rating_fields if kind == "ratings" else history_fields,
            orphan_reason="not in the roster",
        )
        try:
            # twice over: the second time from the window the first left, then from a new one
            return [_outcome(lambda e=e: keyed.rows(e)) for e in order + order]  # type: ignore[misc]
        finally:
            keyed.close()

    with mock.patch.object(keyed_module, "WINDOW", window):
        assert read(KeyedFile) == read(General)
