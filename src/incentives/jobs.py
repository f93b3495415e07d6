"""The jobs a user runs, as library calls (the CLI is a thin shell over these).

run_job(RunRequest(...)) -> RunReport     policies + roster → a run folder
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from incentives.audit.manifest import manifest_data, rulebook_data
from incentives.engine.allocation_report import BudgetLine, PoolLine, budget_lines, pool_lines
from incentives.engine.calculate import (
    Calculation,
    Summary,
    calculate,
)
from incentives.engine.passes import Item, OpenShare, in_process
from incentives.errors import BudgetExceeded, IncentivesError, OptionsError
from incentives.io import run_dir
from incentives.io.allocation_outputs import BUDGETS_HEADER, POOLS_HEADER, budget_row, pool_row
from incentives.io.coverage_outputs import UNMATCHED_HEADER, unmatched_row
from incentives.io.employee_files import EmployeeFile, employee_files, locating, write_items
from incentives.io.roster import Roster
from incentives.io.run_outputs import OutputLayout, rejected_row
from incentives.io.sheet_table import cell_locator
from incentives.io.workbook import is_workbook
from incentives.io.writers import CsvSink, OutputDir
from incentives.job_inputs import input_files, manifest_inputs, read_inputs, required_columns
from incentives.model import Rejection
from incentives.model.roster import RosterSource, RosterView
from incentives.parallel import can_fork, run_parallel
from incentives.rulebook.rulebook import Rulebook, load_rules

if TYPE_CHECKING:  # what-if runs only: see `_what_if_layers`
    from incentives.scenarios import Scenario

__all__ = [
    "OUTPUT_FILES",
    "SHEET_ROLES",
    "RunReport",
    "RunRequest",
    "input_files",
    "manifest_inputs",
    "read_inputs",
    "required_columns",
    "run_job",
]

SHEET_ROLES = ("employees", "goals", "ratings", "history", "results", "rates")
"""The inputs that may be .xlsx workbooks, as `RunRequest.sheets` names them."""

OUTPUT_FILES = (
    "results.csv",
    "inputs.csv",
    "rejected.csv",
    "not_covered.csv",
    "rulebook.json",
    "manifest.json",
)  # and breakdown/<policy>.csv per policy, unmatched.csv when a goals, ratings or history file is given


@attrs.frozen
class RunRequest:
    rules: Path
    employees: Path
    out: Path
    goals: Path | None = None
    results: Path | None = None
    rates: Path | None = None
    ratings: Path | None = None
    history: Path | None = None
    as_of: datetime.date | None = None
    force: bool = False
    workers: int | None = None  # None: both cores for large rosters, one for small ones
    require_coverage: bool = False  # an employee no policy of a kind covers is a rejection
    # With workers=None, rosters of at least this many records are computed on both cores.
    parallel_from: int = 20_000
    # The progress callback of `run_job` is called every this many employees computed.
    progress_every: int = 10_000
    # What-ifs (docs/what-if.md): a rulebook already loaded or overridden (instead of loading
    # `rules`, which it was loaded from), or a scenario (its rulebook and input changes)
    rulebook: Rulebook | None = None
    scenario: Scenario | None = None
    # the sheet to read of each input that is an .xlsx workbook, by role ("employees", "goals",
    # "ratings", "history", "results", "rates"; the first sheet otherwise), and a column
    # mapping file for the roster (see `incentives.io.column_map`)
    sheets: Mapping[str, str] = attrs.field(factory=dict, hash=False)  # a dict: not in the hash
    columns: Path | None = None


@attrs.frozen
class RunReport:
    out: Path
    summary: Summary  # with not_covered, and keyed_files: rows matched, unmatched, rejected
    orphan_rows: int  # rows of the goals, ratings or history file with no employee_id (rejected)
    policies: tuple[str, ...]
    budgets: tuple[BudgetLine, ...] = ()
    pools: tuple[PoolLine, ...] = ()
    files: tuple[str, ...] = OUTPUT_FILES
    # what was restored or removed of an interrupted earlier run in --out (see io.run_dir)
    notices: tuple[str, ...] = ()
    # a what-if's layers, as manifest.json lists them (docs/what-if.md); () for a plain run
    what_if: tuple[Mapping[str, Any], ...] = ()


class _Redo(IncentivesError):
    """The fast first pass counted rows that the second pass rejected: redo without them."""

    def __init__(self, records: frozenset[int]) -> None:
        self.records = records
        super().__init__(f"{len(records)} rejected row(s) were counted in group totals")


def run_job(
    request: RunRequest,
    progress: Callable[[int, int], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> RunReport:
    """Load, validate and compile the policies, compute every employee, write the run folder.

    Faults in policies, input files or options raise before any output is written; the
    outputs appear together, atomically, only when everything was written. An ``out`` that is,
    contains or lies inside an input or the rules raises `OutputOverlapsInput` before anything
    is read; while another run writes ``out``, `OutputError` is raised at once and nothing is
    touched. What was restored or removed of an interrupted earlier run in ``out`` is passed
    to ``notify`` at once (and listed in the report's ``notices``).
    """
    _check_sheets(request)
    with contextlib.ExitStack() as held:
        with run_dir.writing(request.out):
            run_dir.check_apart(request.out, input_files(request))
            target = run_dir.real_path(request.out)
            # held to the end, so that no other run takes our staging folder for a leftover
            held.enter_context(run_dir.exclusive(target, request.out))
        return _run_locked(request, progress, notify, target)


def _run_locked(
    request: RunRequest,
    progress: Callable[[int, int], None] | None,
    notify: Callable[[str], None] | None,
    target: Path,
) -> RunReport:
    with run_dir.writing(request.out):
        notices = run_dir.recover(target)
    for notice in notices:
        if notify is not None:
            notify(notice)
    rulebook = _rulebook(request)
    roster, figures, rates = read_inputs(request, rulebook)
    roster_sha256 = roster.sha256
    source = request.scenario.wrap_roster(roster) if request.scenario else roster
    total = roster.record_count
    calc = calculate(
        rulebook,
        source,
        results=figures,
        rates=rates,
        as_of=request.as_of,
        progress=None if progress is None else _forward_only(progress, total),
        progress_every=request.progress_every,
        exact_first_pass=False,  # the fast first pass; a miscount is redone just below
        require_coverage=request.require_coverage,
    )
    excluded: frozenset[int] = frozenset()
    while True:
        try:
            orphans, budgets, pools, files = _write_run(
                request, rulebook, source, roster_sha256, calc, excluded
            )
            if progress is not None:
                progress(roster.record_count, roster.record_count)
            break
        except _Redo as redo:  # the outputs of the attempt were discarded, nothing was left
            excluded |= redo.records
    return RunReport(
        request.out,
        calc.summary,
        len(orphans),
        tuple(p.id for p in rulebook.policies),
        tuple(budgets),
        tuple(pools),
        files,
        notices=tuple(notices),
        what_if=tuple(_what_if_layers(rulebook, request, source)),
    )


def _what_if_layers(
    rulebook: Rulebook, request: RunRequest, roster: RosterSource
) -> list[dict[str, Any]]:
    """`incentives.scenarios.what_if_layers`, imported only for a what-if run: a run of the
    policies as written (no scenario, no layer of overrides) has none."""
    if request.scenario is None and not rulebook.layers:
        return []
    from incentives.scenarios import what_if_layers

    return what_if_layers(rulebook, request.rules, request.results, request.scenario, roster)


def _rulebook(request: RunRequest) -> Rulebook:
    if request.scenario is not None:
        return request.scenario.rulebook
    return request.rulebook if request.rulebook is not None else load_rules(request.rules)


def _check_sheets(request: RunRequest) -> None:
    """Each sheet named is for an input given as an .xlsx workbook."""
    for role, sheet in request.sheets.items():
        path = getattr(request, role, None) if role in SHEET_ROLES else None
        if role not in SHEET_ROLES:
            raise OptionsError(
                f"--sheet {role}={sheet}: '{role}' is not an input; one of {', '.join(SHEET_ROLES)}"
            )
        if path is None:
            raise OptionsError(f"--sheet {role}={sheet} is given but no --{role} file")
        if not is_workbook(path):
            raise OptionsError(
                f"--sheet {role}={sheet} is given but {path} is not an .xlsx workbook"
            )


def _forward_only(progress: Callable[[int, int], None], total: int) -> Callable[[int], None]:
    """``progress`` as (done, total), never past the total and never going back: a run redone
    without miscounted rows counts again from its first row, and the reports of the redo
    resume only once they pass what was reported before (a progress bar never jumps back)."""
    reported = 0

    def report(done: int) -> None:
        nonlocal reported
        done = min(done, total)
        if done > reported:
            reported = done
            progress(done, total)

    return report


def _write_run(
    request: RunRequest,
    rulebook: Rulebook,
    roster: RosterSource,
    roster_sha256: str,  # the employees file's, for the manifest
    calc: Calculation,
    excluded: frozenset[int],
) -> tuple[list[Rejection], list[BudgetLine], list[PoolLine], tuple[str, ...]]:
    layout = OutputLayout(rulebook)
    with OutputDir(request.out, force=request.force) as out:
        read = roster
        while isinstance(read, RosterView):  # a scenario's view: the sheet is the base's
            read = read.base
        locate = cell_locator(read.tables()) if isinstance(read, Roster) else None
        files = employee_files(layout)
        if locate is not None:  # a roster or keyed file read from a sheet
            files = locating(files, locate)
        sinks = [out.csv_writer(f.name, f.header) for f in files]
        rejected = sinks[[f.name for f in files].index("rejected.csv")]
        workers = _workers(request, roster.record_count)
        if workers > 1:
            ran = run_parallel(
                calc, roster, files, sinks, workers=workers, scratch=out.scratch, exclude=excluded
            )
        else:
            ran = calc.run(in_process, _into(files, sinks), excluded)
        if ran.miscounted - excluded:
            raise _Redo(ran.miscounted)
        orphans = roster.orphans()
        for rej in orphans:
            rejected.write_cells(rejected_row(locate(rej) if locate else rej))
        if request.goals or request.ratings or request.history:
            sink = out.csv_writer("unmatched.csv", UNMATCHED_HEADER)
            for row in roster.unmatched():
                sink.write_cells(unmatched_row(row))
        calc.check_pool_fundings()  # a funding that differs within a pool: nothing is written
        budgets = budget_lines(calc)
        pools = pool_lines(calc)
        if any(p.budgets for p in rulebook.policies):
            sink = out.csv_writer("budgets.csv", BUDGETS_HEADER)
            for line in budgets:
                sink.write_cells(budget_row(line))
        if any(p.pools for p in rulebook.policies):
            sink = out.csv_writer("pools.csv", POOLS_HEADER)
            for pool in pools:
                sink.write_cells(pool_row(pool))
        over = [line.describe() for line in budgets if line.over and line.severity == "error"]
        if over:
            raise BudgetExceeded(over)  # the outputs are discarded with the folder
        out.json("rulebook.json", rulebook_data(rulebook))
        inputs = manifest_inputs(request, roster_sha256, roster.record_count)
        # the --as-of date, or each policy's own payout date (the default each one uses)
        as_of: str | dict[str, str] = (
            request.as_of.isoformat()
            if request.as_of
            else {p.id: p.spec.policy.payout_date.isoformat() for p in rulebook.policies}
        )
        out.json(
            "manifest.json",
            manifest_data(
                calc,
                inputs=inputs,
                as_of=as_of,
                orphan_rows=len(orphans),
                what_if=_what_if_layers(rulebook, request, roster),
                budgets=budgets,
                pools=pools,
                files={
                    "breakdown": dict(layout.breakdown_files),
                    "inputs": "inputs.csv",
                    "inputs_kept": {
                        pid: sorted(names) for pid, names in layout.kept_inputs.items() if names
                    },
                    "written": sorted({*out.names, "manifest.json"}),
                },
            ),
        )
        written = out.names
    return orphans, budgets, pools, written


def _into(files: Sequence[EmployeeFile], sinks: Sequence[CsvSink]) -> OpenShare:
    """The one share of a run on one core: its lines straight into the output files."""
    writes = [sink.write_line for sink in sinks]

    @contextlib.contextmanager
    def open_share(_share: int) -> Iterator[Callable[[Iterable[Item]], object]]:
        yield lambda items: write_items(items, files, writes)

    return open_share


def _workers(request: RunRequest, records: int) -> int:
    if request.workers is not None:
        return max(1, request.workers) if can_fork() else 1
    # below parallel_from records (20,000 by default), forking costs more than it saves
    if records < request.parallel_from or not can_fork():
        return 1
    return min(2, os.cpu_count() or 1)
