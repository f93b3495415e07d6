"""Never a partial output file: a command writing single files (payroll's export and its control
file, the report's workbook and its by-group CSV, `write_json`) that fails part-way through
leaves the previous files byte for byte as they were and no temporary file behind."""

from __future__ import annotations

import contextlib
import errno
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from conftest import CliRun, invoke
from incentives.errors import IncentivesError
from incentives.io import atomic
from incentives.io.atomic import atomic_write
from incentives.io.writers import write_json
from incentives.payroll import control_path, export
from incentives.reports.workbook import ReportRequest, by_group_path, write_report


class _Failing:
    """A stream that writes ``budget`` bytes (or characters) through, then fails: a full disk."""

    def __init__(self, stream: IO[Any], budget: int) -> None:
        self._stream = stream
        self._budget = budget

    def write(self, data: Any) -> int:
        if len(data) > self._budget:
            self._stream.write(data[: self._budget])
            self._stream.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        self._budget -= len(data)
        return int(self._stream.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _failing_helper(fail_on: int, budget: int) -> Callable[..., Any]:
    """`atomic_write` whose ``fail_on``-th file (0-based) fails after ``budget`` bytes."""
    calls = [0]

    @contextlib.contextmanager
    def wrapped(path: Path, mode: str = "wb") -> Iterator[Any]:
        number = calls[0]
        calls[0] += 1
        with atomic_write(path, mode) as stream:  # type: ignore[call-overload]
            yield _Failing(stream, budget) if number == fail_on else stream

    return wrapped


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_helper_replaces_only_on_success(tmp_path: Path) -> None:
    """A failed write leaves the old bytes and no temporary; a clean one replaces them."""
    path = tmp_path / "out.txt"
    path.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_write(path, "w") as stream:
        stream.write("new, half")
        raise RuntimeError("the serializer failed")
    assert _snapshot(tmp_path) == {"out.txt": b"old\n"}
    with atomic_write(path, "w") as stream:
        stream.write("new\n")
    assert _snapshot(tmp_path) == {"out.txt": b"new\n"}


def test_write_json_failing_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.json"
    write_json(path, {"a": 1})
    before = _snapshot(tmp_path)
    monkeypatch.setattr("incentives.io.writers.atomic_write", _failing_helper(0, 3))
    with pytest.raises(OSError):
        write_json(path, {"a": 2, "b": "x" * 100})
    assert _snapshot(tmp_path) == before


def _payroll(run: Path, folder: Path) -> tuple[list[Path], Callable[[], object]]:
    out = folder / "pay.csv"
    return [out, control_path(out)], lambda: export(run, "generic", out, force=True)


def _report(run: Path, folder: Path) -> tuple[list[Path], Callable[[], object]]:
    out = folder / "report.xlsx"
    return [out, by_group_path(out)], lambda: write_report(ReportRequest(run, out, force=True))


@pytest.mark.parametrize(
    ("module", "files", "fail_on"),
    [
        ("incentives.payroll.export", _payroll, 0),
        ("incentives.payroll.export", _payroll, 1),
        ("incentives.reports.workbook", _report, 0),
        ("incentives.reports.workbook", _report, 1),
    ],
    ids=["payroll control file", "payroll export file", "report by-group CSV", "report workbook"],
)
def test_a_command_failing_part_way_leaves_the_previous_files(
    sample_run: CliRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    files: Callable[[Path, Path], tuple[list[Path], Callable[[], object]]],
    fail_on: int,
) -> None:
    """The previous files (made up here, so that any rewrite shows) stay as they were when
    the ``fail_on``-th file the command writes (in the order it writes them) fails part-way."""
    assert sample_run.out is not None
    previous, write = files(sample_run.out, tmp_path)
    for path in previous:
        path.write_bytes(f"the previous {path.name}\n".encode())
    before = _snapshot(tmp_path)
    helper = _failing_helper(fail_on, 50)
    monkeypatch.setattr(importlib.import_module(module), "atomic_write", helper)
    with pytest.raises(IncentivesError, match="No space left"):
        write()
    assert _snapshot(tmp_path) == before


def test_the_temporary_sits_beside_the_target() -> None:
    assert atomic.partial_path(Path("a/b.csv")) == Path("a/.b.csv.partial")


def test_the_command_line_says_what_failed_and_keeps_the_files(
    sample_run: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`incentives payroll` and `incentives report` failing on a full disk: exit 1, one line
    naming the file and the reason (no traceback), the previous files as they were."""
    assert sample_run.out is not None
    for module, command, out in (
        ("incentives.payroll.export", ("payroll", "--layout", "generic"), tmp_path / "pay.csv"),
        ("incentives.reports.workbook", ("report",), tmp_path / "report.xlsx"),
    ):
        out.write_bytes(b"the previous file\n")
        before = _snapshot(tmp_path)
        helper = _failing_helper(0, 50)
        monkeypatch.setattr(importlib.import_module(module), "atomic_write", helper)
        done = invoke(*command, "--run", sample_run.out, "--out", out, "--force")
        assert done.exit_code == 1, done.output
        assert done.exception is None
        assert done.stderr.startswith(f"error: cannot write {out}: No space left on device")
        assert _snapshot(tmp_path) == before
