"""A `kill -9` at any moment of `incentives run` never leaves a mix in the run folder.

A real subprocess runs a generated roster (about a second of work) over a folder holding
a smaller previous run, and is killed at many points between 0.1 s and the end of a whole run.
After each kill the folder is the complete previous run, the complete new run, or absent with
the previous run moved aside beside it; the next run restores or cleans what was left, says
so, and ends with a complete run and nothing beside it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, invoke

BENCH = ROOT / "bench"
MARKER = ".incentives-output"
# about 1 s of `incentives run` on a quiet machine (up to 2 s loaded): about half of it start-up
# (interpreter, imports, compiling the policy), then reading, computing, writing and the swap
NEW_ROWS = 4_000
OLD_ROWS = 200
KILLS = 12  # moments, spread from 0.1 s to the end of a whole run (as long as one took here)


def kill_moments(whole: float) -> list[float]:
    """``KILLS`` moments from 0.1 s to a little past ``whole`` (a whole run's seconds, at most
    2 s): kills after the run ended would only wait, the end of the run (the swap) is covered."""
    last = min(max(whole * 1.1, 0.5), 2.0)
    return [round(0.1 + k * (last - 0.1) / (KILLS - 1), 3) for k in range(KILLS)]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def complete_run(folder: Path) -> int:
    """Check ``folder`` is one whole run: exactly the files its marker lists, each CSV whole
    (one row per employee, as its manifest counts them). Returns the employees it holds."""
    listed = (folder / MARKER).read_text(encoding="utf-8").splitlines()
    found = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    assert sorted(found) == sorted([*listed, MARKER])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    read = manifest["counts"]["read"]
    assert manifest["inputs"]["employees"]["records"] == read
    results = read_rows(folder / "results.csv")
    assert len(results) - 1 == manifest["counts"]["computed"]
    for name in (*manifest["files"]["breakdown"].values(), "inputs.csv"):  # one policy here
        assert len(read_rows(folder / name)) == len(results), name
    assert len(read_rows(folder / "rejected.csv")) - 1 == manifest["counts"]["rejected"]
    assert all(len(row) == len(results[0]) for row in results)
    return int(read)


def test_kill_9_at_any_moment_leaves_a_whole_run(tmp_path: Path) -> None:
    """Killed at 12 points from 0.1 s to the end of a whole run, the folder is always one whole run (the previous
    or the new one) or absent with the previous run beside it; the next run restores or
    cleans and reports. A run to the end gives the new run and nothing beside it."""
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), str(NEW_ROWS), str(data / "new.csv")],
        check=True,
        capture_output=True,
    )
    with (data / "new.csv").open(encoding="utf-8") as big, (data / "old.csv").open(
        "w", encoding="utf-8"
    ) as small:
        small.writelines(line for _, line in zip(range(OLD_ROWS + 1), big, strict=False))
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(BENCH / "rules" / "bench_bonus.yaml", rules)
    base = ["run", "--rules", str(rules), "--rates", str(BENCH / "rates.csv")]
    runs = tmp_path / "runs"
    runs.mkdir()
    out = runs / "out"
    aside = runs / ".out.incentives-old"
    staging = runs / ".out.incentives-new"
    lock = runs / ".out.incentives-lock"

    command = [sys.executable, "-m", "incentives", *base, "--employees", str(data / "new.csv")]
    started = time.monotonic()
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)  # to the end
    whole = time.monotonic() - started
    print(f"a whole run took {whole:.2f} s")
    assert complete_run(out) == NEW_ROWS
    assert sorted(p.name for p in runs.iterdir()) == ["out"]
    names = ("results.csv", "inputs.csv", "breakdown/bench-bonus-2026.csv", "rejected.csv")
    reference = {name: (out / name).read_bytes() for name in names}

    def previous_run() -> str:
        """Put the small previous run in place (restoring or cleaning first); its stderr."""
        done = invoke(*base, "--employees", data / "old.csv", "--out", out, "--force")
        assert done.exit_code == 0, done.output
        assert complete_run(out) == OLD_ROWS
        assert sorted(p.name for p in runs.iterdir()) == ["out"]
        return done.stderr

    previous_run()
    seen: dict[str, int] = {}
    for delay in kill_moments(whole):
        process = subprocess.Popen(
            [*command, "--out", str(out), "--force"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the kill reaches any worker too
        )
        try:  # the kill at ``delay``, unless the run ended before (then nothing to wait for)
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        # the lock file of the killed run may stay (the OS released its lock); the next run
        # takes it and removes it (previous_run() checks that nothing is left beside `out`)
        beside = sorted(p.name for p in runs.iterdir() if p.name not in ("out", lock.name))
        if out.exists():
            held = complete_run(out)
            assert held in (OLD_ROWS, NEW_ROWS), held
            if held == NEW_ROWS:
                state = "new run"
                assert beside in ([], [aside.name]), beside
                assert {name: (out / name).read_bytes() for name in names} == reference
            else:
                state = "previous run"
                assert beside in ([], [staging.name]), beside
        else:
            state = "moved aside"
            assert complete_run(aside) == OLD_ROWS
            assert beside in ([aside.name], [aside.name, staging.name]), beside
        seen[state] = seen.get(state, 0) + 1
        notes = previous_run()  # the next run restores or cleans, and says what it did
        if state == "moved aside":
            assert f"note: restored the previous run to {out}" in notes
        if aside.name in beside and state == "new run":
            assert f"note: removed {aside}" in notes
        if staging.name in beside:
            assert f"note: removed {staging}: the outputs of an interrupted run" in notes
        if not beside:
            assert "note:" not in notes
    print(seen)
    assert seen.get("previous run", 0) >= 3, seen  # most kills land while computing


# The run is killed (SIGKILL, by itself) at an exact moment of putting the folder in place:
# before the previous run is moved aside, between the two renames, or while the previous run
# is being deleted. (A real kill; the hooks only choose the moment.)
_KILL_SCRIPT = """
import os, shutil, signal, sys
from incentives.io import run_dir
moment = sys.argv.pop(1)
real_rename, real_rmtree = os.rename, shutil.rmtree
renames = 0

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def rename(source, target):
    global renames
    renames += 1
    if moment == "before the first rename" and renames == 1:
        die()
    if moment == "between the renames" and renames == 2:
        die()
    real_rename(source, target)

def rmtree(path, *args, **kwargs):
    if moment == "while deleting the previous run" and str(path).endswith(".incentives-old"):
        os.unlink(os.path.join(path, "results.csv"))
        die()
    real_rmtree(path, *args, **kwargs)

run_dir.os.rename = rename
run_dir.shutil.rmtree = rmtree
from incentives.cli import main
sys.argv[0] = "incentives"
main()
"""


@pytest.mark.parametrize(
    ("moment", "left"),
    [
        ("before the first rename", "previous run"),
        ("between the renames", "moved aside"),
        ("while deleting the previous run", "new run"),
    ],
)
def test_kill_9_while_putting_the_run_in_place(tmp_path: Path, moment: str, left: str) -> None:
    """Killed at each step of the swap, the folder is a whole run or absent with the whole
    previous run beside it, never a mix; the next run restores or cleans and says so."""
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "rules" / "annual_bonus.yaml", rules)
    base = ["run", "--rules", str(rules), "--rates", str(ROOT / "fixtures" / "rates.csv")]
    old = tmp_path / "old.csv"
    with (ROOT / "fixtures" / "employees.csv").open(encoding="utf-8") as full:
        old.write_text("".join(line for _, line in zip(range(11), full, strict=False)))
    runs = tmp_path / "runs"
    out = runs / "out"
    done = invoke(*base, "--employees", old, "--out", out)
    assert done.exit_code == 0, done.output
    assert complete_run(out) == 10
    args = [*base, "--employees", str(ROOT / "fixtures" / "employees.csv"), "--out", str(out)]
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, moment, *args, "--force"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    aside = runs / ".out.incentives-old"
    staging = runs / ".out.incentives-new"
    if left == "previous run":
        assert complete_run(out) == 10
        assert complete_run(staging) == 52  # the whole new run, never put in place
    elif left == "moved aside":
        assert not out.exists()
        assert complete_run(aside) == 10
        assert complete_run(staging) == 52
    else:
        assert complete_run(out) == 52
        assert aside.is_dir()
    again = invoke(*args)  # without --force: recovery first, then the folder's own check
    assert again.exit_code == 1
    assert "holds an earlier run; use --force" in again.stderr
    assert sorted(p.name for p in runs.iterdir()) == ["out"]
    if left == "moved aside":
        assert f"note: restored the previous run to {out}" in again.stderr
        assert complete_run(out) == 10
    elif left == "new run":
        assert f"note: removed {aside}" in again.stderr
        assert complete_run(out) == 52
    else:
        assert f"note: removed {staging}: the outputs of an interrupted run" in again.stderr
        assert complete_run(out) == 10
