"""`incentives run` and its folder: it never destroys an input, and the folder is never a mix.

Input protection: an --out that is, contains or lies inside an input or the rules is refused
with exit 2 before anything is read. --force replaces only a run folder (marker file present)
holding nothing else. After an interrupted run, the next run restores or cleans and says so.
Write failures (a name too long, a file in the way, a full disk) are a message and exit 1.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import incentives.io.writers
from conftest import EMPLOYEES, RATES, RULES, CliRun, spent
from incentives.errors import shorten

Cli = Callable[..., CliRun]
MARKER = ".incentives-output"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """A copy of the sample's bonus policy in tmp_path/rules, its roster and rates in
    tmp_path/data (small and quick)."""
    data = tmp_path / "data"
    data.mkdir()
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES / "annual_bonus.yaml", rules)
    shutil.copy(EMPLOYEES, data / "employees.csv")
    shutil.copy(RATES, data / "rates.csv")
    return {"rules": rules, "employees": data / "employees.csv", "rates": data / "rates.csv"}


def run_args(inputs: dict[str, Path], out: Path | str, *extra: str) -> tuple[str, ...]:
    return (
        "run",
        "--rules",
        str(inputs["rules"]),
        "--employees",
        str(inputs["employees"]),
        "--rates",
        str(inputs["rates"]),
        "--out",
        str(out),
        *extra,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (hidden ones too), by relative path, and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_refused(run: CliRun, *says: str) -> None:
    """Exit 2 (a usage error), the message on stderr, no traceback."""
    assert run.exit_code == 2, run.output
    assert run.exception is None
    assert "Traceback" not in run.output
    assert run.stdout == ""
    assert run.stderr.startswith("error: --out ")
    assert "choose an output folder apart from the inputs and the rules" in run.stderr
    for text in says:
        assert text in run.stderr, run.stderr


def assert_fault(run: CliRun, *says: str) -> None:
    """Exit 1, a one-paragraph message on stderr, no traceback."""
    assert run.exit_code == 1, run.output
    assert run.exception is None, run.exception
    assert "Traceback" not in run.output
    assert run.stdout == ""
    assert run.stderr.startswith("error: ")
    for text in says:
        assert text in run.stderr, run.stderr


def visible_run(folder: Path) -> list[str]:
    """Every file of a run folder, as a path relative to it (breakdown/<policy>.csv)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# -- a run never destroys an input ---------------------------------------------------------


def test_out_holding_the_roster_is_refused_even_with_force(
    cli: Cli, inputs: dict[str, Path]
) -> None:
    """The issue's case: `--employees out/results.csv --out out --force` used to overwrite the
    roster with the results. Now: exit 2 before anything is read, the roster untouched."""
    data = inputs["employees"].parent
    before = snapshot(data)
    run = cli(*run_args(inputs, data, "--force"))
    assert_refused(run, f"--out {data} contains the employees file {inputs['employees']}")
    assert snapshot(data) == before


def test_the_overlap_is_refused_before_anything_is_read(
    cli: Cli, inputs: dict[str, Path]
) -> None:
    """With a broken policy and a roster that is not CSV, the overlap is still what is
    reported (exit 2): nothing was read before the check."""
    (inputs["rules"] / "annual_bonus.yaml").write_text("policy: [unclosed\n", encoding="utf-8")
    inputs["employees"].write_bytes(b"\x00\xff not a roster")
    data = inputs["employees"].parent
    assert_refused(cli(*run_args(inputs, data, "--force")), "contains the employees file")


def test_out_that_is_the_rules_folder_or_inside_it_is_refused(
    cli: Cli, inputs: dict[str, Path]
) -> None:
    """--out equal to the rules folder, or a folder inside it, is refused; nothing is created."""
    rules = inputs["rules"]
    before = snapshot(rules)
    assert_refused(cli(*run_args(inputs, rules, "--force")), "is the rules folder")
    inside = rules / "out"
    assert_refused(cli(*run_args(inputs, inside)), "lies inside the rules folder")
    assert snapshot(rules) == before
    assert not inside.exists()


def test_out_inside_an_input_file_is_refused(cli: Cli, inputs: dict[str, Path]) -> None:
    """--out below the roster file's own path is refused as lying inside it."""
    assert_refused(
        cli(*run_args(inputs, inputs["employees"] / "out")), "lies inside the employees file"
    )


def test_out_equal_to_an_input_file_is_refused(cli: Cli, inputs: dict[str, Path]) -> None:
    """--out naming the rates file itself is refused (it would be replaced by a folder)."""
    before = inputs["rates"].read_bytes()
    assert_refused(cli(*run_args(inputs, inputs["rates"], "--force")), "is the rates file")
    assert inputs["rates"].read_bytes() == before


def test_out_containing_an_input_deep_down_is_refused(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """An --out that holds an input several folders down (here tmp_path) is refused."""
    assert_refused(cli(*run_args(inputs, tmp_path, "--force")), "contains the rules folder")


def test_out_through_a_symbolic_link_is_refused(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A link to the inputs' folder is resolved before comparing."""
    link = tmp_path / "link"
    link.symlink_to(inputs["employees"].parent, target_is_directory=True)
    before = snapshot(inputs["employees"].parent)
    assert_refused(cli(*run_args(inputs, link, "--force")), "contains the")
    assert snapshot(inputs["employees"].parent) == before


def test_out_spelled_with_dot_dot_is_refused(cli: Cli, inputs: dict[str, Path]) -> None:
    """`data/sub/..` is the inputs' folder, whatever its spelling (`sub` need not exist)."""
    spelled = inputs["employees"].parent / "sub" / ".."
    assert_refused(cli(*run_args(inputs, spelled, "--force")), "contains the employees file")


def test_input_hard_linked_into_the_run_folder_is_refused(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """An input that is a second name (hard link) of a file of the run folder to be replaced
    is found by file identity (samefile), not by its path."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    linked = tmp_path / "roster.csv"
    os.link(out / "results.csv", linked)
    assert linked.samefile(out / "results.csv")
    before = snapshot(out)
    run = cli(
        "run",
        "--rules",
        inputs["rules"],
        "--employees",
        linked,
        "--rates",
        inputs["rates"],
        "--out",
        out,
        "--force",
    )
    assert_refused(run, f"--out {out} contains the employees file {linked}")
    assert snapshot(out) == before


def test_an_input_inside_what_an_interrupted_run_left_is_refused(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """The folders beside --out that the next run removes (a previous run moved aside, an
    unfinished new one) are protected like --out itself."""
    aside = tmp_path / ".out.incentives-old"
    aside.mkdir()
    kept = aside / "results.csv"
    shutil.copy(inputs["employees"], kept)
    run = cli(*run_args({**inputs, "employees": kept}, tmp_path / "out"))
    assert run.exit_code == 2, run.output
    # (paths as messages show them: cut in the middle past 100 characters, as a deeper
    # temporary folder, such as a pytest-xdist worker's, makes them)
    said = f"the employees file {shorten(kept)} lies in {shorten(aside)}, which a run into --out"
    assert said in run.stderr
    assert kept.read_bytes() == inputs["employees"].read_bytes()


# -- --force replaces only a run folder ----------------------------------------------------


def test_force_replaces_a_run_and_no_stale_file_survives(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A file the previous run wrote (listed in its marker) and this run does not is gone:
    the folder holds exactly this run's files."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    marker = out / MARKER
    (out / "payroll.csv").write_text("employee_id,amount\n00001,100\n", encoding="utf-8")
    marker.write_text(marker.read_text(encoding="utf-8") + "payroll.csv\n", encoding="utf-8")
    run = cli(*run_args(inputs, out, "--force"))
    assert run.exit_code == 0, run.output
    assert "payroll.csv" not in visible_run(out)
    listed = marker.read_text(encoding="utf-8").splitlines()
    assert sorted([*listed, MARKER]) == visible_run(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]  # nothing beside


def test_force_refuses_a_foreign_folder(cli: Cli, inputs: dict[str, Path], tmp_path: Path) -> None:
    """A non-empty folder without the marker is not a run folder: refused even with --force,
    exit 1, untouched."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "payroll-2025.xlsx").write_bytes(b"precious")
    run = cli(*run_args(inputs, out, "--force"))
    assert_fault(run, "is not empty and holds no run of incentives (no .incentives-output")
    assert snapshot(out) == {"payroll-2025.xlsx": b"precious"}


def test_force_refuses_a_run_folder_with_a_file_no_run_wrote(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A file saved by hand into a run folder is never deleted: --force names it and stops."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    (out / "my notes.txt").write_text("keep me", encoding="utf-8")
    before = snapshot(out)
    run = cli(*run_args(inputs, out, "--force"))
    assert_fault(run, "holds 1 file(s) that no run wrote (my notes.txt); move them away")
    assert snapshot(out) == before


def test_force_refuses_a_file_no_run_wrote_in_the_breakdown_folder(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A file saved by hand beside the breakdown files (breakdown/) is never deleted either."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    (out / "breakdown" / "my notes.txt").write_text("keep me", encoding="utf-8")
    before = visible_run(out)
    run = cli(*run_args(inputs, out, "--force"))
    assert_fault(run, "holds 1 file(s) that no run wrote (breakdown/my notes.txt); move them")
    assert visible_run(out) == before
    assert (out / "breakdown" / "my notes.txt").read_text(encoding="utf-8") == "keep me"


# -- after an interrupted run ----------------------------------------------------------------


def test_run_restores_the_previous_run_moved_aside(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """Killed between the two renames: --out is absent and the previous run waits beside it.
    The next run puts it back (and says so), then refuses to replace it without --force."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    before = snapshot(out)
    aside = tmp_path / ".out.incentives-old"
    out.rename(aside)
    staging = tmp_path / ".out.incentives-new"
    staging.mkdir()
    (staging / "results.csv").write_text("half", encoding="utf-8")
    run = cli(*run_args(inputs, out))
    assert run.exit_code == 1
    assert f"note: restored the previous run to {out}" in run.stderr
    assert f"note: removed {staging}: the outputs of an interrupted run, never put in place" in run.stderr
    assert "holds an earlier run; use --force" in run.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]


def test_run_removes_the_previous_run_left_after_the_swap(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path
) -> None:
    """Killed while deleting the previous run: the new run is in place; the next run removes
    the rest of the old one and says so."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    aside = tmp_path / ".out.incentives-old"
    aside.mkdir()
    (aside / "breakdown.csv").write_text("old", encoding="utf-8")
    run = cli(*run_args(inputs, out, "--force"))
    assert run.exit_code == 0, run.output
    assert f"note: removed {aside}" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]


# -- write failures are messages ---------------------------------------------------------------


def test_out_under_a_file_is_a_message(cli: Cli, inputs: dict[str, Path], tmp_path: Path) -> None:
    """A path through an existing file cannot be created (works as root, unlike chmod)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    run = cli(*run_args(inputs, blocker / "out"))
    assert_fault(run, f"cannot write the run folder {blocker / 'out'}", "no outputs were written")
    assert blocker.read_text(encoding="utf-8") == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "data", "rules"]


@pytest.mark.parametrize("length", [300, 5000])
def test_a_name_too_long_is_a_short_message(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path, length: int
) -> None:
    """A folder name over the file system's limit: exit 1, 'choose a shorter --out', and the
    message quotes the name shortened."""
    run = cli(*run_args(inputs, tmp_path / ("n" * length)))
    assert_fault(run, "File name too long", "choose a shorter --out")
    assert len(run.stderr) < 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "rules"]


def test_a_full_disk_is_a_message_and_leaves_the_previous_run(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing rows (simulated in the CSV writer): exit 1, 'No space left on
    device', the earlier run in --out as it was and no staging folder left."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    before = snapshot(out)
    written = 0

    def full_disk(self: object, line: object) -> None:
        nonlocal written
        written += 1
        if written > 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(incentives.io.writers.CsvSink, "write_line", full_disk)
    run = cli(*run_args(inputs, out, "--force"))
    assert_fault(run, "No space left on device", "free some space or choose another --out")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]


def test_a_rename_refused_is_a_message(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission error when putting the run in place (as a read-only folder would give):
    exit 1 with a hint, the earlier run still in place."""
    out = tmp_path / "out"
    assert cli(*run_args(inputs, out)).exit_code == 0
    before = snapshot(out)
    real_rename = os.rename

    def refuse(source: object, target: object) -> None:
        if str(source).endswith(".out.incentives-new"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
        real_rename(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", refuse)
    run = cli(*run_args(inputs, out, "--force"))
    assert_fault(run, "Permission denied", "choose a folder you may write to")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "rules"]


# -- messages quote user values shortened ------------------------------------------------------


@pytest.mark.parametrize("option", ["--employees", "--rules", "--out", "--as-of"])
def test_a_huge_argument_gives_a_short_message(
    cli: Cli, inputs: dict[str, Path], tmp_path: Path, option: str
) -> None:
    """A 100,000-character argument gives a message of a few hundred characters, not 100 KB,
    within a generous 5 s of CPU time and 60 s of the clock (a 50,000-folder-deep --out is
    refused before it is resolved)."""
    huge = "z" * 100_000 if option != "--out" else str(tmp_path / ("z/" * 50_000))
    args = list(run_args(inputs, tmp_path / "out"))
    if option == "--as-of":
        args += ["--as-of", huge]
    else:
        args[args.index(option) + 1] = huge
    with spent() as took:
        run = cli(*args)
    assert took.cpu < 5, took  # CPU time: a loaded machine stretches the clock, not the work
    assert took.wall < 60, took  # waiting instead of working
    assert run.exit_code in (1, 2), run.output
    assert run.exception is None
    assert "Traceback" not in run.output
    assert len(run.stderr) < 1500, len(run.stderr)
    assert "characters" in run.stderr  # says how long the value was


def test_explain_of_a_huge_id_gives_a_short_message(cli: Cli, sample_run: CliRun) -> None:
    """`explain` quotes an unknown 100,000-character id shortened."""
    run = cli("explain", "9" * 100_000, "--run", sample_run.out)
    assert run.exit_code == 1
    assert len(run.stderr) < 1500


@pytest.mark.parametrize(
    "args",
    [
        ("explain", "00004", "--run", ".", "--format", "f" * 100_000),
        ("run", "--" + "o" * 100_000),
        ("check", "--rules", str(RULES), "extra" * 20_000),
    ],
)
def test_a_huge_usage_error_gives_a_short_message(cli: Cli, args: tuple[str, ...]) -> None:
    """Click's own usage errors (a bad choice, an unknown option, an extra argument) quote
    what was typed shortened too: exit 2, a few hundred characters."""
    run = cli(*args)
    assert run.exit_code == 2, run.output
    assert len(run.stderr) < 1500, len(run.stderr)
