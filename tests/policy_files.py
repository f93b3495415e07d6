"""Run one policy file of ``tests/policies`` (a policy written for a construct, with its
hand-computed figures in the test's docstring) on employees given as dicts or as CSV text.

    outs = file_outcomes(POLICY, employees([{"salary": "100000"}]))  # outcome or rejection
    out_dir = file_run(tmp_path, POLICY, "employee_id,...\\n001,...\\n")   # a run folder
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from incentives.cli import cli
from incentives.engine.calculate import PolicyOutcome, calculate
from incentives.jobs import RunRequest, run_job
from incentives.model import EmployeeInput, Rejection
from incentives.rulebook.rulebook import load_rules

__all__ = ["file_cli_run", "file_inputs", "file_outcomes", "file_run", "results_rows"]


def file_outcomes(policy: Path, emps: Sequence[EmployeeInput]) -> list[PolicyOutcome | Rejection]:
    """Each employee's outcome under the one policy of file ``policy``, or its rejection."""
    found: list[PolicyOutcome | Rejection] = []
    for item in calculate(load_rules(policy), emps):
        found.append(item if isinstance(item, Rejection) else item.outcomes[0])
    return found


def file_inputs(
    tmp_path: Path, policy: Path, roster: str, history: str | None = None
) -> tuple[Path, Path, Path | None]:
    """A rules folder holding ``policy``, the roster file and the history file (if given)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(policy, rules / policy.name)
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(roster, encoding="utf-8")
    history_path = None
    if history is not None:
        history_path = tmp_path / "history.csv"
        history_path.write_text(history, encoding="utf-8")
    return rules, roster_path, history_path


def file_run(tmp_path: Path, policy: Path, roster: str, history: str | None = None) -> Path:
    """Run ``policy`` on the roster (and history) CSV text; the run folder."""
    rules, roster_path, history_path = file_inputs(tmp_path, policy, roster, history)
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster_path, history=history_path, out=out))
    return out


def file_cli_run(tmp_path: Path, policy: Path, roster: str) -> tuple[Result, Path]:
    """`incentives run` of ``policy`` on the roster CSV text through click: the result (exit
    code checked to be 0) and the run folder."""
    rules, roster_path, _ = file_inputs(tmp_path, policy, roster)
    out = tmp_path / "out"
    args = ["run", "--rules", str(rules), "--employees", str(roster_path), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result, out


def results_rows(out: Path) -> list[dict[str, str]]:
    """The rows of the run folder's results.csv."""
    with (out / "results.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))
