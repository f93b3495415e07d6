"""The large sheets written by a second process (`reports.sheet_worker`, used for large runs):
the same workbook, byte for byte, and the same errors as in one process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun
from incentives.errors import OptionsError
from incentives.reports import zip_entries
from incentives.reports.workbook import ReportRequest, write_report


def _report(run: Path, out: Path, *, worker: bool, max_rows: int = 40) -> bytes:
    write_report(ReportRequest(run, out, by=("unit", "rating"), max_rows=max_rows, worker=worker))
    return out.read_bytes()


def test_the_worker_writes_the_same_workbook_byte_for_byte(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """The sample run's workbook, its sheets split in parts of 39 rows (so that the worker
    writes several parts a sheet), is the same bytes with or without the worker, and so is
    its by-group CSV."""
    assert sample_run.out is not None
    alone, helped = tmp_path / "alone", tmp_path / "helped"
    alone.mkdir()
    helped.mkdir()
    one = _report(sample_run.out, alone / "report.xlsx", worker=False)
    two = _report(sample_run.out, helped / "report.xlsx", worker=True)
    assert one == two
    by_group = "report.by_group.csv"
    assert (alone / by_group).read_bytes() == (helped / by_group).read_bytes()


def test_a_zipfile_without_the_internals_copied_into_gets_the_same_workbook(
    sample_run: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's deflated parts are copied into the package through fields of `zipfile`'s
    entry writer that are not public API; a Python whose writer lacks them (a later version)
    has each part inflated and written through `zipfile` instead: the same bytes, slower."""
    assert sample_run.out is not None
    fast, plain = tmp_path / "fast", tmp_path / "plain"
    fast.mkdir()
    plain.mkdir()
    one = _report(sample_run.out, fast / "report.xlsx", worker=True)
    monkeypatch.setattr(zip_entries, "WRITER_FIELDS", ("_a_field_no_zipfile_has",))
    copied = []
    monkeypatch.setattr(zip_entries, "_inflated_into", _counting(zip_entries._inflated_into, copied))
    assert _report(sample_run.out, plain / "report.xlsx", worker=True) == one
    assert copied  # the parts did go the slower way


def _counting(function: Callable[..., None], calls: list[object]) -> Callable[..., None]:
    def counted(*args: object) -> None:
        calls.append(args)
        function(*args)

    return counted


def test_a_damaged_breakdown_is_the_same_error_with_the_worker(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """A breakdown file missing its last row is refused with the one-process message, and no
    workbook is left behind."""
    assert sample_run.out is not None
    run = tmp_path / "run"
    shutil.copytree(sample_run.out, run)
    breakdown = sorted((run / "breakdown").glob("*.csv"))[0]
    lines = breakdown.read_text(encoding="utf-8").splitlines(keepends=True)
    breakdown.write_text("".join(lines[:-1]), encoding="utf-8")
    messages = []
    for worker in (False, True):
        out = tmp_path / f"out-{worker}"
        out.mkdir()
        with pytest.raises(OptionsError) as raised:
            _report(run, out / "report.xlsx", worker=worker, max_rows=1_048_576)
        messages.append(str(raised.value))
        assert list(out.iterdir()) == []
    assert messages[0] == messages[1]
    assert "does not match results.csv" in messages[0]
