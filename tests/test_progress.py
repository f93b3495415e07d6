"""Progress of a long run: reported while it computes, on one core and on two, never past the
total, and once at the end (the CLI draws its bar on stderr from these reports)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import FIXTURES, RULES
from incentives.jobs import RunRequest, run_job


def _big_roster(tmp_path: Path, rows: int) -> Path:
    with (FIXTURES / "employees.csv").open(encoding="utf-8", newline="") as f:
        header, *sample = list(csv.reader(f))
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for i in range(rows):
            row = list(sample[i % len(sample)])
            row[0] = f"{i:06d}"
            writer.writerow(row)
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_up_to_the_total(tmp_path: Path, workers: int) -> None:
    """21,000 employees: reports come as (done, 21000), done never decreases nor passes the
    total, at least one comes before the end, and the last is (21000, 21000)."""
    roster = _big_roster(tmp_path, 21_000)
    reports: list[tuple[int, int]] = []
    request = RunRequest(
        rules=RULES,
        employees=roster,
        rates=FIXTURES / "rates.csv",
        out=tmp_path / f"out{workers}",
        workers=workers,
    )
    run_job(request, lambda done, total: reports.append((done, total)))
    assert reports[-1] == (21_000, 21_000)
    assert any(done < 21_000 for done, _ in reports)
    dones = [done for done, _ in reports]
    assert dones == sorted(dones)
    assert all(total == 21_000 and 0 <= done <= total for done, total in reports)
