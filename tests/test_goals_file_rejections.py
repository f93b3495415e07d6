"""A bad figure in a goals file is reported against the goals file: its file, record, line and
its own column, not the roster row's; a bad roster-column goal still names the roster."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import FIXTURES, RATES, RULES, invoke

GOALS = FIXTURES / "goals.csv"
ROSTER_WITH_GOALS_FILE = FIXTURES / "employees_goalsfile.csv"


def _rejected(out: Path) -> list[dict[str, str]]:
    with (out / "rejected.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _replace_cell(text: str, record: int, column: str, value: str) -> str:
    """`text` (a CSV) with one cell of data record `record` (1 = first) replaced."""
    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    fields = lines[record].rstrip("\r\n").split(",")
    fields[header.index(column)] = value
    lines[record] = ",".join(fields) + "\n"
    return "".join(lines)


def _run_goals_file(tmp_path: Path, goals_text: str) -> tuple[Path, Path]:
    goals = tmp_path / "goals.csv"
    goals.write_text(goals_text, encoding="utf-8")
    out = tmp_path / "out"
    run = invoke(
        "run", "--rules", RULES, "--employees", ROSTER_WITH_GOALS_FILE,
        "--goals", goals, "--rates", RATES, "--out", out,
    )  # fmt: skip
    assert run.exit_code == 3, run.output
    return goals, out


def test_bad_goals_file_actual_names_the_goals_file_row(tmp_path: Path) -> None:
    """An actual of '12O' on the goals file's 2nd record (line 3) is rejected naming that file,
    record, line and its `actual` column, the value, the employee and the goal."""
    text = _replace_cell(GOALS.read_text(encoding="utf-8"), 2, "actual", "12O")
    employee, goal = text.splitlines()[2].split(",")[:2]
    goals, out = _run_goals_file(tmp_path, text)
    [row] = _rejected(out)
    assert (row["file"], row["record"], row["line"]) == (str(goals), "2", "3")
    assert (row["employee_id"], row["column"], row["value"]) == (employee, "actual", "12O")
    assert f"employee {employee}" in row["reason"]
    assert f"goal '{goal}'" in row["reason"]
    assert "actual '12O' is not a number" in row["reason"]


def test_empty_goals_file_weight_names_the_goals_file_row(tmp_path: Path) -> None:
    """An empty weight on the goals file's 4th record (line 5) names that row and `weight`."""
    text = _replace_cell(GOALS.read_text(encoding="utf-8"), 4, "weight", "")
    employee, goal = text.splitlines()[4].split(",")[:2]
    goals, out = _run_goals_file(tmp_path, text)
    [row] = _rejected(out)
    assert (row["file"], row["record"], row["line"]) == (str(goals), "4", "5")
    assert (row["employee_id"], row["column"], row["value"]) == (employee, "weight", "")
    assert f"goal '{goal}' has no weight" in row["reason"]
    assert f"employee {employee}" in row["reason"]


def test_rejected_goal_row_stays_matched_in_the_goals_counts(tmp_path: Path) -> None:
    """The goal row is matched to its employee (the employee is the one rejected): the goals
    file's counts are unchanged and reconcile, the employees' counts count the rejection."""
    text = _replace_cell(GOALS.read_text(encoding="utf-8"), 2, "actual", "12O")
    _, out = _run_goals_file(tmp_path, text)
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    rows = len(text.splitlines()) - 1
    assert counts["keyed_files"]["goals"] == {
        "read": rows, "matched": rows, "unmatched": 0, "rejected": 0, "reconciles": True,
    }  # fmt: skip
    assert counts["rejected"] == 1 and counts["reconciles"] is True


def test_bad_roster_column_goal_still_names_the_roster(tmp_path: Path) -> None:
    """A bad `goal1_actual` in the roster is reported on the roster's row, column goal1_actual."""
    roster_text = (FIXTURES / "employees.csv").read_text(encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text(_replace_cell(roster_text, 1, "goal1_actual", "12O"), encoding="utf-8")
    out = tmp_path / "out"
    run = invoke(
        "run", "--rules", RULES, "--employees", roster, "--rates", RATES, "--out", out,
    )  # fmt: skip
    assert run.exit_code == 3, run.output
    [row] = _rejected(out)
    assert (row["file"], row["record"], row["line"]) == (str(roster), "1", "2")
    assert (row["column"], row["value"]) == ("goal1_actual", "12O")
    assert "goal 'Revenue': actual '12O' is not a number" in row["reason"]
    assert "employee" not in row["reason"]
