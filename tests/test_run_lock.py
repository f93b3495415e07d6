"""Two runs into one --out: the second stops at once, touching nothing, while the first writes.

A run holds an exclusive `flock` on ``.NAME.incentives-lock`` beside its folder for its whole
length. Before, a second run took the first one's live ``.NAME.incentives-new`` for what an
interrupted run left, deleted it, and the first run failed with "No such file or directory".
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import EMPLOYEES, RATES, RULES, CliRun
from incentives import OutputError, RunRequest, run_job

Cli = Callable[..., CliRun]


@pytest.fixture
def args(tmp_path: Path) -> Callable[..., tuple[str, ...]]:
    """``args(out, *extra)``: a small run (the bonus policy, the sample roster) into ``out``."""
    data = tmp_path / "data"
    data.mkdir()
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES / "annual_bonus.yaml", rules)
    shutil.copy(EMPLOYEES, data / "employees.csv")
    shutil.copy(RATES, data / "rates.csv")

    def make(out: Path, *extra: str) -> tuple[str, ...]:
        return (
            "run",
            "--rules",
            str(rules),
            "--employees",
            str(data / "employees.csv"),
            "--rates",
            str(data / "rates.csv"),
            "--out",
            str(out),
            *extra,
        )

    return make


def everything(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden too): a file's bytes, None for a folder."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A run writing tmp_path/out: its lock held (pid written in it) and its staging folder
    half written. Yields the out path."""
    lock = tmp_path / ".out.incentives-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242\n")
    staging = tmp_path / ".out.incentives-new"
    staging.mkdir()
    (staging / "results.csv").write_text("half written", encoding="utf-8")
    try:
        yield tmp_path / "out"
    finally:
        os.close(fd)


def test_a_second_run_stops_at_once_and_touches_nothing(
    cli: Cli, args: Callable[..., tuple[str, ...]], held: Path, tmp_path: Path
) -> None:
    before = everything(tmp_path)
    run = cli(*args(held, "--force"))
    assert run.exit_code == 1, run.output
    assert run.exception is None
    assert "Traceback" not in run.output
    assert run.stderr == (
        f"error: another run is writing {held} (pid 4242); wait for it or choose another --out\n"
    )
    assert "removed" not in run.stderr
    assert everything(tmp_path) == before


def test_the_library_raises_an_output_error(held: Path, tmp_path: Path) -> None:
    """`run_job` raises `OutputError` (an IncentivesError), before reading any input."""
    request = RunRequest(
        rules=tmp_path / "no-rules", employees=tmp_path / "no-roster.csv", out=held
    )
    with pytest.raises(OutputError, match="another run is writing"):
        run_job(request)


def test_a_lock_left_by_a_killed_run_does_not_stop_the_next(
    cli: Cli, args: Callable[..., tuple[str, ...]], tmp_path: Path
) -> None:
    """A real process holds the lock and is killed (-9): the OS releases its flock, so the next
    run goes ahead, cleans what it left and says so, and leaves no lock file behind."""
    lock = tmp_path / ".out.incentives-lock"
    staging = tmp_path / ".out.incentives-new"
    staging.mkdir()
    (staging / "results.csv").write_text("half written", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, str(os.getpid()).encode())\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        busy = cli(*args(tmp_path / "out"))
        assert busy.exit_code == 1
        assert f"another run is writing {tmp_path / 'out'} (pid {holder.pid})" in busy.stderr
        assert staging.is_dir()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()
    run = cli(*args(tmp_path / "out"))
    assert run.exit_code == 0, run.output
    assert f"note: removed {staging}: the outputs of an interrupted run" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]


def test_a_run_leaves_no_lock_and_the_next_run_may_follow(
    cli: Cli, args: Callable[..., tuple[str, ...]], tmp_path: Path
) -> None:
    out = tmp_path / "deep" / "er" / "out"
    assert cli(*args(out)).exit_code == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    assert cli(*args(out, "--force")).exit_code == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_a_failed_run_into_new_folders_leaves_none(
    cli: Cli, args: Callable[..., tuple[str, ...]], tmp_path: Path
) -> None:
    """Missing parent folders made for the lock go again when the run fails."""
    out = tmp_path / "new" / "out"
    bad = list(args(out))
    bad[bad.index("--rates") + 1] = str(tmp_path / "no-such-rates.csv")
    run = cli(*bad)
    assert run.exit_code != 0
    assert not (tmp_path / "new").exists()
