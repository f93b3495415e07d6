"""Shared fixtures: the bundled sample, a CLI runner, and policy files written on the fly.

    sample_run                   the bundled sample, the full cycle (rules/ with fixtures/ratings.csv
                                 and fixtures/history.csv), computed once per session (a `CliRun`);
                                 its results.csv has a bonus, a merit and a promotion row per
                                 employee (column `kind`)
    cli("check", "--rules", d)   the `incentives` command run in-process (a `CliRun`)
    policy_file(text)            a policy written into a fresh rules folder; returns its path

Paths to the bundled files are absolute (`ROOT`, `RULES`, `FIXTURES`), so tests pass from any
working directory.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from incentives.cli import cli as incentives_cli
from incentives.engine.calculate import EmployeeOutcome, calculate
from incentives.io import open_roster, read_rates
from incentives.jobs import required_columns
from incentives.rulebook.rulebook import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures"
EMPLOYEES = FIXTURES / "employees.csv"
RATES = FIXTURES / "rates.csv"
RATINGS = FIXTURES / "ratings.csv"
HISTORY = FIXTURES / "history.csv"


def sample_roster(rulebook: Any) -> Any:
    """The bundled sample roster with its ratings and history files, opened for ``rulebook``."""
    return open_roster(
        EMPLOYEES,
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )


@functools.cache
def _cycle() -> tuple[Any, ...]:
    rulebook = load_rules(RULES)
    return tuple(calculate(rulebook, sample_roster(rulebook), rates=read_rates(RATES)))


def cycle_outcomes(kind: str) -> dict[str, Any]:
    """Every sample employee's outcome under the policy of ``kind`` (merit, promotion: one policy
    each) or of that policy id (``annual-bonus-2026``: the sample has several bonus plans), by
    id, from the library API on the full sample cycle (computed once per test session)."""
    found: dict[str, Any] = {}
    for item in _cycle():
        assert isinstance(item, EmployeeOutcome), item
        mine = [o for o in item.outcomes if kind in (o.policy.kind, o.policy.id)]
        if mine:
            (found[item.employee_id],) = mine
    return found


POLICIES = Path(__file__).resolve().parent / "policies"

# the full cycle: bonus, merit and promotion, with the rating history and the dated changes
SAMPLE_ARGS = (
    "--rules",
    str(RULES),
    "--employees",
    str(EMPLOYEES),
    "--rates",
    str(RATES),
    "--ratings",
    str(RATINGS),
    "--history",
    str(HISTORY),
)


def repeated_sample(
    path: Path,
    rows: int,
    *,
    first_id: int = 0,
    id_width: int = 6,
    edit: Callable[[int, list[str], list[str]], None] | None = None,
) -> Path:
    """A roster of ``rows`` rows written to ``path``: the sample's rows over and over, their
    ids numbered on from ``first_id`` (``id_width`` digits); ``edit(i, header, row)`` may change
    row ``i`` before it is written."""
    with (FIXTURES / "employees.csv").open(encoding="utf-8", newline="") as f:
        header, *sample = list(csv.reader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for i in range(rows):
            row = list(sample[i % len(sample)])
            row[0] = f"{first_id + i:0{id_width}d}"
            if edit is not None:
                edit(i, header, row)
            writer.writerow(row)
    return path


def employee_files(out: Path) -> list[str]:
    """The per-employee CSV files of a run folder (results, inputs, each policy's breakdown
    file, rejected, not covered), as paths relative to it."""
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    return [
        "results.csv",
        files["inputs"],
        *files["breakdown"].values(),
        "rejected.csv",
        "not_covered.csv",
    ]


def breakdown_rows(out: Path, policy: str | None = None) -> list[dict[str, str]]:
    """The breakdown of a run folder as its files hold it (cells not unescaped): each policy's
    ``breakdown/<policy>.csv`` row joined with the employee's ``inputs.csv`` row, plus the
    policy id; the policies in rules order, or only ``policy`` (docs/run-folder.md)."""
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]

    def read(name: str) -> list[dict[str, str]]:
        with (out / name).open(encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))

    inputs = {row["employee_id"]: row for row in read(files["inputs"])}
    rows = []
    for policy_id, name in files["breakdown"].items():
        if policy is None or policy == policy_id:
            for row in read(name):
                rows.append({**inputs[row["employee_id"]], "policy": policy_id, **row})
    return rows


@attrs.frozen
class CliRun:
    """One invocation of the command line: exit code, stdout and stderr kept apart."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = attrs.field(eq=False, repr=False, default=None)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def out(self) -> Path | None:
        """The ``--out`` folder of a ``run`` invocation, if one was given."""
        if "--out" in self.args:
            return Path(self.args[self.args.index("--out") + 1])
        return None


def invoke(*args: str | Path) -> CliRun:
    """Run ``incentives ARGS`` in-process with click's runner (stdout and stderr separate)."""
    texts = tuple(str(arg) for arg in args)
    result = CliRunner().invoke(incentives_cli, list(texts), catch_exceptions=True)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return CliRun(texts, result.exit_code, result.stdout, result.stderr, exception)


@attrs.define
class Spent:
    """What a block of code took: ``cpu`` seconds of this process (every thread, user and
    system), ``wall`` seconds of the clock."""

    cpu: float = 0.0
    wall: float = 0.0


@contextlib.contextmanager
def spent() -> Iterator[Spent]:
    """``with spent() as took: ...``, then ``took.cpu`` and ``took.wall``.

    A bound on how fast a command answers checks ``cpu``: the work a limit lets through, which
    does not grow when other processes load the machine (the wall time of the same work does,
    several-fold on a shared 2-core machine). A much larger bound on ``wall`` beside it still
    catches waiting (a sleep, a blocked read), which costs no CPU.
    """
    took = Spent()
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        yield took
    finally:
        took.cpu = time.process_time() - cpu
        took.wall = time.perf_counter() - wall


@pytest.fixture
def cli() -> Callable[..., CliRun]:
    """``cli("run", "--rules", ...)``: the command line, in-process."""
    return invoke


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The bundled sample (rules/, fixtures/employees.csv, rates.csv, ratings.csv, history.csv),
    run once.

    Read its outputs only: the folder is shared by every test of the session.
    """
    out = tmp_path_factory.mktemp("sample") / "run"
    run = invoke("run", *SAMPLE_ARGS, "--out", out)
    assert run.exit_code == 0, run.output
    return run


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """An empty rules folder of this test."""
    folder = tmp_path / "rules"
    folder.mkdir()
    return folder


@pytest.fixture
def policy_file(rules_dir: Path) -> Callable[..., Path]:
    """``policy_file(text, name="policy.yaml")``: write a policy (dedented) into `rules_dir`.

    Returns the file's path; its folder (`rules_dir`) holds every file written by this test,
    so a test can write several policies and load the folder.
    """

    def write(text: str, name: str = "policy.yaml") -> Path:
        path = rules_dir / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def printed_by(script: str) -> list[str]:
    """The lines a Python ``script`` prints, run in a fresh interpreter of this environment
    (what a command's start loads, seen from a clean process)."""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()
