"""Reading rosters and goals: encodings, line numbers, header checks, row rejections, goals."""

from __future__ import annotations

from pathlib import Path

import pytest

from incentives.errors import InputFileError, OptionsError
from incentives.io.csvread import file_sha256, open_csv
from incentives.io.roster import Roster, open_roster
from incentives.model import EmployeeInput, GoalInput, Rejection, RowSource, Unmatched


def write(tmp_path: Path, text: str, name: str = "roster.csv", raw: bytes | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else text.encode("utf-8"))
    return path


def rows(roster: Roster) -> list[EmployeeInput | Rejection]:
    return list(roster)


def employees(roster: Roster) -> list[EmployeeInput]:
    found = [row for row in roster if isinstance(row, EmployeeInput)]
    assert len(found) == roster.record_count
    return found


def test_bom_and_crlf_are_read(tmp_path: Path) -> None:
    """A UTF-8 BOM is not part of the first column name and CRLF endings leave no \\r behind."""
    path = write(tmp_path, "", raw=b"\xef\xbb\xbfemployee_id,name\r\n7,Zo\xc3\xab\r\n")
    roster = open_roster(path, required_columns=["name"])
    assert roster.columns == ("employee_id", "name")
    [row] = employees(roster)
    assert row.cells == {"employee_id": "7", "name": "Zoë"}
    assert row.source == RowSource(str(path), 1, 2)


def test_quoted_newline_keeps_physical_line_numbers(tmp_path: Path) -> None:
    """A cell spanning two lines makes later records start on their true physical line."""
    path = write(tmp_path, 'employee_id,note\n1,"two\nlines"\n2,plain\n3,"a\r\nb"\n4,x\n')
    found = employees(open_roster(path, required_columns=()))
    assert [(r.source.record, r.source.line) for r in found] == [(1, 2), (2, 4), (3, 5), (4, 7)]
    assert found[0].cells["note"] == "two\nlines"


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    """Blank lines (and all-blank rows) are not records; line numbers still count them."""
    path = write(tmp_path, "\nemployee_id,a\n\n1,x\n , \n\n2,y\n")
    roster = open_roster(path, required_columns=())
    assert roster.record_count == 2
    assert [(r.source.record, r.source.line) for r in employees(roster)] == [(1, 4), (2, 7)]


def test_undecodable_file_names_byte_and_line(tmp_path: Path) -> None:
    """A Latin-1 byte deep in the file stops the open with the byte, its line and the fix."""
    lines = b"employee_id,name\n" + b"".join(b"%d,x\n" % i for i in range(1, 3000))
    path = write(tmp_path, "", raw=lines + b"3000,Ren\xe9\n")
    with pytest.raises(InputFileError) as caught:
        open_roster(path, required_columns=())
    message = str(caught.value)
    assert "is not UTF-8 text (byte 0xe9 at line 3001); save it as CSV UTF-8" in message
    assert caught.value.line == 3001


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A path that does not exist is an InputFileError, not a bare OSError."""
    with pytest.raises(InputFileError, match="not found"):
        open_roster(tmp_path / "nope.csv", required_columns=())


@pytest.mark.parametrize("text", ["", "\n\n", "\r\n"])
def test_empty_file_needs_a_header(tmp_path: Path, text: str) -> None:
    """A file with no header row is refused."""
    with pytest.raises(InputFileError, match="is empty; expected a header row"):
        open_roster(write(tmp_path, text), required_columns=())


def test_header_only_is_zero_records(tmp_path: Path) -> None:
    """A header without data is valid and yields nothing."""
    roster = open_roster(write(tmp_path, "employee_id,level\n"), required_columns=["level"])
    assert roster.record_count == 0
    assert rows(roster) == []


def test_duplicate_column_is_refused(tmp_path: Path) -> None:
    """A column name that appears twice is named with both positions."""
    path = write(tmp_path, "employee_id,a,level,b,c,d,level\n")
    with pytest.raises(InputFileError, match=r"column 'level' appears twice \(columns 3 and 7\)"):
        open_roster(path, required_columns=())


def test_blank_column_name_is_refused(tmp_path: Path) -> None:
    """A header cell with no name is refused with its position."""
    with pytest.raises(InputFileError, match="column 2 of the header has no name"):
        open_roster(write(tmp_path, "employee_id, ,level\n"), required_columns=())


def test_missing_required_columns_are_all_listed_with_suggestions(tmp_path: Path) -> None:
    """Every missing column is listed; a close existing name is suggested."""
    path = write(tmp_path, "employee_id,Base Salary,lvl\n")
    with pytest.raises(InputFileError) as caught:
        open_roster(path, required_columns=["base_salary", "level", "hire_date"])
    message = str(caught.value)
    assert "'base_salary' (did you mean 'Base Salary'?)" in message
    assert "'level' (did you mean 'lvl'?)" in message
    assert "'hire_date'" in message
    assert caught.value.line == 1


def test_employee_id_column_is_required(tmp_path: Path) -> None:
    """employee_id is required even when not listed."""
    with pytest.raises(InputFileError, match="'employee_id' \\(did you mean 'employee id'"):
        open_roster(write(tmp_path, "employee id,level\n"), required_columns=["level"])


def test_leading_zeros_and_whitespace(tmp_path: Path) -> None:
    """employee_id is text: leading zeros are kept, surrounding whitespace is stripped."""
    path = write(tmp_path, "employee_id,level, extra \n  0042 , 3 ,kept\n")
    [row] = employees(open_roster(path, required_columns=["level"]))
    assert row.employee_id == "0042"
    assert row.cells == {"employee_id": "0042", "level": "3", "extra": "kept"}


def test_duplicate_ids_reject_every_occurrence(tmp_path: Path) -> None:
    """Each record of a duplicated id is rejected, naming all its lines; 42 and 0042 differ."""
    path = write(tmp_path, "employee_id,a\n0042,x\n42,y\n\n0042,z\n")
    found = rows(open_roster(path, required_columns=()))
    assert isinstance(found[1], EmployeeInput)
    reason = "employee_id 0042 appears 2 times (lines 2, 5)"
    assert found[0] == Rejection(str(path), 1, 2, "0042", "employee_id", "0042", reason)
    assert found[2] == Rejection(str(path), 3, 5, "0042", "employee_id", "0042", reason)


def test_missing_id_is_rejected(tmp_path: Path) -> None:
    """A blank employee_id rejects the record; the others go on."""
    path = write(tmp_path, "employee_id,a\n  ,x\n2,y\n")
    found = rows(open_roster(path, required_columns=()))
    assert found[0] == Rejection(str(path), 1, 2, "", "employee_id", "", "employee_id is blank")
    assert isinstance(found[1], EmployeeInput)


def test_wrong_field_count_is_rejected(tmp_path: Path) -> None:
    """A record with more or fewer fields than the header is rejected with both counts."""
    path = write(tmp_path, "employee_id,a,b\n1,x\n2,x,y,z\n3,x,y\n")
    found = rows(open_roster(path, required_columns=()))
    assert isinstance(found[0], Rejection)
    assert found[0].reason == "record has 2 fields, the header has 3"
    assert found[0].employee_id == "1"
    assert isinstance(found[1], Rejection)
    assert found[1].reason == "record has 4 fields, the header has 3"
    assert isinstance(found[2], EmployeeInput)


GOAL_HEADER = (
    "employee_id,goal2_name,goal2_target,goal2_actual,goal2_weight,"
    "goal10_name,goal10_target,goal10_actual,goal10_weight,goal10_direction,"
    "goal1_name,goal1_target,goal1_actual,goal1_weight\n"
)


def test_goal_column_groups(tmp_path: Path) -> None:
    """Goal groups are read in numeric order; direction defaults to higher; blank groups vanish."""
    path = write(
        tmp_path, GOAL_HEADER + "7,b,10,12,30%,c,5,4,20%,lower,a,1,1,50%\n8,,,,,x,,,,,a,1,2,1\n"
    )
    first, second = employees(open_roster(path, required_columns=()))
    source = RowSource(str(path), 1, 2)
    assert first.goals == (
        GoalInput("a", "1", "1", "50%", "higher", source, "goal1_"),
        GoalInput("b", "10", "12", "30%", "higher", source, "goal2_"),
        GoalInput("c", "5", "4", "20%", "lower", source, "goal10_"),
    )
    assert [goal.column_prefix for goal in second.goals] == ["goal1_"]
    assert first.cells["goal2_target"] == "10"  # goal columns stay in the cells too


def test_a_pass_reading_some_columns_keeps_only_those_cells_and_every_goal(
    tmp_path: Path,
) -> None:
    """A pass that reads a few columns and the goals (the totals pass of a run) gets rows whose
    cells hold only those columns (and the id), not the goal columns, with the very goals a
    pass reading every column gets: the goals come from their own cells."""
    path = write(
        tmp_path, GOAL_HEADER + "7,b,10,12,30%,c,5,4,20%,lower,a,1,1,50%\n8,,,,,x,,,,,a,1,2,1\n"
    )
    roster = open_roster(path, required_columns=())
    full = employees(roster)
    found = list(roster.part(goals=True, columns=("goal2_name",), ratings=False))
    assert [row.cells for row in found] == [
        {"employee_id": "7", "goal2_name": "b"},
        {"employee_id": "8", "goal2_name": ""},
    ]
    assert [row.goals for row in found] == [row.goals for row in full]  # type: ignore[union-attr]


def test_incomplete_goal_group_is_refused(tmp_path: Path) -> None:
    """A goal group without all of name, target, actual, weight is a header fault."""
    path = write(tmp_path, "employee_id,goal1_name,goal1_target,goal1_weight\n")
    with pytest.raises(InputFileError, match="goal1_actual"):
        open_roster(path, required_columns=())


def test_goal_prefix_is_configurable(tmp_path: Path) -> None:
    """With goal_prefix='kpi', kpi1_* columns are the goals."""
    path = write(tmp_path, "employee_id,kpi1_name,kpi1_target,kpi1_actual,kpi1_weight\n1,a,1,2,1\n")
    [row] = employees(open_roster(path, required_columns=(), goal_prefix="kpi"))
    assert row.goals[0].column_prefix == "kpi1_"


GOALS = (
    "employee_id,goal,target,actual,weight,direction\n"
    "2,sales,100,90,60%,\n"
    "9,lost,1,1,1,\n"
    "2,defects,5,3,40%,lower\n"
    "1,blank,,,,\n"
)


def test_goals_file(tmp_path: Path) -> None:
    """A goals file gives each employee its goals in file order, with the goals row as source."""
    roster_path = write(tmp_path, "employee_id\n1\n2\n")
    goals_path = write(tmp_path, GOALS, name="goals.csv")
    one, two = employees(open_roster(roster_path, required_columns=(), goals_path=goals_path))
    assert one.goals == ()
    goals_file = str(goals_path)
    assert two.goals == (
        GoalInput("sales", "100", "90", "60%", "higher", RowSource(goals_file, 1, 2), ""),
        GoalInput("defects", "5", "3", "40%", "lower", RowSource(goals_file, 3, 4), ""),
    )


def test_orphan_goals(tmp_path: Path) -> None:
    """Goal rows for ids not in the roster are unmatched, rows with no id are rejected: both
    reported, none lost, and the goals file's counts reconcile."""
    roster_path = write(tmp_path, "employee_id\n1\n2\n")
    goals_path = write(tmp_path, GOALS + ",x,1,1,1,\n", name="goals.csv")
    roster = open_roster(roster_path, required_columns=(), goals_path=goals_path)
    (unmatched,) = roster.unmatched()
    reason = "goal for an employee_id that is not in the roster"
    assert unmatched == Unmatched(str(goals_path), 2, 3, "9", reason)
    (no_id,) = roster.orphans()
    assert (no_id.line, no_id.reason) == (6, "employee_id is blank")
    counts = roster.keyed_counts()["goals"]
    assert (counts.read, counts.matched, counts.unmatched, counts.rejected) == (5, 3, 1, 1)


def test_broken_goal_row_rejects_its_employee(tmp_path: Path) -> None:
    """A goals row with a wrong field count rejects its employee rather than dropping a goal."""
    roster_path = write(tmp_path, "employee_id\n1\n2\n")
    goals_path = write(
        tmp_path, "employee_id,goal,target,actual,weight\n1,a,1,1\n2,b,1,1,1\n", name="goals.csv"
    )
    one, two = rows(open_roster(roster_path, required_columns=(), goals_path=goals_path))
    assert isinstance(one, Rejection)
    assert "line 2: record has 4 fields, the header has 5" in one.reason
    assert isinstance(two, EmployeeInput)


def test_goal_columns_and_goals_file_conflict(tmp_path: Path) -> None:
    """Goals given both as roster columns and as a goals file are refused."""
    roster_path = write(tmp_path, GOAL_HEADER)
    goals_path = write(tmp_path, GOALS, name="goals.csv")
    with pytest.raises(OptionsError, match="goals in one place only"):
        open_roster(roster_path, required_columns=(), goals_path=goals_path)


def test_reiteration_gives_identical_results(tmp_path: Path) -> None:
    """Iterating a roster twice re-reads the file and gives equal rows."""
    path = write(tmp_path, GOAL_HEADER + "7,b,10,12,30%,,,,,,a,1,1,50%\n7,,,,,,,,,,,,,\n8,x\n")
    roster = open_roster(path, required_columns=())
    assert rows(roster) == rows(roster)
    assert roster.record_count == 3
    assert roster.sha256 == file_sha256(path)


def test_open_csv_records_are_lazy(tmp_path: Path) -> None:
    """records() is a generator that streams the file; the header is not a record."""
    table = open_csv(write(tmp_path, "a,b\n1,2\n"), required=["a"])
    records = table.records()
    assert iter(records) is records
    assert [list(r.fields) for r in records] == [["1", "2"]]
