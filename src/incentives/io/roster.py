"""The roster: one employee per CSV record, streamed, with goals from column groups or a file.

`open_roster` checks the header and scans the file once, finding duplicate ids and decoding
errors before anything is computed. The `Roster` it returns can be iterated any number of times;
each pass re-reads the file and yields an `EmployeeInput` or a `Rejection` per record, in order.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incentives.errors import InputFileError, OptionsError
from incentives.io.column_map import ColumnMap, load_column_map
from incentives.io.csvread import CsvRecord, CsvTable, file_sha256
from incentives.io.keyed import KeyedFile
from incentives.io.keyed_rows import goal_fields, history_fields
from incentives.io.keyed_rows import goal_row as _goal_row
from incentives.io.keyed_rows import history_row as _history_row
from incentives.io.keyed_rows import rating_fields as _rating_fields
from incentives.io.keyed_rows import rating_row as _rating_row
from incentives.io.roster_rows import RowBuilder, row_builder
from incentives.io.sheet_table import GOALS_KINDS, HISTORY_KINDS, open_table
from incentives.model import (
    EmployeeInput,
    GoalInput,
    HistoryRow,
    KeyedCounts,
    RatingRecord,
    Rejection,
    RowSource,
    Unmatched,
)
from incentives.model.roster import RosterSource

__all__ = ["Roster", "RosterPart", "open_roster"]

ID = "employee_id"
_GOAL_PARTS = ("name", "target", "actual", "weight", "direction")
_GOAL_REQUIRED = ("target", "actual", "weight")  # a goal without a name is named goalN
_GOALS_FILE_COLUMNS = (ID, "goal", "target", "actual", "weight")
# a named tuple built from its fields in order without its Python-level __new__ (per row)
_new = tuple.__new__


class RosterPart:
    """A contiguous share of a roster's records, re-iterable like the roster itself."""

    text_cells = True  # every cell is text, as read: the engine may take its fast conversion

    def __init__(
        self,
        roster: Roster,
        start: int,
        stop: int,
        goals: bool = True,
        columns: Collection[str] | None = None,
        ratings: bool = True,
    ) -> None:
        self.roster = roster
        self.start = start
        self.stop = stop
        self.goals = goals
        self.columns = columns
        self.ratings = ratings

    def __iter__(self) -> Iterator[EmployeeInput | Rejection]:
        return self.roster._records_between(
            self.start, self.stop, self.goals, self.columns, self.ratings
        )


def open_roster(
    path: str | Path,
    *,
    required_columns: Collection[str] = (),
    goals_path: str | Path | None = None,
    ratings_path: str | Path | None = None,
    history_path: str | Path | None = None,
    goal_prefix: str = "goal",
    read_columns: Collection[str] | None = None,
    sheets: Mapping[str, str] | None = None,
    columns: ColumnMap | str | Path | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Roster:
    """Open a roster (and its goals, rating history and dated changes files), check the
    headers and scan for duplicate ids. With ``read_columns`` (the fields the policies read),
    each row's cells keep only those columns and the goal columns: a wide export costs nothing
    for the columns no policy reads. Any of the files may be an .xlsx workbook: ``sheets``
    names the sheet to read per file ("employees", "goals", "ratings", "history"; the first
    sheet otherwise) and ``kinds`` the fields holding numbers or dates (`io.sheet_table`);
    ``columns`` (a mapping file, or one read) maps the roster's headers and codes onto the
    fields (`io.column_map`)."""
    if isinstance(columns, (str, Path)):
        columns = load_column_map(columns, read_columns)
    sheets = sheets or {}
    kinds = kinds or {}
    table = open_table(
        path,
        required=[ID, *(c for c in required_columns if c != ID)],
        what="roster",
        sheet=sheets.get("employees"),
        kinds=kinds,
        columns=columns,
    )
    groups = _goal_groups(table, goal_prefix)
    goals = (
        KeyedFile(
            Path(goals_path),
            required=_GOALS_FILE_COLUMNS[1:],
            what="goals file",
            build=_goal_row,
            build_fields=goal_fields,
            sheet=sheets.get("goals"),
            kinds=GOALS_KINDS,
            orphan_reason="goal for an employee_id that is not in the roster",
        )
        if goals_path is not None
        else None
    )
    ratings = (
        KeyedFile(
            Path(ratings_path),
            required=("cycle", "rating"),
            what="rating history file",
            build=_rating_row,
            sheet=sheets.get("ratings"),
            kinds=kinds,
            orphan_reason="rating for an employee_id that is not in the roster",
            build_fields=_rating_fields,
        )
        if ratings_path is not None
        else None
    )
    history = (
        KeyedFile(
            Path(history_path),
            required=("effective_date",),
            what="history file",
            build=_history_row,
            build_fields=history_fields,
            sheet=sheets.get("history"),
            kinds={**kinds, **HISTORY_KINDS},
            orphan_reason="history row for an employee_id that is not in the roster",
        )
        if history_path is not None
        else None
    )
    if goals is not None and groups:
        first = groups[0][1]
        raise OptionsError(
            f"{table.name} has goal columns ({first}name, …) and a goals file was given "
            f"({goals_path}); give the goals in one place only"
        )
    return Roster(table, groups, goals, ratings, history, read_columns)


class Roster:
    """A re-iterable roster. Iterating yields `EmployeeInput | Rejection` in file order."""

    text_cells = True  # every cell is text, as read: the engine may take its fast conversion

    def __init__(
        self,
        table: CsvTable,
        groups: list[tuple[int, str]],
        goals: KeyedFile[GoalInput] | None,
        ratings: KeyedFile[RatingRecord] | None = None,
        history: KeyedFile[HistoryRow] | None = None,
        read_columns: Collection[str] | None = None,
    ) -> None:
        self._table = table
        self._groups = groups
        self._goals = goals
        self._ratings = ratings
        self._history = history
        self._keyed = [f for f in (goals, ratings, history) if f is not None]
        # employees whose rows in a keyed file cannot be read: the first file's fault rejects
        self._keyed_faults: dict[str, tuple[str, str]] = {}
        for keyed in self._keyed:
            for employee_id, fault in keyed.faults().items():
                self._keyed_faults.setdefault(employee_id, (keyed.table.name, fault))
        # the history file's columns, and its name (for `incentives.io.history`)
        self.history_columns: tuple[str, ...] = history.table.columns if history else ()
        self.history_file: str = history.table.name if history else ""
        self._id_index = table.index(ID)
        self.path: Path = table.source
        self.columns: tuple[str, ...] = table.columns
        self.sha256: str = file_sha256(table.source)
        self._file = table.name
        self._width = len(table.columns)
        self._goal_columns = [
            (prefix, tuple(prefix + part for part in _GOAL_PARTS)) for _number, prefix in groups
        ]
        # per goal group: its prefix, its default name, a getter of its target, actual and
        # weight cells (required columns, so always among a row's cells), its name and direction
        self._goal_getters = [
            (prefix, prefix[:-1], operator.itemgetter(target, actual, weight), name, direction)
            for prefix, (name, target, actual, weight, direction) in self._goal_columns
        ]
        # the columns a row's cells hold: all, or only those the policies read (and the goals)
        wanted = None if read_columns is None else {ID, *read_columns}
        if wanted is not None:
            wanted |= {column for _, columns in self._goal_columns for column in columns}
        picked = [i for i, column in enumerate(self.columns) if wanted is None or column in wanted]
        self._picker = self._make_picker(picked)
        # the goal columns' cells, for the general path's goals (a pass's cells may lack them)
        goal_names = {column for _, columns in self._goal_columns for column in columns}
        goal_indexes = [i for i, column in enumerate(self.columns) if column in goal_names]
        self._goal_picker = self._make_picker(goal_indexes) if goal_indexes else None
        ids, self._duplicates, self.record_count = self._scan()
        self._builders: dict[tuple[bool, frozenset[str] | None, bool], RowBuilder] = {}
        # the keyed files' rows of employees not in the roster, and their counts, found now:
        # the roster's ids (a string per employee) are not kept for the run
        self._unmatched = [row for keyed in self._keyed for row in keyed.unmatched(ids)]
        files = (("goals", goals), ("ratings", ratings), ("history", history))
        self._counts = {role: keyed.counts(ids) for role, keyed in files if keyed is not None}

    def __repr__(self) -> str:
        return f"Roster({str(self.path)!r}, records={self.record_count})"

    def tables(self) -> list[CsvTable]:
        """The tables read: the roster's, then its keyed files' (goals, ratings, history)."""
        return [self._table, *(keyed.table for keyed in self._keyed)]

    def _scan(self) -> tuple[set[str], dict[str, tuple[int, ...]], int]:
        """Count the records and find duplicated ids: a set of ids, then, only if some id
        repeats, a second look for the lines of the repeated ones."""
        seen: set[str] = set()
        count = 0
        for cells in self._table.column(self._id_index):  # a block of the file at a time
            count += len(cells)
            seen.update(map(str.strip, cells))
        # a blank id (a rejection) is in no count below: the loop finds the repeats without it
        blank_ids = "" in seen
        seen.discard("")
        repeated: set[str] = set()
        # no id repeats exactly when the ids are as many as the distinct ones (then the loop
        # below finds nothing); else, or if one is blank, it finds which (a rare, slower read)
        if blank_ids or len(seen) != count:
            seen.clear()
            for cells in self._table.column(self._id_index):
                for employee_id in map(str.strip, cells):
                    if employee_id in seen:
                        repeated.add(employee_id)
                    elif employee_id:
                        seen.add(employee_id)
        lines: dict[str, list[int]] = {employee_id: [] for employee_id in repeated}
        if repeated:
            for record in self._table.records():
                employee_id = self._read_id(record)
                if employee_id in lines:
                    lines[employee_id].append(record.line)
        duplicates = {employee_id: tuple(found) for employee_id, found in lines.items()}
        # the ids serve only to find rows of unknown employees in the keyed files
        return (seen if self._keyed else set()), duplicates, count

    def _read_id(self, record: CsvRecord) -> str:
        if self._id_index < len(record.fields):
            return record.fields[self._id_index].strip()
        return ""

    def __iter__(self) -> Iterator[EmployeeInput | Rejection]:
        return self._records_between(0, self.record_count, True, None)

    def part(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        goals: bool = True,
        columns: Collection[str] | None = None,
        ratings: bool = True,
    ) -> RosterPart:
        """Records ``start`` to ``stop - 1`` (0-based), re-iterable: one worker's share of a run.
        Without ``goals`` (``ratings``) the rows carry no goals (rating history), and with
        ``columns`` their cells hold only those columns (a pass that reads less is faster)."""
        stop = self.record_count if stop is None else stop
        return RosterPart(self, start, stop, goals, columns, ratings)

    def _make_picker(self, picked: list[int]) -> tuple[tuple[str, ...], Any]:
        """The names of the picked columns and a C-level function taking them from a record."""
        names = tuple(self.columns[i] for i in picked)
        if len(picked) == 1:
            index = picked[0]
            return names, lambda fields: (fields[index],)
        return names, operator.itemgetter(*picked)

    def _pass_picker(
        self, goals: bool, columns: Collection[str] | None
    ) -> tuple[tuple[str, ...], Any]:
        """The picker of a pass reading ``columns`` (None: those the roster keeps). A pass's
        goals are built from their own cells (the generated builder's locals, `_goal_cells` on
        the general path), so its cells hold only its columns, with ``goals`` or without."""
        if columns is None:
            return self._picker
        wanted = {ID, *columns}
        return self._make_picker([i for i, name in enumerate(self.columns) if name in wanted])

    def _records_between(
        self,
        start: int,
        stop: int,
        goals: bool,
        columns: Collection[str] | None,
        ratings: bool = True,
    ) -> Iterator[EmployeeInput | Rejection]:
        picker = self._pass_picker(goals, columns)
        builder = self._builder(goals, columns, ratings, picker)
        try:
            rows = self._table.lines_and_fields(start)
            yield from builder(itertools.islice(rows, max(stop - start, 0)), start)
        finally:  # the keyed files' handles of this pass (and this process)
            for keyed in self._keyed:
                keyed.close()

    def _builder(
        self,
        goals: bool,
        columns: Collection[str] | None,
        ratings: bool,
        picker: tuple[tuple[str, ...], Any],
    ) -> RowBuilder:
        """The generated builder of a pass's employees (`io.roster_rows`), made once per
        kind of pass: `_employee` for the usual record, with ``picker``'s columns."""
        key = (goals, None if columns is None else frozenset(columns), ratings)
        built = self._builders.get(key)
        if built is not None:
            return built
        index = {column: i for i, column in enumerate(self.columns)}
        groups = None
        if goals and self._goals is None and self._goal_columns:
            groups = [
                (
                    prefix,
                    {p: index[c] for p, c in zip(_GOAL_PARTS, names, strict=True) if c in index},
                )
                for prefix, names in self._goal_columns
            ]

        def slow(number: int, line: int, fields: Sequence[str]) -> EmployeeInput | Rejection:
            record = CsvRecord(number, line, fields)
            return self._employee(record, goals, picker, ratings)

        keyed = {
            "goals": self._goals.rows if goals and self._goals is not None else None,
            "ratings": self._ratings.rows if ratings and self._ratings is not None else None,
            "history": self._history.rows if self._history is not None else None,
        }
        built = self._builders[key] = row_builder(
            file=self._file,
            columns=self.columns,
            picked=[index[name] for name in picker[0]],
            id_index=self._id_index,
            goal_groups=groups,
            keyed=keyed,
            unusual={*self._duplicates, *self._keyed_faults},
            slow=slow,
        )
        return built

    def orphans(self) -> list[Rejection]:
        """Rows of the goals, rating history and history files that cannot be attributed to
        any employee (no employee_id): rejections."""
        return [rejection for keyed in self._keyed for rejection in keyed.rejected()]

    def unmatched(self) -> list[Unmatched]:
        """Rows of the goals, rating history and history files for employees who are not in
        the roster: not faults (a file may cover more people than the roster), but listed."""
        return list(self._unmatched)

    def keyed_counts(self) -> dict[str, KeyedCounts]:
        """Per keyed file given ('goals', 'ratings', 'history'): rows read, matched,
        unmatched and rejected."""
        return dict(self._counts)

    def _employee(
        self,
        record: CsvRecord,
        with_goals: bool = True,
        picker: Any = None,
        with_ratings: bool = True,
    ) -> EmployeeInput | Rejection:
        file = self._file
        fields = record.fields
        if len(fields) != self._width:
            return Rejection(
                file,
                record.record,
                record.line,
                self._read_id(record),
                "",
                "",
                f"record has {len(fields)} fields, the header has {self._width}",
            )
        employee_id = fields[self._id_index].strip()
        if not employee_id or employee_id in self._duplicates:
            lines = self._duplicates.get(employee_id, ())
            shown = ", ".join(str(line) for line in lines)
            reason = (
                f"employee_id {employee_id} appears {len(lines)} times (lines {shown})"
                if employee_id
                else "employee_id is blank"
            )
            return Rejection(file, record.record, record.line, employee_id, ID, employee_id, reason)

        if employee_id in self._keyed_faults:
            keyed_file, fault = self._keyed_faults[employee_id]
            return Rejection(file, record.record, record.line, employee_id, keyed_file, "", fault)
        source = _new(RowSource, (file, record.record, record.line))
        names, pick = picker or self._picker
        # the cells hold the id column (always picked), stripped as `employee_id` was
        cells = dict(zip(names, map(str.strip, pick(fields)), strict=False))  # same lengths
        if not with_goals:  # a pass that reads no goals: skip building them, keep the rest
            goals: tuple[GoalInput, ...] = ()
        elif self._goals is not None:
            goals = self._goals.rows(employee_id)
        else:
            goals = self._column_goals(self._goal_cells(fields), source)
        ratings = (
            self._ratings.rows(employee_id) if self._ratings is not None and with_ratings else ()
        )
        history = self._history.rows(employee_id) if self._history is not None else ()
        return EmployeeInput(employee_id, cells, source, goals, ratings, history)

    def _goal_cells(self, fields: Sequence[str]) -> dict[str, str]:
        """A record's goal columns' cells, stripped (as a row's cells hold them)."""
        if self._goal_picker is None:
            return {}
        names, pick = self._goal_picker
        return dict(zip(names, map(str.strip, pick(fields)), strict=True))

    def _column_goals(self, cells: dict[str, str], source: RowSource) -> tuple[GoalInput, ...]:
        goals = []
        get = cells.get
        for prefix, default_name, figures, name, direction in self._goal_getters:
            target, actual, weight = figures(cells)
            if target or actual or weight:
                goals.append(  # name, target, actual, weight, direction, source, column_prefix
                    _new(
                        GoalInput,
                        (
                            get(name, "") or default_name,
                            target,
                            actual,
                            weight,
                            get(direction, "") or "higher",
                            source,
                            prefix,
                        ),
                    )
                )
        return tuple(goals)


def _goal_groups(table: CsvTable, goal_prefix: str) -> list[tuple[int, str]]:
    """The goal column groups in the header, as (N, "goalN_") in numeric order; checked."""
    pattern = re.compile(re.escape(goal_prefix) + r"(\d+)_(" + "|".join(_GOAL_PARTS) + r")")
    found: dict[int, set[str]] = {}
    for column in table.columns:
        match = pattern.fullmatch(column)
        if match:
            found.setdefault(int(match.group(1)), set()).add(match.group(2))
    groups = []
    for number in sorted(found):
        prefix = f"{goal_prefix}{number}_"
        lacking = [prefix + part for part in _GOAL_REQUIRED if part not in found[number]]
        if lacking:
            raise InputFileError(
                table.name,
                f"goal columns {prefix}… lack {', '.join(lacking)}; each goal needs "
                f"{', '.join(prefix + part for part in _GOAL_REQUIRED)} (name and direction "
                "optional)",
                line=table.header_line,
            )
        groups.append((number, prefix))
    return groups


if TYPE_CHECKING:  # mypy --strict proves here that the CSV roster is what the engine reads
    _IS_A_ROSTER_SOURCE: type[RosterSource] = Roster
