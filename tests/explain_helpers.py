"""Run one policy on a small roster through the job API and explain an employee, as a user
does with `incentives run` then `incentives explain` (for the issue-12 construct tests)."""

from __future__ import annotations

from pathlib import Path

from incentives.audit.explain import explain_employee
from incentives.jobs import RunRequest, run_job

__all__ = ["explained"]


def explained(tmp_path: Path, policy: str, roster: str, employee_id: str) -> str:
    """The text `explain` prints for ``employee_id`` after running ``policy`` on ``roster``
    (CSV text with its header)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(policy, encoding="utf-8")
    employees = tmp_path / "employees.csv"
    employees.write_text(roster, encoding="utf-8")
    run_job(RunRequest(rules=rules, employees=employees, out=tmp_path / "out"))
    return explain_employee(tmp_path / "out", employee_id).text()
