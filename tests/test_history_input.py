"""The history file (``--history``) end to end: validation per employee, the run-level column
check, the segments column of breakdown.csv and the segments in ``explain``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun, breakdown_rows
from engine_helpers import policy_yaml

POLICY = policy_yaml(
    """
    tables:
      target_pct:
        axes:
          - {name: level, match: exact, at: [1, 2, 3]}
        values: [5%, 10%, 15%]
    steps:
      target:
        formula: base_salary * target_pct(level)
        type: money
        segments: weighted
      bonus: {formula: target, type: money, round: {step: 0.01, mode: half_up}}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    base_salary: {type: decimal, min: 0}
    level: {type: integer}
    """,
)

# The roster holds current values (E1 earns 12,000 since April); the history gives the earlier
# ones: E1's opening row says 10,000 from before the period.
ROSTER = """\
employee_id,plan,currency,base_salary,level
E1,AIP,USD,12000,2
E2,AIP,USD,10000,2
"""
RAISE = "employee_id,effective_date,base_salary\nE1,2025-12-01,10000\nE1,2026-04-01,12000\n"

Run = Callable[..., CliRun]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bonus.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "employees.csv").write_text(ROSTER, encoding="utf-8")
    return tmp_path


def run_with(cli: Run, folder: Path, history: str) -> CliRun:
    (folder / "history.csv").write_text(history, encoding="utf-8")
    return cli(
        "run",
        "--rules",
        folder / "rules",
        "--employees",
        folder / "employees.csv",
        "--history",
        folder / "history.csv",
        "--out",
        folder / "out",
    )


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "out" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rejected(folder: Path) -> dict[str, str]:
    return {row["employee_id"]: row["reason"] for row in rows(folder, "rejected.csv")}


def test_breakdown_shows_the_segments_in_one_column(cli: Run, files: Path) -> None:
    """E1's salary 10,000 becomes 12,000 on 1 April, target 10 %: the segments cell reads
    2026-01-01..2026-03-31 90d 24.6575% 1000.00 | 2026-04-01..2026-12-31 275d 75.3425% 1200.00
    (weights 90/365 and 275/365 at 6 decimals); the bonus is 420,000 ÷ 365 = 1,150.68.
    E2 has no history: no segments, 1,000.00."""
    result = run_with(cli, files, RAISE)
    assert result.exit_code == 0, result.output
    breakdown = {row["employee_id"]: row for row in breakdown_rows(files / "out")}
    assert breakdown["E1"]["target.segments"] == (
        "2026-01-01..2026-03-31 90d 24.6575% 1000.00 (base_salary=10000) | "
        "2026-04-01..2026-12-31 275d 75.3425% 1200.00 (base_salary=12000)"
    )
    assert breakdown["E1"]["bonus"] == "1150.68"
    assert breakdown["E2"]["target.segments"] == ""
    assert breakdown["E2"]["bonus"] == "1000.00"


def test_explain_lists_segments_and_the_weighted_sum(cli: Run, files: Path) -> None:
    """``explain`` shows each segment with its dates, days, weight, value and the inputs the
    history changed, then (1,000.00 × 90 + 1,200.00 × 275) ÷ 365 = 1,150.68…"""
    assert run_with(cli, files, RAISE)
    shown = cli("explain", "E1", "--run", files / "out")
    assert shown.exit_code == 0, shown.output
    assert (
        "2026-04-01 to 2026-12-31: 275 days, weight 75.3425%, target = 1,200.00 with "
        "base_salary=12000" in shown.stdout
    )
    assert (
        "2026-01-01 to 2026-03-31: 90 days, weight 24.6575%, target = 1,000.00 with "
        "base_salary=10000" in shown.stdout
    )
    assert "= (1,000.00 × 90 + 1,200.00 × 275) ÷ 365 = 1,150.68" in shown.stdout
    assert "WARNING" not in shown.stdout
    data = json.loads(cli("explain", "E1", "--run", files / "out", "--format", "json").stdout)
    step = next(s for s in data["policies"][0]["steps"] if s["name"] == "target")
    assert [s["days"] for s in step["segments"]] == [90, 275]


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        (
            "E1,2026-06-01,12000\nE1,2026-04-01,11000\n",
            "history dates out of order: 2026-04-01 (line 3) comes after 2026-06-01 (line 2)",
        ),
        (
            "E1,2026-04-01,12000\nE1,2026-04-01,11000\n",
            "two history rows dated 2026-04-01 (lines 2 and 3)",
        ),
        (
            "E1,2027-02-01,12000\n",
            "history row dated 2027-02-01 is after the performance period, which ends 2026-12-31",
        ),
        ("E1,01/04/2026,12000\n", "line 2: '01/04/2026' is not an ISO date"),
        ("E1,2026-04-01,12k\n", "line 2, column base_salary: '12k' is not a number"),
        (
            "E1,2025-12-01,10000\nE1,2026-04-01,11000\n",
            "line 3: base_salary 11000 is the last value the history gives, but the roster has "
            "12000",
        ),
    ],
)
def test_bad_history_rejects_the_employee(cli: Run, files: Path, history: str, reason: str) -> None:
    """Each fault of an employee's history rejects that employee (only) with a precise reason
    naming the history file and its lines; E2 is computed as usual."""
    result = run_with(cli, files, "employee_id,effective_date,base_salary\n" + history)
    assert result.exit_code == 3, result.output  # done, with rejected rows
    found = rejected(files)
    assert set(found) == {"E1"}
    assert found["E1"].startswith(str(files / "history.csv") + ": ")
    assert reason in found["E1"]
    assert [row["employee_id"] for row in rows(files, "results.csv")] == ["E2"]


def test_history_column_that_is_no_input_stops_the_run(cli: Run, files: Path) -> None:
    """A history column no policy reads (``salary`` for ``base_salary``) is a file error: exit
    1, the column named with a suggestion, and no outputs written."""
    result = run_with(cli, files, "employee_id,effective_date,salary\nE1,2026-04-01,12000\n")
    assert result.exit_code == 1
    assert "'salary' (did you mean 'base_salary'?)" in result.stderr
    assert "is not an input of any policy" in result.stderr
    assert not (files / "out").exists() or not any((files / "out").iterdir())


def test_history_for_an_unknown_employee_is_unmatched(cli: Run, files: Path) -> None:
    """A history row for an employee_id that is not in the roster ends in unmatched.csv with its
    line and a warning, not a rejection (exit 0); the roster's employees are computed (E1's
    raise still applies)."""
    history = RAISE.replace("base_salary\n", "base_salary\nE9,2026-04-01,12000\n", 1)
    result = run_with(cli, files, history)
    assert result.exit_code == 0, result.output
    assert rows(files, "rejected.csv") == []
    (orphan,) = rows(files, "unmatched.csv")
    assert orphan["employee_id"] == "E9" and orphan["line"] == "2"
    assert "history row for an employee_id that is not in the roster" in orphan["why"]
    assert "warning: 1 row(s) of the history file for employees not in the roster" in (
        result.stderr
    )
    assert {r["employee_id"]: r["annual_bonus"] for r in rows(files, "results.csv")} == {
        "E1": "1150.68",
        "E2": "1000.00",
    }
