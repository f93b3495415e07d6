"""Group totals in the `incentives run` job: the fast first pass and the redo it may need.

The job's first pass evaluates only what a group total reads. When the second pass rejects a
row that the first pass had counted, the job redoes the run without that row, so a total is
always over the employees actually computed; on one core or two, the outputs are the same.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import employee_files
from engine_helpers import REJECTED_IN_GROUP
from incentives.jobs import RunRequest, run_job

POLICY = REJECTED_IN_GROUP


def _run(tmp_path: Path, rows: list[tuple[str, str, str]], workers: int) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "policy.yaml").write_text(POLICY, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["employee_id", "plan", "currency", "salary", "divisor"])
        for employee_id, salary, divisor in rows:
            writer.writerow([employee_id, "AIP", "USD", salary, divisor])
    out = tmp_path / f"out{workers}"
    run_job(RunRequest(rules=rules, employees=roster, out=out, workers=workers))
    return out


def _pay(out: Path) -> dict[str, Decimal]:
    with (out / "results.csv").open(encoding="utf-8") as f:
        return {row["employee_id"]: Decimal(row["annual_bonus"]) for row in csv.DictReader(f)}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_row_rejected_after_the_first_pass_is_left_out_of_the_total(
    tmp_path: Path, workers: int
) -> None:
    """Targets 100 (salary 1,000) and 300 (salary 3,000); the second row fails `1 / 0` in a step
    the total does not read. The total is 100 (not 400), so the first row's share is 1 and its
    bonus 1,000 × 1 × 1 = 1,000.00; the second row is in rejected.csv."""
    out = _run(tmp_path, [("1", "1000", "1"), ("2", "3000", "0")], workers)
    assert _pay(out) == {"1": Decimal("1000.00")}
    rejected = (out / "rejected.csv").read_text(encoding="utf-8")
    assert "division by zero" in rejected
    assert '"total": {\n' in (out / "manifest.json").read_text(encoding="utf-8")


def test_one_core_and_two_give_the_same_bytes(tmp_path: Path) -> None:
    """60 rows, every seventh rejected in a step the total does not read: both ways of running
    write byte-identical per-employee files (results, inputs, breakdown, rejected…), and the 51 computed shares of
    the total add up to 1 (so their bonuses to 1,000)."""
    rows = [(f"{i:03d}", str(1000 + i), "0" if i % 7 == 0 else "1") for i in range(60)]
    one = _run(tmp_path, rows, 1)
    two = _run(tmp_path, rows, 2)
    assert employee_files(one) == employee_files(two)
    for name in employee_files(one):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    pay = _pay(one)
    assert len(pay) == 51  # 60 rows less the 9 with i % 7 == 0
    # the computed employees' shares sum to 1, so their bonuses sum to 1,000 up to rounding
    # (51 amounts, each within half a cent)
    assert abs(sum(pay.values()) - 1000) <= Decimal("0.255")


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_never_goes_back_when_the_run_is_redone(tmp_path: Path, workers: int) -> None:
    """60 rows, every seventh rejected after the fast first pass counted it: the run is redone
    without them, and its progress (a report every 10 employees) still only goes forward, to
    (60, 60) at the end; a progress bar drawn from it never jumps back."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "policy.yaml").write_text(POLICY, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["employee_id", "plan", "currency", "salary", "divisor"])
        for i in range(60):
            writer.writerow([f"{i:03d}", "AIP", "USD", str(1000 + i), "0" if i % 7 == 0 else "1"])
    reports: list[tuple[int, int]] = []
    request = RunRequest(
        rules=rules, employees=roster, out=tmp_path / "out", workers=workers, progress_every=10
    )
    report = run_job(request, lambda done, total: reports.append((done, total)))
    assert report.summary.rejected == 9  # the redo happened: these were counted at first
    dones = [done for done, _ in reports]
    assert dones == sorted(dones), dones
    assert reports[-1] == (60, 60)
    assert all(total == 60 for _, total in reports)
