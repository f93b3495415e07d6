"""Progress of a long run: reported while it computes, on one core and on two, never past the
total, and once at the end (the CLI draws its bar on stderr from these reports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, RULES, repeated_sample
from incentives import jobs
from incentives.jobs import RunRequest, run_job
from incentives.parallel import can_fork, run_parallel


def _big_roster(tmp_path: Path, rows: int) -> Path:
    return repeated_sample(tmp_path / "big.csv", rows)


# Small, with a small interval: the reports of 21,000 rows at the default 10,000. On two cores,
# large enough that the second pass outlasts the parent's first poll (0.25 s) with room to
# spare; one core reports every interval as it goes, so a tenth of it shows the same.
ROWS = {1: 300, 2: 3_000}


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_up_to_the_total(tmp_path: Path, workers: int) -> None:
    """3,000 employees on two cores (300 on one), a report every 100: reports come as (done,
    total), done never decreases nor passes the total, at least one comes before the end, and
    the last is (total, total)."""
    rows = ROWS[workers]
    roster = _big_roster(tmp_path, rows)
    reports: list[tuple[int, int]] = []
    request = RunRequest(
        rules=RULES,
        employees=roster,
        rates=FIXTURES / "rates.csv",
        out=tmp_path / f"out{workers}",
        workers=workers,
        progress_every=100,
    )
    run_job(request, lambda done, total: reports.append((done, total)))
    assert reports[-1] == (rows, rows)
    assert any(done < rows for done, _ in reports)
    dones = [done for done, _ in reports]
    assert dones == sorted(dones)
    assert all(total == rows and 0 <= done <= total for done, total in reports)


def test_one_core_reports_every_interval(tmp_path: Path) -> None:
    """On one core the reports are exactly every ``progress_every`` employees, then the end."""
    roster = _big_roster(tmp_path, 250)
    reports: list[tuple[int, int]] = []
    request = RunRequest(
        rules=RULES,
        employees=roster,
        rates=FIXTURES / "rates.csv",
        out=tmp_path / "out",
        workers=1,
        progress_every=100,
    )
    run_job(request, lambda done, total: reports.append((done, total)))
    assert reports == [(100, 250), (200, 250), (250, 250)]


def test_large_rosters_go_to_both_cores_with_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With workers left unset, a roster of at least ``parallel_from`` records is computed on
    both cores (its progress comes from the parent's poll, not every 100 rows) and writes the
    same bytes as one core."""
    if not can_fork() or (os.cpu_count() or 1) < 2:
        pytest.skip("no fork or a single core: always one core")
    roster = _big_roster(tmp_path, 300)
    workers_used: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        workers_used.append(kwargs["workers"])
        return run_parallel(*args, **kwargs)

    monkeypatch.setattr(jobs, "run_parallel", spy)
    common = dict(rules=RULES, employees=roster, rates=FIXTURES / "rates.csv", progress_every=100)
    one_reports: list[int] = []
    one = run_job(
        RunRequest(out=tmp_path / "one", parallel_from=301, **common),  # type: ignore[arg-type]
        lambda done, _total: one_reports.append(done),
    )
    both = run_job(
        RunRequest(out=tmp_path / "both", parallel_from=300, **common),  # type: ignore[arg-type]
        lambda done, _total: None,
    )
    assert workers_used == [2]  # only the second run, at the threshold, forked
    assert one_reports == [100, 200, 300, 300]  # one core: the interval, then the end
    assert one.files == both.files
    for name in one.files:
        one_bytes = (tmp_path / "one" / name).read_bytes()
        assert one_bytes == (tmp_path / "both" / name).read_bytes(), name
